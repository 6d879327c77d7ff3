/**
 * Ticket lists for the API (pure): filters, the work-queue order of support-contracts §3
 * (earliest running deadline first, then impact, then age; server/tickets/workQueue.ts) and the
 * summary row. The sort computes each ticket's key once, so ordering 100,000 tickets does not
 * re-derive deadlines on every comparison.
 */
import { z } from 'zod';
import { IMPACT_RANK, Impact } from '../sla/contract.js';
import { TicketStatus, type Ticket } from '../tickets/ticket.js';
import { activeClock, activeDeadline } from '../tickets/workQueue.js';
import type { TicketSummary } from './apiSchemas.js';
import { allOf, commaList } from './pagination.js';

export const TicketFilter = z.strictObject({
  status: commaList(TicketStatus.options, 200).optional().describe('comma-separated statuses; default: every status but closed'),
  impact: commaList(Impact.options, 200).optional().describe('comma-separated impacts'),
  queue: z.string().min(1).max(64).optional(),
  customer: z.string().min(1).max(128).optional(),
  device: z.string().min(1).max(600).optional().describe('device key'),
  breached: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: some SLA clock is breached'),
  assignee: z.string().min(1).max(128).optional().describe('an operator name, "me" or "none" (unassigned)'),
  closedMonth: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month "YYYY-MM"')
    .optional()
    .describe('with status=closed: the UTC month the tickets were closed in (default: this month)'),
});
export type TicketFilter = z.infer<typeof TicketFilter>;

export function isBreached(t: Ticket): boolean {
  return t.sla.reaction.breached || (t.sla.resolution?.breached ?? false) || (t.sla.onSite?.breached ?? false);
}

/**
 * The filter as one predicate with only the checks asked for; null when nothing filters, so the
 * cached queue order is paged directly (100,000 hot tickets: no O(n) pass per request).
 * Without `status`, closed tickets are excluded: the hot collection never holds them (the ticket
 * engine archives a ticket when it closes), so that needs no check on hot tickets.
 */
export function ticketPredicate(f: TicketFilter, me: string, hot: boolean): ((t: Ticket) => boolean) | null {
  const checks: Array<(t: Ticket) => boolean> = [];
  if (f.status !== undefined) {
    const statuses = new Set(f.status);
    checks.push((t) => statuses.has(t.status));
  } else if (!hot) checks.push((t) => t.status !== 'closed');
  if (f.impact !== undefined) {
    const impacts = new Set(f.impact);
    checks.push((t) => impacts.has(t.impact));
  }
  if (f.queue !== undefined) checks.push((t) => t.queue === f.queue);
  if (f.customer !== undefined) checks.push((t) => t.customer.id === f.customer);
  if (f.device !== undefined) checks.push((t) => t.device?.id === f.device || t.affectedDevices.includes(f.device!));
  if (f.breached !== undefined) checks.push((t) => isBreached(t) === f.breached);
  if (f.assignee !== undefined) {
    const want = f.assignee === 'me' ? me : f.assignee === 'none' ? null : f.assignee;
    checks.push((t) => t.assignee === want);
  }
  return allOf(checks);
}

/** Queue order (same as compareQueue of server/tickets/workQueue.ts), keys computed once. */
/** A ticket's place in the queue: deadline, impact, opening, id (ids are unique: a total order). */
export interface QueueKey {
  readonly d: number;
  readonly i: number;
  readonly openedAt: number;
  readonly id: string;
}

export function queueKey(t: Ticket): QueueKey {
  return { d: activeDeadline(t) ?? Number.POSITIVE_INFINITY, i: IMPACT_RANK[t.impact], openedAt: t.openedAt, id: t.id };
}

export function compareQueueKeys(a: QueueKey, b: QueueKey): number {
  if (a.d !== b.d) return a.d < b.d ? -1 : 1;
  if (a.i !== b.i) return a.i - b.i;
  if (a.openedAt !== b.openedAt) return a.openedAt - b.openedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function queueOrder(tickets: readonly Ticket[]): Ticket[] {
  const keyed = tickets.map((t) => ({ t, k: queueKey(t) }));
  keyed.sort((a, b) => compareQueueKeys(a.k, b.k));
  return keyed.map((k) => k.t);
}

export function summary(t: Ticket): z.infer<typeof TicketSummary> {
  const clock = activeClock(t);
  return {
    id: t.id,
    title: t.title,
    status: t.status,
    impact: t.impact,
    tier: t.tier,
    queue: t.queue,
    assignee: t.assignee,
    customer: { id: t.customer.id, name: t.customer.name },
    site: { id: t.site.id, name: t.site.name },
    device: t.device ? { id: t.device.id, vendor: t.device.vendor, model: t.device.model, serial: t.device.serial } : null,
    faultCodes: t.faults.map((f) => f.code),
    openedAt: t.openedAt,
    deadlineAt: clock?.deadlineAt ?? null,
    warnAt: clock?.warnAt ?? null,
    warned: clock?.warned ?? false,
    breached: isBreached(t),
    guaranteed: t.sla.guaranteed,
    contractId: t.sla.contractId,
    level: t.sla.level,
    onSite: onSiteRow(t),
  };
}

function onSiteRow(t: Ticket): z.infer<typeof TicketSummary>['onSite'] {
  const v = (t.visits ?? []).findLast((x) => x.departedAt === null);
  if (!v) return null;
  const clock = t.sla.onSite;
  return {
    visitId: v.id,
    dueAt: v.arrivedAt === null ? (clock?.deadlineAt ?? null) : v.arrivalDueAt,
    breached: v.arrivedAt === null ? (clock?.breached ?? false) : v.arrivalMet === false,
    technician: v.technician,
    plannedAt: v.plannedAt,
    arrivedAt: v.arrivedAt,
  };
}
