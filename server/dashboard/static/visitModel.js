/**
 * On-site visits (support-contracts §4) on the ticket page and the technician's page (pure,
 * unit-tested from Node): a visit's state from its recorded instants, which visit steps a role may
 * record on a ticket (the lifecycle of server/tickets/ticketActions.ts: one visit waits for its
 * arrival at a time; scheduling is the dispatch desk's), and "my visits" from the queue rows'
 * `onSite` (the ticket's visit not yet finished).
 */
const OPEN = ['new', 'acknowledged', 'inProgress', 'waitingForCustomer'];
const DISPATCH = ['admin', 'dispatcher'];
const STAFF = ['admin', 'dispatcher', 'technician'];

/** Where a step is recorded, under /tickets/{id}/visits (server/api/visitRoutes.ts). */
export function visitEndpoint(step, visitId) {
  const v = encodeURIComponent(visitId ?? '');
  switch (step) {
    case 'request':
      return { method: 'POST', path: '' };
    case 'schedule':
      return { method: 'PATCH', path: `/${v}` };
    case 'arrive':
      return { method: 'POST', path: `/${v}/arrival` };
    case 'depart':
      return { method: 'POST', path: `/${v}/departure` };
  }
  throw new Error(`unknown visit step ${JSON.stringify(step)}`);
}

/** 'requested' → 'scheduled' (technician or time planned) → 'onSite' (arrived) → 'done' (left). */
export function visitState(v) {
  if (v.departedAt) return 'done';
  if (v.arrivedAt) return 'onSite';
  if (v.plannedAt || v.technician) return 'scheduled';
  return 'requested';
}

/** The technician's next step on a visit: 'arrive', then 'depart', then none. */
export function nextVisitStep(v) {
  if (v.departedAt) return null;
  return v.arrivedAt ? 'depart' : 'arrive';
}

/**
 * The visit steps `me` may record on `ticket` ({status, visits}): [{step, visitId?}]. A new
 * visit can be requested while the ticket is open and no visit waits for its arrival.
 */
export function visitSteps(ticket, me) {
  if (!me || !STAFF.includes(me.role) || ticket.status === 'closed') return [];
  const visits = ticket.visits ?? [];
  const steps = [];
  const waiting = visits.find((v) => !v.arrivedAt);
  if (waiting) {
    if (DISPATCH.includes(me.role) && OPEN.includes(ticket.status)) steps.push({ step: 'schedule', visitId: waiting.id });
    steps.push({ step: 'arrive', visitId: waiting.id });
  }
  for (const v of visits) if (v.arrivedAt && !v.departedAt) steps.push({ step: 'depart', visitId: v.id });
  if (!waiting && OPEN.includes(ticket.status)) steps.unshift({ step: 'request' });
  return steps;
}

/**
 * My visits from queue rows: rows with an unfinished visit whose technician is me (or, with no
 * technician named yet, on a ticket assigned to me); dispatchers and admins see every visit.
 * Order: the one I am at first, then by arrival deadline (none last), then planned time.
 */
export function myVisits(rows, me) {
  const mine = rows.filter(
    (r) => r.onSite && (me.role !== 'technician' || r.onSite.technician === me.name || (r.onSite.technician === null && r.assignee === me.name)),
  );
  const ms = (x) => (x === null || x === undefined ? Number.POSITIVE_INFINITY : new Date(x).getTime());
  return mine.sort((a, b) => {
    const here = Number(Boolean(b.onSite.arrivedAt)) - Number(Boolean(a.onSite.arrivedAt));
    return here || ms(a.onSite.dueAt) - ms(b.onSite.dueAt) || ms(a.onSite.plannedAt) - ms(b.onSite.plannedAt);
  });
}
