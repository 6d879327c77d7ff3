/**
 * Hand-made supply histories for the forecast tests: an office that prints a fixed share of a
 * cartridge on every working day between 08:00 and 16:00 (Europe/Warsaw), polled every few hours.
 * Small and explicit on purpose; the seeded realistic generator lives in bench/forecastScenarios.ts.
 */
import { DateTime } from 'luxon';
import type { LevelReading, PageCountReading } from '../../../server/forecast/supplyForecast.js';
import { type IsWorkingDay, mondayToFriday } from '../../../server/forecast/workingDayClock.js';
import type { SupplyState } from '../../../shared/snapshot.js';

export const ZONE = 'Europe/Warsaw';

/** Instant of a local wall time in Warsaw, e.g. local('2026-03-02T10:00'). */
export function local(iso: string): number {
  const dt = DateTime.fromISO(iso, { zone: ZONE });
  if (!dt.isValid) throw new Error(`bad local time ${iso}`);
  return dt.toMillis();
}

export interface OfficeOptions {
  /** First local day (YYYY-MM-DD); readings start at its midnight. */
  from: string;
  /** Last local day, inclusive. */
  to: string;
  /** Percentage points of capacity used per working day. */
  usePerWorkingDay: number;
  startLevel?: number;
  pollHours?: number;
  isWorkingDay?: IsWorkingDay;
  /** New cartridge (level back to `level`) at these local instants. */
  replacements?: ReadonlyArray<{ at: string; level: number }>;
  /** Pages per working day for the page counter (default: none recorded). */
  pagesPerWorkingDay?: number;
  /** Readings as the device shows them (default: rounded level; 0 → empty). */
  show?: (trueLevel: number, at: number) => { levelPercent: number | null; state: SupplyState };
}

export interface OfficeHistory {
  levels: LevelReading[];
  pages: PageCountReading[];
  /** True remaining level at an instant. */
  trueLevel: (at: number) => number;
  /** Instant the last cartridge's true level reaches 0 (searching up to 400 days ahead). */
  runOut: number | null;
}

const DAY_START = 8;
const DAY_END = 16;

export function office(options: OfficeOptions): OfficeHistory {
  const isWorking = options.isWorkingDay ?? mondayToFriday;
  const poll = (options.pollHours ?? 6) * 3_600_000;
  const start = DateTime.fromISO(options.from, { zone: ZONE }).startOf('day');
  const end = DateTime.fromISO(options.to, { zone: ZONE }).endOf('day').toMillis();
  const replacements = (options.replacements ?? []).map((r) => ({ at: local(r.at), level: r.level })).sort((a, b) => a.at - b.at);

  // Printing windows of every working day from the start until well after the history.
  const windows: Array<{ a: number; b: number; before: number }> = [];
  for (let d = start, i = 0, n = 0; i < 800; d = d.plus({ days: 1 }), i++) {
    if (!isWorking(d.toISODate()!)) continue;
    windows.push({ a: d.set({ hour: DAY_START }).toMillis(), b: d.set({ hour: DAY_END }).toMillis(), before: n++ });
  }
  /** Working days of printing done by instant t since the start (continuous). */
  function printed(t: number): number {
    let lo = 0;
    let hi = windows.length - 1;
    if (hi < 0 || t < windows[0]!.a) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (windows[mid]!.a <= t) lo = mid;
      else hi = mid - 1;
    }
    const w = windows[lo]!;
    return w.before + Math.min(1, Math.max(0, (t - w.a) / (w.b - w.a)));
  }
  function trueLevel(t: number): number {
    let level = options.startLevel ?? 100;
    let since = start.toMillis();
    for (const r of replacements) {
      if (r.at > t) break;
      level = r.level;
      since = r.at;
    }
    return Math.max(0, level - options.usePerWorkingDay * (printed(t) - printed(since)));
  }
  const show = options.show ?? ((lvl: number) => ({ levelPercent: Math.round(lvl), state: lvl <= 0 ? 'empty' : lvl <= 10 ? 'low' : 'ok' }));
  const levels: LevelReading[] = [];
  const pages: PageCountReading[] = [];
  for (let t = start.toMillis(), i = 0; t <= end && i < 10_000; t += poll, i++) {
    levels.push({ at: t, ...show(trueLevel(t), t) });
    if (options.pagesPerWorkingDay !== undefined) pages.push({ at: t, pages: 50_000 + Math.floor(options.pagesPerWorkingDay * printed(t)) });
  }
  let runOut: number | null = null;
  const last = replacements.length ? replacements[replacements.length - 1]!.at : start.toMillis();
  // Hour by hour from the last cartridge's start, then minute by minute: precise enough for tests.
  for (let t = last, i = 0; i < 400 * 24; t += 3_600_000, i++) {
    if (trueLevel(t) <= 0) {
      let u = t - 3_600_000;
      while (trueLevel(u) > 0) u += 60_000;
      runOut = u;
      break;
    }
  }
  return { levels, pages, trueLevel, runOut };
}
