/**
 * Scenarios: what happens to simulated devices over time, as data (YAML/JSON or built in).
 *
 * A scenario is a list of events on a timeline measured from the simulator's start. The state of a
 * device at time t is a pure function of its initial state, the scenario and t (applyScenario), so
 * the SNMP and IPP views agree and tests need no timers: they pick t.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Duration } from '../../shared/config/common.js';
import { toProblems } from '../../shared/validation.js';
import { CONDITIONS, type ConditionName, type DeviceState, type SimSupply } from './deviceModel.js';

const DeviceSelector = z
  .union([
    z.literal('all'),
    z.strictObject({ ids: z.array(z.string().min(1)).min(1) }),
    z.strictObject({ every: z.number().int().min(1), offset: z.number().int().min(0).default(0) }),
    z.strictObject({ models: z.array(z.string().min(1)).min(1) }),
  ])
  .default('all');

const SupplySelector = z
  .strictObject({
    family: z.enum(['toner', 'ink', 'waste', 'drum', 'developer', 'staples', 'other']).optional(),
    color: z.string().min(1).optional(),
    index: z.number().int().min(1).optional(),
  })
  .default({});

const window = { devices: DeviceSelector, at: Duration.default(0), until: Duration.optional() };
const rate = z.number().positive().max(100);

export const ScenarioEvent = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('raise'), condition: z.enum(CONDITIONS), ...window }),
  z.strictObject({ action: z.literal('silent'), ...window }),
  z.strictObject({ action: z.literal('drain'), supply: SupplySelector, percentPerMinute: rate, ...window }),
  z.strictObject({ action: z.literal('fill'), supply: SupplySelector, percentPerMinute: rate, ...window }),
  z.strictObject({
    action: z.literal('setLevel'),
    supply: SupplySelector,
    percent: z.number().min(0).max(100),
    devices: DeviceSelector,
    at: Duration.default(0),
  }),
  z.strictObject({ action: z.literal('print'), pagesPerMinute: z.number().positive().max(1000), ...window }),
]);
export type ScenarioEvent = z.infer<typeof ScenarioEvent>;

export const Scenario = z
  .strictObject({
    name: z.string().min(1).max(64),
    description: z.string().max(1000).optional(),
    /** Repeat the timeline every `loop` (levels and conditions start over; page counters keep counting). */
    loop: Duration.optional(),
    events: z.array(ScenarioEvent).max(1000),
  })
  .superRefine((s, ctx) => {
    s.events.forEach((e, i) => {
      if ('until' in e && e.until !== undefined && e.until <= e.at)
        ctx.addIssue({
          code: 'custom',
          path: ['events', i, 'until'],
          message: `events[${i}].until: expected a time after "at", found ${e.until} ms <= ${e.at} ms`,
          input: e.until,
        });
      if (s.loop !== undefined && (e.at >= s.loop || ('until' in e && e.until !== undefined && e.until > s.loop))) {
        ctx.addIssue({ code: 'custom', path: ['events', i], message: `events[${i}]: expected to fit inside loop of ${s.loop} ms`, input: e });
      }
    });
    if (s.loop !== undefined && s.loop <= 0) ctx.addIssue({ code: 'custom', path: ['loop'], message: 'loop: expected a positive duration', input: s.loop });
  });
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

const INKJETS = ['epson-inkjet', 'canon-inkjet'];

