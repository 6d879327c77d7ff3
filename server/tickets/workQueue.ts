/**
 * The work queue order of support-contracts §3: "when the queue is long, reports whose deadline
 * expires first are answered first". Ties (and tickets without a running deadline) go by impact,
 * then by age.
 */
import { IMPACT_RANK } from '../sla/contract.js';
import type { SlaClockState } from '../sla/slaClock.js';
import { isOpen, type Ticket } from './ticket.js';

/** The earliest deadline of the ticket's running clocks; null when none runs with a target. */
export function activeDeadline(t: Ticket): number | null {
  return activeClock(t)?.deadlineAt ?? null;
}

/** The running clock whose deadline is activeDeadline(t) (the reaction clock first on a tie); null when none runs. */
export function activeClock(t: Ticket): SlaClockState | null {
  let best: SlaClockState | null = null;
  for (const c of [t.sla.reaction, t.sla.resolution, t.sla.onSite]) {
    if (c === null || c.state !== 'running' || c.targetMs === null || c.deadlineAt === null) continue;
    if (best === null || c.deadlineAt < best.deadlineAt!) best = c;
  }
  return best;
}

export function compareQueue(a: Ticket, b: Ticket): number {
  const da = activeDeadline(a) ?? Number.POSITIVE_INFINITY;
  const db = activeDeadline(b) ?? Number.POSITIVE_INFINITY;
  if (da !== db) return da < db ? -1 : 1;
  const ia = IMPACT_RANK[a.impact];
  const ib = IMPACT_RANK[b.impact];
  if (ia !== ib) return ia - ib;
  if (a.openedAt !== b.openedAt) return a.openedAt - b.openedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Open tickets in the order they should be worked on, optionally of one queue. */
export function workQueue(tickets: readonly Ticket[], queue?: string): Ticket[] {
  return tickets.filter((t) => isOpen(t) && (queue === undefined || t.queue === queue)).sort(compareQueue);
}
