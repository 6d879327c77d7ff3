/**
 * Working-day time for usage forecasts: offices print on working days, not on weekends and
 * holidays, so a supply's level is a straight-ish line in *working-day* time and a staircase in
 * calendar time. This module maps instants to a continuous working-day position and back.
 *
 * Position model: every working day contributes exactly 1.0; inside a working day the position
 * ramps linearly from the day's start hour to its end hour (default 07:00–18:00 local), because
 * that is when pages are printed; before the start it is the day's integer position, after the end
 * the next integer. Days off contribute nothing, so a reading on Saturday has the same position as
 * Friday evening and Monday morning.
 *
 * Which days are working days is injected as `isWorkingDay(localDate "YYYY-MM-DD")`, so a
 * contract's business calendar (server/sla/businessCalendar.ts, Polish holidays) plugs in through
 * `workingDaysOf(calendar)`; the default is Monday–Friday.
 *
 * Pure: no global time. The clock memoises per-day facts (bounded caches), like the SLA calendar.
 */
import { DateTime } from 'luxon';
import type { BusinessCalendar } from '../sla/businessCalendar.js';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Is the local date (YYYY-MM-DD) a day on which the customer prints? */
export type IsWorkingDay = (localDate: string) => boolean;

/** Monday–Friday, no holidays: the default when no contract calendar is known. */
export const mondayToFriday: IsWorkingDay = (localDate) => {
  const weekday = new Date(`${localDate}T00:00:00Z`).getUTCDay();
  return weekday >= 1 && weekday <= 5;
};

/** Working days of a contract's business calendar: a date with opening hours (not a holiday, closed date or day without hours). */
export function workingDaysOf(calendar: Pick<BusinessCalendar, 'closedReason'>): IsWorkingDay {
  return (localDate) => calendar.closedReason(localDate) === null;
}

export interface WorkingDayClockOptions {
  /** IANA zone whose local dates the calendar speaks about. Default "Europe/Warsaw". */
  zone?: string;
  isWorkingDay?: IsWorkingDay;
  /** Local hour (0–24) at which printing starts on a working day. Default 7. */
  dayStartHour?: number;
  /** Local hour (0–24) by which the day's printing is done. Default 18. Use 0 and 24 for round-the-clock sites. */
  dayEndHour?: number;
}

export interface WorkingDayClock {
  readonly zone: string;
  /** Local day number of an instant (days since 1970-01-01 in the clock's zone). */
  dayOf(at: number): number;
  /** Local date "YYYY-MM-DD" of a day number. */
  localDate(day: number): string;
  isWorkingDay(day: number): boolean;
  /** Working-day position of an instant, measured from the start of `originDay`. */
  position(at: number, originDay: number): number;
  /** Working days from the start of `fromDay` to the start of `toDay` (negative when toDay is earlier). */
  workingDaysBetween(fromDay: number, toDay: number): number;
  /**
   * The first instant whose position (from `originDay`) reaches `target`, or null when that is more
   * than `maxDays` calendar days after `originDay`.
   */
  instantAt(target: number, originDay: number, maxDays: number): number | null;
}

const OFFSET_CACHE_LIMIT = 200_000;
const MAX_CACHED_DAYS = 40_000;

