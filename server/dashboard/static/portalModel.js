/**
 * The customer portal's rules (pure, unit-tested from Node): what a customer may do with one of
 * its tickets (reply while it is open, confirm the solution once resolved, which closes it, or
 * reply to a resolved ticket to say it is not fixed; the lifecycle of ticketActions.ts), and its tickets split into open and done, each with the deadline
 * the customer is promised.
 */
const OPEN = ['new', 'acknowledged', 'inProgress', 'waitingForCustomer'];

/** Where each portal action goes, under /tickets/{id}/. */
export const PORTAL_ACTIONS = { reply: { path: 'replies' }, confirm: { path: 'confirm' } };

/** Portal actions on a ticket: 'reply' (open or resolved), 'confirm' (resolved). */
export function portalActions(ticket) {
  if (ticket.status === 'closed') return [];
  return ticket.status === 'resolved' ? ['reply', 'confirm'] : ['reply'];
}

/** Open tickets (earliest deadline first, then newest) and done ones (newest first). */
export function portalTicketLists(tickets) {
  const at = (v) => (v === null || v === undefined ? Number.POSITIVE_INFINITY : new Date(v).getTime());
  const open = tickets.filter((t) => OPEN.includes(t.status)).sort((a, b) => at(a.deadlineAt) - at(b.deadlineAt) || at(b.openedAt) - at(a.openedAt));
  const done = tickets.filter((t) => !OPEN.includes(t.status)).sort((a, b) => at(b.openedAt) - at(a.openedAt));
  return { open, done };
}
