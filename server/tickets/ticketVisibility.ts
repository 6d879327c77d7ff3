/**
 * What a customer sees of a ticket. Comments and history entries are either `internal` (staff
 * only) or `customer` (also shown to the customer's own users: portal, customer-token API, the
 * final report they receive). This is the one place that decides it: the API, the portal and the
 * customer's copy of the final report all read a ticket through `customerView`.
 *
 * A history entry carries its visibility when written. Entries stored before visibilities
 * existed (and writers that do not name one) take the default of their kind below: lifecycle
 * facts the customer is told anyway are visible, everything else (corrections with their
 * reasons, assignments, escalations, time entries, contact attempts, SLA warnings) is internal,
 * so a kind added later stays internal until someone decides otherwise.
 */
import type { Comment, HistoryEntry, HistoryVisibility, Ticket } from './ticket.js';

/** History kinds the customer sees by default: the lifecycle and what the monitoring saw. */
const CUSTOMER_KINDS: ReadonlySet<string> = new Set([
  'opened',
  'duplicate report',
  'acknowledged',
  'in progress',
  'waiting for customer',
  'customer replied',
  'resolved',
  'closed',
  'reopened',
  'fault joined',
  'device joined',
  'fault cleared',
  'fault back',
  'title changed',
  'on-site requested',
  'on-site scheduled',
  'technician arrived',
  'technician departed',
]);

export function defaultVisibility(what: string): HistoryVisibility {
  return CUSTOMER_KINDS.has(what) ? 'customer' : 'internal';
}

export function historyVisibility(e: HistoryEntry): HistoryVisibility {
  return e.visibility ?? defaultVisibility(e.what);
}

export function customerSees(e: HistoryEntry | Comment): boolean {
  return 'public' in e ? e.public : historyVisibility(e) === 'customer';
}

/** The ticket as its customer sees it: internal notes and internal history entries left out. */
export function customerView<T extends Pick<Ticket, 'comments' | 'history'>>(t: T): T {
  return { ...t, comments: t.comments.filter(customerSees), history: t.history.filter(customerSees) };
}
