/**
 * Time entries → billable time, usage of included hours and of the monthly cap, and the monthly
 * statement per customer (support-contracts §3): remote work per started 30 minutes, phone per
 * started 15 minutes, each plus ~5 minutes of write-up; e-mail work never uses the included
 * hours; past them, work is billed at the plan's hourly rate. The rules come from the contract
 * (`timeRules`, `includedHours`, `monthlyCap`, `hourlyRateGrosze`). Amounts are in grosze.
 */
import { DateTime } from 'luxon';
import type { Contract, Matter } from '../sla/contract.js';
import type { Ticket, TimeEntry } from './ticket.js';

export interface BilledEntry {
  readonly ticketId: string;
  readonly entryId: string;
  readonly at: number;
  readonly by: string;
  readonly channel: TimeEntry['channel'];
  readonly minutes: number;
  /** Rounded time incl. write-up; 0 for channels without a time rule. */
  readonly billedMinutes: number;
  readonly countsAgainstIncluded: boolean;
  /** Minutes this entry uses of the monthly cap of guaranteed time. */
  readonly capMinutes: number;
  /** Done while the device was in warranty: not billed, not counted against the included hours. */
  readonly warranty: boolean;
  readonly note: string;
}

/** What of the ticket decides how its work is billed: its matter (the cap) and the device's warranty. */
export interface BillingFacts {
  readonly matter?: Matter | undefined;
  readonly warrantyUntil?: string | undefined;
}

export function billingFacts(t: Pick<Ticket, 'matter' | 'device'>): BillingFacts {
  return { matter: t.matter, warrantyUntil: t.device?.warrantyUntil };
}

/**
 * Rounds one entry by the contract's rule for its channel. Bugs do not use the cap; work on a device
 * in warranty (the entry's local date up to `warrantyUntil`) is recorded but not billed, work outside
 * it is billed by the contract's rules and rate.
 */
export function billEntry(ticketId: string, e: TimeEntry, contract: Contract, facts: BillingFacts = {}): BilledEntry {
  const rule = contract.spec.timeRules[e.channel];
  const warranty = facts.warrantyUntil !== undefined && DateTime.fromMillis(e.at, { zone: contract.calendar.zone }).toISODate()! <= facts.warrantyUntil;
  const billedMinutes = rule && !warranty ? Math.ceil((e.minutes + rule.documentationMinutes) / rule.unitMinutes) * rule.unitMinutes : 0;
  const cap = contract.spec.monthlyCap;
  const capMinutes =
    cap && cap.channels.includes(e.channel) && !cap.excludedMatters.includes(facts.matter ?? 'support')
      ? rule
        ? Math.ceil((e.minutes + rule.documentationMinutes) / rule.unitMinutes) * rule.unitMinutes
        : e.minutes
      : 0;
  return {
    ticketId,
    entryId: e.id,
    at: e.at,
    by: e.by,
    channel: e.channel,
    minutes: e.minutes,
    billedMinutes,
    countsAgainstIncluded: !warranty && (rule?.countsAgainstIncluded ?? false),
    capMinutes,
    warranty,
    note: e.note,
  };
}

/** [start, end) of the month "YYYY-MM" in the contract's zone. */
export function monthRange(contract: Contract, month: string): { from: number; to: number } {
  const start = DateTime.fromFormat(month, 'yyyy-MM', { zone: contract.calendar.zone });
  if (!start.isValid) throw new Error(`invalid month ${JSON.stringify(month)}: expected YYYY-MM`);
  return { from: start.toMillis(), to: start.plus({ months: 1 }).toMillis() };
}

/**
 * The last month looked up per zone, as [start, end) in ms: every ticket change asks for the
 * current month (cap usage), and luxon's zone arithmetic costs tens of µs a call.
 */
const lastMonthOf = new Map<string, { from: number; to: number; month: string }>();

export function monthOfInstant(zone: string, at: number): string {
  const known = lastMonthOf.get(zone);
  if (known && at >= known.from && at < known.to) return known.month;
  const start = DateTime.fromMillis(at, { zone }).startOf('month');
  const month = start.toFormat('yyyy-MM');
  if (start.isValid) lastMonthOf.set(zone, { from: start.toMillis(), to: start.plus({ months: 1 }).toMillis(), month });
  return month;
}

function entriesOf(tickets: readonly Ticket[], customerId: string, contract: Contract, from: number, to: number): BilledEntry[] {
  const out: BilledEntry[] = [];
  for (const t of tickets) {
    if (t.customer.id !== customerId) continue;
    for (const e of t.timeEntries) if (e.at >= from && e.at < to) out.push(billEntry(t.id, e, contract, billingFacts(t)));
  }
  return out.sort((a, b) => a.at - b.at || (a.entryId < b.entryId ? -1 : 1));
}

/** Minutes of the monthly cap used in the month containing `at`. */
export function capUsedMinutes(tickets: readonly Ticket[], customerId: string, contract: Contract, at: number): number {
  const { from, to } = monthRange(contract, monthOfInstant(contract.calendar.zone, at));
  return entriesOf(tickets, customerId, contract, from, to).reduce((s, e) => s + e.capMinutes, 0);
}

export interface MonthlyStatement {
  readonly customerId: string;
  readonly contractId: string;
  readonly month: string;
  readonly entries: readonly BilledEntry[];
  readonly includedMinutes: number;
  /** Billed minutes of channels that count against the included hours. */
  readonly countedMinutes: number;
  readonly overageMinutes: number;
  readonly hourlyRateGrosze: number | null;
  /** Overage at the hourly rate, whole grosze; null when the contract has no rate. */
  readonly overageAmountGrosze: number | null;
  readonly capMinutes: number | null;
  readonly capUsedMinutes: number;
  /** Instant of the entry that used up the cap: reports after it carry no guaranteed reaction. */
  readonly capExhaustedAt: number | null;
  /** Tickets of the customer opened in the month, and how many had a guaranteed reaction. */
  readonly ticketsOpened: number;
  readonly ticketsGuaranteed: number;
}

export function monthlyStatement(tickets: readonly Ticket[], customerId: string, contract: Contract, month: string): MonthlyStatement {
  const { from, to } = monthRange(contract, month);
  const entries = entriesOf(tickets, customerId, contract, from, to);
  const includedMinutes = Math.round(contract.spec.includedHours * 60);
  const countedMinutes = entries.filter((e) => e.countsAgainstIncluded).reduce((s, e) => s + e.billedMinutes, 0);
  const overageMinutes = Math.max(0, countedMinutes - includedMinutes);
  const rate = contract.spec.hourlyRateGrosze;
  const cap = contract.spec.monthlyCap;
  let capUsed = 0;
  let capExhaustedAt: number | null = null;
  for (const e of entries) {
    capUsed += e.capMinutes;
    if (cap && capExhaustedAt === null && capUsed >= cap.hours * 60) capExhaustedAt = e.at;
  }
  const opened = tickets.filter((t) => t.customer.id === customerId && t.openedAt >= from && t.openedAt < to);
  return {
    customerId,
    contractId: contract.spec.id,
    month,
    entries,
    includedMinutes,
    countedMinutes,
    overageMinutes,
    hourlyRateGrosze: rate,
    overageAmountGrosze: rate === null ? null : Math.round((overageMinutes * rate) / 60),
    capMinutes: cap ? Math.round(cap.hours * 60) : null,
    capUsedMinutes: capUsed,
    capExhaustedAt,
    ticketsOpened: opened.length,
    ticketsGuaranteed: opened.filter((t) => t.sla.guaranteed).length,
  };
}