/** Built-in scenarios, in the same format a file uses. */
export const BUILT_IN_SCENARIOS: Record<string, ScenarioInput> = {
  steady: { name: 'steady', description: 'Nothing happens: devices keep their initial state.', events: [] },
  jam: { name: 'jam', description: 'A paper jam at t=30 s, cleared at t=90 s.', events: [{ action: 'raise', condition: 'jammed', at: '30s', until: '90s' }] },
  door: {
    name: 'door',
    description: 'The front door opens at t=20 s and closes at t=50 s.',
    events: [{ action: 'raise', condition: 'doorOpen', at: '20s', until: '50s' }],
  },
  'toner-drain': {
    name: 'toner-drain',
    description: 'Toner and ink drain at 5 % per minute while the devices print 20 pages per minute.',
    events: [
      { action: 'drain', supply: { family: 'toner' }, percentPerMinute: 5 },
      { action: 'drain', supply: { family: 'ink' }, percentPerMinute: 5 },
      { action: 'print', pagesPerMinute: 20 },
    ],
  },
  silent: {
    name: 'silent',
    description: 'Devices stop answering (SNMP and IPP) from t=60 s to t=120 s.',
    events: [{ action: 'silent', at: '60s', until: '120s' }],
  },
  printhead: {
    name: 'printhead',
    description: 'Inkjets report a print-head failure from t=45 s to t=165 s.',
    events: [{ action: 'raise', condition: 'printheadFault', at: '45s', until: '165s', devices: { models: INKJETS } }],
  },
  'waste-fill': {
    name: 'waste-fill',
    description: 'Waste toner/ink containers fill at 10 % per minute.',
    events: [{ action: 'fill', supply: { family: 'waste' }, percentPerMinute: 10 }],
  },
  // A believable office: at any moment a few devices of 50 (2-5) have a fault, each for one to three
  // minutes, and the faults move around the fleet. Selectors `every: 25` hit 2 devices of 50 and
  // `every: 50` one, so a smaller demo fleet is not swamped either. Ordinal 3 is an Epson and 11 a
  // Canon inkjet (models cycle in MODEL_NAMES order), so print heads fail on inkjets only.
  // Timing table: docs/simulator.md ("The demo scenario").
  demo: {
    name: 'demo',
    description:
      'A ten-minute loop for demos: a few devices at a time jam, stand open, run low on paper, go silent or fail a print head, then recover; some toner drains and waste boxes fill.',
    loop: '10m',
    events: [
      { action: 'print', pagesPerMinute: 12 },
      { action: 'raise', condition: 'doorOpen', at: '20s', until: '100s', devices: { every: 25, offset: 1 } },
      { action: 'raise', condition: 'jammed', at: '30s', until: '120s', devices: { every: 25, offset: 0 } },
      { action: 'raise', condition: 'printheadFault', at: '60s', until: '240s', devices: { every: 50, offset: 3 } },
      { action: 'silent', at: '150s', until: '240s', devices: { every: 50, offset: 6 } },
      { action: 'raise', condition: 'lowPaper', at: '180s', until: '300s', devices: { every: 25, offset: 4 } },
      { action: 'raise', condition: 'jammed', at: '270s', until: '360s', devices: { every: 25, offset: 7 } },
      { action: 'raise', condition: 'doorOpen', at: '360s', until: '440s', devices: { every: 25, offset: 9 } },
      { action: 'raise', condition: 'printheadFault', at: '360s', until: '510s', devices: { every: 50, offset: 11 } },
      { action: 'silent', at: '420s', until: '480s', devices: { every: 50, offset: 13 } },
      { action: 'raise', condition: 'jammed', at: '480s', until: '570s', devices: { every: 25, offset: 12 } },
      { action: 'drain', supply: { family: 'toner' }, percentPerMinute: 10, devices: { every: 50, offset: 2 } },
      { action: 'fill', supply: { family: 'waste' }, percentPerMinute: 10, devices: { every: 50, offset: 5 } },
    ],
  },
};

function problemsText(error: z.ZodError): string {
  return toProblems(error)
    .map((p) => p.message)
    .join('; ');
}

export function parseScenario(data: unknown, source: string): Scenario {
  const result = Scenario.safeParse(data);
  if (!result.success) throw new ScenarioError(`scenario ${source} is invalid: ${problemsText(result.error)}`);
  return result.data;
}

