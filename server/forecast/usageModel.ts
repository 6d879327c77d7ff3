/**
 * From raw supply readings to usage facts: which readings belong to the cartridge in the printer
 * now, one robust point per day, whether the device reports real percentages at all, and how
 * many pages a cartridge lasts on this device.
 *
 * Everything is expressed as *remaining capacity* (0–100): what is left to consume for a toner,
 * what is left to fill for a waste receptacle (100 − filled). One model then serves both: the
 * supply "runs out" when remaining capacity reaches 0.
 */
import type { SupplyState } from '../../shared/snapshot.js';
import { median, robustSpread } from './robustTrend.js';
import type { WorkingDayClock } from './workingDayClock.js';

/** Consumables empty (toner, ink, drum); receptacles fill up (waste toner, waste ink). */
export type SupplyRole = 'consumable' | 'receptacle';

/** One reading of one supply, as stored from DeviceSnapshot.supplies[] (levelPercent null = no number, e.g. -3). */
export interface LevelReading {
  /** Epoch milliseconds of the poll. */
  at: number;
  levelPercent: number | null;
  state: SupplyState;
}

/** One reading of the page counter that drives this supply (lifetime total, or the colour's own counter). */
export interface PageCountReading {
  at: number;
  pages: number;
}

export interface CapacityReading {
  at: number;
  /** Remaining capacity in percent, null when the device gave no number. */
  remaining: number | null;
  /** The device says it is empty (consumable) or full (receptacle). */
  depleted: boolean;
  state: SupplyState;
}

/** An upward jump of remaining capacity at least this large (percentage points) is a new cartridge, not a shake. */
export const REPLACEMENT_JUMP = 25;
/** Distinct reported levels this far apart (or fewer than two levels) mean a coarse-step device. */
export const COARSE_MIN_GAP = 20;

/**
 * Readings in remaining-capacity terms, sorted by time, one per instant (the later one in the
 * input wins). Readings after `now` or with a non-finite time or level are left out and counted.
 */
export function toCapacity(readings: readonly LevelReading[], role: SupplyRole, now: number): { points: CapacityReading[]; ignored: number } {
  const byTime = new Map<number, CapacityReading>();
  let ignored = 0;
  for (const r of readings) {
    const level = r.levelPercent;
    if (!Number.isFinite(r.at) || r.at > now || (level !== null && !Number.isFinite(level))) {
      ignored++;
      continue;
    }
    // Some devices report above 100 % (Brother) or below 0: clamp rather than lose the reading.
    const clamped = level === null ? null : Math.min(100, Math.max(0, level));
    const depleted = role === 'consumable' ? r.state === 'empty' || clamped === 0 : r.state === 'full' || clamped === 100;
    const remaining = clamped === null ? (depleted ? 0 : null) : role === 'consumable' ? clamped : 100 - clamped;
    if (byTime.has(r.at)) ignored++;
    byTime.set(r.at, { at: r.at, remaining, depleted, state: r.state });
  }
  const points = [...byTime.values()].sort((a, b) => a.at - b.at);
  return { points, ignored };
}

export interface Cartridge {
  /** Index of the first reading of this cartridge in the capacity series. */
  start: number;
  /** One past its last reading. */
  end: number;
  /** Instant of its first reading when a replacement was observed; null for the cartridge the history starts with. */
  replacedAt: number | null;
}

const REFERENCE_READINGS = 5;
const CONFIRMING_READINGS = 2;

/**
 * Splits the series at replacements. A replacement is an upward jump of at least REPLACEMENT_JUMP
 * over the median of the last few numeric readings, or an "empty" cartridge that reports
 * something left again; either must be confirmed by the next readings (up to two, at least one).
 * A shaken cartridge reads higher for a while but by less than the jump, so it stays one cartridge.
 */
