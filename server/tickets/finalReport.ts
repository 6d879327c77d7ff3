/**
 * The final report of a ticket (support-contracts §4: "a final report with the details of the
 * report, the solution and the time it took"), as plain data: device, customer, what was reported
 * and what the monitoring detected (evidence), impact and the rule behind it, every SLA target met
 * or breached, on-site visits, work done with its billing, solution and technicians. Pure: the HTML
 * page and the PDF (finalReportHtml.ts, finalReportPdf.ts) render this one model, in Polish or English.
 */
import { DateTime } from 'luxon';
import type { Language } from '../../shared/faults.js';
import type { Contract } from '../sla/contract.js';
import type { SlaClockState } from '../sla/slaClock.js';
import { billEntry, billingFacts } from './billing.js';
import { ticketFaultLabel, type Ticket } from './ticket.js';

export type TargetOutcome = 'met' | 'breached' | 'running' | 'noTarget';

export interface ReportTarget {
  readonly name: string;
  readonly target: string | null;
  readonly deadline: string | null;
  readonly outcome: TargetOutcome;
}

export interface FinalReport {
  readonly lang: Language;
  readonly title: string;
  readonly ticketId: string;
  readonly subject: string;
  readonly status: string;
  readonly generatedAt: string;
  readonly customer: { readonly name: string; readonly contact: string; readonly contract: string };
  readonly site: string;
  readonly device: string | null;
  readonly reported: { readonly channel: string; readonly openedAt: string; readonly firstSeen: string; readonly description: string | null };
  readonly detected: ReadonlyArray<{ readonly fault: string; readonly since: string; readonly evidence: string }>;
  readonly impact: { readonly level: string; readonly why: string };
  readonly targets: readonly ReportTarget[];
  readonly visits: ReadonlyArray<{
    readonly id: string;
    readonly technician: string;
    readonly arrived: string;
    readonly departed: string;
    readonly arrival: TargetOutcome;
    readonly workDone: string;
  }>;
  readonly work: ReadonlyArray<{
    readonly at: string;
    readonly by: string;
    readonly channel: string;
    readonly minutes: number;
    readonly billedMinutes: number;
    readonly note: string;
  }>;
  readonly totals: { readonly minutes: number; readonly billedMinutes: number };
  readonly solution: string | null;
  readonly resolvedAt: string | null;
  readonly technicians: readonly string[];
  readonly labels: ReportLabels;
}

export interface ReportLabels {
  readonly heading: string;
  readonly ticket: string;
  readonly status: string;
  readonly customer: string;
  readonly contact: string;
  readonly contract: string;
  readonly site: string;
  readonly device: string;
  readonly reported: string;
  readonly channel: string;
  readonly openedAt: string;
  readonly firstSeen: string;
  readonly description: string;
  readonly detected: string;
  readonly fault: string;
  readonly since: string;
  readonly evidence: string;
  readonly impact: string;
  readonly why: string;
  readonly targets: string;
  readonly target: string;
  readonly deadline: string;
  readonly outcome: string;
  readonly visits: string;
  readonly technician: string;
  readonly arrived: string;
  readonly departed: string;
  readonly work: string;
  readonly when: string;
  readonly by: string;
  readonly minutes: string;
  readonly billed: string;
  readonly note: string;
  readonly total: string;
  readonly solution: string;
  readonly resolvedAt: string;
  readonly technicians: string;
  readonly generated: string;
  readonly none: string;
  readonly clocks: Readonly<Record<'reaction' | 'resolution' | 'onSite', string>>;
  readonly outcomes: Readonly<Record<TargetOutcome, string>>;
  readonly billingRule: string;
  readonly warrantyUntil: string;
}

