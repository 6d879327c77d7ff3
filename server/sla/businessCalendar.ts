/**
 * Working-time calendars: when does a service desk count time?
 *
 * The algebra follows the idea of the Ruby `biz` gem: a calendar is a weekly schedule (several
 * intervals per day) in one IANA zone, minus days off (statutory holidays, extra closed dates).
 * Everything is derived from one primitive: the list of open intervals (absolute instants) of a
 * local day. "Add N working minutes", "working minutes between" and "next opening" walk those
 * intervals day by day, so DST is handled once, where wall-clock times become instants.
 *
 * Semantics (what the property tests check against a minute-by-minute oracle):
 *   an instant is working time iff its local date is an open day and its local wall-clock time
 *   lies in one of that weekday's [from, to) intervals.
 * A boundary that falls into the hour skipped by a spring-forward change opens/closes at the
 * first instant the wall clock reaches it (the transition). A boundary in the repeated hour of
 * a fall-back change uses its first occurrence; Polish schedules do not put boundaries there.
 *
 * Pure: no global time, no I/O. Instants are epoch milliseconds; durations are milliseconds.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { assertHolidayCountry, publicHolidays } from './holidays.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
/** "08:00-17:00"; the end may be "24:00" (until midnight). */
export const TimeInterval = z
  .string()
  .regex(/^\d\d:\d\d-\d\d:\d\d$/, 'an interval "HH:MM-HH:MM", e.g. "08:00-17:00"')
  .refine((s) => {
    const [from, to] = s.split('-') as [string, string];
    return HHMM.test(from) && from !== '24:00' && HHMM.test(to) && toMinutes(to) > toMinutes(from);
  }, 'valid times HH:MM (00:00-24:00) with the end after the start');

const Day = z.array(TimeInterval).max(12);

export const CalendarSpec = z
  .strictObject({
    /** IANA time zone of the desk, e.g. "Europe/Warsaw". */
    zone: z.string().refine((zone) => DateTime.local({ zone }).isValid, 'an IANA time zone, e.g. "Europe/Warsaw"'),
    /** Opening intervals per weekday; a missing or empty day is closed. */
    week: z.strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, Day.optional()])) as Record<Weekday, z.ZodOptional<typeof Day>>),
    /** Country whose public holidays are days off (date-holidays, type public); null = none. */
    holidays: z
      .string()
      .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as "PL"')
      .refine((c) => {
        try {
          assertHolidayCountry(c);
          return true;
        } catch {
          return false;
        }
      }, 'a country code that date-holidays knows')
      .nullable()
      .default(null),
    /** Extra local dates that are closed (company days off). */
    closedDates: z.array(z.iso.date()).max(1000).default([]),
    /**
     * Length of one "working day" for targets given in days ("2 days" = 2 × this). When absent,
     * the most common daily total of the week is used (ties: the longer one).
     */
    dayLengthMinutes: z.number().int().positive().max(1440).optional(),
  })
  .superRefine((spec, ctx) => {
    let total = 0;
    for (const day of WEEKDAYS) {
      const list = (spec.week[day] ?? []).map(parseInterval).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < list.length; i++) {
        if (list[i]![0] < list[i - 1]![1]) {
          ctx.addIssue({ code: 'custom', path: ['week', day], message: `non-overlapping intervals on ${day}`, input: spec.week[day] });
        }
      }
      total += list.length;
    }
    if (total === 0) ctx.addIssue({ code: 'custom', path: ['week'], message: 'at least one opening interval in the week', input: spec.week });
  });
export type CalendarSpec = z.input<typeof CalendarSpec>;
type ParsedCalendarSpec = z.output<typeof CalendarSpec>;

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function parseInterval(s: string): [number, number] {
  const [from, to] = s.split('-') as [string, string];
  return [toMinutes(from), toMinutes(to)];
}