export function splitCartridges(points: readonly CapacityReading[]): Cartridge[] {
  const cartridges: Cartridge[] = [];
  let start = 0;
  let replacedAt: number | null = null;
  let reference: number[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const prev = i > 0 ? points[i - 1]! : null;
    let replaced = false;
    if (i > start && prev) {
      if (p.remaining !== null && reference.length > 0) {
        const ref = median(reference);
        replaced = p.remaining - ref >= REPLACEMENT_JUMP && confirmed(points, i, (q) => q.remaining !== null && q.remaining - ref >= REPLACEMENT_JUMP / 2);
      }
      if (!replaced && prev.depleted && !p.depleted && p.remaining === null && (p.state === 'someRemaining' || p.state === 'ok' || p.state === 'low')) {
        replaced = confirmed(points, i, (q) => !q.depleted);
      }
    }
    if (replaced) {
      cartridges.push({ start, end: i, replacedAt });
      start = i;
      replacedAt = p.at;
      reference = [];
    }
    if (p.remaining !== null) {
      reference.push(p.remaining);
      if (reference.length > REFERENCE_READINGS) reference.shift();
    }
  }
  if (points.length > 0) cartridges.push({ start, end: points.length, replacedAt });
  return cartridges;
}

function confirmed(points: readonly CapacityReading[], i: number, holds: (p: CapacityReading) => boolean): boolean {
  let seen = 0;
  for (let j = i + 1; j < points.length && seen < CONFIRMING_READINGS; j++) {
    const q = points[j]!;
    if (q.remaining === null && !q.depleted && q.state === 'unknown') continue;
    if (!holds(q)) return false;
    seen++;
  }
  return seen > 0;
}

export interface Granularity {
  distinctLevels: number;
  /** Smallest gap between two distinct reported levels; null with fewer than two levels. */
  minGap: number | null;
  coarse: boolean;
}

/** Does the device report real percentages, or only a few steps (0/100, three levels)? Judged over the whole history. */
export function levelGranularity(points: readonly CapacityReading[]): Granularity {
  const distinct = [...new Set(points.filter((p) => p.remaining !== null).map((p) => p.remaining!))].sort((a, b) => a - b);
  let minGap: number | null = null;
  for (let i = 1; i < distinct.length; i++) {
    const gap = distinct[i]! - distinct[i - 1]!;
    minGap = minGap === null ? gap : Math.min(minGap, gap);
  }
  return { distinctLevels: distinct.length, minGap, coarse: minGap === null || minGap >= COARSE_MIN_GAP };
}

export interface DailyPoint {
  /** Local day number. */
  day: number;
  /** Median working-day position of the day's samples. */
  position: number;
  /** Median value of the day's samples. */
  value: number;
  samples: number;
}

/**
 * One point per local day: the median position and the median value. Medians make a day's point
 * immune to a single bad read, and aggregating keeps the quadratic Theil–Sen fit cheap.
 */
export function dailyMedians(samples: ReadonlyArray<{ at: number; value: number }>, clock: WorkingDayClock, originDay: number): DailyPoint[] {
  const out: DailyPoint[] = [];
  let day = Number.NaN;
  let positions: number[] = [];
  let values: number[] = [];
  const flush = () => {
    if (values.length > 0) out.push({ day, position: median(positions), value: median(values), samples: values.length });
  };
  for (const s of samples) {
    const d = clock.dayOf(s.at);
    if (d !== day) {
      flush();
      day = d;
      positions = [];
      values = [];
    }
    positions.push(clock.position(s.at, originDay));
    values.push(s.value);
  }
  flush();
  return out;
}

/**
 * Day-to-day spread (robust standard deviation) of the use per working day, from consecutive
 * working-day points about one working day apart; null with fewer than four such pairs.
 */
