/**
 * Supply forecast: when will this toner run out (or this waste receptacle be full)?
 *
 * Input: the supply's level history (`LevelReading[]`: instant, levelPercent or null, SupplyState),
 * optionally the page counter history, the supply's role, `now` and a working-day clock.
 * Output (`SupplyForecast`), one of:
 *   - `forecast`: point estimate `at` with a range `earliest`–`latest` (about p10–p90), the same in
 *     working days from now, a confidence and the evidence (method, rate, level, cartridge start);
 *   - `reached`: the device already reports empty/full;
 *   - `distant`: no run-out within the horizon (default 500 working days, about two years);
 *   - `notEnoughData`: an explicit reason instead of a guess.
 *
 * Method (details and measured accuracy in docs/forecasting.md):
 *   1. Only the cartridge in the printer now counts: the series is split at replacements
 *      (usageModel.splitCartridges); a shaken cartridge's small upward blip is not a replacement.
 *   2. Time is working-day time (workingDayClock): weekends and holidays add nothing.
 *   3. Fine-grained levels: one median point per day, Theil–Sen slope over the last
 *      `fitWindowWorkingDays`, points far above the line (shake blips) dropped and the slope refitted,
 *      the current level anchored on the last few days; range from Sen's slope interval and the
 *      residual spread.
 *   4. Coarse levels (0/100, a few steps) or no numbers at all (-3): pages per working day from the
 *      page counter (Theil–Sen again) × the share of a cartridge one page uses (learned from
 *      completed cartridges, else the rated yield scaled by the customer's coverage).
 *   5. Fewer than `minHistoryWorkingDays` (≈ two weeks) of the current cartridge, too few daily
 *      points, or fewer than `minCountedPages` counted pages: `notEnoughData`.
 * Pure: `now` is a parameter; no clock reads, no I/O.
 */
import { Z_80, median, robustSpread, theilSen } from './robustTrend.js';
import {
  type CapacityReading,
  type Cartridge,
  type LevelReading,
  type PageCountReading,
  type SupplyRole,
  dailyMedians,
  dailyUsageSpread,
  learnYield,
  levelGranularity,
  pagesAt,
  splitCartridges,
  toCapacity,
  usablePageCounts,
} from './usageModel.js';
import type { WorkingDayClock } from './workingDayClock.js';

export type { LevelReading, PageCountReading, SupplyRole } from './usageModel.js';

export interface SupplyForecastInput {
  role: SupplyRole;
  /** Level history of this supply; any order, readings after `now` are ignored. */
  levels: readonly LevelReading[];
  /** Page counter that drives this supply (total for mono, the colour's counter where known). */
  pages?: readonly PageCountReading[];
  /** Manufacturer's yield in pages at ISO 5 % coverage (part catalogue), used when no cartridge was observed end to end. */
  ratedYieldPages?: number;
  /** The customer's average page coverage in percent (default 5, the basis of rated yields). */
  coveragePercent?: number;
  now: number;
  clock: WorkingDayClock;
}

export interface ForecastSettings {
  /** Refuse to forecast with less history of the current cartridge (working days). */
  minHistoryWorkingDays: number;
  /** …or with fewer days that have readings. */
  minDailyPoints: number;
  /** Counter method: refuse with fewer counted pages in the window. */
  minCountedPages: number;
  /** Only the most recent part of the cartridge sets the rate (usage drifts). */
  fitWindowWorkingDays: number;
  /** Beyond this the answer is `distant`. */
  horizonWorkingDays: number;
}

export const DEFAULT_FORECAST_SETTINGS: ForecastSettings = {
  minHistoryWorkingDays: 9,
  minDailyPoints: 6,
  minCountedPages: 300,
  fitWindowWorkingDays: 40,
  horizonWorkingDays: 500,
};

export type ForecastMethod = 'levelTrend' | 'pageCounter';
export type ForecastTarget = 'empty' | 'full';
export type Confidence = 'high' | 'medium' | 'low';

export type NotEnoughDataReason =
  'noReadings' | 'shortHistory' | 'fewReadings' | 'noMeasurableUse' | 'noPageCounter' | 'fewCountedPages' | 'cartridgeStartUnknown' | 'unknownYield';

