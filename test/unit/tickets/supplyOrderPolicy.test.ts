import { describe, expect, it } from 'vitest';
import { decideSupplyOrder, type SupplyOrderDraft } from '../../../server/forecast/proactiveOrders.js';
import type { SupplyForecast } from '../../../server/forecast/supplyForecast.js';
import { applySupplySignal, concernsSupply, supplyOrderTicketKey, type SupplyOrderDueSignal } from '../../../server/tickets/supplyOrderPolicy.js';
import { Ticket } from '../../../server/tickets/ticket.js';
import { applyFleetEvent } from '../../../server/tickets/ticketFleetEvents.js';
import { tickTicket } from '../../../server/tickets/ticketTimers.js';
import { at, contextFactory, customer, DAY, device, HOUR, raised, SITE } from './fixtures.js';

const NOW = at('2026-03-02T10:00');

const evidence = {
  method: 'levelTrend' as const,
  readings: 120,
  ignoredReadings: 0,
  readingsWithoutLevel: 0,
  cartridgeSince: at('2026-02-02T09:00'),
  replacedAt: at('2026-02-02T09:00'),
  historyWorkingDays: 20,
  coarseLevels: false,
  distinctLevels: 60,
  blipDays: 0,
  levelNow: 12.34,
  levelPerWorkingDay: -3.1,
};

const forecast: SupplyForecast = {
  status: 'forecast',
  target: 'empty',
  at: at('2026-03-06T12:00'),
  date: '2026-03-06',
  earliest: at('2026-03-05T12:00'),
  latest: at('2026-03-09T12:00'),
  workingDaysLeft: { estimate: 4, low: 3.2, high: 5 },
  confidence: 'high',
  evidence,
};

function draft(): SupplyOrderDraft {
  const d = decideSupplyOrder({
    supply: { deviceId: 'dev-1', supplyIndex: 2, partDescription: 'Black Toner (CF259A)', kind: 'toner', color: 'black' },
    forecast,
    policy: { leadTimeWorkingDays: 5 },
    existing: null,
    now: NOW,
  });
  if (d.action !== 'open') throw new Error(`expected an order to be due, got ${d.action}`);
  return d.draft;
}

function due(now = NOW): SupplyOrderDueSignal {
  return {
    kind: 'supply.orderDue',
    at: now,
    agentId: 'acme:agent-1',
    customer: customer(),
    site: SITE,
    device: device(),
    draft: draft(),
    levelPercent: 12,
    state: 'ok',
  };
}

