/**
 * Does the stored history (server/history/deviceHistory.ts: change-only, downsampled, dead band,
 * counters once a day) forecast as well as the raw readings? The seeded scenarios of
 * bench/forecastScenarios.ts are evaluated twice with bench/forecastEvaluation.ts: on the raw
 * readings, and on what the history recorder keeps of them (every reading fed through
 * recordLevel/recordCounters in order).
 *
 *   npx tsx bench/historyForecastEval.ts [--seed 20261121] [--per-kind 20] [--step-hours 24] [--lead 5]
 *
 * Bounded: per-kind × 8 kinds × 2 evaluations.
 */
import { parseArgs } from 'node:util';
import { evaluateScenario, type ScenarioResult } from './forecastEvaluation.js';
import { generateScenario, polishWorkingDay, REGULAR_KINDS, SCENARIO_KINDS, seededRng, ZONE, type Scenario } from './forecastScenarios.js';
import { workingDayClock } from '../server/forecast/workingDayClock.js';
import {
  DEFAULT_HISTORY_LIMITS,
  levelReadings,
  pageReadings,
  recordCounters,
  recordLevel,
  type CounterTrack,
  type SupplyTrack,
} from '../server/history/deviceHistory.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '20261121' },
    'per-kind': { type: 'string', default: '20' },
    'step-hours': { type: 'string', default: '24' },
    lead: { type: 'string', default: '5' },
  },
});
const options = {
  seed: Number(values.seed),
  kinds: SCENARIO_KINDS,
  scenariosPerKind: Number(values['per-kind']),
  stepHours: Number(values['step-hours']),
  leadTimeWorkingDays: Number(values.lead),
};

/**
 * What the recorder keeps, as the forecast would see it at any instant: every cartridge kept (the
 * hot record keeps the current and the previous one, which is all the forecast uses at a time;
 * keeping all lets one stored series serve every evaluation instant), the rest as at ingest:
 * downsampling, dead band, pins, thinning at replacements, counters once a day and at pinned points.
 */
const LIMITS = { ...DEFAULT_HISTORY_LIMITS, keepCartridges: 1_000, maxSupplyPoints: 1_000_000, maxCounterPoints: 1_000_000 };

function stored(s: Scenario): Scenario {
  let track: SupplyTrack | undefined;
  let counters: CounterTrack | undefined;
  const meta = {
    deviceKey: 'sim',
    customerId: 'c',
    index: 1,
    name: 'Black Toner',
    kind: s.role === 'receptacle' ? ('waste' as const) : ('toner' as const),
    color: null,
    role: s.role,
  };
  const owner = { deviceKey: 'sim', customerId: 'c' };
  const pages = new Map(s.pages.map((p) => [p.at, p.pages]));
  const polls = [...new Set([...s.levels.map((r) => r.at), ...s.pages.map((p) => p.at)])].sort((a, b) => a - b);
  const levels = new Map(s.levels.map((r) => [r.at, r]));
  for (const at of polls) {
    let pinned = false;
    const r = levels.get(at);
    if (r) {
      const u = recordLevel(track, meta, r, LIMITS);
      track = u.track;
      const last = track.s[track.s.length - 1] ?? '';
      pinned = u.changed && (u.cut || (u.appended && last !== last.toLowerCase()));
    }
    const p = pages.get(at);
    if (p !== undefined) counters = recordCounters(counters, owner, at, { total: p }, LIMITS, pinned).track;
  }
  return { ...s, levels: track ? levelReadings(track) : [], pages: pageReadings(counters) };
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const clock = workingDayClock({ zone: ZONE, isWorkingDay: polishWorkingDay });
const rows: Array<{ kind: string; raw: ScenarioResult[]; kept: ScenarioResult[]; readings: number; points: number }> = [];
const started = performance.now();
options.kinds.forEach((kind, k) => {
  const rng = seededRng(options.seed * 1_000 + k);
  const raw: ScenarioResult[] = [];
  const kept: ScenarioResult[] = [];
  let readings = 0;
  let points = 0;
  for (let i = 0; i < options.scenariosPerKind; i++) {
    const s = generateScenario(kind, rng);
    const t = stored(s);
    readings += s.levels.length;
    points += t.levels.length;
    raw.push(evaluateScenario(s, clock, options));
    kept.push(evaluateScenario(t, clock, options));
  }
  rows.push({ kind, raw, kept, readings, points });
});

const fmt = (x: number | null) => (x === null ? '–' : x.toFixed(2));
console.log(
  `seed ${options.seed}, ${options.scenariosPerKind} per kind, step ${options.stepHours} h, lead ${options.leadTimeWorkingDays} wd, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
console.log(
  '| kind | readings → stored points | forecasts at −7 d raw / stored | median abs err (d) raw / stored | late at −7 d raw / stored | orders before run-out raw / stored | duplicate opens raw / stored | closed after replacement raw / stored |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const err = (rs: ScenarioResult[]) => median(rs.filter((x) => x.error7 !== null).map((x) => Math.abs(x.error7!)));
  const n = (rs: ScenarioResult[], f: (x: ScenarioResult) => boolean) => rs.filter(f).length;
  console.log(
    `| ${r.kind}${REGULAR_KINDS.has(r.kind as never) ? '' : ' *'} | ${r.readings} → ${r.points} | ${n(r.raw, (x) => x.error7 !== null)} / ${n(r.kept, (x) => x.error7 !== null)} | ${fmt(err(r.raw))} / ${fmt(err(r.kept))} | ${n(r.raw, (x) => (x.error7 ?? 0) > 0)} / ${n(r.kept, (x) => (x.error7 ?? 0) > 0)} | ${n(r.raw, (x) => x.orderedBeforeRunOut)} / ${n(r.kept, (x) => x.orderedBeforeRunOut)} | ${r.raw.reduce((a, x) => a + x.duplicateOpens, 0)} / ${r.kept.reduce((a, x) => a + x.duplicateOpens, 0)} | ${n(r.raw, (x) => x.closedAfterReplacement)} / ${n(r.kept, (x) => x.closedAfterReplacement)} |`,
  );
}
