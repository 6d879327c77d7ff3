/**
 * The forecast evaluation at a fixed seed (a small version of bench/forecast-eval.ts): synthetic
 * histories with known run-outs. Asserts counts and errors, never timings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { REGULAR_KINDS, SCENARIO_KINDS, generateScenario, seededRng } from '../../../bench/forecastScenarios.js';
import { type KindSummary, type ScenarioResult, evaluateForecasts } from '../../../bench/forecastEvaluation.js';
import { median } from '../../../server/forecast/robustTrend.js';

describe('forecast evaluation (seed 7)', () => {
  let summaries: KindSummary[] = [];
  let regular: ScenarioResult[] = [];
  beforeAll(() => {
    const evaluation = evaluateForecasts({
      seed: 7,
      kinds: SCENARIO_KINDS.filter((k) => k !== 'variable'),
      scenariosPerKind: 6,
      stepHours: 24,
      leadTimeWorkingDays: 5,
    });
    summaries = evaluation.summaries;
    regular = evaluation.results.filter((r) => REGULAR_KINDS.has(r.kind));
  });

  it('generates the same histories for the same seed', () => {
    const a = generateScenario('blips', seededRng(99));
    const b = generateScenario('blips', seededRng(99));
    expect(a.trueRunOut).toBe(b.trueRunOut);
    expect(a.levels).toEqual(b.levels);
    expect(generateScenario('blips', seededRng(100)).trueRunOut).not.toBe(a.trueRunOut);
  });

  it('forecasts every regular history at 7 days before run-out with a median error under 2 days', () => {
    expect(regular).toHaveLength(30);
    expect(regular.every((r) => r.status7 === 'forecast')).toBe(true);
    const errors = regular.map((r) => Math.abs(r.error7!));
    expect(median(errors)).toBeLessThan(2);
    // Not systematically late or early: both directions occur.
    expect(regular.some((r) => r.error7! > 0)).toBe(true);
    expect(regular.some((r) => r.error7! < 0)).toBe(true);
  });

  it('opens the order before the real run-out in every regular history, once, and closes it after the replacement', () => {
    for (const r of regular) {
      expect(r.orderedBeforeRunOut, `${r.kind} ordered ${r.orderLeadWorkingDays} working days ahead`).toBe(true);
      expect(r.duplicateOpens).toBe(0);
      expect(r.closedAfterReplacement).toBe(true);
    }
    // Most orders leave the whole lead time.
    expect(regular.filter((r) => r.orderLeadWorkingDays! >= 5).length).toBeGreaterThanOrEqual(20);
  });

  it('still forecasts the page-counter cases (coarse levels, no levels) within a few days', () => {
    for (const kind of ['coarse', 'noLevels'] as const) {
      const s = summaries.find((x) => x.kind === kind)!;
      expect(s.forecasts7).toBe(6);
      expect(s.medianAbsError7!).toBeLessThan(5);
      expect(s.duplicateOpens).toBe(0);
    }
  });
});
