/**
 * A brute-force reference for working-time calendars: walks time minute by minute and asks of
 * every minute "is the local wall-clock time inside the day's hours, on an open day?". It shares
 * no code with server/sla/businessCalendar.ts: local time comes from the zone offset (sampled
 * once per UTC hour, where Europe/Warsaw changes offset) and the Polish holidays are computed
 * here from the rules of support-contracts §5 (Gregorian Easter computus), not by date-holidays.
 */
import { DateTime } from 'luxon';

export const MIN = 60_000;

export interface OracleCalendar {
  readonly zone: string;
  /** Index 0 = Monday; intervals in minutes after local midnight, [from, to). */
  readonly week: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  readonly polishHolidays: boolean;
  readonly closedDates: ReadonlySet<string>;
}

/** Easter Sunday (month 1-12, day) by the anonymous Gregorian algorithm. */
export function easter(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { month, day };
}

function iso(y: number, m: number, d: number): string {
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
}

const holidayCache = new Map<number, Set<string>>();

/** Polish statutory days off of support-contracts §5. */
export function polishStatutoryHolidays(year: number): Set<string> {
  let set = holidayCache.get(year);
  if (set) return set;
  const fixed: Array<[number, number]> = [
    [1, 1],
    [1, 6],
    [5, 1],
    [5, 3],
    [8, 15],
    [11, 1],
    [11, 11],
    [12, 25],
    [12, 26],
  ];
  if (year >= 2025) fixed.push([12, 24]);
  set = new Set(fixed.map(([m, d]) => iso(year, m, d)));
  const e = easter(year);
  for (const offset of [0, 1, 49, 60]) set.add(iso(year, e.month, e.day + offset));
  holidayCache.set(year, set);
  return set;
}

const offsetCache = new Map<string, number>();

function offsetMinutes(zone: string, utc: number): number {
  const hour = Math.floor(utc / 3_600_000) * 3_600_000;
  const key = `${zone}@${hour}`;
  let off = offsetCache.get(key);
  if (off === undefined) {
    off = DateTime.fromMillis(hour, { zone }).offset;
    offsetCache.set(key, off);
  }
  return off;
}

export function isWorkingMinute(cal: OracleCalendar, utc: number): boolean {
  const local = new Date(utc + offsetMinutes(cal.zone, utc) * MIN);
  const date = local.toISOString().slice(0, 10);
  if (cal.closedDates.has(date)) return false;
  if (cal.polishHolidays && polishStatutoryHolidays(local.getUTCFullYear()).has(date)) return false;
  const weekday = (local.getUTCDay() + 6) % 7;
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  return cal.week[weekday]!.some(([from, to]) => minute >= from && minute < to);
}

/** Working minutes in [from, to) for minute-aligned instants. */
export function oracleBetween(cal: OracleCalendar, from: number, to: number): number {
  let n = 0;
  for (let t = from; t < to; t += MIN) if (isWorkingMinute(cal, t)) n++;
  return n;
}

/** The end of the `minutes`-th working minute at or after `from` (minute-aligned). */
export function oracleAdd(cal: OracleCalendar, from: number, minutes: number): number {
  let left = minutes;
  for (let t = from; ; t += MIN) {
    if (isWorkingMinute(cal, t)) {
      left--;
      if (left === 0) return t + MIN;
    }
  }
}

export function oracleNextOpening(cal: OracleCalendar, from: number): number {
  for (let t = from; ; t += MIN) if (isWorkingMinute(cal, t)) return t;
}

/** Deterministic PRNG so a failing case can be replayed from its seed. */
export { seededRandom as prng } from '../../harness/seededRandom.js';
