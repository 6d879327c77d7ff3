/**
 * Timers as one list: `nextDue` is the earliest timer and `tickTicket` fires exactly what is due,
 * so a scheduler waking at `nextDue` always has work and never misses a rule.
 */
import { describe, expect, it } from 'vitest';
import { applyAction } from '../../../server/tickets/ticketActions.js';
import { DEFAULT_POLICY } from '../../../server/tickets/ticketPolicy.js';
import { applyFleetEvent } from '../../../server/tickets/ticketFleetEvents.js';
import { nextDue, tickTicket, ticketTimers } from '../../../server/tickets/ticketTimers.js';
import type { Ticket } from '../../../server/tickets/ticket.js';
import { presetContract } from '../../../server/sla/presets.js';
import { at, cleared, contextFactory, MIN, raised } from './fixtures.js';

const MON_0900 = at('2026-03-02T09:00');
const ctx = contextFactory();
const deps = { config: DEFAULT_POLICY, contractFor: presetContract };

/** Follows a ticket from timer to timer: nothing at due − 1 ms, a change at due. Returns the rules fired. */
function walk(start: Ticket, limit = 30): string[] {
  let t = start;
  const fired: string[] = [];
  for (let i = 0; i < limit; i++) {
    const due = nextDue(t, deps);
    if (due === null) return fired;
    expect(tickTicket(t, ctx(due - 1))).toBeNull();
    const rules = ticketTimers(t, deps)
      .filter((x) => x.dueAt === due)
      .map((x) => x.rule);
    const out = tickTicket(t, ctx(due));
    expect(out).not.toBeNull();
    fired.push(...rules);
    t = out!.tickets[0]!;
  }
  throw new Error(`ticket ${start.id} still has timers after ${limit} steps`);
}

describe('ticket timers', () => {
  it('an untouched critical jam: reaction warning, breach, then no more timers', () => {
    const t = applyFleetEvent(raised('jam', MON_0900), [], ctx(MON_0900)).tickets[0]!;
    expect(walk(t)).toEqual(['sla', 'sla']);
  });

  it('a cleared fault: resolved by device after the quiet period, closed after the reopen window', () => {
    const open = applyFleetEvent(raised('door.open', MON_0900, { impact: 'low' }), [], ctx(MON_0900)).tickets[0]!;
    const quiet = applyFleetEvent(cleared('door.open', MON_0900 + MIN), [open], ctx(MON_0900 + MIN)).tickets[0]!;
    expect(walk(quiet)).toEqual(['resolveByDevice', 'closeAfterReopenWindow']);
  });

  it('waiting for the customer: two contact attempts, then closed without an answer (§2)', () => {
    const open = applyFleetEvent(raised('jam', MON_0900, { contractId: 'software-5level' }), [], ctx(MON_0900)).tickets[0]!;
    const waiting = applyAction(open, { type: 'waitForCustomer', by: 'jan', question: 'which tray?' }, ctx(MON_0900 + MIN)).tickets[0]!;
    expect(walk(waiting).filter((r) => r !== 'sla')).toEqual(['contactAttempt', 'contactAttempt', 'closeWithoutAnswer']);
  });
});
