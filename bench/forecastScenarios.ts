/**
 * Synthetic but realistic supply histories with a known true run-out, for evaluating the supply
 * forecast (bench/forecast-eval.ts and test/unit/forecast/evaluation.test.ts).
 *
 * The simulation is independent of the forecaster: it prints pages on the office's working days
 * (Mon–Fri minus Polish public holidays, some quiet "bridge" days), between 08:00 and 16:30 local,
 * with a weekly rhythm (busy Mondays, light Fridays) and day-to-day noise. A cartridge's true level
 * is its start level minus pages × (100 / its yield); the device reports that level through its
 * own quirks (sensor noise, coarse steps, -3 "some remaining", shake blips, missed polls).
 * The true run-out is the instant the true level reaches 0 (receptacles: 100 % full).
 *
 * Seeded (mulberry32): the same seed gives the same histories on every machine.
 */
import { DateTime } from 'luxon';
import type { LevelReading, PageCountReading, SupplyRole } from '../server/forecast/supplyForecast.js';
import { publicHolidays } from '../server/sla/holidays.js';
import type { IsWorkingDay } from '../server/forecast/workingDayClock.js';

export const SCENARIO_KINDS = ['regular', 'replacement', 'blips', 'someRemaining', 'receptacle', 'coarse', 'noLevels', 'variable'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** Kinds whose usage is regular (steady rate with weekly rhythm, holidays, noise): the targets apply to them. */
export const REGULAR_KINDS: ReadonlySet<ScenarioKind> = new Set(['regular', 'replacement', 'blips', 'someRemaining', 'receptacle']);

export const ZONE = 'Europe/Warsaw';

/** Mon–Fri minus Polish public holidays: the office calendar the simulation prints by (and the forecaster is given). */
export const polishWorkingDay: IsWorkingDay = (localDate) => {
  const weekday = new Date(`${localDate}T00:00:00Z`).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  return !publicHolidays('PL', Number(localDate.slice(0, 4))).has(localDate);
};

export interface Scenario {
  kind: ScenarioKind;
  role: SupplyRole;
  /** Coarse-device variant, for reporting. */
  variant: string;
  levels: LevelReading[];
  pages: PageCountReading[];
  /** Installation of the cartridge whose run-out is evaluated. */
  installedAt: number;
  /** True instant its level reaches 0 (consumable) or 100 % full (receptacle). */
  trueRunOut: number;
  /** When the next cartridge goes in (after the run-out). */
  replacedAt: number;
  ratedYieldPages: number;
}

export { seededRandom as seededRng, type Rng } from '../test/harness/seededRandom.js';
import type { Rng } from '../test/harness/seededRandom.js';

function normal(rng: Rng): number {
  const u = Math.max(1e-12, rng());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

const POLL_MS = 3 * 3_600_000;
const PRINT_START_MIN = 8 * 60;
const PRINT_SPAN_MIN = 8.5 * 60;
/** Monday … Friday usage relative to an average working day. */
const WEEKDAY_FACTOR = [1.2, 1.05, 1.0, 1.0, 0.75];

interface Day {
  midnight: number;
  pages: number;
  /** Pages printed before this day since the simulation start. */
  before: number;
}

interface CartridgeSim {
  installAt: number;
  startLevel: number;
  yieldPages: number;
  startPages: number;
}

/**
 * One scenario. `index` spreads start dates over a year so holidays (Christmas, Easter, May,
 * November) fall into some histories.
 */
export function generateScenario(kind: ScenarioKind, rng: Rng): Scenario {
  const role: SupplyRole = kind === 'receptacle' ? 'receptacle' : 'consumable';
  const lifetimeWd = kind === 'receptacle' ? uniform(rng, 40, 90) : uniform(rng, 22, 65);
  const basePages = uniform(rng, 60, 400);
  const yieldBase = lifetimeWd * basePages;
  const variant = kind === 'coarse' ? (rng() < 0.5 ? 'twoLevels' : 'threeLevels') : kind;
  const observePrevious = kind === 'coarse' || kind === 'noLevels';
  const historyBefore = kind === 'regular' ? 0 : observePrevious ? 0 : uniform(rng, 8, 25);

  // Calendar: enough days for two (or three) cartridges and the days after the run-out.
  const startDate = DateTime.fromISO('2025-08-01', { zone: ZONE }).plus({ days: Math.floor(uniform(rng, 0, 400)) });
  const totalDays = Math.ceil((historyBefore + lifetimeWd * (observePrevious ? 3.6 : 2.2) + 20) * 1.6) + 30;
  const days: Day[] = [];
  let cumulative = 0;
  const factor = kind === 'variable' ? (rng() < 0.5 ? uniform(rng, 0.5, 0.7) : uniform(rng, 1.4, 1.8)) : 1;
  for (let i = 0; i < totalDays; i++) {
    const dt = startDate.plus({ days: i });
    const date = dt.toISODate()!;
    let pages = 0;
    if (polishWorkingDay(date)) {
      const quiet = rng() < 0.03 ? 0.3 : 1;
      pages = basePages * WEEKDAY_FACTOR[dt.weekday - 1]! * quiet * Math.exp(0.3 * normal(rng) - 0.045);
    }
    days.push({ midnight: dt.toMillis(), pages, before: cumulative });
    cumulative += pages;
  }
  const dayIndexOf = (t: number): number => {
    let lo = 0;
    let hi = days.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (days[mid]!.midnight <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const pagesAt = (t: number): number => {
    const d = days[dayIndexOf(t)]!;
    const minute = (t - d.midnight) / 60_000;
    return d.before + d.pages * Math.min(1, Math.max(0, (minute - PRINT_START_MIN) / PRINT_SPAN_MIN));
  };
  /** First instant the cumulative page count reaches `target`. */
  const instantOfPages = (target: number): number => {
    for (const d of days) {
      if (d.before + d.pages >= target && d.pages > 0) {
        const share = Math.max(0, (target - d.before) / d.pages);
        return d.midnight + (PRINT_START_MIN + share * PRINT_SPAN_MIN) * 60_000;
      }
    }
    throw new Error(`scenario ${kind}: simulation too short to reach ${Math.round(target)} pages`);
  };
  /** A working-day morning `workingDays` working days after `t`, 10:00 local. */
  const workingDayAfter = (t: number, workingDays: number): number => {
    let i = dayIndexOf(t);
    let left = workingDays;
    for (let guard = 0; guard < 60; guard++) {
      i++;
      if (days[i]!.pages > 0 && --left <= 0) break;
    }
    return days[i]!.midnight + 10 * 3_600_000;
  };

  const historyStart = days[0]!.midnight + 9 * 3_600_000;
  const cartridges: CartridgeSim[] = [];
  const runOut = (c: CartridgeSim) => instantOfPages(c.startPages + (c.yieldPages * c.startLevel) / 100);
  const cartridgeYield = () => yieldBase * Math.exp(0.05 * normal(rng));
  if (observePrevious) {
    // A nearly empty cartridge, then one seen from installation to empty: the device's yield can be learned.
    const c0: CartridgeSim = { installAt: historyStart, startLevel: uniform(rng, 2, 6), yieldPages: cartridgeYield(), startPages: pagesAt(historyStart) };
    cartridges.push(c0);
    const i1 = workingDayAfter(runOut(c0), Math.floor(uniform(rng, 0, 3)));
    cartridges.push({ installAt: i1, startLevel: 100, yieldPages: cartridgeYield(), startPages: pagesAt(i1) });
  } else if (historyBefore > 0) {
    const c0: CartridgeSim = { installAt: historyStart, startLevel: uniform(rng, 20, 45), yieldPages: cartridgeYield(), startPages: pagesAt(historyStart) };
    cartridges.push(c0);
  }
  let installAt: number;
  if (cartridges.length === 0) installAt = historyStart;
  else {
    const prev = cartridges[cartridges.length - 1]!;
    // Replaced at a low warning (2–10 %) or after it ran empty (coarse devices: only then visible).
    const swapLevel = observePrevious ? 0 : uniform(rng, 2, 10);
    const at = instantOfPages(prev.startPages + (prev.yieldPages * (prev.startLevel - swapLevel)) / 100);
    installAt = observePrevious ? workingDayAfter(at, Math.floor(uniform(rng, 0, 3))) : at + 3_600_000;
  }
  const current: CartridgeSim = { installAt, startLevel: 100, yieldPages: cartridgeYield(), startPages: pagesAt(installAt) };
  if (kind === 'variable') {
    // Usage changes for good some 10–25 working days into the cartridge.
    const factorChangeAt = dayIndexOf(workingDayAfter(installAt, Math.floor(uniform(rng, 10, 25))));
    let acc = days[factorChangeAt]!.before;
    for (let i = factorChangeAt; i < days.length; i++) {
      days[i]!.before = acc;
      days[i]!.pages *= factor;
      acc += days[i]!.pages;
    }
  }
  cartridges.push(current);
  const trueRunOut = runOut(current);
  const replacedAt = workingDayAfter(trueRunOut, Math.floor(uniform(rng, 1, 4)));
  cartridges.push({ installAt: replacedAt, startLevel: 100, yieldPages: cartridgeYield(), startPages: pagesAt(replacedAt) });
  const end = replacedAt + 5 * 86_400_000;

  // Device quirks over the current cartridge.
  const blips: Array<{ from: number; to: number; amount: number }> = [];
  const gaps: Array<{ from: number; to: number }> = [];
  const currentSpan = trueRunOut - installAt;
  if (kind === 'blips') {
    const n = 1 + Math.floor(rng() * 3);
    for (let i = 0; i < n; i++) {
      const from = installAt + uniform(rng, 0.15, 0.95) * currentSpan;
      blips.push({ from, to: from + uniform(rng, 1, 4) * 86_400_000, amount: uniform(rng, 5, 15) });
    }
  }
  if (kind === 'someRemaining') {
    const n = 1 + Math.floor(rng() * 3);
    for (let i = 0; i < n; i++) {
      const from = installAt + uniform(rng, 0.1, 0.95) * currentSpan;
      gaps.push({ from, to: from + uniform(rng, 1, 5) * 86_400_000 });
    }
  }

  const levels: LevelReading[] = [];
  const pages: PageCountReading[] = [];
  const pageOffset = Math.floor(uniform(rng, 10_000, 200_000));
  let c = 0;
  for (let t = historyStart, guard = 0; t <= end && guard < 20_000; t += POLL_MS, guard++) {
    if (rng() < 0.05) continue; // missed poll
    while (c + 1 < cartridges.length && cartridges[c + 1]!.installAt <= t) c++;
    const cart = cartridges[c]!;
    const trueRemaining = Math.max(0, cart.startLevel - ((pagesAt(t) - cart.startPages) * 100) / cart.yieldPages);
    pages.push({ at: t, pages: pageOffset + Math.floor(pagesAt(t)) });
    levels.push(report(kind, variant, role, trueRemaining, t, blips, gaps, rng));
  }
  return { kind, role, variant, levels, pages, installedAt: installAt, trueRunOut, replacedAt, ratedYieldPages: Math.round(yieldBase / 100) * 100 };
}

function report(
  kind: ScenarioKind,
  variant: string,
  role: SupplyRole,
  trueRemaining: number,
  t: number,
  blips: ReadonlyArray<{ from: number; to: number; amount: number }>,
  gaps: ReadonlyArray<{ from: number; to: number }>,
  rng: Rng,
): LevelReading {
  const empty = trueRemaining <= 0;
  if (kind === 'noLevels') return { at: t, levelPercent: null, state: empty ? 'empty' : 'someRemaining' };
  if (kind === 'coarse') {
    const level = empty ? 0 : variant === 'twoLevels' || trueRemaining > 50 ? 100 : 50;
    return { at: t, levelPercent: level, state: empty ? 'empty' : level === 50 ? 'low' : 'ok' };
  }
  if (!empty && gaps.some((g) => t >= g.from && t < g.to)) return { at: t, levelPercent: null, state: 'someRemaining' };
  let shown = trueRemaining + 0.5 * normal(rng);
  for (const b of blips) if (t >= b.from && t < b.to) shown += b.amount * (1 - (t - b.from) / (b.to - b.from));
  const remaining = empty ? 0 : Math.min(100, Math.max(1, Math.round(shown)));
  if (role === 'receptacle') {
    const filled = 100 - remaining;
    return { at: t, levelPercent: filled, state: filled >= 100 ? 'full' : filled >= 90 ? 'nearFull' : 'ok' };
  }
  return { at: t, levelPercent: remaining, state: empty ? 'empty' : remaining <= 10 ? 'low' : 'ok' };
}