export interface ForecastEvidence {
  method: ForecastMethod | null;
  /** Readings considered / left out (after `now`, invalid, duplicate instants). */
  readings: number;
  ignoredReadings: number;
  /** Readings of the current cartridge without a number (-3 "some remaining", unknown). */
  readingsWithoutLevel: number;
  /** First reading of the cartridge in the printer now. */
  cartridgeSince: number | null;
  /** When its replacement was seen; null when the history starts with this cartridge. */
  replacedAt: number | null;
  /** Working days covered by readings of the current cartridge. */
  historyWorkingDays: number;
  coarseLevels: boolean;
  distinctLevels: number;
  /** Days dropped from the fit as shake blips (reading well above the trend). */
  blipDays: number;
  /** Estimated level now: remaining % (consumable) or filled % (receptacle). */
  levelNow?: number;
  /** Change of the level per working day in percentage points (negative for consumables, positive for receptacles). */
  levelPerWorkingDay?: number;
  pagesPerWorkingDay?: number;
  yieldPages?: number;
  yieldSource?: 'learned' | 'rated';
  pagesSinceReplacement?: number;
}

export type SupplyForecast =
  | {
      status: 'forecast';
      target: ForecastTarget;
      /** Point estimate of the instant the supply runs out (or is full). */
      at: number;
      /** Local date of `at` in the clock's zone, for display ("runs out on 2026-12-03"). */
      date: string;
      /** About the 10th percentile: it is unlikely to run out before this. Never before `now`. */
      earliest: number;
      /** About the 90th percentile; null when the upper bound lies beyond the horizon. */
      latest: number | null;
      workingDaysLeft: { estimate: number; low: number; high: number | null };
      confidence: Confidence;
      evidence: ForecastEvidence;
    }
  | { status: 'reached'; target: ForecastTarget; since: number; evidence: ForecastEvidence }
  | { status: 'distant'; target: ForecastTarget; beyondWorkingDays: number; evidence: ForecastEvidence }
  | { status: 'notEnoughData'; target: ForecastTarget; reason: NotEnoughDataReason; message: string; evidence: ForecastEvidence };

/** A working-day run-out estimate before it is turned into instants. */
interface Estimate {
  method: ForecastMethod;
  estimate: number;
  low: number;
  high: number | null;
  confidence: Confidence;
}

type Attempt = { ok: true; value: Estimate } | { ok: false; reason: NotEnoughDataReason; message: string };

const MIN_PAIR_DISTANCE = 0.2;
const RECENT_ANCHOR_DAYS = 5;

export function forecastSupply(input: SupplyForecastInput, settings: ForecastSettings = DEFAULT_FORECAST_SETTINGS): SupplyForecast {
  const { role, clock, now } = input;
  const target: ForecastTarget = role === 'consumable' ? 'empty' : 'full';
  const { points, ignored } = toCapacity(input.levels, role, now);
  const evidence: ForecastEvidence = {
    method: null,
    readings: input.levels.length,
    ignoredReadings: ignored,
    readingsWithoutLevel: 0,
    cartridgeSince: null,
    replacedAt: null,
    historyWorkingDays: 0,
    coarseLevels: false,
    distinctLevels: 0,
    blipDays: 0,
  };
  const refuse = (reason: NotEnoughDataReason, message: string): SupplyForecast => ({ status: 'notEnoughData', target, reason, message, evidence });
  if (points.length === 0) return refuse('noReadings', 'no level readings of this supply up to now');

  const cartridges = splitCartridges(points);
  const current = cartridges[cartridges.length - 1]!;
  const mine = points.slice(current.start, current.end);
  const since = mine[0]!.at;
  const originDay = clock.dayOf(since);
  const nowPos = clock.position(now, originDay);
  const granularity = levelGranularity(points);
  evidence.cartridgeSince = since;
  evidence.replacedAt = current.replacedAt;
  evidence.readingsWithoutLevel = mine.filter((p) => p.remaining === null).length;
  evidence.historyWorkingDays = round2(clock.position(mine[mine.length - 1]!.at, originDay) - clock.position(since, originDay));
  evidence.coarseLevels = granularity.coarse;
  evidence.distinctLevels = granularity.distinctLevels;

  const last = mine[mine.length - 1]!;
  if (last.depleted) {
    let first = mine.length - 1;
    while (first > 0 && mine[first - 1]!.depleted) first--;
    evidence.levelNow = role === 'consumable' ? 0 : 100;
    return { status: 'reached', target, since: mine[first]!.at, evidence };
  }

  const numeric = mine.filter((p): p is CapacityReading & { remaining: number } => p.remaining !== null);
  let attempt: Attempt;
  if (!granularity.coarse && numeric.length > 0) {
    attempt = levelTrend(numeric, clock, originDay, nowPos, settings, evidence, role);
  } else {
    attempt = pageCounter(input, points, cartridges, current, clock, originDay, nowPos, settings, evidence, role);
    if (!attempt.ok && granularity.coarse && granularity.distinctLevels <= 1 && attempt.reason === 'noPageCounter') {
      attempt = {
        ok: false,
        reason: 'noMeasurableUse',
        message: `${attempt.message}; the level has not changed (${granularity.distinctLevels} distinct value(s))`,
      };
    }
  }
  if (!attempt.ok) return refuse(attempt.reason, attempt.message);
  return place(attempt.value, target, clock, originDay, nowPos, now, settings, evidence);
}

