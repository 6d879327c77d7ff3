/**
 * Replays synthetic supply histories (bench/forecastScenarios.ts) through the forecast and the
 * proactive order decision, and measures:
 *   - forecast error in days at 7 calendar days before the true run-out (signed: positive = late);
 *   - how often that forecast was late (after the true run-out);
 *   - the order decision replayed every `stepHours` from installation: when it first opens the
 *     order, whether that is before the true run-out, how many working days ahead, and whether the
 *     order is kept (no second ticket) and closed after the replacement.
 * Shared by the benchmark runner and the fixed-seed unit test; bounded loops throughout.
 */
import { decideSupplyOrder, type SupplyOrderRecord } from '../server/forecast/proactiveOrders.js';
import { forecastSupply, type SupplyForecast } from '../server/forecast/supplyForecast.js';
import { DAY_MS, type WorkingDayClock, workingDayClock } from '../server/forecast/workingDayClock.js';
import { median } from '../server/forecast/robustTrend.js';
import { REGULAR_KINDS, type Scenario, type ScenarioKind, ZONE, generateScenario, polishWorkingDay, seededRng } from './forecastScenarios.js';

export interface EvaluationOptions {
  seed: number;
  kinds: readonly ScenarioKind[];
  scenariosPerKind: number;
  /** Order decision replay step. */
  stepHours: number;
  leadTimeWorkingDays: number;
}

export interface ScenarioResult {
  kind: ScenarioKind;
  variant: string;
  /** Forecast at 7 days before the true run-out. */
  status7: SupplyForecast['status'];
  /** Signed error in calendar days (forecast − truth), null without a forecast. */
  error7: number | null;
  /** Signed error in working days. */
  errorWorkingDays7: number | null;
  /** Truth inside [earliest, latest]. */
  covered7: boolean | null;
  /** First instant the decision opened an order; null when it never did before the run-out. */
  orderedAt: number | null;
  /** Working days between the order and the true run-out (negative = after it). */
  orderLeadWorkingDays: number | null;
  /** The order was opened strictly before the true run-out. */
  orderedBeforeRunOut: boolean;
  duplicateOpens: number;
  closedAfterReplacement: boolean;
}

export interface KindSummary {
  kind: ScenarioKind;
  regular: boolean;
  scenarios: number;
  forecasts7: number;
  meanAbsError7: number | null;
  medianAbsError7: number | null;
  medianAbsErrorWorkingDays7: number | null;
  p90AbsError7: number | null;
  late7: number;
  covered7: number;
  ordersBeforeRunOut: number;
  ordersAtLeastLeadTime: number;
  lateOrMissingOrders: number;
  medianOrderLeadWorkingDays: number | null;
  duplicateOpens: number;
  closedAfterReplacement: number;
}

const MAX_STEPS = 2_000;

export function evaluateForecasts(options: EvaluationOptions): { results: ScenarioResult[]; summaries: KindSummary[] } {
  const clock = workingDayClock({ zone: ZONE, isWorkingDay: polishWorkingDay });
  const results: ScenarioResult[] = [];
  options.kinds.forEach((kind, k) => {
    const rng = seededRng(options.seed * 1_000 + k);
    for (let i = 0; i < options.scenariosPerKind; i++) results.push(evaluateScenario(generateScenario(kind, rng), clock, options));
  });
  const summaries = options.kinds.map((kind) =>
    summarise(
      kind,
      results.filter((r) => r.kind === kind),
      options.leadTimeWorkingDays,
    ),
  );
  return { results, summaries };
}

function upTo<T extends { at: number }>(list: readonly T[], now: number): T[] {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.at <= now) lo = mid + 1;
    else hi = mid;
  }
  return list.slice(0, lo);
}

function forecastAt(s: Scenario, clock: WorkingDayClock, now: number): SupplyForecast {
  return forecastSupply({ role: s.role, levels: upTo(s.levels, now), pages: upTo(s.pages, now), ratedYieldPages: s.ratedYieldPages, now, clock });
}

