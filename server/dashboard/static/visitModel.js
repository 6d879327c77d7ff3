/**
 * On-site visits on the technician's page (pure, unit-tested from Node): a visit's state from its
 * recorded instants, the next step a technician records (arrival, then departure), and the order
 * of "my visits" (the one on site first, then by the on-site deadline).
 */
/** Where each step is recorded, under /tickets/{id}/visits/{visitId}/. */
export const VISIT_STEPS = { arrive: { path: 'arrive' }, depart: { path: 'depart' } };

export function visitState(v) {
  if (v.departedAt) return 'done';
  if (v.arrivedAt) return 'onSite';
  if (v.scheduledFor) return 'scheduled';
  return 'requested';
}

/** 'arrive' before arrival, 'depart' while on site, null once done. */
export function nextVisitStep(v) {
  const s = visitState(v);
  if (s === 'done') return null;
  return s === 'onSite' ? 'depart' : 'arrive';
}

/** Whether the arrival met the on-site target (null while there is no arrival or no target). */
export function arrivalMet(v) {
  if (!v.arrivedAt || !v.targetAt) return null;
  return new Date(v.arrivedAt).getTime() <= new Date(v.targetAt).getTime();
}

/** My visits: on site first, then not yet arrived by target (earliest first), then done (latest first). */
export function orderVisits(visits) {
  const rank = { onSite: 0, scheduled: 1, requested: 1, done: 2 };
  const ms = (x) => (x ? new Date(x).getTime() : Number.POSITIVE_INFINITY);
  return [...visits].sort((a, b) => {
    const ra = rank[visitState(a)];
    const rb = rank[visitState(b)];
    if (ra !== rb) return ra - rb;
    if (ra === 2) return ms(b.departedAt) - ms(a.departedAt);
    return ms(a.targetAt) - ms(b.targetAt);
  });
}