export const REPORT_LABELS: Readonly<Record<Language, ReportLabels>> = {
  pl: {
    heading: 'Raport końcowy zgłoszenia',
    ticket: 'Zgłoszenie',
    status: 'Stan',
    customer: 'Klient',
    contact: 'Osoba kontaktowa',
    contract: 'Umowa',
    site: 'Lokalizacja',
    device: 'Urządzenie',
    reported: 'Zgłoszono',
    channel: 'Kanał',
    openedAt: 'Zarejestrowano',
    firstSeen: 'Wystąpiło',
    description: 'Opis',
    detected: 'Wykryte usterki (dowody)',
    fault: 'Usterka',
    since: 'Od',
    evidence: 'Dowód',
    impact: 'Wpływ na działalność',
    why: 'Uzasadnienie',
    targets: 'Czasy SLA',
    target: 'Cel',
    deadline: 'Termin',
    outcome: 'Wynik',
    visits: 'Wizyty serwisowe',
    technician: 'Technik',
    arrived: 'Przyjazd',
    departed: 'Wyjazd',
    work: 'Wykonane prace i rozliczenie',
    when: 'Kiedy',
    by: 'Kto',
    minutes: 'Minuty',
    billed: 'Rozliczono',
    note: 'Opis pracy',
    total: 'Razem',
    solution: 'Rozwiązanie',
    resolvedAt: 'Rozwiązano',
    technicians: 'Technicy',
    generated: 'Wygenerowano',
    none: 'brak',
    clocks: { reaction: 'Czas reakcji', resolution: 'Czas rozwiązania', onSite: 'Przyjazd serwisu' },
    outcomes: { met: 'dotrzymany', breached: 'przekroczony', running: 'w toku', noTarget: 'bez gwarancji' },
    warrantyUntil: 'gwarancja do',
    billingRule: 'Rozliczenie wg umowy: za każde rozpoczęte 30 min pracy zdalnej / 15 min telefonicznej, wraz z czasem na opis (ok. 5 min).',
  },
  en: {
    heading: 'Final ticket report',
    ticket: 'Ticket',
    status: 'Status',
    customer: 'Customer',
    contact: 'Contact',
    contract: 'Contract',
    site: 'Site',
    device: 'Device',
    reported: 'Reported',
    channel: 'Channel',
    openedAt: 'Registered',
    firstSeen: 'Occurred',
    description: 'Description',
    detected: 'Detected faults (evidence)',
    fault: 'Fault',
    since: 'Since',
    evidence: 'Evidence',
    impact: 'Business impact',
    why: 'Why',
    targets: 'SLA targets',
    target: 'Target',
    deadline: 'Deadline',
    outcome: 'Outcome',
    visits: 'On-site visits',
    technician: 'Technician',
    arrived: 'Arrived',
    departed: 'Left',
    work: 'Work done and billing',
    when: 'When',
    by: 'By',
    minutes: 'Minutes',
    billed: 'Billed',
    note: 'Work',
    total: 'Total',
    solution: 'Solution',
    resolvedAt: 'Resolved',
    technicians: 'Technicians',
    generated: 'Generated',
    none: 'none',
    clocks: { reaction: 'Reaction', resolution: 'Resolution', onSite: 'On-site arrival' },
    outcomes: { met: 'met', breached: 'breached', running: 'running', noTarget: 'no guarantee' },
    warrantyUntil: 'warranty until',
    billingRule: 'Billed by the contract: per started 30 min of remote work / 15 min of phone support, each with the write-up time (about 5 min).',
  },
};

function outcomeOf(c: SlaClockState): TargetOutcome {
  if (c.targetMs === null) return 'noTarget';
  if (c.breached) return 'breached';
  return c.state === 'stopped' ? 'met' : 'running';
}

function minutesText(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m % 60 === 0 ? `${m / 60} h` : `${m} min`;
}

