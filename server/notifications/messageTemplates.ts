/**
 * The texts of notifications, in Polish and English, as data. `{name}` placeholders are filled
 * by messageRendering.ts (the list of names is PLACEHOLDERS; a test checks every template uses
 * only those). A message = the kind's intro + the ticket details block + the dashboard link.
 * Polish texts use the formal "Państwo" form, as Polish service vendors write to customers.
 */
import type { Impact, Tier } from '../sla/contract.js';
import type { TicketStatus } from '../tickets/ticket.js';
import type { SlaClockName } from './noticeFacts.js';
import type { Language, NotificationEvent } from './notificationSettings.js';

export const PLACEHOLDERS = [
  'number',
  'title',
  'customer',
  'site',
  'device',
  'impact',
  'deadline',
  'remaining',
  'clock',
  'attempt',
  'tier',
  'status',
  'now',
  'link',
  'period',
  'cutoff',
  'lastReading',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export interface MessageTemplate {
  readonly subject: string;
  /** Paragraphs separated by a blank line. */
  readonly intro: string;
}

export type TemplateKind = NotificationEvent | 'test';

export const TEMPLATES: Readonly<Record<TemplateKind, Readonly<Record<Language, MessageTemplate>>>> = {
  'ticket.opened': {
    pl: { subject: '[FleetDesk] Nowe zgłoszenie {number}: {title}', intro: 'Otwarto zgłoszenie {number} o wpływie „{impact}”: {title}.' },
    en: { subject: '[FleetDesk] New ticket {number}: {title}', intro: 'Ticket {number} was opened with impact "{impact}": {title}.' },
  },
  'ticket.joined': {
    pl: {
      subject: '[FleetDesk] Kolejna usterka w zgłoszeniu {number}',
      intro: 'Do zgłoszenia {number} dołączyła kolejna usterka tego samego urządzenia lub lokalizacji.',
    },
    en: { subject: '[FleetDesk] Another fault joined ticket {number}', intro: 'Another fault of the same device or site joined ticket {number}.' },
  },
  'ticket.reopened': {
    pl: { subject: '[FleetDesk] Ponownie otwarte zgłoszenie {number}', intro: 'Zgłoszenie {number} zostało ponownie otwarte: usterka wróciła po rozwiązaniu.' },
    en: { subject: '[FleetDesk] Ticket {number} reopened', intro: 'Ticket {number} was reopened: the fault came back after it was resolved.' },
  },
  'ticket.resolved': {
    pl: {
      subject: '[FleetDesk] Zgłoszenie {number} rozwiązane',
      intro: 'Zgłoszenie {number} zostało rozwiązane: {title}.\n\nJeśli problem nadal występuje, prosimy o odpowiedź na tę wiadomość.',
    },
    en: {
      subject: '[FleetDesk] Ticket {number} resolved',
      intro: 'Ticket {number} has been resolved: {title}.\n\nIf the problem persists, please reply to this message.',
    },
  },
  'ticket.closed': {
    pl: { subject: '[FleetDesk] Zgłoszenie {number} zamknięte', intro: 'Zgłoszenie {number} zostało zamknięte.' },
    en: { subject: '[FleetDesk] Ticket {number} closed', intro: 'Ticket {number} has been closed.' },
  },
  'ticket.escalated': {
    pl: { subject: '[FleetDesk] Eskalacja zgłoszenia {number} do {tier}', intro: 'Zgłoszenie {number} zostało eskalowane do linii wsparcia {tier}.' },
    en: { subject: '[FleetDesk] Ticket {number} escalated to {tier}', intro: 'Ticket {number} was escalated to support tier {tier}.' },
  },
  'sla.warning': {
    pl: {
      subject: '[FleetDesk] Ostrzeżenie SLA: {number} ({clock})',
      intro: 'Zbliża się termin SLA ({clock}) zgłoszenia {number}: zostało {remaining}, termin upływa {deadline}.',
    },
    en: {
      subject: '[FleetDesk] SLA warning: {number} ({clock})',
      intro: 'The SLA deadline ({clock}) of ticket {number} is near: {remaining} left, due {deadline}.',
    },
  },
  'sla.breach': {
    pl: {
      subject: '[FleetDesk] Przekroczenie SLA: {number} ({clock})',
      intro: 'Termin SLA ({clock}) zgłoszenia {number} został przekroczony: upłynął {deadline}.',
    },
    en: {
      subject: '[FleetDesk] SLA breached: {number} ({clock})',
      intro: 'The SLA deadline ({clock}) of ticket {number} has been breached: it passed {deadline}.',
    },
  },
  'escalation.warning': {
    pl: {
      subject: '[FleetDesk] Eskalacja: termin {clock} zgłoszenia {number} upływa {deadline}',
      intro: 'Termin SLA ({clock}) zgłoszenia {number} upływa {deadline} (zostało {remaining}). Prosimy o pilne podjęcie działań.',
    },
    en: {
      subject: '[FleetDesk] Escalation: {clock} of ticket {number} due {deadline}',
      intro: 'The SLA deadline ({clock}) of ticket {number} is due {deadline} ({remaining} left). Please act now.',
    },
  },
  'escalation.breach': {
    pl: {
      subject: '[FleetDesk] Eskalacja: przekroczony termin {clock} zgłoszenia {number}',
      intro: 'Termin SLA ({clock}) zgłoszenia {number} upłynął {deadline}. Zgłoszenie wymaga natychmiastowej uwagi.',
    },
    en: {
      subject: '[FleetDesk] Escalation: {clock} of ticket {number} breached',
      intro: 'The SLA deadline ({clock}) of ticket {number} passed {deadline}. The ticket needs attention now.',
    },
  },
  'customer.contactAttempt': {
    pl: {
      subject: '[FleetDesk] Prosimy o kontakt w sprawie zgłoszenia {number}',
      intro:
        'Próbujemy się z Państwem skontaktować w sprawie zgłoszenia {number} (próba {attempt}).\n\nProsimy o odpowiedź na tę wiadomość lub kontakt z serwisem. Bez odpowiedzi zgłoszenie może zostać zamknięte jako rozwiązane.',
    },
    en: {
      subject: '[FleetDesk] Please contact us about ticket {number}',
      intro:
        'We are trying to reach you about ticket {number} (attempt {attempt}).\n\nPlease reply to this message or call the service desk. Without an answer the ticket may be closed as solved.',
    },
  },
  'device.customerFixable': {
    pl: {
      subject: '[FleetDesk] {title}: {device}, prosimy o sprawdzenie',
      intro:
        'Urządzenie {device} w lokalizacji {site} ({customer}) zgłasza: {title}.\n\nZwykle można to usunąć na miejscu (zamknąć drzwiczki, uzupełnić papier, włożyć podajnik, opróżnić tacę odbiorczą). Jeśli stan utrzyma się do {deadline}, serwis otworzy zgłoszenie.',
    },
    en: {
      subject: '[FleetDesk] {title}: {device}, please check',
      intro:
        'Device {device} at {site} ({customer}) reports: {title}.\n\nThis can usually be fixed on site (close the door, add paper, put the tray back, empty the output tray). If it is still there at {deadline}, the service desk will open a ticket.',
    },
  },
  'meter.missing': {
    pl: {
      subject: '[FleetDesk] Brak odczytu licznika: {device}',
      intro:
        'Urządzenie {device} nie przesyła odczytów liczników, a zbliża się termin odczytu do rozliczenia ({cutoff}).\n\nProsimy sprawdzić, czy urządzenie jest włączone i podłączone do sieci, albo podać stan liczników z panelu urządzenia.',
    },
    en: {
      subject: '[FleetDesk] Meter reading missing: {device}',
      intro:
        'Device {device} has not reported its meters, and the billing meter reading is due {cutoff}.\n\nPlease check that the device is on and connected, or send its counters as shown on its panel.',
    },
  },
  test: {
    pl: { subject: '[FleetDesk] Powiadomienie testowe', intro: 'To jest wiadomość testowa FleetDesk wysłana {now}. Skoro dotarła, powiadomienia działają.' },
    en: { subject: '[FleetDesk] Test notification', intro: 'This is a FleetDesk test message sent {now}. If you can read it, notifications work.' },
  },
};

/** The device block under a meter message. */
export const METER_DETAILS: Readonly<Record<Language, string>> = {
  pl: 'Klient: {customer}\nUrządzenie: {device}\nOkres rozliczeniowy: {period}\nOdczyt na dzień: {cutoff}\nOstatni odczyt: {lastReading}',
  en: 'Customer: {customer}\nDevice: {device}\nBilling period: {period}\nMeter reading due: {cutoff}\nLast reading: {lastReading}',
};

/** The ticket details block under every ticket message. */
export const DETAILS: Readonly<Record<Language, string>> = {
  pl: 'Zgłoszenie: {number}\nKlient: {customer}\nLokalizacja: {site}\nUrządzenie: {device}\nWpływ: {impact}\nStatus: {status}\nTermin SLA: {deadline}',
  en: 'Ticket: {number}\nCustomer: {customer}\nSite: {site}\nDevice: {device}\nImpact: {impact}\nStatus: {status}\nSLA deadline: {deadline}',
};

export const LINK_LINE: Readonly<Record<Language, string>> = {
  pl: 'Szczegóły: {link}',
  en: 'Details: {link}',
};

export const SIGNATURE: Readonly<Record<Language, string>> = {
  pl: '--\nWiadomość wysłana automatycznie przez FleetDesk.',
  en: '--\nSent automatically by FleetDesk.',
};

/** Words the placeholders are filled with. */
export interface Vocabulary {
  readonly impact: Readonly<Record<Impact, string>>;
  readonly status: Readonly<Record<TicketStatus, string>>;
  readonly clock: Readonly<Record<SlaClockName, string>>;
  readonly tier: Readonly<Record<Tier, string>>;
  readonly noDeadline: string;
  readonly noGuarantee: string;
  readonly serial: string;
  /** A site ticket: "{count}" devices of the whole site. */
  readonly wholeSite: string;
  readonly unknown: string;
  /** A device that never reported a meter reading. */
  readonly noReading: string;
}

export const VOCABULARY: Readonly<Record<Language, Vocabulary>> = {
  pl: {
    impact: { critical: 'krytyczny', high: 'wysoki', medium: 'średni', low: 'niski' },
    status: {
      new: 'nowe',
      acknowledged: 'przyjęte',
      inProgress: 'w realizacji',
      waitingForCustomer: 'czeka na klienta',
      resolved: 'rozwiązane',
      closed: 'zamknięte',
    },
    clock: { reaction: 'reakcja', resolution: 'rozwiązanie', onSite: 'przyjazd serwisu' },
    tier: { L1: 'L1 (pierwsza linia)', L2: 'L2 (diagnostyka)', L3: 'L3 (inżynierowie produktu)' },
    noDeadline: 'brak biegnącego terminu',
    noGuarantee: 'bez gwarantowanego czasu reakcji',
    serial: 'nr ser.',
    wholeSite: 'cała lokalizacja (urządzeń: {count})',
    unknown: 'nieznane',
    noReading: 'brak odczytu',
  },
  en: {
    impact: { critical: 'critical', high: 'high', medium: 'medium', low: 'low' },
    status: {
      new: 'new',
      acknowledged: 'acknowledged',
      inProgress: 'in progress',
      waitingForCustomer: 'waiting for customer',
      resolved: 'resolved',
      closed: 'closed',
    },
    clock: { reaction: 'reaction', resolution: 'resolution', onSite: 'on-site arrival' },
    tier: { L1: 'L1 (first line)', L2: 'L2 (diagnostics)', L3: 'L3 (product engineers)' },
    noDeadline: 'no running deadline',
    noGuarantee: 'no guaranteed reaction time',
    serial: 'S/N',
    wholeSite: 'the whole site ({count} devices)',
    unknown: 'unknown',
    noReading: 'none yet',
  },
};
