import { describe, expect, it } from 'vitest';
import { compileCalendar } from '../../../server/sla/businessCalendar.js';
import { type SupplyForecast, forecastSupply } from '../../../server/forecast/supplyForecast.js';
import { DAY_MS, mondayToFriday, workingDayClock, workingDaysOf } from '../../../server/forecast/workingDayClock.js';
import { ZONE, local, office } from './histories.js';

const clock = workingDayClock({ zone: ZONE });

function expectForecast(f: SupplyForecast): Extract<SupplyForecast, { status: 'forecast' }> {
  if (f.status !== 'forecast') throw new Error(`expected a forecast, got ${JSON.stringify(f)}`);
  return f;
}

/** Working days between two instants on the clock used by the tests. */
function wdBetween(a: number, b: number): number {
  const origin = clock.dayOf(Math.min(a, b));
  return clock.position(b, origin) - clock.position(a, origin);
}

describe('forecastSupply: level trend', () => {
  it('forecasts a steady office usage to within half a working day, with a range around it', () => {
    // 3 % per working day from Monday 2 March 2026; four weeks of history: 20 working days → 40 % left.
    const h = office({ from: '2026-03-02', to: '2026-03-27', usePerWorkingDay: 3 });
    const now = local('2026-03-27T20:00');
    const f = expectForecast(forecastSupply({ role: 'consumable', levels: h.levels, now, clock }));
    expect(f.target).toBe('empty');
    expect(f.evidence.method).toBe('levelTrend');
    expect(f.evidence.levelNow).toBeCloseTo(40, 0);
    expect(f.evidence.levelPerWorkingDay).toBeCloseTo(-3, 1);
    expect(Math.abs(wdBetween(h.runOut!, f.at))).toBeLessThan(0.5);
    expect(f.workingDaysLeft.estimate).toBeCloseTo(40 / 3, 0);
    expect(f.earliest).toBeLessThanOrEqual(f.at);
    expect(f.latest).not.toBeNull();
    expect(f.latest!).toBeGreaterThanOrEqual(f.at);
    expect(f.earliest).toBeGreaterThanOrEqual(now);
    // 13.3 working days after Friday evening (Mon–Fri, no holidays in the default calendar): Thursday 16 April 2026.
    expect(f.date).toBe('2026-04-16');
    expect(['high', 'medium']).toContain(f.confidence);
  });

  it('counts working days only: a forecast made on Sunday equals the one made on Friday evening', () => {
    const h = office({ from: '2026-03-02', to: '2026-03-29', usePerWorkingDay: 3 });
    const friday = expectForecast(forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-27T20:00'), clock }));
    const sunday = expectForecast(forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-29T20:00'), clock }));
    expect(Math.abs(sunday.at - friday.at)).toBeLessThan(3 * 3_600_000);
    expect(sunday.workingDaysLeft.estimate).toBeCloseTo(friday.workingDaysLeft.estimate, 0);
  });

  it('takes holidays from an injected calendar (Polish business calendar): no printing on 1 and 6 January', () => {
    const pl = workingDaysOf(
      compileCalendar({
        zone: ZONE,
        week: { mon: ['08:00-16:00'], tue: ['08:00-16:00'], wed: ['08:00-16:00'], thu: ['08:00-16:00'], fri: ['08:00-16:00'] },
        holidays: 'PL',
      }),
    );
    expect(pl('2026-01-06')).toBe(false);
    expect(pl('2026-01-07')).toBe(true);
    // The office prints by the Polish calendar; history over Christmas, run-out in January.
    const h = office({ from: '2025-12-01', to: '2025-12-31', usePerWorkingDay: 4, isWorkingDay: pl });
    const now = local('2025-12-31T18:00');
    const withHolidays = expectForecast(
      forecastSupply({ role: 'consumable', levels: h.levels, now, clock: workingDayClock({ zone: ZONE, isWorkingDay: pl }) }),
    );
    const plain = expectForecast(
      forecastSupply({ role: 'consumable', levels: h.levels, now, clock: workingDayClock({ zone: ZONE, isWorkingDay: mondayToFriday }) }),
    );
    // True run-out by the office calendar, with 1 and 6 January off.
    expect(Math.abs(withHolidays.at - h.runOut!)).toBeLessThan(0.75 * DAY_MS);
    // Ignoring holidays the rate looks lower (holidays counted as idle working days) and the dates shift.
    expect(Math.abs(plain.at - h.runOut!)).toBeGreaterThan(Math.abs(withHolidays.at - h.runOut!));
  });
});

describe('forecastSupply: replacements and shaken cartridges', () => {
  it('uses only the current cartridge after a replacement jump', () => {
    const h = office({
      from: '2026-02-02',
      to: '2026-03-27',
      startLevel: 60,
      usePerWorkingDay: 2,
      replacements: [{ at: '2026-02-23T11:00', level: 100 }],
    });
    const now = local('2026-03-27T20:00');
    const f = expectForecast(forecastSupply({ role: 'consumable', levels: h.levels, now, clock }));
    expect(f.evidence.replacedAt).not.toBeNull();
    expect(f.evidence.replacedAt!).toBeGreaterThan(local('2026-02-23T11:00'));
    expect(f.evidence.replacedAt!).toBeLessThanOrEqual(local('2026-02-23T18:00'));
    expect(Math.abs(wdBetween(h.runOut!, f.at))).toBeLessThan(0.5);
  });

  it('refuses to guess when the current cartridge is younger than two weeks, however long the history', () => {
    const h = office({ from: '2026-01-05', to: '2026-03-27', startLevel: 100, usePerWorkingDay: 1.5, replacements: [{ at: '2026-03-20T10:00', level: 100 }] });
    const f = forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-27T20:00'), clock });
    expect(f.status).toBe('notEnoughData');
    if (f.status === 'notEnoughData') {
      expect(f.reason).toBe('shortHistory');
      expect(f.message).toMatch(/working days/);
      expect(f.evidence.replacedAt).not.toBeNull();
    }
  });

  it('treats a shaken cartridge reading higher for a few days as the same cartridge and does not follow the blip', () => {
    const blipFrom = local('2026-03-17T09:00');
    const blipTo = local('2026-03-19T17:00');
    const base = office({ from: '2026-03-02', to: '2026-03-27', usePerWorkingDay: 3 });
    const shaken = office({
      from: '2026-03-02',
      to: '2026-03-27',
      usePerWorkingDay: 3,
      show: (lvl, at) => ({ levelPercent: Math.round(lvl + (at >= blipFrom && at < blipTo ? 12 : 0)), state: 'ok' }),
    });
    const now = local('2026-03-27T20:00');
    const f = expectForecast(forecastSupply({ role: 'consumable', levels: shaken.levels, now, clock }));
    const ref = expectForecast(forecastSupply({ role: 'consumable', levels: base.levels, now, clock }));
    expect(f.evidence.replacedAt).toBeNull();
    expect(f.evidence.blipDays).toBeGreaterThanOrEqual(2);
    expect(Math.abs(f.workingDaysLeft.estimate - ref.workingDaysLeft.estimate)).toBeLessThan(0.5);
  });

  it('does not let a shake in the last days push the forecast late', () => {
    const blipFrom = local('2026-03-25T09:00'); // three of the last five days read high
    const h = office({
      from: '2026-03-02',
      to: '2026-03-27',
      usePerWorkingDay: 3,
      show: (lvl, at) => ({ levelPercent: Math.round(lvl + (at >= blipFrom ? 10 : 0)), state: 'ok' }),
    });
    const f = expectForecast(forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-27T20:00'), clock }));
    expect(f.evidence.replacedAt).toBeNull();
    expect(wdBetween(h.runOut!, f.at)).toBeLessThan(0.5);
  });
});

describe('forecastSupply: -3 "some remaining" periods', () => {
  it('skips readings without a number and still forecasts from the numeric ones', () => {
    const gapFrom = local('2026-03-10T00:00');
    const gapTo = local('2026-03-14T00:00');
    const h = office({
      from: '2026-03-02',
      to: '2026-03-27',
      usePerWorkingDay: 3,
      show: (lvl, at) => (at >= gapFrom && at < gapTo ? { levelPercent: null, state: 'someRemaining' } : { levelPercent: Math.round(lvl), state: 'ok' }),
    });
    const f = expectForecast(forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-27T20:00'), clock }));
    expect(f.evidence.readingsWithoutLevel).toBe(16);
    expect(f.evidence.method).toBe('levelTrend');
    expect(Math.abs(wdBetween(h.runOut!, f.at))).toBeLessThan(0.5);
  });

  it('projects from the last numbers when the device is in a -3 period now', () => {
    const gapFrom = local('2026-03-25T00:00');
    const h = office({
      from: '2026-03-02',
      to: '2026-03-27',
      usePerWorkingDay: 3,
      show: (lvl, at) => (at >= gapFrom ? { levelPercent: null, state: 'someRemaining' } : { levelPercent: Math.round(lvl), state: 'ok' }),
    });
    const f = expectForecast(forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-27T20:00'), clock }));
    expect(f.evidence.levelNow).toBeCloseTo(40, 0);
    expect(Math.abs(wdBetween(h.runOut!, f.at))).toBeLessThan(0.5);
  });

  it('uses the page counter and the rated yield when the device never gives a number (Ricoh -3 until -100)', () => {
    // 200 pages per working day; 100 % of a 6000-page cartridge lasts 30 working days.
    const h = office({
      from: '2026-02-02',
      to: '2026-03-10',
      startLevel: 8,
      usePerWorkingDay: 100 / 30,
      pagesPerWorkingDay: 200,
      replacements: [{ at: '2026-02-06T10:00', level: 100 }],
      show: (lvl) => (lvl <= 0 ? { levelPercent: null, state: 'empty' } : { levelPercent: null, state: 'someRemaining' }),
    });
    const f = expectForecast(
      forecastSupply({ role: 'consumable', levels: h.levels, pages: h.pages, ratedYieldPages: 6000, now: local('2026-03-10T20:00'), clock }),
    );
    expect(f.evidence.method).toBe('pageCounter');
    expect(f.evidence.yieldSource).toBe('rated');
    expect(f.evidence.pagesPerWorkingDay).toBeCloseTo(200, -1);
    expect(f.evidence.replacedAt).not.toBeNull();
    expect(Math.abs(wdBetween(h.runOut!, f.at))).toBeLessThan(1);
    expect(f.confidence).toBe('low');
  });
});

describe('forecastSupply: coarse-step devices', () => {
  // 0/100 device: 100 while anything is left, 0 when empty. 250 pages per working day, 25 working days a cartridge.
  const coarse = (lvl: number) => ({ levelPercent: lvl <= 0 ? 0 : 100, state: lvl <= 0 ? ('empty' as const) : ('ok' as const) });
  const history = office({
    from: '2026-01-05',
    to: '2026-03-27',
    startLevel: 5,
    usePerWorkingDay: 4,
    pagesPerWorkingDay: 250,
    replacements: [
      { at: '2026-01-09T10:00', level: 100 },
      { at: '2026-02-17T10:00', level: 100 },
    ],
    show: coarse,
  });
  const now = local('2026-03-10T20:00');

  it('falls back to pages per working day × pages per cartridge learned from a cartridge seen from start to empty', () => {
    const f = expectForecast(forecastSupply({ role: 'consumable', levels: history.levels, pages: history.pages, now, clock }));
    expect(f.evidence.coarseLevels).toBe(true);
    expect(f.evidence.method).toBe('pageCounter');
    expect(f.evidence.yieldSource).toBe('learned');
    // The first full cartridge went from 9 Jan to its run-out (25 working days × 250 pages) and then
    // sat empty until 17 Feb: pages printed while it was empty (other colours, or none) must not count.
    expect(f.evidence.yieldPages).toBeGreaterThan(6000);
    expect(f.evidence.yieldPages).toBeLessThan(6400);
    expect(Math.abs(wdBetween(history.runOut!, f.at))).toBeLessThan(1.5);
  });

  it('says why it cannot forecast a coarse device without a page counter', () => {
    const f = forecastSupply({ role: 'consumable', levels: history.levels, now, clock });
    expect(f.status).toBe('notEnoughData');
    if (f.status === 'notEnoughData') {
      expect(f.reason).toBe('noPageCounter');
      expect(f.message).toMatch(/coarse levels/);
    }
  });

  it('needs the start of the current cartridge and a yield for the counter method', () => {
    const late = history.levels.filter((r) => r.at >= local('2026-02-20T00:00'));
    const latePages = history.pages.filter((r) => r.at >= local('2026-02-20T00:00'));
    const noYield = forecastSupply({ role: 'consumable', levels: late, pages: latePages, now, clock });
    expect(noYield.status === 'notEnoughData' && noYield.reason).toBe('unknownYield');
    const noStart = forecastSupply({ role: 'consumable', levels: late, pages: latePages, ratedYieldPages: 6000, now, clock });
    expect(noStart.status === 'notEnoughData' && noStart.reason).toBe('cartridgeStartUnknown');
  });

  it('refuses with too few counted pages', () => {
    const quiet = office({ from: '2026-01-05', to: '2026-03-27', startLevel: 100, usePerWorkingDay: 0.1, pagesPerWorkingDay: 5, show: coarse });
    const f = forecastSupply({ role: 'consumable', levels: quiet.levels, pages: quiet.pages, ratedYieldPages: 6000, now, clock });
    expect(f.status === 'notEnoughData' && f.reason).toBe('fewCountedPages');
  });
});

describe('forecastSupply: waste receptacle', () => {
  it('forecasts when a waste container fills up and treats emptying as a replacement', () => {
    const filled = (lvl: number) => ({ levelPercent: 100 - Math.round(lvl), state: lvl <= 0 ? ('full' as const) : ('ok' as const) });
    const h = office({
      from: '2026-02-02',
      to: '2026-03-27',
      startLevel: 40,
      usePerWorkingDay: 1.5,
      replacements: [{ at: '2026-02-10T12:00', level: 100 }],
      show: filled,
    });
    const f = expectForecast(forecastSupply({ role: 'receptacle', levels: h.levels, now: local('2026-03-27T20:00'), clock }));
    expect(f.target).toBe('full');
    expect(f.evidence.replacedAt).not.toBeNull();
    // Filled percentage now: 1.5 × 34 working days since 10 Feb noon ≈ 51.
    expect(f.evidence.levelNow).toBeGreaterThan(48);
    expect(f.evidence.levelNow).toBeLessThan(54);
    expect(f.evidence.levelPerWorkingDay).toBeCloseTo(1.5, 1);
    expect(Math.abs(wdBetween(h.runOut!, f.at))).toBeLessThan(0.5);
  });

  it('reports a full receptacle as reached', () => {
    const f = forecastSupply({
      role: 'receptacle',
      levels: [
        { at: local('2026-03-02T10:00'), levelPercent: 95, state: 'nearFull' },
        { at: local('2026-03-03T10:00'), levelPercent: 100, state: 'full' },
        { at: local('2026-03-04T10:00'), levelPercent: null, state: 'full' },
      ],
      now: local('2026-03-04T12:00'),
      clock,
    });
    expect(f).toMatchObject({ status: 'reached', target: 'full', since: local('2026-03-03T10:00') });
  });
});

describe('forecastSupply: refusing to guess', () => {
  it('says there are no readings', () => {
    const f = forecastSupply({ role: 'consumable', levels: [], now: local('2026-03-04T12:00'), clock });
    expect(f).toMatchObject({ status: 'notEnoughData', reason: 'noReadings' });
  });

  it('needs about two weeks of history', () => {
    const h = office({ from: '2026-03-02', to: '2026-03-10', usePerWorkingDay: 3 });
    const f = forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-10T20:00'), clock });
    expect(f).toMatchObject({ status: 'notEnoughData', reason: 'shortHistory' });
    const enough = office({ from: '2026-03-02', to: '2026-03-13', usePerWorkingDay: 3 });
    expect(forecastSupply({ role: 'consumable', levels: enough.levels, now: local('2026-03-13T20:00'), clock }).status).toBe('forecast');
  });

  it('does not invent a run-out for a supply that is not being used', () => {
    const h = office({ from: '2026-02-02', to: '2026-03-27', startLevel: 72, usePerWorkingDay: 0 });
    const f = forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-27T20:00'), clock });
    expect(f).toMatchObject({ status: 'notEnoughData', reason: 'noMeasurableUse' });
  });

  it('answers "distant" beyond the horizon', () => {
    const h = office({ from: '2026-01-05', to: '2026-03-27', startLevel: 100, usePerWorkingDay: 0.15 });
    const f = forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-27T20:00'), clock });
    expect(f).toMatchObject({ status: 'distant', beyondWorkingDays: 500 });
  });

  it('reports an empty supply as reached since the first empty reading of the run', () => {
    const h = office({ from: '2026-03-02', to: '2026-03-27', startLevel: 30, usePerWorkingDay: 3 });
    const f = forecastSupply({ role: 'consumable', levels: h.levels, now: local('2026-03-27T20:00'), clock });
    expect(f.status).toBe('reached');
    if (f.status === 'reached') {
      expect(f.since).toBeGreaterThanOrEqual(h.runOut!);
      expect(f.since - h.runOut!).toBeLessThan(DAY_MS);
    }
  });

  it('ignores readings after now and unusable values, and counts them', () => {
    const h = office({ from: '2026-03-02', to: '2026-04-10', usePerWorkingDay: 2 });
    const now = local('2026-03-27T20:00');
    const bad = [...h.levels, { at: Number.NaN, levelPercent: 50, state: 'ok' as const }, { at: now - 1000, levelPercent: Number.NaN, state: 'ok' as const }];
    const f = expectForecast(forecastSupply({ role: 'consumable', levels: bad, now, clock }));
    expect(f.evidence.ignoredReadings).toBe(h.levels.filter((r) => r.at > now).length + 2);
    const clean = expectForecast(forecastSupply({ role: 'consumable', levels: h.levels.filter((r) => r.at <= now), now, clock }));
    expect(f.at).toBe(clean.at);
  });
});