function levelTrend(
  numeric: ReadonlyArray<CapacityReading & { remaining: number }>,
  clock: WorkingDayClock,
  originDay: number,
  nowPos: number,
  settings: ForecastSettings,
  evidence: ForecastEvidence,
  role: SupplyRole,
): Attempt {
  evidence.method = 'levelTrend';
  const days = dailyMedians(
    numeric.map((p) => ({ at: p.at, value: p.remaining })),
    clock,
    originDay,
  );
  const span = days[days.length - 1]!.position - days[0]!.position;
  if (span < settings.minHistoryWorkingDays) {
    return {
      ok: false,
      reason: 'shortHistory',
      message: `only ${round2(span)} working days of readings for the current cartridge; need ${settings.minHistoryWorkingDays}`,
    };
  }
  const window = days.filter((d) => d.position >= nowPos - settings.fitWindowWorkingDays);
  if (window.length < settings.minDailyPoints) {
    return {
      ok: false,
      reason: 'fewReadings',
      message: `readings on only ${window.length} days in the last ${settings.fitWindowWorkingDays} working days; need ${settings.minDailyPoints}`,
    };
  }
  const first = theilSen(
    window.map((d) => d.position),
    window.map((d) => d.value),
    MIN_PAIR_DISTANCE,
  );
  if (!first) return { ok: false, reason: 'fewReadings', message: 'readings do not span enough working days to fit a trend' };
  // Shaken cartridges read higher for a while: drop days well above the line, never below it.
  const residuals = window.map((d) => d.value - (first.intercept + first.slope * d.position));
  const scale = Math.max(0.5, robustSpread(residuals));
  const kept = window.filter((_, i) => residuals[i]! <= Math.max(3, 3 * scale));
  evidence.blipDays = window.length - kept.length;
  const fit =
    theilSen(
      kept.map((d) => d.position),
      kept.map((d) => d.value),
      MIN_PAIR_DISTANCE,
    ) ?? first;
  const usage = -fit.slope;
  const recent = kept.slice(-RECENT_ANCHOR_DAYS);
  const levelNow = Math.min(100, Math.max(0, median(recent.map((d) => d.value + fit.slope * (nowPos - d.position)))));
  evidence.levelNow = round2(role === 'consumable' ? levelNow : 100 - levelNow);
  evidence.levelPerWorkingDay = round4(role === 'consumable' ? fit.slope : -fit.slope);
  if (!(usage > 0)) {
    return {
      ok: false,
      reason: 'noMeasurableUse',
      message: `the ${role === 'consumable' ? 'level' : 'fill level'} is not moving towards ${role === 'consumable' ? 'empty' : 'full'} over the last ${round2(span)} working days`,
    };
  }
  const spread = Math.max(0.5, robustSpread(kept.map((d) => d.value - (fit.intercept + fit.slope * d.position))));
  const range = runOutRange({
    remaining: levelNow,
    remainingSd: (1.2533 * spread) / Math.sqrt(recent.length),
    usage,
    usageLow: -fit.slopeHigh,
    usageHigh: -fit.slopeLow,
    dailySd: dailyUsageSpread(kept, clock),
  });
  let confidence = confidenceOf(range);
  if (confidence === 'high' && window.length < 15) confidence = 'medium';
  return { ok: true, value: { method: 'levelTrend', ...range, confidence } };
}

