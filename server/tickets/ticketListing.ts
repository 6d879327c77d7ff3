/**
 * The ticket queue as a store listing (repository.ts ListingRules): hot tickets in work-queue
 * order (support-contracts §3: earliest running deadline, then impact, then opening, then id; the
 * order of workQueue.ts compareQueue) encoded as one sort key, with a term per filter of the
 * queue. A page of the dispatcher's queue or of a customer's tickets is then read through the
 * store's indexes, whatever the number of hot tickets. Pure.
 */
import { IMPACT_RANK, type Impact } from '../sla/contract.js';
import type { ListingEntry, ListingRule, TermFilter } from '../storage/repository.js';
import type { Ticket, TicketStatus } from './ticket.js';
import { activeDeadline } from './workQueue.js';

/** Raise when the entry below changes (the PostgreSQL store then recomputes stored entries at open). */
const VERSION = 1;

/** Epoch milliseconds as 15 digits (up to the year 33658), so that text order is numeric order. */
function instantKey(ms: number): string {
  return String(Math.max(0, Math.round(ms))).padStart(15, '0');
}
/** After every deadline: a ticket with no running clock comes last. */
const NO_DEADLINE = '~'.repeat(15);

export function isBreached(t: Ticket): boolean {
  return t.sla.reaction.breached || (t.sla.resolution?.breached ?? false) || (t.sla.onSite?.breached ?? false);
}

export function ticketListingEntry(t: Ticket): ListingEntry {
  const deadline = activeDeadline(t);
  return {
    sort: `${deadline === null ? NO_DEADLINE : instantKey(deadline)}${IMPACT_RANK[t.impact]}${instantKey(t.openedAt)}${t.id}`,
    terms: [
      `status=${t.status}`,
      `impact=${t.impact}`,
      `queue=${t.queue}`,
      `customer=${t.customer.id}`,
      ...new Set([...(t.device ? [t.device.id] : []), ...t.affectedDevices].map((d) => `device=${d}`)),
      `breached=${isBreached(t)}`,
      t.assignee === null ? 'unassigned' : `assignee=${t.assignee}`,
    ],
    text: [],
  };
}

export const TICKET_LISTING: ListingRule = { version: VERSION, entryOf: (value) => ticketListingEntry(value as Ticket) };

export interface TicketListFilter {
  readonly status?: readonly TicketStatus[] | undefined;
  readonly impact?: readonly Impact[] | undefined;
  readonly queue?: string | undefined;
  readonly customer?: string | undefined;
  readonly device?: string | undefined;
  readonly breached?: boolean | undefined;
  /** An operator name, or null: unassigned. */
  readonly assignee?: string | null | undefined;
}

/** Who asks: a customer sees their own tickets, a technician the unassigned ones and theirs. */
export interface TicketListAccess {
  readonly customer: string | null;
  readonly technician: string | null;
}

/** The queue's filters as a listing filter; undefined when nothing filters. */
export function ticketListingFilter(f: TicketListFilter, access: TicketListAccess): TermFilter | undefined {
  const all: TermFilter[] = [];
  if (access.customer !== null) all.push({ anyTerm: [`customer=${access.customer}`] });
  if (access.technician !== null) all.push({ anyTerm: ['unassigned', `assignee=${access.technician}`] });
  if (f.status !== undefined) all.push({ anyTerm: f.status.map((s) => `status=${s}`) });
  if (f.impact !== undefined) all.push({ anyTerm: f.impact.map((i) => `impact=${i}`) });
  if (f.queue !== undefined) all.push({ anyTerm: [`queue=${f.queue}`] });
  if (f.customer !== undefined) all.push({ anyTerm: [`customer=${f.customer}`] });
  if (f.device !== undefined) all.push({ anyTerm: [`device=${f.device}`] });
  if (f.breached !== undefined) all.push({ anyTerm: [`breached=${f.breached}`] });
  if (f.assignee !== undefined) all.push({ anyTerm: [f.assignee === null ? 'unassigned' : `assignee=${f.assignee}`] });
  return all.length > 0 ? { all } : undefined;
}
