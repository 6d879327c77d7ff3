import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import {
  addWorkingTime,
  CalendarSpec,
  compileCalendar,
  isWorkingTime,
  nextOpening,
  WEEKDAYS,
  workingTimeBetween,
  workingTimeExcludingPauses,
  type Weekday,
} from '../../../server/sla/businessCalendar.js';
import { MIN, oracleAdd, oracleBetween, oracleNextOpening, prng, type OracleCalendar } from './calendarOracle.js';

const ZONE = 'Europe/Warsaw';

interface Desc {
  name: string;
  week: Partial<Record<Weekday, string[]>>;
  holidays: boolean;
  closed?: string[];
}

function toMin(s: string): number {
  const [h, m] = s.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function build(desc: Desc) {
  const cal = compileCalendar({ zone: ZONE, week: desc.week, holidays: desc.holidays ? 'PL' : null, closedDates: desc.closed ?? [] });
  const oracle: OracleCalendar = {
    zone: ZONE,
    week: WEEKDAYS.map((d) => (desc.week[d] ?? []).map((iv) => iv.split('-').map(toMin) as [number, number])),
    polishHolidays: desc.holidays,
    closedDates: new Set(desc.closed ?? []),
  };
  return { cal, oracle };
}

const weekdays = (iv: string[]): Partial<Record<Weekday, string[]>> => ({ mon: iv, tue: iv, wed: iv, thu: iv, fri: iv });
const allDays = (iv: string[]): Partial<Record<Weekday, string[]>> => Object.fromEntries(WEEKDAYS.map((d) => [d, iv]));

/** A random weekly schedule on a 15-minute grid; boundaries avoid 02:00-03:00 (see businessCalendar.ts on DST boundaries). */
function randomWeek(rand: () => number): Partial<Record<Weekday, string[]>> {
  const fmt = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const week: Partial<Record<Weekday, string[]>> = {};
  for (const d of WEEKDAYS) {
    if (rand() < 0.25) continue;
    const points = new Set<number>();
    const n = 2 * (1 + Math.floor(rand() * 3));
    while (points.size < n) {
      const p = Math.floor(rand() * 97) * 15;
      if (p > 120 && p < 180) continue;
      points.add(p);
    }
    const sorted = [...points].sort((a, b) => a - b);
    const ivs: string[] = [];
    for (let i = 0; i < sorted.length; i += 2) ivs.push(`${fmt(sorted[i]!)}-${fmt(sorted[i + 1]!)}`);
    week[d] = ivs;
  }
  if (Object.keys(week).length === 0) week.wed = ['09:00-17:00'];
  return week;
}

const DESCS: Desc[] = [
  { name: 'device vendor Mon-Fri 8-17 + PL holidays', week: weekdays(['08:00-17:00']), holidays: true },
  {
    name: 'split days + Saturday + closed dates',
    week: { ...weekdays(['08:00-12:00', '12:30-16:30']), sat: ['09:00-13:00'] },
    holidays: true,
    closed: ['2025-05-02', '2026-11-10', '2027-12-31'],
  },
  { name: '24/7 without holidays', week: allDays(['00:00-24:00']), holidays: false },
  { name: 'every day all day minus PL holidays', week: allDays(['00:00-24:00']), holidays: true },
  { name: 'night shift across midnight and DST hour', week: allDays(['00:00-06:00', '22:00-24:00']), holidays: true },
  ...[11, 23, 37].map((seed) => ({ name: `random schedule (seed ${seed})`, week: randomWeek(prng(seed)), holidays: true, closed: ['2026-04-07'] })),
];

const FROM = Date.UTC(2023, 0, 1);
const TO = Date.UTC(2028, 11, 1);

/** Minute-aligned random instants: a third near DST changes, a third near holidays, the rest anywhere in 2023-2028. */
function randomInstant(rand: () => number): number {
  const pick = rand();
  const year = 2023 + Math.floor(rand() * 6);
  let base: number;
  if (pick < 0.33) {
    const month = rand() < 0.5 ? 2 : 9; // March / October (0-based)
    const lastSunday = DateTime.fromObject({ year, month: month + 1, day: 31 }, { zone: 'UTC' });
    base = lastSunday.minus({ days: (lastSunday.weekday % 7) + Math.floor(rand() * 4) }).toMillis();
  } else if (pick < 0.66) {
    const anchors = [
      [12, 22],
      [4, 1],
      [5, 28],
      [6, 15],
      [10, 30],
    ] as const;
    const [m, d] = anchors[Math.floor(rand() * anchors.length)]!;
    base = Date.UTC(year, m - 1, d);
  } else {
    base = FROM + Math.floor(rand() * ((TO - FROM) / MIN)) * MIN;
  }
  return base + Math.floor(rand() * 3 * 1440) * MIN;
}

describe('business calendar against a minute-by-minute oracle', () => {
  for (const desc of DESCS) {
    const { cal, oracle } = build(desc);
    it(`${desc.name}: working minutes between random instants`, () => {
      const rand = prng(1000 + desc.name.length);
      for (let i = 0; i < 60; i++) {
        const from = randomInstant(rand);
        const to = from + Math.floor(rand() * 9 * 1440) * MIN;
        const got = workingTimeBetween(cal, from, to) / MIN;
        const want = oracleBetween(oracle, from, to);
        if (got !== want)
          expect({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), got }).toEqual({
            from: new Date(from).toISOString(),
            to: new Date(to).toISOString(),
            got: want,
          });
      }
    });
    it(`${desc.name}: adding working minutes and next opening`, () => {
      const rand = prng(2000 + desc.name.length);
      for (let i = 0; i < 60; i++) {
        const from = randomInstant(rand);
        const minutes = 1 + Math.floor(rand() * 3 * cal.dayLengthMinutes);
        const got = addWorkingTime(cal, from, minutes * MIN);
        const want = oracleAdd(oracle, from, minutes);
        if (got !== want)
          expect({ from: new Date(from).toISOString(), minutes, got: new Date(got).toISOString() }).toEqual({
            from: new Date(from).toISOString(),
            minutes,
            got: new Date(want).toISOString(),
          });
        expect(workingTimeBetween(cal, from, got)).toBe(minutes * MIN);
        expect(nextOpening(cal, from)).toBe(oracleNextOpening(oracle, from));
      }
    });
  }
});