function pageCounter(
  input: SupplyForecastInput,
  points: readonly CapacityReading[],
  cartridges: readonly Cartridge[],
  current: Cartridge,
  clock: WorkingDayClock,
  originDay: number,
  nowPos: number,
  settings: ForecastSettings,
  evidence: ForecastEvidence,
  role: SupplyRole,
): Attempt {
  evidence.method = 'pageCounter';
  const why = evidence.coarseLevels ? 'the device reports only coarse levels' : 'the device reports no level numbers for this cartridge';
  const counts = usablePageCounts(input.pages ?? [], input.now);
  if (counts.length < 2) return { ok: false, reason: 'noPageCounter', message: `${why} and there is no page counter history to measure usage` };
  const days = dailyMedians(
    counts.map((c) => ({ at: c.at, value: c.pages })),
    clock,
    originDay,
  );
  const window = days.filter((d) => d.position >= nowPos - settings.fitWindowWorkingDays);
  const span = window.length > 0 ? window[window.length - 1]!.position - window[0]!.position : 0;
  if (span < settings.minHistoryWorkingDays) {
    return {
      ok: false,
      reason: 'shortHistory',
      message: `${why}; page counter covers only ${round2(span)} working days; need ${settings.minHistoryWorkingDays}`,
    };
  }
  const counted = window[window.length - 1]!.value - window[0]!.value;
  if (counted < settings.minCountedPages) {
    return {
      ok: false,
      reason: 'fewCountedPages',
      message: `${why}; only ${Math.round(counted)} pages counted in the last ${round2(span)} working days; need ${settings.minCountedPages}`,
    };
  }
  const fit = theilSen(
    window.map((d) => d.position),
    window.map((d) => d.value),
    MIN_PAIR_DISTANCE,
  );
  if (!fit || !(fit.slope > 0)) return { ok: false, reason: 'noMeasurableUse', message: `${why}; the page counter shows no steady printing` };
  evidence.pagesPerWorkingDay = round2(fit.slope);

  const learned = learnYield(points, cartridges, counts);
  let yieldPages: number;
  let yieldError: number;
  if (learned) {
    yieldPages = learned.pages;
    yieldError = learned.cartridges > 1 ? Math.max(0.05, learned.spread) : 0.1;
    evidence.yieldSource = 'learned';
  } else if (input.ratedYieldPages !== undefined && input.ratedYieldPages > 0) {
    const coverage = input.coveragePercent !== undefined && input.coveragePercent > 0 ? input.coveragePercent : 5;
    yieldPages = (input.ratedYieldPages * 5) / coverage;
    yieldError = 0.25;
    evidence.yieldSource = 'rated';
  } else {
    return { ok: false, reason: 'unknownYield', message: `${why}; no cartridge was observed from installation to replacement and no rated yield is known` };
  }
  evidence.yieldPages = Math.round(yieldPages);
  if (current.replacedAt === null) {
    return {
      ok: false,
      reason: 'cartridgeStartUnknown',
      message: `${why}; the installation of the current cartridge was not observed, so its used pages are unknown`,
    };
  }
  // Count from the last reading of the previous cartridge: if anything, that overstates the pages
  // used and makes the forecast early rather than late.
  const previousLast = points[current.start - 1]?.at ?? current.replacedAt;
  const startPages = pagesAt(counts, previousLast, 2 * 86_400_000) ?? pagesAt(counts, current.replacedAt, 2 * 86_400_000);
  if (startPages === null)
    return {
      ok: false,
      reason: 'cartridgeStartUnknown',
      message: `${why}; no page counter reading near the replacement on ${new Date(current.replacedAt).toISOString()}`,
    };
  const lastCount = counts[counts.length - 1]!;
  const pagesNow = lastCount.pages + fit.slope * Math.max(0, nowPos - clock.position(lastCount.at, originDay));
  const used = Math.max(0, pagesNow - startPages);
  evidence.pagesSinceReplacement = Math.round(used);
  const startShare = (points.slice(current.start, current.end).find((p) => p.remaining !== null)?.remaining ?? 100) / 100;
  const pagesLeft = yieldPages * startShare - used;
  const levelNow = Math.min(100, Math.max(0, (pagesLeft / yieldPages) * 100));
  evidence.levelNow = round2(role === 'consumable' ? levelNow : 100 - levelNow);
  evidence.levelPerWorkingDay = round4(((role === 'consumable' ? -1 : 1) * fit.slope * 100) / yieldPages);
  const range = runOutRange({
    remaining: Math.max(0, pagesLeft),
    // The yield error is a ~p10/p90 bound: turn it into a standard deviation.
    remainingSd: (yieldError * yieldPages * startShare) / Z_80,
    usage: fit.slope,
    usageLow: fit.slopeLow,
    usageHigh: fit.slopeHigh,
    dailySd: dailyUsageSpread(window, clock),
  });
  const confidence = confidenceOf(range);
  return {
    ok: true,
    value: { method: 'pageCounter', ...range, confidence: evidence.yieldSource === 'learned' ? (confidence === 'low' ? 'low' : 'medium') : 'low' },
  };
}

