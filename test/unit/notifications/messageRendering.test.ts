import { describe, expect, it } from 'vitest';
import { DETAILS, LINK_LINE, PLACEHOLDERS, TEMPLATES } from '../../../server/notifications/messageTemplates.js';
import { formatInstant, formatSpan, renderMessage } from '../../../server/notifications/messageRendering.js';
import { noticeFacts, testFacts } from '../../../server/notifications/noticeFacts.js';
import { NOTICE_KINDS } from '../../../server/notifications/notificationSettings.js';
import type { NoticeKind } from '../../../server/tickets/ticketPolicy.js';
import { jamStory } from './noticeFixtures.js';

const OPTS = { timeZone: 'Europe/Warsaw', dashboardUrl: 'https://fleetdesk.example.pl/' };
const story = jamStory();
const render = (kind: NoticeKind, language: 'pl' | 'en') => {
  const { notice } = story.of(kind);
  return renderMessage(noticeFacts(notice), language, OPTS);
};

describe('notification templates', () => {
  it('has a Polish and an English template for every notice kind and the test message, using only known placeholders', () => {
    const known = new Set<string>(PLACEHOLDERS);
    for (const kind of [...NOTICE_KINDS, 'test'] as const) {
      for (const language of ['pl', 'en'] as const) {
        const t = TEMPLATES[kind][language];
        expect(t.subject.length, `${kind}/${language}`).toBeGreaterThan(5);
        for (const m of `${t.subject} ${t.intro} ${DETAILS[language]} ${LINK_LINE[language]}`.matchAll(/\{([a-zA-Z]+)\}/g))
          expect(known, `${kind}/${language}: {${m[1]}}`).toContain(m[1]);
      }
    }
  });

  it('renders a new ticket in Polish with number, device, site, impact and the deadline in Polish format', () => {
    const m = render('ticket.opened', 'pl');
    expect(m.subject).toBe('[FleetDesk] Nowe zgłoszenie T1: Paper jam on LaserJet M507 at Warszawa HQ');
    expect(m.text).toContain('Otwarto zgłoszenie T1 o wpływie „krytyczny”');
    expect(m.text).toContain('Urządzenie: HP LaserJet M507, nr ser. SN-dev-1, floor 2');
    expect(m.text).toContain('Lokalizacja: Warszawa HQ');
    expect(m.text).toContain('Wpływ: krytyczny');
    // 09:00 + 2 working hours, Warsaw time, Polish month name in the genitive.
    expect(m.text).toContain('Termin SLA: 2 marca 2026, 11:00 CET');
    expect(m.text).toContain('Szczegóły: https://fleetdesk.example.pl/dashboard/#/tickets/T1');
    expect(m.language).toBe('pl');
  });

  it('renders the same notice in English for an English recipient', () => {
    const m = render('ticket.opened', 'en');
    expect(m.subject).toBe('[FleetDesk] New ticket T1: Paper jam on LaserJet M507 at Warszawa HQ');
    expect(m.text).toContain('Device: HP LaserJet M507, S/N SN-dev-1, floor 2');
    expect(m.text).toContain('Impact: critical');
    expect(m.text).toContain('SLA deadline: 2 March 2026, 11:00 CET');
    expect(m.text).not.toMatch(/[ąęłńóśźż]/);
  });

  it('names the SLA clock and time left in warnings, and the passed deadline in breaches', () => {
    const warn = render('sla.warning', 'pl');
    expect(warn.subject).toBe('[FleetDesk] Ostrzeżenie SLA: T1 (reakcja)');
    // Warning at 10:36 Warsaw time, deadline 11:00.
    expect(warn.text).toContain('zostało 24 min, termin upływa 2 marca 2026, 11:00 CET');
    const breach = render('sla.breach', 'en');
    expect(breach.subject).toBe('[FleetDesk] SLA breached: T1 (reaction)');
    expect(breach.text).toContain('it passed 2 March 2026, 11:00 CET');
  });

  it('tells the customer which contact attempt this is, and names the escalation tier', () => {
    const attempts = story.steps.filter((s) => s.notice.kind === 'customer.contactAttempt').map((s) => renderMessage(noticeFacts(s.notice), 'pl', OPTS));
    expect(attempts.map((m) => /próba (\d+)/.exec(m.text)?.[1])).toEqual(['1', '2']);
    expect(attempts[0]!.text).toContain('Prosimy o odpowiedź');
    expect(render('ticket.escalated', 'pl').subject).toBe('[FleetDesk] Eskalacja zgłoszenia T1 do L2 (diagnostyka)');
    expect(render('ticket.resolved', 'en').text).toContain('Ticket T1 has been resolved');
  });

  it('leaves no placeholder unfilled in any message of the story, in either language', () => {
    for (const { notice } of story.steps) {
      for (const language of ['pl', 'en'] as const) {
        const m = renderMessage(noticeFacts(notice), language, OPTS);
        expect(`${m.subject}\n${m.text}`, `${notice.kind}/${language}`).not.toMatch(/\{[a-zA-Z]+\}/);
      }
    }
  });

  it('escapes ticket text in HTML and keeps subjects on one line', () => {
    const { notice } = story.of('ticket.opened');
    const m = renderMessage(
      noticeFacts({ ...notice, ticket: { ...notice.ticket, title: 'Jam <script>alert(1)</script>\r\nBcc: x@evil.example' } }),
      'en',
      OPTS,
    );
    expect(m.html).toContain('&lt;script&gt;');
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('<a href="https://fleetdesk.example.pl/dashboard/#/tickets/T1">');
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.html).toContain('<html lang="en">');
  });

  it('formats dates and spans the Polish way for Polish, in the configured zone (summer time too)', () => {
    const summer = Date.parse('2026-07-01T12:05:00Z');
    expect(formatInstant(summer, 'pl', 'Europe/Warsaw')).toBe('1 lipca 2026, 14:05 CEST');
    expect(formatInstant(summer, 'en', 'Europe/Warsaw')).toBe('1 July 2026, 14:05 CEST');
    expect(formatSpan(90 * 60_000, 'pl')).toBe('1,5 h');
    expect(formatSpan(90 * 60_000, 'en')).toBe('1.5 h');
    expect(formatSpan(59 * 60_000, 'pl')).toBe('59 min');
    expect(formatSpan(-5, 'en')).toBe('0 min');
  });

  it('renders a test message without ticket details', () => {
    const m = renderMessage(testFacts(Date.parse('2026-03-02T09:00:00Z')), 'pl', { timeZone: 'Europe/Warsaw' });
    expect(m.subject).toBe('[FleetDesk] Powiadomienie testowe');
    expect(m.text).toContain('wysłana 2 marca 2026, 10:00 CET');
    expect(m.text).not.toContain('Zgłoszenie:');
  });
});
