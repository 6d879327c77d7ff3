/**
 * Which ticket actions the page offers, from the ticket's status and the caller's role: the
 * lifecycle of server/tickets/ticketPolicy.ts (requireStatus) and the roles of
 * server/auth/access.ts, mirrored so the page does not show buttons that can only fail. The API
 * still decides (e.g. the reopen window, a ticket that changed meanwhile): its refusal is shown.
 * Pure, unit-tested from Node.
 *
 * Each action: `path` under /tickets/{id}/ and `body(values)` building the request from the form.
 */
export const OPEN = ['new', 'acknowledged', 'inProgress', 'waitingForCustomer'];
export const TIERS = ['L1', 'L2', 'L3'];
/** Work channels of time entries (server/sla/contract.ts WorkChannel). */
export const WORK_CHANNELS = ['remote', 'phone', 'email', 'onsite', 'chat'];
/** Suggested channels of a contact attempt (the API takes any short text). */
export const CONTACT_CHANNELS = ['phone', 'email', 'sms', 'onsite'];

const trimmed = (v) => (typeof v === 'string' ? v.trim() : v);

/** action id → where it is allowed and how its body is built. */
export const ACTIONS = {
  acknowledge: { path: 'acknowledge', statuses: ['new'], body: (v) => (trimmed(v.note) ? { note: trimmed(v.note) } : {}) },
  start: { path: 'start', statuses: ['new', 'acknowledged'], body: () => ({}) },
  assign: { path: 'assign', statuses: OPEN, body: (v) => ({ assignee: trimmed(v.assignee) ? trimmed(v.assignee) : null }) },
  waitForCustomer: { path: 'wait-for-customer', statuses: ['new', 'acknowledged', 'inProgress'], body: (v) => ({ question: v.question ?? '' }) },
  customerReplied: { path: 'customer-replied', statuses: ['waitingForCustomer'], body: (v) => ({ text: v.text ?? '' }) },
  contactAttempt: { path: 'contact-attempts', statuses: ['waitingForCustomer'], body: (v) => ({ channel: v.channel ?? '', note: v.note ?? '' }) },
  escalate: { path: 'escalate', statuses: OPEN, body: (v) => ({ reason: v.reason ?? '' }) },
  comment: { path: 'comments', statuses: [...OPEN, 'resolved'], body: (v) => ({ text: v.text ?? '', public: Boolean(v.public) }) },
  timeEntry: {
    path: 'time-entries',
    statuses: [...OPEN, 'resolved'],
    // Minutes go as typed when not a number, so the API names the field (body.minutes) instead of the page guessing.
    body: (v) => ({ channel: v.channel, minutes: /^\s*\d+\s*$/.test(String(v.minutes ?? '')) ? Number(v.minutes) : v.minutes, note: trimmed(v.note) ?? '' }),
  },
  resolve: { path: 'resolve', statuses: OPEN, body: (v) => ({ solution: v.solution ?? '', ...(v.confirmedByCustomer ? { confirmedByCustomer: true } : {}) }) },
  close: { path: 'close', statuses: ['resolved'], body: () => ({}) },
  reopen: { path: 'reopen', statuses: ['resolved'], body: (v) => ({ reason: v.reason ?? '' }) },
};

const STAFF = ['admin', 'dispatcher', 'technician'];

/**
 * The actions `me` ({role, name}) may take on `ticket` ({status, tier, assignee}), in display order.
 * Assignment: admin and dispatcher assign anyone (or unassign); a technician only takes a
 * ticket (assign to self) or gives their own back.
 */
export function availableActions(ticket, me) {
  if (!me || !STAFF.includes(me.role) || ticket.status === 'closed') return [];
  return Object.entries(ACTIONS)
    .filter(([id, a]) => {
      if (!a.statuses.includes(ticket.status)) return false;
      if (id === 'escalate') return TIERS.indexOf(ticket.tier) < TIERS.length - 1;
      return true;
    })
    .map(([id]) => id);
}

/** Assignment choices: 'any' (free name + unassign), or for technicians 'take' / 'giveBack' / none. */
export function assignMode(ticket, me) {
  if (me.role === 'admin' || me.role === 'dispatcher') return 'any';
  if (me.role !== 'technician') return 'none';
  if (ticket.assignee === me.name) return 'giveBack';
  return ticket.assignee === null ? 'take' : 'none';
}

/** The form field an API error points at: "body.minutes" → "minutes"; anything else → null. */
export function fieldOfError(field) {
  if (typeof field !== 'string') return null;
  const m = /^body\.([A-Za-z]+)/.exec(field);
  return m ? m[1] : null;
}