export function workingDayClock(options: WorkingDayClockOptions = {}): WorkingDayClock {
  const zone = options.zone ?? 'Europe/Warsaw';
  if (!DateTime.local({ zone }).isValid)
    throw new Error(`working-day clock: unknown time zone ${JSON.stringify(zone)}, expected an IANA zone such as "Europe/Warsaw"`);
  const startHour = options.dayStartHour ?? 7;
  const endHour = options.dayEndHour ?? 18;
  if (!(startHour >= 0 && endHour <= 24 && endHour > startHour)) {
    throw new Error(`working-day clock: expected 0 <= dayStartHour < dayEndHour <= 24, got ${startHour} and ${endHour}`);
  }
  const isWorkingDate = options.isWorkingDay ?? mondayToFriday;
  const startMs = startHour * HOUR_MS;
  const spanMs = (endHour - startHour) * HOUR_MS;

  // UTC offset per UTC hour: offsets change at most on the hour in every zone we serve.
  const offsets = new Map<number, number>();
  function offsetMs(at: number): number {
    const hour = Math.floor(at / HOUR_MS);
    let off = offsets.get(hour);
    if (off === undefined) {
      off = DateTime.fromMillis(hour * HOUR_MS, { zone }).offset * 60_000;
      if (offsets.size >= OFFSET_CACHE_LIMIT) offsets.clear();
      offsets.set(hour, off);
    }
    return off;
  }

  // Prefix counts of working days over a contiguous range of day numbers [base, base + cum.length - 1].
  let base = 0;
  let cum: number[] = [];
  const working = new Map<number, boolean>();
  function workingDay(day: number): boolean {
    let w = working.get(day);
    if (w === undefined) {
      w = isWorkingDate(localDate(day));
      if (working.size >= MAX_CACHED_DAYS) working.clear();
      working.set(day, w);
    }
    return w;
  }
  /** Working days in [base, day). */
  function before(day: number): number {
    if (cum.length === 0) {
      base = day;
      cum = [0];
    }
    if (day < base) {
      const prefix: number[] = [0];
      for (let d = day; d < base; d++) prefix.push(prefix[prefix.length - 1]! + (workingDay(d) ? 1 : 0));
      const shift = prefix[prefix.length - 1]!;
      cum = prefix.slice(0, -1).concat(cum.map((c) => c + shift));
      base = day;
    }
    while (base + cum.length - 1 < day) {
      const last = base + cum.length - 1;
      cum.push(cum[cum.length - 1]! + (workingDay(last) ? 1 : 0));
    }
    return cum[day - base]!;
  }

  function dayOf(at: number): number {
    return Math.floor((at + offsetMs(at)) / DAY_MS);
  }

  function localDate(day: number): string {
    return new Date(day * DAY_MS).toISOString().slice(0, 10);
  }

  function fraction(at: number, day: number): number {
    if (!workingDay(day)) return 0;
    const ms = at + offsetMs(at) - day * DAY_MS;
    return Math.min(1, Math.max(0, (ms - startMs) / spanMs));
  }

  function workingDaysBetween(fromDay: number, toDay: number): number {
    const lo = Math.min(fromDay, toDay);
    const hi = Math.max(fromDay, toDay);
    if (hi - lo > MAX_CACHED_DAYS) throw new Error(`working-day clock: ${hi - lo} days between positions is beyond the supported ${MAX_CACHED_DAYS}`);
    if (cum.length > 0 && Math.max(hi, base + cum.length - 1) - Math.min(lo, base) > MAX_CACHED_DAYS) {
      // A long-lived clock walked far away: start the prefix counts afresh around this request.
      cum = [];
    }
    // Ask for the earlier day first so one range covers both.
    if (fromDay <= toDay) {
      const a = before(fromDay);
      return before(toDay) - a;
    }
    const b = before(toDay);
    return b - before(fromDay);
  }

  function position(at: number, originDay: number): number {
    const day = dayOf(at);
    return workingDaysBetween(originDay, day) + fraction(at, day);
  }

  function instantAt(target: number, originDay: number, maxDays: number): number | null {
    if (target <= 0) return startOfWork(originDay);
    let done = 0;
    for (let d = originDay; d <= originDay + maxDays; d++) {
      if (!workingDay(d)) continue;
      if (done + 1 >= target) {
        const wall = startMs + (target - done) * spanMs;
        return localWallToInstant(d, wall);
      }
      done += 1;
    }
    return null;
  }

  function startOfWork(day: number): number {
    return localWallToInstant(day, startMs);
  }

  function localWallToInstant(day: number, wallMs: number): number {
    const guess = day * DAY_MS + wallMs;
    // Two passes settle the offset also across a DST change on that day.
    let at = guess - offsetMs(guess);
    at = guess - offsetMs(at);
    return at;
  }

  return { zone, dayOf, localDate, isWorkingDay: workingDay, position, workingDaysBetween, instantAt };
}