export function evaluateScenario(s: Scenario, clock: WorkingDayClock, options: EvaluationOptions): ScenarioResult {
  const now7 = s.trueRunOut - 7 * DAY_MS;
  const f7 = forecastAt(s, clock, now7);
  const origin = clock.dayOf(s.installedAt);
  const wd = (t: number) => clock.position(t, origin);
  const result: ScenarioResult = {
    kind: s.kind,
    variant: s.variant,
    status7: f7.status,
    error7: f7.status === 'forecast' ? (f7.at - s.trueRunOut) / DAY_MS : null,
    errorWorkingDays7: f7.status === 'forecast' ? wd(f7.at) - wd(s.trueRunOut) : null,
    covered7: f7.status === 'forecast' ? f7.earliest <= s.trueRunOut && (f7.latest === null || s.trueRunOut <= f7.latest) : null,
    orderedAt: null,
    orderLeadWorkingDays: null,
    orderedBeforeRunOut: false,
    duplicateOpens: 0,
    closedAfterReplacement: false,
  };

  // Replay the order decision from installation until a few days after the replacement.
  let existing: SupplyOrderRecord | null = null;
  const supply = { deviceId: 'sim', supplyIndex: 1, partDescription: 'Black Toner' };
  const step = options.stepHours * 3_600_000;
  const end = s.replacedAt + 3 * DAY_MS;
  for (let now = s.installedAt + step, n = 0; now <= end && n < MAX_STEPS; now += step, n++) {
    const decision = decideSupplyOrder({
      supply,
      forecast: forecastAt(s, clock, now),
      policy: { leadTimeWorkingDays: options.leadTimeWorkingDays },
      existing,
      now,
    });
    if (decision.action === 'open') {
      if (existing !== null || now >= s.replacedAt) {
        // A second order for the same cartridge, or one for the next cartridge right after its
        // installation (a new cartridge must not look like it is about to run out).
        result.duplicateOpens++;
        continue;
      }
      existing = { status: 'open', openedAt: now };
      result.orderedAt = now;
      result.orderLeadWorkingDays = wd(s.trueRunOut) - wd(now);
    } else if (decision.action === 'close') {
      if (now >= s.replacedAt) result.closedAfterReplacement = true;
      existing = existing === null ? null : { ...existing, status: 'closed' };
      break;
    }
  }
  result.orderedBeforeRunOut = result.orderedAt !== null && result.orderedAt < s.trueRunOut;
  return result;
}

function summarise(kind: ScenarioKind, rs: readonly ScenarioResult[], lead: number): KindSummary {
  const errors = rs.flatMap((r) => (r.error7 === null ? [] : [Math.abs(r.error7)]));
  const wdErrors = rs.flatMap((r) => (r.errorWorkingDays7 === null ? [] : [Math.abs(r.errorWorkingDays7)]));
  const leads = rs.flatMap((r) => (r.orderLeadWorkingDays === null ? [] : [r.orderLeadWorkingDays]));
  const sorted = [...errors].sort((a, b) => a - b);
  return {
    kind,
    regular: REGULAR_KINDS.has(kind),
    scenarios: rs.length,
    forecasts7: errors.length,
    meanAbsError7: errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : null,
    medianAbsError7: errors.length ? median(errors) : null,
    medianAbsErrorWorkingDays7: wdErrors.length ? median(wdErrors) : null,
    p90AbsError7: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]! : null,
    late7: rs.filter((r) => r.error7 !== null && r.error7 > 0).length,
    covered7: rs.filter((r) => r.covered7 === true).length,
    ordersBeforeRunOut: rs.filter((r) => r.orderedBeforeRunOut).length,
    ordersAtLeastLeadTime: rs.filter((r) => r.orderLeadWorkingDays !== null && r.orderLeadWorkingDays >= lead).length,
    lateOrMissingOrders: rs.filter((r) => !r.orderedBeforeRunOut).length,
    medianOrderLeadWorkingDays: leads.length ? median(leads) : null,
    duplicateOpens: rs.reduce((a, r) => a + r.duplicateOpens, 0),
    closedAfterReplacement: rs.filter((r) => r.closedAfterReplacement).length,
  };
}
