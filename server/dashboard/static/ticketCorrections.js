/**
 * Corrections of a ticket by a dispatcher (pure, unit-tested from Node): change the impact or
 * contract level, the contract, the queue, the device or the customer, always with a reason (it
 * goes to the history and the audit; the API recalculates the SLA clocks: server/api/triageRoutes.ts). Which corrections the
 * page offers and the request of each, mirrored from the API (`tickets:triage`: admin and
 * dispatcher) so the page does not show forms that can only fail; the API still decides (a
 * ticket opened by monitoring keeps its device: the refusal is shown).
 */
export const CORRECTIONS = {
  impact: { path: 'change-impact', field: 'severity' },
  contract: { path: 'change-contract', field: 'contract' },
  queue: { path: 'change-queue', field: 'queue' },
  device: { path: 'change-device', field: 'device' },
  customer: { path: 'change-customer', field: 'customer' },
};

const IMPACTS = ['critical', 'high', 'medium', 'low'];
const text = (v) => (typeof v === 'string' ? v.trim() : '');

/** Corrections `me` may make on `ticket`: admin and dispatcher, on a ticket that is not closed. */
export function availableCorrections(ticket, me) {
  if (!me || !['admin', 'dispatcher'].includes(me.role) || ticket.status === 'closed') return [];
  return Object.keys(CORRECTIONS);
}

/**
 * The request body of a correction from its form's values: the new value and the reason. An
 * impact goes as `impact`, a level of the contract's own scale (sev1…sev5) as `level`; a device
 * may be cleared (null: the ticket is about no single device).
 */
export function correctionBody(id, values) {
  const reason = text(values.reason);
  const value = text(values[CORRECTIONS[id].field]);
  switch (id) {
    case 'impact':
      return IMPACTS.includes(value) ? { impact: value, reason } : { level: value, reason };
    case 'device':
      return { device: value === '' ? null : { key: value }, reason };
    default:
      return { [id]: value, reason };
  }
}

/** The value a correction form starts with: what the ticket has now. */
export function currentValue(id, ticket) {
  switch (id) {
    case 'impact':
      return ticket.sla?.level ?? ticket.impact;
    case 'contract':
      return ticket.sla?.contractId ?? '';
    case 'queue':
      return ticket.queue;
    case 'device':
      return ticket.device?.id ?? '';
    case 'customer':
      return ticket.customer?.id ?? '';
  }
  return '';
}