/** A compiled calendar. Build with `compileCalendar`. */
export interface BusinessCalendar {
  readonly zone: string;
  /** Minutes in one "working day" (for day-based targets). */
  readonly dayLengthMinutes: number;
  /** Open intervals of one local day as absolute [start, end) instants, in order. */
  intervalsOn(year: number, month: number, day: number): ReadonlyArray<readonly [number, number]>;
  /** Why a local date is closed ("holiday", "closed date", "no hours"), or null when it has hours. */
  closedReason(localDate: string): string | null;
}

/** Scanning more than this many days without finding working time means the calendar is (practically) never open. */
const MAX_SCAN_DAYS = 3700;
const CACHE_LIMIT = 20_000;

export function compileCalendar(input: CalendarSpec | ParsedCalendarSpec): BusinessCalendar {
  const spec = CalendarSpec.parse(input);
  const weekly: Array<Array<[number, number]>> = WEEKDAYS.map((d) => (spec.week[d] ?? []).map(parseInterval).sort((a, b) => a[0] - b[0]));
  const closed = new Set(spec.closedDates);
  const dayLengthMinutes = spec.dayLengthMinutes ?? modalDayLength(weekly);
  const cache = new Map<number, ReadonlyArray<readonly [number, number]>>();

  function closedReason(localDate: string): string | null {
    const dt = DateTime.fromISO(localDate, { zone: spec.zone });
    if (spec.holidays && publicHolidays(spec.holidays, dt.year).has(localDate)) return 'holiday';
    if (closed.has(localDate)) return 'closed date';
    if (weekly[dt.weekday - 1]!.length === 0) return 'no hours';
    return null;
  }

  function intervalsOn(year: number, month: number, day: number): ReadonlyArray<readonly [number, number]> {
    const key = year * 10_000 + month * 100 + day;
    const hit = cache.get(key);
    if (hit) return hit;
    let result: Array<readonly [number, number]> = [];
    const iso = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    if (closedReason(iso) === null) {
      const midnight = DateTime.fromObject({ year, month, day }, { zone: spec.zone });
      result = weekly[midnight.weekday - 1]!.map(([from, to]) => [boundary(midnight, from), boundary(midnight, to)] as const).filter(([s, e]) => e > s);
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, result);
    return result;
  }

  return { zone: spec.zone, dayLengthMinutes, intervalsOn, closedReason };
}