describe('supply order tickets (pure rules)', () => {
  it('opens one low-impact ticket through the engine, carrying the supply, the forecast and the evidence', () => {
    const ctx = contextFactory()(NOW);
    const out = applySupplySignal(due(), [], ctx);
    expect(out.tickets).toHaveLength(1);
    const t = Ticket.parse(out.tickets[0]);
    expect(t).toMatchObject({
      key: 'order:dev-1/supply/2',
      kind: 'device',
      impact: 'low',
      status: 'new',
      channel: 'monitoring',
      queue: 'general',
      customer: { id: 'acme' },
      device: { id: 'dev-1' },
    });
    expect(t.sla).toMatchObject({ contractId: 'device-vendor', level: 'low', guaranteed: true });
    expect(t.sla.reaction.deadlineAt).not.toBeNull();
    expect(t.faults).toEqual([expect.objectContaining({ code: 'supply.order', deviceId: 'dev-1', impact: 'low', active: true })]);
    expect(t.faults[0]!.evidence.message).toContain('runs out in about 4 working days');
    expect(t.supplyOrder).toMatchObject({
      supplyIndex: 2,
      partDescription: 'Black Toner (CF259A)',
      kind: 'toner',
      color: 'black',
      target: 'empty',
      date: '2026-03-06',
      confidence: 'high',
      method: 'levelTrend',
      leadTimeWorkingDays: 5,
      replacedAt: null,
    });
    expect(t.supplyOrder!.evidence).toMatchObject({ method: 'levelTrend', levelNow: 12.34, replacedAt: at('2026-02-02T09:00') });
    expect(t.title).toBe('Order Black Toner (CF259A) for LaserJet M507 at Warszawa HQ');
    expect(out.notices.map((n) => n.kind)).toEqual(['ticket.opened']);
  });

  it('never opens a second ticket while one is open or resolved (not closed)', () => {
    const ctx = contextFactory();
    const first = applySupplySignal(due(), [], ctx(NOW)).tickets[0]!;
    expect(applySupplySignal(due(NOW + DAY), [first], ctx(NOW + DAY))).toEqual({ tickets: [], notices: [] });
    const resolved = { ...first, status: 'resolved' as const, resolvedAt: NOW + HOUR };
    expect(applySupplySignal(due(NOW + DAY), [resolved], ctx(NOW + DAY)).tickets).toEqual([]);
    // Another supply of the same device is another order.
    const other = { ...due(), draft: { ...draft(), key: 'dev-1/supply/3', supply: { ...draft().supply, supplyIndex: 3 } } };
    expect(applySupplySignal(other, [first], ctx(NOW)).tickets[0]!.key).toBe('order:dev-1/supply/3');
  });

  it('closes the order when the supply is replaced (resolved by the device), and only that order', () => {
    const ctx = contextFactory();
    const order = applySupplySignal(due(), [], ctx(NOW)).tickets[0]!;
    const replacedAt = NOW + 3 * DAY;
    const out = applySupplySignal(
      { kind: 'supply.replaced', at: replacedAt + HOUR, deviceId: 'dev-1', supplyIndex: 2, replacedAt },
      [order],
      ctx(replacedAt + HOUR),
    );
    expect(out.tickets).toHaveLength(1);
    const t = Ticket.parse(out.tickets[0]);
    expect(t).toMatchObject({ status: 'closed', resolution: 'byDevice', closedAt: replacedAt + HOUR, resolvedAt: replacedAt + HOUR });
    expect(t.supplyOrder!.replacedAt).toBe(replacedAt);
    expect(t.faults[0]).toMatchObject({ active: false, clearedAt: replacedAt });
    expect(t.sla.reaction.state).toBe('stopped');
    expect(out.notices.map((n) => n.kind)).toEqual(['ticket.resolved', 'ticket.closed']);
    // Another supply's replacement leaves it alone.
    expect(
      applySupplySignal({ kind: 'supply.replaced', at: replacedAt, deviceId: 'dev-1', supplyIndex: 1, replacedAt }, [order], ctx(replacedAt)).tickets,
    ).toEqual([]);
    // A closed ticket is not touched again.
    expect(applySupplySignal({ kind: 'supply.replaced', at: replacedAt, deviceId: 'dev-1', supplyIndex: 2, replacedAt }, [t], ctx(replacedAt)).tickets).toEqual(
      [],
    );
  });

  it('selects tickets by supply key and keeps faults of the device from joining an order', () => {
    const ctx = contextFactory();
    const order = applySupplySignal(due(), [], ctx(NOW)).tickets[0]!;
    expect(concernsSupply(order, due())).toBe(true);
    expect(concernsSupply(order, { kind: 'supply.replaced', at: NOW, deviceId: 'dev-1', supplyIndex: 2, replacedAt: NOW })).toBe(true);
    expect(concernsSupply({ ...order, key: supplyOrderTicketKey('dev-2', 2) }, due())).toBe(false);
    // "Toner low" within the related window is a fault: its own ticket, not a join of the order.
    const low = applyFleetEvent(raised('toner.low', NOW + 60_000, { impact: 'medium' }), [order], ctx(NOW + 60_000));
    expect(low.tickets).toHaveLength(1);
    expect(low.tickets[0]!.id).not.toBe(order.id);
    expect(low.tickets[0]!.key).toBe('device:dev-1:toner.low||');
  });

  it('runs the SLA timers of an order like any ticket (the reaction target of the contract’s low level)', () => {
    const ctx = contextFactory();
    const order = applySupplySignal(due(), [], ctx(NOW)).tickets[0]!;
    const late = tickTicket(order, ctx(NOW + 30 * DAY));
    expect(late!.notices.map((n) => n.kind)).toEqual(['sla.warning', 'sla.breach']);
  });
});