export function dailyUsageSpread(points: readonly DailyPoint[], clock: WorkingDayClock): number | null {
  const rates: number[] = [];
  let prev: DailyPoint | null = null;
  for (const p of points) {
    if (!clock.isWorkingDay(p.day)) continue;
    if (prev) {
      const dx = p.position - prev.position;
      if (dx >= 0.75 && dx <= 1.5) rates.push((p.value - prev.value) / dx);
    }
    prev = p;
  }
  // A day's point sits mid-day, so a one-day increment is half of one day's printing plus half of
  // the next: its variance is half a single day's. √2 undoes that.
  return rates.length >= 4 ? Math.SQRT2 * robustSpread(rates) : null;
}

/**
 * Page counter readings usable for a rate: valid, not after `now`, sorted, and only after the last
 * counter reset (a counter that goes down belongs to a replaced controller board).
 */
export function usablePageCounts(readings: readonly PageCountReading[], now: number): PageCountReading[] {
  const valid = readings.filter((r) => Number.isFinite(r.at) && r.at <= now && Number.isFinite(r.pages) && r.pages >= 0).sort((a, b) => a.at - b.at);
  let from = 0;
  for (let i = 1; i < valid.length; i++) if (valid[i]!.pages < valid[i - 1]!.pages) from = i;
  return valid.slice(from);
}

/** Counter value at an instant: interpolated between neighbours, or the nearest reading within `maxGapMs`. */
export function pagesAt(counts: readonly PageCountReading[], at: number, maxGapMs: number): number | null {
  let lo = 0;
  let hi = counts.length - 1;
  if (hi < 0) return null;
  // Last reading at or before `at`.
  let before = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (counts[mid]!.at <= at) {
      before = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const b = before >= 0 ? counts[before]! : null;
  const a = before + 1 < counts.length ? counts[before + 1]! : null;
  if (b && a && a.at - b.at <= maxGapMs * 2) return b.pages + ((a.pages - b.pages) * (at - b.at)) / (a.at - b.at);
  if (b && at - b.at <= maxGapMs) return b.pages;
  if (a && a.at - at <= maxGapMs) return a.pages;
  return null;
}

export interface LearnedYield {
  /** Pages one full cartridge lasts on this device (median over completed cartridges). */
  pages: number;
  cartridges: number;
  /** Relative spread between the completed cartridges (0 with one). */
  spread: number;
}

/**
 * Pages per full cartridge learned from completed cartridges whose start was observed: pages
 * printed between their installation and their first "empty" reading (or their replacement when
 * they never reported empty), divided by the share of capacity they used (≥ 50 %, else the
 * estimate is too loose). Only the last three count.
 */
export function learnYield(points: readonly CapacityReading[], cartridges: readonly Cartridge[], counts: readonly PageCountReading[]): LearnedYield | null {
  const yields: number[] = [];
  const maxGap = 2 * 86_400_000;
  for (let k = 0; k + 1 < cartridges.length; k++) {
    const c = cartridges[k]!;
    if (c.replacedAt === null) continue;
    const startPages = pagesAt(counts, c.replacedAt, maxGap);
    // It ended where it was first seen empty (pages printed while it sat empty are not its yield),
    // else at the next replacement.
    let firstEmpty = c.end;
    while (firstEmpty > c.start && points[firstEmpty - 1]!.depleted) firstEmpty--;
    const endAt = firstEmpty < c.end && firstEmpty > c.start ? points[firstEmpty]!.at : cartridges[k + 1]!.replacedAt;
    const endPages = endAt === null ? null : pagesAt(counts, endAt, maxGap);
    if (startPages === null || endPages === null || endPages <= startPages) continue;
    const first = points.slice(c.start, c.end).find((p) => p.remaining !== null)?.remaining ?? 100;
    const last = points[c.end - 1]!;
    const end = last.depleted ? 0 : last.remaining;
    if (end === null) continue;
    const used = (first - end) / 100;
    if (used < 0.5) continue;
    yields.push((endPages - startPages) / used);
  }
  const recent = yields.slice(-3);
  if (recent.length === 0) return null;
  const pages = median(recent);
  const spread = recent.length > 1 ? (Math.max(...recent) - Math.min(...recent)) / pages : 0;
  return { pages, cartridges: recent.length, spread };
}