function modalDayLength(weekly: Array<Array<[number, number]>>): number {
  const counts = new Map<number, number>();
  for (const day of weekly) {
    const total = day.reduce((sum, [a, b]) => sum + (b - a), 0);
    if (total > 0) counts.set(total, (counts.get(total) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [len, n] of counts) {
    if (n > bestCount || (n === bestCount && len > best)) {
      best = len;
      bestCount = n;
    }
  }
  return best;
}

/** The instant a wall-clock time (minutes after midnight) of a local day is first reached. */
function boundary(midnight: DateTime, minuteOfDay: number): number {
  if (minuteOfDay >= 1440) return midnight.plus({ days: 1 }).toMillis();
  const hour = Math.floor(minuteOfDay / 60);
  const minute = minuteOfDay % 60;
  const dt = midnight.set({ hour, minute });
  if (dt.hour === hour && dt.minute === minute) return dt.toMillis();
  // The wall time does not exist (spring-forward gap): luxon shifted it forward. Walk back to the
  // transition, the first instant whose wall time is at or after the requested one.
  let t = dt.toMillis();
  for (let i = 0; i < 180; i++) {
    const prev = DateTime.fromMillis(t - MINUTE_MS, { zone: midnight.zone });
    if (!prev.hasSame(midnight, 'day') || prev.hour * 60 + prev.minute < minuteOfDay) break;
    t -= MINUTE_MS;
  }
  return t;
}

/** A civil (local) date; days are stepped with plain UTC arithmetic, luxon only maps instants to dates. */
interface Civil {
  y: number;
  m: number;
  d: number;
}

function localDay(cal: BusinessCalendar, at: number): Civil {
  const dt = DateTime.fromMillis(at, { zone: cal.zone });
  return { y: dt.year, m: dt.month, d: dt.day };
}

function nextDay(c: Civil): Civil {
  const next = new Date(Date.UTC(c.y, c.m - 1, c.d + 1));
  return { y: next.getUTCFullYear(), m: next.getUTCMonth() + 1, d: next.getUTCDate() };
}

function civilNumber(c: Civil): number {
  return c.y * 10_000 + c.m * 100 + c.d;
}

/** Is the instant working time? */
export function isWorkingTime(cal: BusinessCalendar, at: number): boolean {
  const d = localDay(cal, at);
  return cal.intervalsOn(d.y, d.m, d.d).some(([s, e]) => at >= s && at < e);
}

/**
 * The first working instant at or after `at` (a report registered outside hours starts its
 * clock here: support-contracts §3).
 */
export function nextOpening(cal: BusinessCalendar, at: number): number {
  let d = localDay(cal, at);
  for (let i = 0; i < MAX_SCAN_DAYS; i++) {
    for (const [s, e] of cal.intervalsOn(d.y, d.m, d.d)) {
      if (e > at) return Math.max(s, at);
    }
    d = nextDay(d);
  }
  throw new Error(`calendar (${cal.zone}) has no working time within ${MAX_SCAN_DAYS} days after ${new Date(at).toISOString()}`);
}

/**
 * The instant at which `durationMs` of working time, counted from `at`, has elapsed. With a
 * zero duration that is `at` itself. Ending exactly at a closing time returns the closing time
 * (17:00), not the next opening.
 */
export function addWorkingTime(cal: BusinessCalendar, at: number, durationMs: number): number {
  if (!Number.isFinite(durationMs) || durationMs < 0) throw new Error(`working time to add must be a finite non-negative duration, got ${durationMs} ms`);
  if (durationMs === 0) return at;
  let left = durationMs;
  let d = localDay(cal, at);
  let idle = 0;
  while (idle < MAX_SCAN_DAYS) {
    let used = false;
    for (const [s, e] of cal.intervalsOn(d.y, d.m, d.d)) {
      if (e <= at) continue;
      const start = Math.max(s, at);
      const span = e - start;
      used = true;
      if (span >= left) return start + left;
      left -= span;
    }
    idle = used ? 0 : idle + 1;
    d = nextDay(d);
  }
  throw new Error(`calendar (${cal.zone}) has no working time within ${MAX_SCAN_DAYS} days after ${new Date(at).toISOString()}`);
}

/** Working time in [from, to) in milliseconds; 0 when `to` is not after `from`. */
export function workingTimeBetween(cal: BusinessCalendar, from: number, to: number): number {
  if (!(to > from)) return 0;
  let total = 0;
  const last = civilNumber(localDay(cal, to));
  for (let d = localDay(cal, from); civilNumber(d) <= last; d = nextDay(d)) {
    for (const [s, e] of cal.intervalsOn(d.y, d.m, d.d)) {
      const a = Math.max(s, from);
      const b = Math.min(e, to);
      if (b > a) total += b - a;
    }
  }
  return total;
}

/** Working time in [from, to) minus the working time inside each pause interval (pauses may overlap the range partially). */
export function workingTimeExcludingPauses(
  cal: BusinessCalendar,
  from: number,
  to: number,
  pauses: ReadonlyArray<{ readonly from: number; readonly to: number }>,
): number {
  const merged = [...pauses]
    .map((p) => ({ from: Math.max(p.from, from), to: Math.min(p.to, to) }))
    .filter((p) => p.to > p.from)
    .sort((a, b) => a.from - b.from);
  let paused = 0;
  let cursor = -Infinity;
  for (const p of merged) {
    const a = Math.max(p.from, cursor);
    if (p.to > a) paused += workingTimeBetween(cal, a, p.to);
    cursor = Math.max(cursor, p.to);
  }
  return workingTimeBetween(cal, from, to) - paused;
}

/** Local ISO rendering in the calendar's zone, e.g. "2026-03-02T10:00:00.000+01:00". */
export function formatInZone(cal: BusinessCalendar, at: number): string {
  return DateTime.fromMillis(at, { zone: cal.zone }).toISO() ?? new Date(at).toISOString();
}