describe('business calendar: DST, holidays and the rules of the document', () => {
  const vendor = compileCalendar({ zone: ZONE, holidays: 'PL', week: weekdays(['08:00-17:00']) });
  const at = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toMillis();
  const local = (ms: number) => DateTime.fromMillis(ms, { zone: ZONE }).toFormat("yyyy-LL-dd'T'HH:mm");

  it('24 December is a day off from 2025, a working day in 2024 (support-contracts §5)', () => {
    expect(vendor.closedReason('2024-12-24')).toBeNull();
    expect(vendor.closedReason('2025-12-24')).toBe('holiday');
    expect(vendor.closedReason('2026-12-24')).toBe('holiday');
    expect(local(addWorkingTime(vendor, at('2024-12-23T16:00'), 2 * 60 * MIN))).toBe('2024-12-24T09:00');
    expect(local(addWorkingTime(vendor, at('2025-12-23T16:00'), 2 * 60 * MIN))).toBe('2025-12-29T09:00');
  });

  it('movable holidays: Easter Monday and Corpus Christi 2026 are closed, Pentecost is a Sunday', () => {
    expect(vendor.closedReason('2026-04-06')).toBe('holiday');
    expect(vendor.closedReason('2026-06-04')).toBe('holiday');
    expect(vendor.closedReason('2026-05-24')).toBe('holiday');
    expect(workingTimeBetween(vendor, at('2026-06-01T00:00'), at('2026-06-08T00:00')) / MIN).toBe(4 * 9 * 60);
  });

  it('a 24/7 calendar counts 23 h on the spring-forward day and 25 h on the fall-back day', () => {
    const always = compileCalendar({ zone: ZONE, week: allDays(['00:00-24:00']) });
    expect(workingTimeBetween(always, at('2026-03-29T00:00'), at('2026-03-30T00:00')) / MIN).toBe(23 * 60);
    expect(workingTimeBetween(always, at('2026-10-25T00:00'), at('2026-10-26T00:00')) / MIN).toBe(25 * 60);
    expect(DateTime.fromMillis(addWorkingTime(always, at('2026-03-29T01:30'), 4 * 60 * MIN), { zone: ZONE }).toISO()).toBe('2026-03-29T06:30:00.000+02:00');
  });

  it('an opening inside the skipped DST hour opens at the transition', () => {
    const cal = compileCalendar({ zone: ZONE, week: { sun: ['02:30-04:00'] } });
    const [iv] = cal.intervalsOn(2026, 3, 29);
    expect(new Date(iv![0]).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(new Date(iv![1]).toISOString()).toBe('2026-03-29T02:00:00.000Z');
  });

  it('several intervals per day; the deadline at a closing time stays there', () => {
    const split = compileCalendar({ zone: ZONE, week: weekdays(['08:00-12:00', '13:00-17:00']) });
    expect(local(addWorkingTime(split, at('2026-03-02T11:00'), 60 * MIN))).toBe('2026-03-02T12:00');
    expect(local(addWorkingTime(split, at('2026-03-02T11:00'), 61 * MIN))).toBe('2026-03-02T13:01');
    expect(isWorkingTime(split, at('2026-03-02T12:30'))).toBe(false);
    expect(local(nextOpening(split, at('2026-03-02T12:30')))).toBe('2026-03-02T13:00');
    expect(local(nextOpening(split, at('2026-03-06T17:00')))).toBe('2026-03-09T08:00');
    expect(addWorkingTime(split, at('2026-03-07T10:00'), 0)).toBe(at('2026-03-07T10:00'));
  });

  it('day length for "N days" targets is the usual daily total, or the configured one', () => {
    expect(vendor.dayLengthMinutes).toBe(9 * 60);
    expect(compileCalendar({ zone: ZONE, week: { ...weekdays(['09:00-17:00']), sat: ['09:00-12:00'] } }).dayLengthMinutes).toBe(8 * 60);
    expect(compileCalendar({ zone: ZONE, week: weekdays(['09:00-17:00']), dayLengthMinutes: 450 }).dayLengthMinutes).toBe(450);
  });

  it('pauses are subtracted, counted once when they overlap', () => {
    const from = at('2026-03-02T08:00');
    const to = at('2026-03-04T17:00');
    const pauses = [
      { from: at('2026-03-02T10:00'), to: at('2026-03-02T12:00') },
      { from: at('2026-03-02T11:00'), to: at('2026-03-03T09:00') },
      { from: at('2026-03-04T16:00'), to: at('2026-03-05T12:00') },
    ];
    // 27 h total; pauses cover 10:00-17:00 Mon (7 h) + 08:00-09:00 Tue (1 h) + 16:00-17:00 Wed (1 h).
    expect(workingTimeExcludingPauses(vendor, from, to, pauses) / MIN).toBe((27 - 9) * 60);
  });

  it('rejects bad calendars with the key and the reason', () => {
    const bad = (spec: unknown) => {
      const r = CalendarSpec.safeParse(spec);
      return r.success ? 'accepted' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(bad({ zone: 'Mars/Olympus', week: { mon: ['08:00-17:00'] } })).toMatch(/^zone: an IANA time zone/);
    expect(bad({ zone: ZONE, week: { mon: ['17:00-08:00'] } })).toMatch(/^week\.mon\.0: valid times HH:MM/);
    expect(bad({ zone: ZONE, week: { mon: ['08:00-12:00', '11:00-13:00'] } })).toMatch(/^week\.mon: non-overlapping intervals on mon/);
    expect(bad({ zone: ZONE, week: {} })).toMatch(/at least one opening interval/);
    expect(bad({ zone: ZONE, week: { mon: ['08:00-17:00'] }, holidays: 'XX' })).toMatch(/^holidays: a country code that date-holidays knows/);
    expect(bad({ zone: ZONE, week: { mon: ['08:00-17:00'] }, closedDates: ['2026-02-30'] })).toMatch(/^closedDates\.0/);
  });

  it('a calendar that never opens fails with a message instead of looping', () => {
    const cal = compileCalendar({ zone: ZONE, week: { mon: ['08:00-09:00'] }, closedDates: [] });
    const closedForever = { ...cal, intervalsOn: () => [] as const };
    expect(() => addWorkingTime(closedForever, at('2026-03-02T08:00'), MIN)).toThrow(/no working time within/);
  });
});
