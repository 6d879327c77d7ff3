/**
 * Quality measures over tickets (support-contracts §4): SLA compliance per customer, contract
 * version and month (met/breached, %, on-site arrivals), time to first response (working minutes, mean and p90), time to
 * resolve (wall-clock minutes, mean and p90), first-contact resolution, and ticket counts by fault
 * code and device model. Pure: the caller passes the tickets (hot and archived) it wants counted.
 */
import { Impact } from '../sla/contract.js';
import { monthOfInstant } from './billing.js';
import type { Ticket } from './ticket.js';

export type ReactionOutcome = 'met' | 'breached' | 'pending' | 'notGuaranteed' | 'notNeeded';

/** How a ticket fared against its reaction target. */
export function reactionOutcome(t: Ticket): ReactionOutcome {
  const c = t.sla.reaction;
  if (!t.sla.guaranteed || c.targetMs === null) return 'notGuaranteed';
  if (c.breached || c.consumedMs >= c.targetMs) return 'breached';
  if (c.state !== 'stopped') return 'pending';
  // Resolved by the device before anyone had to answer: nothing to measure.
  return t.firstResponseAt === null ? 'notNeeded' : 'met';
}

export interface Stat {
  readonly count: number;
  readonly mean: number | null;
  /** Nearest-rank 90th percentile. */
  readonly p90: number | null;
}

export function stat(values: readonly number[]): Stat {
  if (values.length === 0) return { count: 0, mean: null, p90: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  const rank = Math.ceil(0.9 * sorted.length);
  return { count: sorted.length, mean: Math.round(mean * 10) / 10, p90: sorted[rank - 1]! };
}

/** Resolved at the first contact: by a person, never escalated, reopened or waiting, at most one piece of work. */
export function firstContactResolution(t: Ticket): boolean {
  return (
    (t.resolution === 'byTechnician' || t.resolution === 'customerConfirmed') &&
    t.escalations === 0 &&
    t.reopenCount === 0 &&
    !t.waitedForCustomer &&
    t.timeEntries.length <= 1
  );
}

/** On-site arrivals of a group's tickets (support-contracts §4): each visit with an arrival target, met or missed. */
export interface OnSiteCompliance {
  readonly visits: number;
  readonly met: number;
  readonly breached: number;
  /** Requested, technician not arrived yet. */
  readonly pending: number;
  /** Visits recorded without an arrival target in the contract. */
  readonly noTarget: number;
  readonly compliancePercent: number | null;
}

export function onSiteCompliance(tickets: readonly Ticket[]): OnSiteCompliance {
  let met = 0;
  let breached = 0;
  let pending = 0;
  let noTarget = 0;
  let visits = 0;
  for (const t of tickets) {
    for (const v of t.visits ?? []) {
      visits++;
      if (v.arrivedAt === null) {
        // The pending visit's clock is the ticket's on-site clock.
        if (t.sla.onSite?.targetMs == null) noTarget++;
        else if (t.sla.onSite.breached) breached++;
        else pending++;
      } else if (v.arrivalMet === null) noTarget++;
      else if (v.arrivalMet) met++;
      else breached++;
    }
  }
  return { visits, met, breached, pending, noTarget, compliancePercent: pct(met, met + breached) };
}

export interface ComplianceRow {
  readonly customerId: string;
  readonly contractId: string;
  /** The contract version the tickets ran under (0: the preset/server.yaml definition): an edited contract gets its own rows. */
  readonly contractVersion: number;
  /** "YYYY-MM" of the opening, in `zone`. */
  readonly month: string;
  readonly tickets: number;
  readonly met: number;
  readonly breached: number;
  readonly pending: number;
  readonly notGuaranteed: number;
  /** met / (met + breached) in %, one decimal; null when nothing was decided. */
  readonly compliancePercent: number | null;
  /** Working minutes from registration to first response. */
  readonly firstResponseMinutes: Stat;
  /** Wall-clock minutes from opening to resolution. */
  readonly resolveMinutes: Stat;
  readonly fcrEligible: number;
  readonly fcrCount: number;
  readonly fcrPercent: number | null;
  /** Breached reaction targets per impact of the ticket (now): where the misses hurt. */
  readonly breachedByImpact: Readonly<Record<Impact, number>>;
  readonly onSite: OnSiteCompliance;
}

const pct = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 1000) / 10);

export function slaCompliance(tickets: readonly Ticket[], zone = 'Europe/Warsaw'): ComplianceRow[] {
  const groups = new Map<string, Ticket[]>();
  for (const t of tickets) {
    const key = JSON.stringify([t.customer.id, t.sla.contractId, t.sla.contractVersion ?? 0, monthOfInstant(zone, t.openedAt)]);
    const list = groups.get(key) ?? [];
    list.push(t);
    groups.set(key, list);
  }
  const rows: ComplianceRow[] = [];
  for (const [key, list] of groups) {
    const [customerId, contractId, contractVersion, month] = JSON.parse(key) as [string, string, number, string];
    const outcomes = list.map(reactionOutcome);
    const count = (o: ReactionOutcome) => outcomes.filter((x) => x === o).length;
    const responded = list.filter((t) => t.firstResponseAt !== null && t.sla.reaction.state === 'stopped');
    const resolved = list.filter((t) => t.resolvedAt !== null);
    const eligible = resolved.filter((t) => t.resolution === 'byTechnician' || t.resolution === 'customerConfirmed');
    const fcr = eligible.filter(firstContactResolution).length;
    rows.push({
      customerId,
      contractId,
      contractVersion,
      month,
      tickets: list.length,
      met: count('met'),
      breached: count('breached'),
      pending: count('pending'),
      notGuaranteed: count('notGuaranteed'),
      compliancePercent: pct(count('met'), count('met') + count('breached')),
      firstResponseMinutes: stat(responded.map((t) => Math.round(t.sla.reaction.consumedMs / 60_000))),
      resolveMinutes: stat(resolved.map((t) => Math.round((t.resolvedAt! - t.openedAt) / 60_000))),
      fcrEligible: eligible.length,
      fcrCount: fcr,
      fcrPercent: pct(fcr, eligible.length),
      breachedByImpact: Object.fromEntries(
        Impact.options.map((i) => [i, list.filter((t, k) => t.impact === i && outcomes[k] === 'breached').length]),
      ) as Record<Impact, number>,
      onSite: onSiteCompliance(list),
    });
  }
  const order = (r: ComplianceRow) => JSON.stringify([r.customerId, r.contractId, r.month, r.contractVersion]);
  return rows.sort((a, b) => (order(a) < order(b) ? -1 : 1));
}

function countBy(tickets: readonly Ticket[], keysOf: (t: Ticket) => string[]): Array<{ key: string; count: number }> {
  const counts = new Map<string, number>();
  for (const t of tickets) for (const k of new Set(keysOf(t))) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
}

/** Tickets per fault code (a ticket with joined faults counts once for each of its codes). */
export function ticketsByFaultCode(tickets: readonly Ticket[]): Array<{ key: string; count: number }> {
  return countBy(tickets, (t) => (t.faults.length > 0 ? t.faults.map((f) => f.code) : ['(manual)']));
}

export function ticketsByDeviceModel(tickets: readonly Ticket[]): Array<{ key: string; count: number }> {
  return countBy(tickets, (t) => [t.kind === 'site' ? '(site)' : (t.device?.model ?? '(unknown model)')]);
}
