import { describe, expect, it } from 'vitest';
import { presetContract } from '../../../server/sla/presets.js';
import { billEntry, capUsedMinutes, monthlyStatement } from '../../../server/tickets/billing.js';
import { firstContactResolution, reactionOutcome, slaCompliance, stat, ticketsByDeviceModel, ticketsByFaultCode } from '../../../server/tickets/reporting.js';
import { applyAction, type TicketAction } from '../../../server/tickets/ticketActions.js';
import { applyFleetEvent } from '../../../server/tickets/ticketFleetEvents.js';
import { tickTicket } from '../../../server/tickets/ticketTimers.js';
import type { Ticket, TimeEntry } from '../../../server/tickets/ticket.js';
import { workQueue } from '../../../server/tickets/workQueue.js';
import { at, cleared, contextFactory, device, HOUR, MIN, raised } from './fixtures.js';

const entry = (channel: TimeEntry['channel'], minutes: number, when = at('2026-03-10T10:00')): TimeEntry => ({
  id: `${channel}-${minutes}-${when}`,
  at: when,
  by: 'jan',
  channel,
  minutes,
  note: '',
});

describe('time entries and billing (support-contracts §3)', () => {
  const start = presetContract('start');
  it('remote per started 30 min, phone per started 15 min, each + 5 min write-up; e-mail not counted', () => {
    const billed = (ch: TimeEntry['channel'], m: number) => billEntry('T1', entry(ch, m), start).billedMinutes;
    expect([billed('remote', 1), billed('remote', 25), billed('remote', 26), billed('remote', 55), billed('remote', 56)]).toEqual([30, 30, 60, 60, 90]);
    expect([billed('phone', 1), billed('phone', 10), billed('phone', 11), billed('phone', 40)]).toEqual([15, 15, 30, 45]);
    expect(billEntry('T1', entry('email', 40), start)).toMatchObject({ billedMinutes: 40, countsAgainstIncluded: false, capMinutes: 40 });
    expect(billEntry('T1', entry('remote', 40), start)).toMatchObject({ countsAgainstIncluded: true, capMinutes: 0 });
  });

  it('warranty: work up to the last day of the warranty is recorded, not billed; after it the contract rates apply', () => {
    const until = { warrantyUntil: '2026-03-10' };
    expect(billEntry('T1', entry('remote', 40, at('2026-03-10T16:00')), start, until)).toMatchObject({
      warranty: true,
      billedMinutes: 0,
      countsAgainstIncluded: false,
    });
    expect(billEntry('T1', entry('remote', 40, at('2026-03-11T08:00')), start, until)).toMatchObject({
      warranty: false,
      billedMinutes: 60,
      countsAgainstIncluded: true,
    });
    // Midnight in Warsaw, not UTC: 00:30 on 11 March local is 23:30 UTC on the 10th and already outside.
    expect(billEntry('T1', entry('phone', 5, at('2026-03-11T00:30')), start, until)).toMatchObject({ warranty: false, billedMinutes: 15 });
    const tickets = [
      {
        id: 'T1',
        customer: { id: 'acme' },
        device: { id: 'd1', warrantyUntil: '2026-03-31' },
        timeEntries: [entry('remote', 240, at('2026-03-03T10:00'))],
        openedAt: at('2026-03-01T10:00'),
        sla: { guaranteed: true },
      },
      {
        id: 'T2',
        customer: { id: 'acme' },
        device: { id: 'd2', warrantyUntil: '2025-12-31' },
        timeEntries: [entry('remote', 235, at('2026-03-04T10:00'))],
        openedAt: at('2026-03-01T10:00'),
        sla: { guaranteed: true },
      },
    ] as unknown as Ticket[];
    const s = monthlyStatement(tickets, 'acme', start, '2026-03');
    // Only T2 (out of warranty) counts: 235 + 5 → 240 min against 180 included → 60 min at 165 zł/h.
    expect([s.countedMinutes, s.overageMinutes, s.overageAmountGrosze]).toEqual([240, 60, 16500]);
    expect(s.entries.map((e) => [e.ticketId, e.warranty])).toEqual([
      ['T1', true],
      ['T2', false],
    ]);
  });

  it('monthly statement: usage against included hours, overage at the hourly rate, cap usage', () => {
    const ticket = (id: string, entries: TimeEntry[], customerId = 'acme'): Ticket =>
      ({
        id,
        customer: { id: customerId, name: '', contact: { name: '' }, contractId: 'start' },
        timeEntries: entries,
        openedAt: at('2026-03-01T10:00'),
        sla: { guaranteed: true },
      }) as unknown as Ticket;
    const tickets = [
      ticket('T1', [entry('remote', 100, at('2026-03-03T10:00')), entry('phone', 10, at('2026-03-04T10:00'))]),
      ticket('T2', [entry('remote', 50, at('2026-03-20T10:00')), entry('email', 200, at('2026-03-21T10:00')), entry('email', 300, at('2026-03-25T10:00'))]),
      ticket('T3', [entry('remote', 300, at('2026-04-01T00:30'))]),
      ticket('T4', [entry('remote', 300, at('2026-03-05T10:00'))], 'other'),
    ];
    const s = monthlyStatement(tickets, 'acme', start, '2026-03');
    // remote 100+5 → 120, phone 10+5 → 15, remote 50+5 → 60: 195 counted of 180 included.
    expect(s.entries.map((e) => e.billedMinutes)).toEqual([120, 15, 60, 200, 300]);
    expect([s.includedMinutes, s.countedMinutes, s.overageMinutes, s.overageAmountGrosze]).toEqual([180, 195, 15, 4125]);
    // E-mail time uses the 8 h cap: 200 + 300 = 500 min ≥ 480 at the second e-mail entry.
    expect([s.capMinutes, s.capUsedMinutes, s.capExhaustedAt]).toEqual([480, 500, at('2026-03-25T10:00')]);
    expect(capUsedMinutes(tickets, 'acme', start, at('2026-03-31T23:00'))).toBe(500);
    // The month boundary is local: 00:30 on 1 April in Warsaw is April.
    expect(capUsedMinutes(tickets, 'acme', start, at('2026-04-01T12:00'))).toBe(0);
    expect(() => monthlyStatement(tickets, 'acme', start, '2026-13')).toThrow(/invalid month "2026-13"/);
  });
});

