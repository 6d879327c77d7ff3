/**
 * Supply forecast evaluation: `npx tsx bench/forecast-eval.ts [--seed N] [--per-kind N] [--step-hours H] [--lead N] [--json]`.
 * Generates seeded synthetic histories with known run-outs (bench/forecastScenarios.ts), replays
 * them through the forecast and the order decision, and prints a Markdown table per behaviour.
 * Bounded: per-kind count is capped and every replay loop has a step limit.
 */
import { SCENARIO_KINDS } from './forecastScenarios.js';
import { type KindSummary, evaluateForecasts } from './forecastEvaluation.js';

function arg(name: string, fallback: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    console.error(`--${name}: expected a number in (0, ${max}], got ${JSON.stringify(process.argv[i + 1])}`);
    process.exit(2);
  }
  return value;
}

const seed = arg('seed', 20261121, 2 ** 31);
const perKind = Math.floor(arg('per-kind', 100, 1000));
const stepHours = arg('step-hours', 12, 72);
const lead = arg('lead', 5, 60);

const started = performance.now();
const { summaries } = evaluateForecasts({ seed, kinds: SCENARIO_KINDS, scenariosPerKind: perKind, stepHours, leadTimeWorkingDays: lead });
const seconds = (performance.now() - started) / 1000;

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ seed, perKind, stepHours, lead, seconds, summaries }, null, 2));
} else {
  const f = (x: number | null, digits = 2) => (x === null ? '–' : x.toFixed(digits));
  const rows = summaries.map(
    (s: KindSummary) =>
      `| ${s.kind}${s.regular ? '' : ' *'} | ${s.scenarios} | ${s.forecasts7} | ${f(s.medianAbsError7)} | ${f(s.meanAbsError7)} | ${f(s.p90AbsError7)} | ${f(s.medianAbsErrorWorkingDays7)} | ${s.late7} | ${s.covered7} | ${s.ordersBeforeRunOut} | ${s.ordersAtLeastLeadTime} | ${f(s.medianOrderLeadWorkingDays, 1)} | ${s.duplicateOpens} | ${s.closedAfterReplacement} |`,
  );
  console.log(`seed ${seed}, ${perKind} scenarios per kind, order decision every ${stepHours} h, lead time ${lead} working days, ${seconds.toFixed(1)} s`);
  console.log('');
  console.log(
    '| kind | scenarios | forecasts at −7 d | median abs err (d) | mean abs err (d) | p90 abs err (d) | median abs err (wd) | late at −7 d | truth in range | order before run-out | order ≥ lead time ahead | median order lead (wd) | duplicate orders | closed after replacement |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log('');
  console.log('* not regular usage (coarse levels / no levels: page-counter method; variable: usage changes for good mid-cartridge)');
}