interface RangeInput {
  /** Capacity (or pages) left now, and its standard deviation. */
  remaining: number;
  remainingSd: number;
  /** Use per working day: estimate and Sen's ~p10–p90 interval. */
  usage: number;
  usageLow: number;
  usageHigh: number;
  /** Day-to-day standard deviation of the use per working day (null when unknown). */
  dailySd: number | null;
}

/**
 * Working days until empty with a ~p10–p90 range. Three independent sources of error add up:
 * how well we know the rate (grows with the horizon h), how much the next h days' printing varies
 * day to day (grows with √h), and how well we know the level now.
 */
function runOutRange(r: RangeInput): { estimate: number; low: number; high: number | null } {
  const h = r.remaining / r.usage;
  const rateSd = Math.max(0, r.usageHigh - r.usageLow) / (2 * Z_80);
  const dailySd = r.dailySd ?? 0.3 * r.usage;
  const sd = Math.sqrt((h * rateSd) ** 2 + h * dailySd ** 2 + r.remainingSd ** 2) / r.usage;
  const low = Math.max(0, h - Z_80 * sd);
  // If the rate could be zero the supply may never run out: no upper bound.
  const high = r.usageLow > 0 ? h + Z_80 * sd : null;
  return { estimate: h, low, high };
}

function confidenceOf(range: { estimate: number; low: number; high: number | null }): Confidence {
  const width = range.high === null ? Infinity : (range.high - range.low) / Math.max(range.estimate, 1);
  return width <= 0.35 ? 'high' : width <= 0.8 ? 'medium' : 'low';
}

function place(
  e: Estimate,
  target: ForecastTarget,
  clock: WorkingDayClock,
  originDay: number,
  nowPos: number,
  now: number,
  settings: ForecastSettings,
  evidence: ForecastEvidence,
): SupplyForecast {
  evidence.method = e.method;
  const horizon = settings.horizonWorkingDays;
  if (e.estimate > horizon) return { status: 'distant', target, beyondWorkingDays: horizon, evidence };
  // Calendar days needed to cover the horizon in working days, with room for long holiday seasons.
  const maxDays = Math.ceil(horizon * 2) + 60;
  const instant = (wd: number) => Math.max(now, clock.instantAt(nowPos + wd, originDay, maxDays) ?? Infinity);
  const at = instant(e.estimate);
  const earliest = Math.min(at, instant(e.low));
  const latest = e.high === null || e.high > horizon ? null : Math.max(at, instant(e.high));
  return {
    status: 'forecast',
    target,
    at,
    date: clock.localDate(clock.dayOf(at)),
    earliest,
    latest,
    workingDaysLeft: {
      estimate: round2(e.estimate),
      low: round2(Math.min(e.low, e.estimate)),
      high: e.high === null || e.high > horizon ? null : round2(Math.max(e.high, e.estimate)),
    },
    confidence: e.confidence,
    evidence,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