describe('reporting and queue order', () => {
  function scenario(): Ticket[] {
    const ctx = contextFactory();
    const tickets = new Map<string, Ticket>();
    const put = (ts: Ticket[]) => ts.forEach((t) => tickets.set(t.id, t));
    const act = (id: string, a: TicketAction, now: number) => put(applyAction(tickets.get(id)!, a, ctx(now)).tickets);
    const mon = at('2026-03-02T09:00');
    put(applyFleetEvent(raised('jam', mon), [], ctx(mon)).tickets); // T1: answered in 30 min, fixed at first contact
    act('T1', { type: 'acknowledge', by: 'jan' }, mon + 30 * MIN);
    act('T1', { type: 'resolve', by: 'jan', solution: 'cleared' }, mon + HOUR);
    put(applyFleetEvent(raised('toner.empty', mon, { device: device('dev-2', 'Bizhub C300i') }), [], ctx(mon)).tickets); // T2: answered late, escalated
    const late = tickTicket(tickets.get('T2')!, ctx(mon + 3 * HOUR))!;
    put(late.tickets);
    act('T2', { type: 'acknowledge', by: 'jan' }, mon + 3 * HOUR);
    act('T2', { type: 'escalate', by: 'jan', reason: 'x' }, mon + 3 * HOUR);
    act('T2', { type: 'resolve', by: 'ewa', solution: 'new toner' }, mon + 5 * HOUR);
    put(applyFleetEvent(raised('door.open', mon, { device: device('dev-3') }), [], ctx(mon)).tickets); // T3: resolved by the device
    put(applyFleetEvent(cleared('door.open', mon + MIN, 'dev-3'), [...tickets.values()], ctx(mon + MIN)).tickets);
    put(tickTicket(tickets.get('T3')!, ctx(mon + 20 * MIN))!.tickets);
    put(applyFleetEvent(raised('paper.low', mon + HOUR, { impact: 'low', device: device('dev-4') }), [], ctx(mon + HOUR)).tickets); // T4: pending
    return [...tickets.values()];
  }

  it('SLA compliance per customer, contract and month with mean/p90 response, resolve time and FCR', () => {
    const tickets = scenario();
    expect(tickets.map(reactionOutcome)).toEqual(['met', 'breached', 'notNeeded', 'pending']);
    const [row] = slaCompliance(tickets);
    expect(row).toMatchObject({
      customerId: 'acme',
      contractId: 'device-vendor',
      month: '2026-03',
      tickets: 4,
      met: 1,
      breached: 1,
      pending: 1,
      compliancePercent: 50,
    });
    expect(row!.firstResponseMinutes).toEqual({ count: 2, mean: 105, p90: 180 });
    // Resolved after 60, 300 and 20 minutes: mean 126.67 (one decimal), p90 = the largest of three.
    expect(row!.resolveMinutes).toEqual({ count: 3, mean: 126.7, p90: 300 });
    expect([row!.fcrEligible, row!.fcrCount, row!.fcrPercent]).toEqual([2, 1, 50]);
    // Only T2 missed its reaction target: counted under its impact, nothing under the others.
    expect(row!.breachedByImpact).toEqual({ critical: 0, high: 0, medium: 0, low: 0, [tickets[1]!.impact]: 1 });
    expect(firstContactResolution(tickets[0]!)).toBe(true);
    expect(ticketsByFaultCode(tickets)).toEqual([
      { key: 'door.open', count: 1 },
      { key: 'jam', count: 1 },
      { key: 'paper.low', count: 1 },
      { key: 'toner.empty', count: 1 },
    ]);
    expect(ticketsByDeviceModel(tickets)).toEqual([
      { key: 'LaserJet M507', count: 3 },
      { key: 'Bizhub C300i', count: 1 },
    ]);
  });

  it('compliance separates contract versions and counts on-site arrivals against their target', () => {
    const visit = (id: string, arrivalMet: boolean | null, arrivedAt: number | null = at('2026-03-02T12:00')) => ({
      id,
      requestedAt: at('2026-03-02T10:00'),
      requestedBy: 'jan',
      reason: 'r',
      technician: 'marek',
      plannedAt: null,
      arrivedAt,
      arrivalDueAt: null,
      arrivalMet,
      departedAt: null,
      workDone: null,
    });
    const ticket = (id: string, contractVersion: number | undefined, breached: boolean, visits: unknown[], onSite: unknown = null): Ticket =>
      ({
        id,
        customer: { id: 'acme' },
        impact: 'high',
        openedAt: at('2026-03-02T10:00'),
        firstResponseAt: at('2026-03-02T10:30'),
        resolvedAt: null,
        resolution: null,
        escalations: 0,
        reopenCount: 0,
        waitedForCustomer: false,
        timeEntries: [],
        visits,
        sla: {
          contractId: 'device-vendor-onsite-4h',
          ...(contractVersion !== undefined ? { contractVersion } : {}),
          guaranteed: true,
          reaction: { state: 'stopped', targetMs: 6 * HOUR, consumedMs: breached ? 7 * HOUR : 30 * MIN, breached },
          onSite,
        },
      }) as unknown as Ticket;
    const rows = slaCompliance([
      ticket('T1', undefined, false, [visit('V1', true), visit('V2', false)]),
      ticket('T2', 2, true, [visit('V1', null, null)], { targetMs: 4 * HOUR, breached: true }),
      ticket('T3', 2, false, [visit('V1', null, null)], { targetMs: 4 * HOUR, breached: false }),
    ]);
    expect(rows.map((r) => [r.contractVersion, r.tickets, r.met, r.breached])).toEqual([
      [0, 1, 1, 0],
      [2, 2, 1, 1],
    ]);
    expect(rows[0]!.onSite).toEqual({ visits: 2, met: 1, breached: 1, pending: 0, noTarget: 0, compliancePercent: 50 });
    expect(rows[1]!.onSite).toEqual({ visits: 2, met: 0, breached: 1, pending: 1, noTarget: 0, compliancePercent: 0 });
  });

  it('percentiles use the nearest rank', () => {
    expect(stat([5, 1, 4, 2, 3, 6, 7, 8, 9, 10])).toEqual({ count: 10, mean: 5.5, p90: 9 });
    expect(stat([])).toEqual({ count: 0, mean: null, p90: null });
  });

  it('the work queue is ordered by deadline, earliest first, then impact', () => {
    const ctx = contextFactory();
    const mon = at('2026-03-02T09:00');
    const open = (code: 'jam' | 'paper.low' | 'scanner.fault' | 'fuser.fault', impact: 'critical' | 'high' | 'low', when: number, dev: string) =>
      applyFleetEvent(raised(code, when, { impact, device: device(dev) }), [], ctx(when)).tickets[0]!;
    const a = open('paper.low', 'low', mon, 'd1'); // due in 5 days
    const b = open('jam', 'critical', mon + 2 * HOUR, 'd2'); // due 13:00
    const c = open('scanner.fault', 'high', mon - 3 * HOUR, 'd3'); // registered 06:00 → due 14:00
    const d = open('fuser.fault', 'critical', mon + 2 * HOUR, 'd4'); // due 13:00, same as b, opened same time
    const noGuarantee = {
      ...open('jam', 'critical', mon, 'd5'),
      sla: { ...open('jam', 'critical', mon, 'd6').sla, reaction: { ...a.sla.reaction, targetMs: null, deadlineAt: null } },
    };
    expect(workQueue([a, noGuarantee, c, d, b]).map((t) => t.id)).toEqual([b.id, d.id, c.id, a.id, noGuarantee.id]);
    expect(workQueue([a, b], 'ink-head')).toEqual([]);
  });
});
