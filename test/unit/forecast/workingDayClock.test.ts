import { describe, expect, it } from 'vitest';
import { median, quantile, robustSpread, theilSen } from '../../../server/forecast/robustTrend.js';
import { compileCalendar } from '../../../server/sla/businessCalendar.js';
import { mondayToFriday, workingDayClock, workingDaysOf } from '../../../server/forecast/workingDayClock.js';
import { ZONE, local } from './histories.js';

describe('workingDayClock', () => {
  const clock = workingDayClock({ zone: ZONE });

  it('knows Monday–Friday by default', () => {
    expect(mondayToFriday('2026-11-20')).toBe(true); // Friday
    expect(mondayToFriday('2026-11-21')).toBe(false); // Saturday
    expect(mondayToFriday('2026-11-22')).toBe(false);
    expect(mondayToFriday('2026-11-23')).toBe(true);
  });

  it('gives a weekend no working time and ramps a working day from 07:00 to 18:00', () => {
    const origin = clock.dayOf(local('2026-03-02T12:00'));
    expect(clock.localDate(origin)).toBe('2026-03-02');
    expect(clock.position(local('2026-03-02T06:00'), origin)).toBe(0);
    expect(clock.position(local('2026-03-02T12:30'), origin)).toBeCloseTo(0.5, 9);
    expect(clock.position(local('2026-03-06T20:00'), origin)).toBe(5); // Friday evening
    expect(clock.position(local('2026-03-08T12:00'), origin)).toBe(5); // Sunday
    expect(clock.position(local('2026-03-09T06:00'), origin)).toBe(5); // Monday morning
    expect(clock.workingDaysBetween(origin, origin + 14)).toBe(10);
    expect(clock.workingDaysBetween(origin + 14, origin)).toBe(-10);
  });

  it('maps positions back to instants, also across the spring DST change', () => {
    const origin = clock.dayOf(local('2026-03-23T00:00'));
    for (const iso of ['2026-03-27T12:30', '2026-03-30T09:45', '2026-04-02T17:00']) {
      const at = local(iso);
      expect(clock.instantAt(clock.position(at, origin), origin, 100)).toBe(at);
    }
    expect(clock.instantAt(1000, origin, 30)).toBeNull();
  });

  it('accepts the SLA business calendar: Polish holidays are not working days', () => {
    const pl = workingDaysOf(
      compileCalendar({
        zone: ZONE,
        week: { mon: ['08:00-16:00'], tue: ['08:00-16:00'], wed: ['08:00-16:00'], thu: ['08:00-16:00'], fri: ['08:00-16:00'] },
        holidays: 'PL',
      }),
    );
    const plClock = workingDayClock({ zone: ZONE, isWorkingDay: pl });
    const origin = plClock.dayOf(local('2026-11-09T12:00')); // Monday; 11 November (Wednesday) is Independence Day
    expect(plClock.workingDaysBetween(origin, origin + 7)).toBe(4);
    expect(plClock.isWorkingDay(origin + 2)).toBe(false);
  });

  it('rejects a bad zone or day profile with the values named', () => {
    expect(() => workingDayClock({ zone: 'Mars/Olympus' })).toThrow(/Mars\/Olympus/);
    expect(() => workingDayClock({ dayStartHour: 18, dayEndHour: 7 })).toThrow(/18 and 7/);
  });
});

describe('robust trend statistics', () => {
  it('medians, quantiles and spread', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([0, 10], 0.1)).toBeCloseTo(1, 9);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(robustSpread([1, 1, 1, 1])).toBe(0);
  });

  it('Theil–Sen recovers a line despite a few wild points, with an interval around the slope', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    const ys = xs.map((x) => 100 - 2 * x + (x % 2 === 0 ? 0.3 : -0.3));
    ys[5] = 140;
    ys[12] = 90;
    const fit = theilSen(xs, ys, 0.2)!;
    expect(fit.slope).toBeCloseTo(-2, 1);
    expect(fit.slopeLow).toBeLessThanOrEqual(fit.slope);
    expect(fit.slopeHigh).toBeGreaterThanOrEqual(fit.slope);
    expect(fit.slopeHigh - fit.slopeLow).toBeLessThan(0.2);
    expect(fit.intercept).toBeCloseTo(100, 0);
    // Pairs closer than the minimum distance are skipped: all x equal gives no fit.
    expect(theilSen([1, 1, 1, 1], [1, 2, 3, 4], 0.2)).toBeNull();
  });
});