/** `name` of a built-in scenario, or the path of a .yaml/.yml/.json file. */
export function loadScenario(nameOrFile: string): Scenario {
  const builtIn = BUILT_IN_SCENARIOS[nameOrFile];
  if (builtIn) return parseScenario(builtIn, `built-in ${nameOrFile}`);
  if (!/\.(ya?ml|json)$/i.test(nameOrFile)) {
    throw new ScenarioError(
      `unknown scenario ${JSON.stringify(nameOrFile)}: expected one of ${Object.keys(BUILT_IN_SCENARIOS).join(', ')} or a .yaml/.json file`,
    );
  }
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch (err) {
    throw new ScenarioError(`cannot read scenario file ${nameOrFile}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = /\.json$/i.test(nameOrFile) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ScenarioError(`scenario file ${nameOrFile} is not valid ${/\.json$/i.test(nameOrFile) ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  return parseScenario(data, nameOrFile);
}

export interface DeviceRef {
  readonly id: string;
  readonly ordinal: number;
  readonly model: string;
}

export function selects(selector: z.infer<typeof DeviceSelector>, device: DeviceRef): boolean {
  if (selector === 'all') return true;
  if ('ids' in selector) return selector.ids.includes(device.id);
  if ('every' in selector) return device.ordinal % selector.every === selector.offset % selector.every;
  return selector.models.includes(device.model);
}

function supplyMatches(sel: z.infer<typeof SupplySelector>, s: SimSupply): boolean {
  return (
    (sel.family === undefined || sel.family === s.family) &&
    (sel.color === undefined || sel.color === s.color) &&
    (sel.index === undefined || sel.index === s.index)
  );
}

/** ms an event has been running at loop time `t` (0 before it starts, capped at its end). */
function runningFor(e: { at: number; until?: number | undefined }, t: number): number {
  return Math.max(0, Math.min(t, e.until ?? Infinity) - e.at);
}

function isActive(e: { at: number; until?: number | undefined }, t: number): boolean {
  return t >= e.at && (e.until === undefined || t < e.until);
}

/** The device's state `elapsedMs` after the simulator started. Pure. */
export function applyScenario(base: DeviceState, scenario: Scenario, ref: DeviceRef, elapsedMs: number): DeviceState {
  const loop = scenario.loop;
  const t = loop ? elapsedMs % loop : elapsedMs;
  const loopStart = elapsedMs - t;
  const completedLoops = loop ? Math.floor(elapsedMs / loop) : 0;
  const conditions = new Map<ConditionName, number>(base.conditions);
  let supplies = base.supplies;
  let silent = base.silent;
  let mode = base.mode;
  let pages = base.pageCount;

  const adjust = (sel: z.infer<typeof SupplySelector>, receptacles: boolean, change: (s: SimSupply) => number) => {
    supplies = supplies.map((s) => {
      if (s.receptacle !== receptacles || !supplyMatches(sel, s) || s.max <= 0 || s.level < 0) return s;
      return { ...s, level: Math.max(0, Math.min(s.max, change(s))) };
    });
  };

  for (const e of scenario.events) {
    if (!selects(e.devices, ref)) continue;
    switch (e.action) {
      case 'raise':
        if (isActive(e, t) && !conditions.has(e.condition)) conditions.set(e.condition, loopStart + e.at);
        break;
      case 'silent':
        if (isActive(e, t)) silent = true;
        break;
      case 'drain':
      case 'fill': {
        const ms = runningFor(e, t);
        if (ms > 0) adjust(e.supply, e.action === 'fill', (s) => Math.round(s.level - (s.max * e.percentPerMinute * ms) / 100 / 60_000));
        break;
      }
      case 'setLevel':
        if (t >= e.at) {
          supplies = supplies.map((s) => {
            if (!supplyMatches(e.supply, s) || s.max <= 0) return s;
            const remaining = s.receptacle ? 100 - e.percent : e.percent;
            return { ...s, level: Math.round((s.max * remaining) / 100) };
          });
        }
        break;
      case 'print': {
        if (isActive(e, t)) mode = 'printing';
        const perLoop = loop ? runningFor(e, loop) : 0;
        pages += Math.floor(((completedLoops * perLoop + runningFor(e, t)) * e.pagesPerMinute) / 60_000);
        break;
      }
    }
  }
  return { ...base, conditions, supplies, silent, mode, pageCount: pages };
}

/** The next instant after `elapsedMs` at which some event starts or ends (null if none). */
export function nextBoundary(scenario: Scenario, elapsedMs: number): number | null {
  const loop = scenario.loop;
  const t = loop ? elapsedMs % loop : elapsedMs;
  const loopStart = elapsedMs - t;
  let best: number | null = null;
  const consider = (x: number) => {
    if (x > elapsedMs && (best === null || x < best)) best = x;
  };
  for (const e of scenario.events) {
    const points = [e.at, ...('until' in e && e.until !== undefined ? [e.until] : [])];
    for (const p of points) {
      consider(loopStart + p);
      if (loop) consider(loopStart + loop + p);
    }
  }
  if (loop && scenario.events.length > 0) consider(loopStart + loop);
  return best;
}
