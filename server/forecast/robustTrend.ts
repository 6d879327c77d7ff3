/**
 * Robust statistics for supply trends: medians, MAD and the Theil–Sen slope with Sen's
 * nonparametric confidence interval. Theil–Sen (the median of all pairwise slopes) ignores up to
 * ~29 % of wild points, which is what a shaken cartridge or a glitchy reading produces; least
 * squares would be dragged by them.
 */

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile (type 7); NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return quantileSorted(sorted, q);
}

function quantileSorted(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median absolute deviation scaled to a normal standard deviation (×1.4826). */
export function robustSpread(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const m = median(values);
  return 1.4826 * median(values.map((v) => Math.abs(v - m)));
}

export interface TrendFit {
  /** Median pairwise slope (y units per x unit). */
  slope: number;
  /** Sen's interval for the slope at the requested two-sided level. */
  slopeLow: number;
  slopeHigh: number;
  /** Median of y − slope·x: the line is intercept + slope·x. */
  intercept: number;
  /** Number of pairwise slopes used. */
  pairs: number;
}

/** Two-sided normal quantile for the interval: 1.2816 gives a 10 %–90 % interval. */
export const Z_80 = 1.2816;

/**
 * Theil–Sen fit. Pairs closer than `minDx` in x are skipped (two readings of the same weekend
 * have the same working-day position and would give infinite slopes). Null with fewer than 3
 * usable pairs. Quadratic in the number of points: callers aggregate to one point per day first.
 */
export function theilSen(xs: readonly number[], ys: readonly number[], minDx: number, z = Z_80): TrendFit | null {
  const n = Math.min(xs.length, ys.length);
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xs[j]! - xs[i]!;
      if (Math.abs(dx) < minDx) continue;
      slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  if (slopes.length < 3) return null;
  slopes.sort((a, b) => a - b);
  const slope = quantileSorted(slopes, 0.5);
  const count = slopes.length;
  // Sen (1968): the interval runs between the order statistics (N − C)/2 and (N + C)/2 + 1 of the
  // sorted slopes, C = z·sqrt(Var S) with Var S = n(n−1)(2n+5)/18 (Kendall's S without ties).
  const c = z * Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18);
  const lowIndex = Math.max(0, Math.min(count - 1, Math.floor((count - c) / 2) - 1));
  const highIndex = Math.max(0, Math.min(count - 1, Math.ceil((count + c) / 2)));
  const intercept = median(Array.from({ length: n }, (_, i) => ys[i]! - slope * xs[i]!));
  return { slope, slopeLow: slopes[lowIndex]!, slopeHigh: slopes[highIndex]!, intercept, pairs: count };
}
