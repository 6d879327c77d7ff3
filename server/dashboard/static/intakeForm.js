/**
 * The "new ticket" form of a dispatcher and the portal's "report a problem" (pure, unit-tested
 * from Node): the request body of POST /api/v1/tickets built from the form's values, and what the
 * answer means to the person who sent it (a new ticket and its deadline, or the open ticket it
 * duplicates). The API validates; this only shapes what was typed (blank optional fields are left
 * out, so the API's defaults apply and its errors name the field the user filled).
 */
import { wallTimeToIso } from './wallTime.js';

/** Channels a person reports on (support-contracts: phone, e-mail, web form, customer portal, chat). */
export const INTAKE_CHANNELS = ['phone', 'email', 'form', 'portal', 'chat'];
/** Fleet impacts; a contract's own levels (sev1…sev5) are offered next to them when the contract is known. */
export const IMPACTS = ['critical', 'high', 'medium', 'low'];

const text = (v) => (typeof v === 'string' ? v.trim() : '');

/** "critical" … "low" and the level ids of the contract's scale, without repeats. */
export function severityChoices(contract) {
  const levels = (contract?.levels ?? contract?.spec?.levels ?? []).map((l) => ({ id: l.id, label: l.label ?? l.id }));
  return [
    ...IMPACTS.map((id) => ({ id, kind: 'impact' })),
    ...levels.filter((l) => !IMPACTS.includes(l.id)).map((l) => ({ id: l.id, label: l.label, kind: 'level' })),
  ];
}

/**
 * Form values → request body. `zone`: the IANA zone the "occurred at" field is read in (the
 * zone the page shows times in). `customer`: fixed for a customer token (its own), chosen by a
 * dispatcher. An "occurred at" that is not a time goes as typed, so the API names the field.
 */
export function intakeBody(values, { zone, customer } = {}) {
  const body = {
    customer: customer ?? text(values.customer),
    subject: text(values.subject),
    description: text(values.description),
    channel: text(values.channel),
  };
  // The picker gives a device key; the API also takes a serial or an address (e-mail, scripts).
  if (text(values.device)) body.device = { key: text(values.device) };
  const severity = text(values.severity);
  if (severity) body[IMPACTS.includes(severity) ? 'impact' : 'level'] = severity;
  const contact = {};
  for (const k of ['name', 'phone', 'email']) if (text(values[`contact.${k}`])) contact[k] = text(values[`contact.${k}`]);
  if (Object.keys(contact).length) body.contact = contact;
  if (text(values.occurredAt)) body.occurredAt = wallTimeToIso(values.occurredAt, zone) ?? text(values.occurredAt);
  return body;
}

/** The earliest running deadline of a ticket's SLA clocks (reaction, resolution, on-site), or null. */
export function firstDeadline(ticket) {
  const clocks = ['reaction', 'resolution', 'onSite']
    .map((k) => ticket?.sla?.[k])
    .filter((c) => c && c.state === 'running' && c.deadlineAt !== null && c.deadlineAt !== undefined);
  if (clocks.length === 0) return null;
  return clocks.reduce((a, b) => (new Date(b.deadlineAt).getTime() < new Date(a.deadlineAt).getTime() ? b : a)).deadlineAt;
}

/** The earlier of the answer's deadlines ({reaction, resolution}: ISO instants or null), else the ticket's first running one. */
function earliest(deadlines, ticket) {
  const ds = Object.values(deadlines ?? {}).filter((d) => d !== null && d !== undefined && !Number.isNaN(new Date(d).getTime()));
  if (ds.length === 0) return firstDeadline(ticket);
  return ds.reduce((a, b) => (new Date(b).getTime() < new Date(a).getTime() ? b : a));
}

/**
 * What the intake's answer ({ticket, duplicateOf, deadlines}) means: {kind: 'opened', ticketId,
 * deadlineAt} for a new ticket, or {kind: 'duplicate', ticketId, deadlineAt} when an open ticket
 * of the same device took the report (`duplicateOf` names it).
 */
export function intakeOutcome(answer) {
  const ticket = answer?.ticket ?? null;
  const deadlineAt = earliest(answer?.deadlines, ticket);
  if (answer?.duplicateOf) return { kind: 'duplicate', ticketId: answer.duplicateOf, deadlineAt };
  return { kind: 'opened', ticketId: ticket?.id ?? null, deadlineAt };
}
