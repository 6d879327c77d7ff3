/**
 * Billing periods: a customer's meters are read once a month at a cut-off, the billing day at
 * 00:00 in the customer's time zone. Period "2026-11" runs from the November cut-off to the
 * December one; its meter snapshot is the first reading at or after its start. A billing day past
 * the end of a month (29–31) falls on that month's last day. Pure; DST is luxon's (a cut-off that
 * does not exist on the wall clock moves forward to the first instant that does).
 */
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

export const BillingSettings = z.strictObject({
  /** Day of the month the meters are read (1–31; 29–31 mean the month's last day when shorter). */
  day: z.number().int().min(1).max(31).default(1),
  timeZone: z
    .string()
    .refine((zone) => IANAZone.isValidZone(zone), { message: 'an IANA time zone such as Europe/Warsaw' })
    .default('Europe/Warsaw'),
  /** Billing weight of a large (A3/ledger) impression in small (A4/letter) ones. */
  largeWeight: z.number().positive().max(10).default(2),
  /** A device silent for this many days before a cut-off raises a "missing meter" alert. */
  missingMeterDays: z.number().int().min(1).max(60).default(3),
  /** More pages a day than this is an absurd jump: flagged, not billed. */
  maxPagesPerDay: z.number().int().positive().max(10_000_000).default(100_000),
});
export type BillingSettings = z.infer<typeof BillingSettings>;
export const DEFAULT_BILLING: BillingSettings = BillingSettings.parse({});

export const PERIOD_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export class PeriodError extends Error {}

function parsePeriod(period: string): { year: number; month: number } {
  const m = PERIOD_PATTERN.exec(period);
  if (!m) throw new PeriodError(`billing period "${period.slice(0, 40)}": expected YYYY-MM, e.g. 2026-11`);
  return { year: Number(m[1]), month: Number(m[2]) };
}

const label = (year: number, month: number) => `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;

function cutoffMs(year: number, month: number, s: Pick<BillingSettings, 'day' | 'timeZone'>): number {
  const first = DateTime.fromObject({ year, month, day: 1 }, { zone: s.timeZone });
  const day = Math.min(s.day, first.daysInMonth ?? 28);
  return DateTime.fromObject({ year, month, day, hour: 0, minute: 0 }, { zone: s.timeZone }).toMillis();
}

export function nextPeriod(period: string): string {
  const { year, month } = parsePeriod(period);
  return month === 12 ? label(year + 1, 1) : label(year, month + 1);
}

export function previousPeriod(period: string): string {
  const { year, month } = parsePeriod(period);
  return month === 1 ? label(year - 1, 12) : label(year, month - 1);
}

/** [start, end) of a period, epoch ms. */
export function periodBounds(period: string, s: Pick<BillingSettings, 'day' | 'timeZone'>): { start: number; end: number } {
  const { year, month } = parsePeriod(period);
  const next = parsePeriod(nextPeriod(period));
  return { start: cutoffMs(year, month, s), end: cutoffMs(next.year, next.month, s) };
}

/** The period an instant belongs to. */
export function periodOf(at: number, s: Pick<BillingSettings, 'day' | 'timeZone'>): string {
  const local = DateTime.fromMillis(at, { zone: s.timeZone });
  const here = label(local.year, local.month);
  return at >= periodBounds(here, s).start ? here : previousPeriod(here);
}

/** A customer's billing settings from server.yaml (fleet.customers.<id>.billing), else the defaults. */
export function billingOf(
  config: { readonly fleet: { readonly customers: Readonly<Record<string, { readonly billing?: BillingSettings | undefined }>> } },
  customerId: string,
): BillingSettings {
  return config.fleet.customers[customerId]?.billing ?? DEFAULT_BILLING;
}
