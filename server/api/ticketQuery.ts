/**
 * Ticket lists for the API (pure): the query's filters, turned into the ticket listing's
 * (server/tickets/ticketListing.ts: work-queue order and terms, read through the store), and the
 * summary row.
 */
import { z } from 'zod';
import { Impact } from '../sla/contract.js';
import { TicketStatus, type Ticket } from '../tickets/ticket.js';
import { isBreached, type TicketListFilter } from '../tickets/ticketListing.js';
import { activeClock } from '../tickets/workQueue.js';
import type { TicketSummary } from './apiSchemas.js';
import { commaList } from './pagination.js';

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

/** The API's filter as the ticket listing's ("me": the caller; "none": unassigned). */
export function ticketListFilter(f: TicketFilter, me: string): TicketListFilter {
  return {
    status: f.status,
    impact: f.impact,
    queue: f.queue,
    customer: f.customer,
    device: f.device,
    breached: f.breached,
    ...(f.assignee !== undefined ? { assignee: f.assignee === 'me' ? me : f.assignee === 'none' ? null : f.assignee } : {}),
  };
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