/** The report of ticket `t` under its contract, times in `zone`; `now` stamps it. */
export function finalReport(t: Ticket, contract: Contract, lang: Language, now: number, zone = contract.calendar.zone): FinalReport {
  const L = REPORT_LABELS[lang];
  const time = (ms: number | null | undefined): string => (ms == null ? '—' : DateTime.fromMillis(ms, { zone }).toFormat('yyyy-LL-dd HH:mm'));
  // The on-site target as the contract states it ("24 h"), not as working time counted by next business day.
  const onSiteTerm = contract.spec.onSite;
  const targetText = (name: string, ms: number) =>
    name === 'onSite' && onSiteTerm ? onSiteTerm.arrival.replace(/^([\d.]+)([mhd])$/, '$1 $2') : minutesText(ms);
  const clocks: Array<['reaction' | 'resolution' | 'onSite', SlaClockState | null]> = [
    ['reaction', t.sla.reaction],
    ['resolution', t.sla.resolution],
    ['onSite', t.sla.onSite],
  ];
  const targets = clocks
    .filter((e): e is ['reaction' | 'resolution' | 'onSite', SlaClockState] => e[1] !== null)
    .map(([name, c]) => ({
      name: L.clocks[name],
      target: c.targetMs === null ? null : targetText(name, c.targetMs),
      deadline: c.deadlineAt === null ? null : time(c.deadlineAt),
      outcome: outcomeOf(c),
    }));
  const visits = (t.visits ?? []).map((v) => ({
    id: v.id,
    technician: v.technician ?? '—',
    arrived: time(v.arrivedAt),
    departed: time(v.departedAt),
    arrival:
      v.arrivedAt === null ? ('running' as const) : v.arrivalMet === null ? ('noTarget' as const) : v.arrivalMet ? ('met' as const) : ('breached' as const),
    workDone: v.workDone ?? '',
  }));
  const work = t.timeEntries.map((e) => {
    const b = billEntry(t.id, e, contract, billingFacts(t));
    return { at: time(e.at), by: e.by, channel: e.channel, minutes: e.minutes, billedMinutes: b.billedMinutes, note: e.note };
  });
  const resolved = t.history.findLast((h) => h.what === 'resolved');
  const technicians = [
    ...new Set([
      ...(t.assignee ? [t.assignee] : []),
      ...(t.visits ?? []).flatMap((v) => (v.technician ? [v.technician] : [])),
      ...t.timeEntries.map((e) => e.by),
    ]),
  ];
  const d = t.device;
  const contact = [t.customer.contact.name, t.customer.contact.phone, t.customer.contact.email].filter(Boolean).join(', ');
  return {
    lang,
    title: `${L.heading} ${t.id}`,
    ticketId: t.id,
    subject: t.title,
    status: t.status,
    generatedAt: time(now),
    customer: { name: t.customer.name, contact, contract: contract.spec.name + (contract.version ? ` (v${contract.version})` : '') },
    site: [t.site.name, t.site.address].filter(Boolean).join(', '),
    device: d
      ? [
          [d.vendor, d.model].filter(Boolean).join(' '),
          d.serial ? `S/N ${d.serial}` : null,
          d.address,
          d.location,
          d.warrantyUntil ? `${L.warrantyUntil} ${d.warrantyUntil}` : null,
        ]
          .filter(Boolean)
          .join(', ')
      : null,
    reported: {
      channel: t.channel,
      openedAt: time(t.openedAt),
      firstSeen: time(t.firstSeen),
      description: t.faults.length === 0 ? (t.comments.find((c) => c.public)?.text ?? null) : null,
    },
    detected: t.faults.map((f) => ({
      fault: ticketFaultLabel(f, lang),
      since: time(f.firstSeen),
      evidence: [f.evidence.message, ...(f.evidence.stateReasons ?? [])].filter(Boolean).join('; ') || f.code,
    })),
    impact: { level: `${t.impact} / ${t.sla.level}`, why: t.impactRule },
    targets,
    visits,
    work,
    totals: { minutes: work.reduce((s, e) => s + e.minutes, 0), billedMinutes: work.reduce((s, e) => s + e.billedMinutes, 0) },
    solution: resolved ? resolved.detail : null,
    resolvedAt: t.resolvedAt === null ? null : time(t.resolvedAt),
    technicians,
    labels: L,
  };
}
