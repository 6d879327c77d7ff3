import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyScenario, BUILT_IN_SCENARIOS, loadScenario, nextBoundary, parseScenario, ScenarioError, selects } from '../../../agent/simulator/scenario.js';
import { findModel, instantiateModel } from '../../../agent/simulator/syntheticModels.js';
import { buildCatalog } from '../../../agent/simulator/deviceCatalog.js';
import { activeFaults, deviceHealth } from '../../../agent/simulator/deviceFaults.js';

const hp = instantiateModel(findModel('hp-color-laser')!, 'dev-0001', 0);
const epson = instantiateModel(findModel('epson-inkjet')!, 'dev-0004', 3);
const refOf = (s: typeof hp, ordinal: number) => ({ id: s.id, ordinal, model: s.model });
const tmp = mkdtempSync(join(tmpdir(), 'fleetdesk-scenario-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('scenario files', () => {
  it('accepts every built-in scenario', () => {
    for (const name of Object.keys(BUILT_IN_SCENARIOS)) expect(loadScenario(name).name).toBe(name);
  });

  it('loads YAML and JSON files with durations', () => {
    const yamlPath = join(tmp, 's.yaml');
    writeFileSync(
      yamlPath,
      'name: lab\nloop: 2m\nevents:\n  - action: raise\n    condition: doorOpen\n    at: 10s\n    until: 40s\n    devices: { ids: [dev-0001] }\n',
    );
    const s = loadScenario(yamlPath);
    expect(s).toMatchObject({ name: 'lab', loop: 120_000, events: [{ action: 'raise', condition: 'doorOpen', at: 10_000, until: 40_000 }] });
    const jsonPath = join(tmp, 's.json');
    writeFileSync(jsonPath, JSON.stringify({ name: 'j', events: [{ action: 'drain', supply: { family: 'toner', color: 'black' }, percentPerMinute: 2 }] }));
    expect(loadScenario(jsonPath).events[0]).toMatchObject({ action: 'drain', at: 0, percentPerMinute: 2 });
  });

  it('names what is wrong: unknown condition, until before at, unknown keys, outside the loop', () => {
    const bad = (data: unknown) => {
      try {
        parseScenario(data, 'x.yaml');
      } catch (err) {
        expect(err).toBeInstanceOf(ScenarioError);
        return (err as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(bad({ name: 'a', events: [{ action: 'raise', condition: 'onFire' }] })).toMatch(/x\.yaml.*events\[0\]\.condition: expected one of .*"jammed"/);
    expect(bad({ name: 'a', events: [{ action: 'raise', condition: 'jammed', at: '30s', until: '10s' }] })).toMatch(
      /events\[0\]\.until: expected a time after "at"/,
    );
    expect(bad({ name: 'a', events: [{ action: 'silent', colour: 'red' }] })).toMatch(/unknown key "events\[0\]\.colour"/);
    expect(bad({ name: 'a', loop: '1m', events: [{ action: 'silent', at: '90s' }] })).toMatch(/events\[0\]: expected to fit inside loop/);
    expect(bad({ name: 'a', events: [{ action: 'explode' }] })).toMatch(/events\[0\]\.action/);
  });

  it('says which scenarios exist when a name is unknown, and which file cannot be read', () => {
    expect(() => loadScenario('nope')).toThrow(/unknown scenario "nope": expected one of steady, jam/);
    expect(() => loadScenario(join(tmp, 'missing.yaml'))).toThrow(/cannot read scenario file .*missing\.yaml/);
    const broken = join(tmp, 'broken.yaml');
    writeFileSync(broken, 'name: [unclosed');
    expect(() => loadScenario(broken)).toThrow(/broken\.yaml is not valid YAML/);
  });
});

describe('applying a scenario over time', () => {
  const jam = loadScenario('jam');

  it('raises the jam at 30 s and clears it at 90 s', () => {
    expect(applyScenario(hp, jam, refOf(hp, 0), 29_999).conditions.has('jammed')).toBe(false);
    const at30 = applyScenario(hp, jam, refOf(hp, 0), 30_000);
    expect(at30.conditions.get('jammed')).toBe(30_000);
    expect(applyScenario(hp, jam, refOf(hp, 0), 89_999).conditions.has('jammed')).toBe(true);
    expect(applyScenario(hp, jam, refOf(hp, 0), 90_000).conditions.has('jammed')).toBe(false);
    // The initial state is never modified.
    expect(hp.conditions.size).toBe(0);
  });

  it('drains consumables linearly and stops at zero; fills receptacles', () => {
    const s = parseScenario(
      {
        name: 'd',
        events: [
          { action: 'drain', supply: { family: 'ink', color: 'cyan' }, percentPerMinute: 10 },
          { action: 'fill', supply: { family: 'waste' }, percentPerMinute: 5, at: '1m' },
        ],
      },
      't',
    );
    const cyan0 = epson.supplies.find((x) => x.color === 'cyan')!.level;
    const waste0 = epson.supplies.find((x) => x.family === 'waste')!.level;
    const after2m = applyScenario(epson, s, refOf(epson, 3), 120_000);
    expect(after2m.supplies.find((x) => x.color === 'cyan')!.level).toBe(cyan0 - 20);
    expect(after2m.supplies.find((x) => x.color === 'black')!.level).toBe(epson.supplies[0]!.level);
    expect(after2m.supplies.find((x) => x.family === 'waste')!.level).toBe(waste0 - 5);
    expect(applyScenario(epson, s, refOf(epson, 3), 3_600_000).supplies.find((x) => x.color === 'cyan')!.level).toBe(0);
    // The print head (-3 of -2) is not a quantity: untouched.
    expect(applyScenario(epson, s, refOf(epson, 3), 3_600_000).supplies.find((x) => x.description === 'Print Head')!.level).toBe(-3);
  });

  it('repeats a looping timeline but keeps page counters increasing', () => {
    const s = parseScenario(
      {
        name: 'l',
        loop: '100s',
        events: [
          { action: 'raise', condition: 'doorOpen', at: '10s', until: '20s' },
          { action: 'print', pagesPerMinute: 60, at: '0s', until: '50s' },
        ],
      },
      't',
    );
    const at = (t: number) => applyScenario(hp, s, refOf(hp, 0), t);
    expect(at(15_000).conditions.get('doorOpen')).toBe(10_000);
    expect(at(115_000).conditions.get('doorOpen')).toBe(110_000);
    expect(at(125_000).conditions.has('doorOpen')).toBe(false);
    expect(at(30_000).mode).toBe('printing');
    expect(at(60_000).mode).toBe('idle');
    const pages = [0, 30_000, 60_000, 99_999, 100_000, 130_000, 250_000].map((t) => at(t).pageCount - hp.pageCount);
    expect(pages).toEqual([0, 30, 50, 50, 50, 80, 150]);
  });

  it('sets levels (receptacles by how full they are)', () => {
    const s = parseScenario(
      {
        name: 's',
        events: [
          { action: 'setLevel', supply: { family: 'waste' }, percent: 95, at: '5s' },
          { action: 'setLevel', supply: { index: 1 }, percent: 0, at: '5s' },
        ],
      },
      't',
    );
    const st = applyScenario(epson, s, refOf(epson, 3), 5_000);
    expect(st.supplies.find((x) => x.family === 'waste')!.level).toBe(5);
    expect(st.supplies[0]!.level).toBe(0);
  });

  it('selects devices by id, by every/offset and by model', () => {
    const d = (id: string, ordinal: number, model: string) => ({ id, ordinal, model });
    expect(selects('all', d('a', 0, 'm'))).toBe(true);
    expect(selects({ ids: ['a'] }, d('b', 0, 'm'))).toBe(false);
    expect([0, 1, 2, 3, 4, 5].filter((o) => selects({ every: 4, offset: 1 }, d('x', o, 'm')))).toEqual([1, 5]);
    expect(selects({ models: ['epson-inkjet'] }, d('x', 0, 'epson-inkjet'))).toBe(true);
    const head = loadScenario('printhead');
    expect(applyScenario(hp, head, refOf(hp, 0), 60_000).conditions.has('printheadFault')).toBe(false);
    expect(applyScenario(epson, head, refOf(epson, 3), 60_000).conditions.has('printheadFault')).toBe(true);
  });

  it('finds the next instant something changes', () => {
    expect(nextBoundary(jam, 0)).toBe(30_000);
    expect(nextBoundary(jam, 30_000)).toBe(90_000);
    expect(nextBoundary(jam, 90_000)).toBeNull();
    const demo = loadScenario('demo');
    expect(nextBoundary(demo, 599_000)).toBe(600_000);
    expect(nextBoundary(demo, 600_000)).toBe(620_000);
  });

  it('demo: a few of 50 devices are down at a time, and the faults come and go', () => {
    const demo = loadScenario('demo');
    const fleet = buildCatalog({ devices: 50 }).entries;
    const downAt = (t: number) =>
      fleet
        .map((e) => applyScenario(e.state, demo, { id: e.state.id, ordinal: e.ordinal, model: e.state.model }, t))
        .filter((s) => s.silent || deviceHealth(activeFaults(s)) === 'down')
        .map((s) => s.id);
    const samples = Array.from({ length: 120 }, (_, i) => downAt(i * 5_000));
    const counts = samples.map((ids) => ids.length);
    expect(Math.max(...counts)).toBeLessThanOrEqual(5);
    expect(counts.filter((n) => n >= 1).length / counts.length).toBeGreaterThan(0.7);
    // Different devices over the loop, none down all the time.
    const ever = new Set(samples.flat());
    expect(ever.size).toBeGreaterThanOrEqual(8);
    for (const id of ever) expect(samples.filter((ids) => ids.includes(id)).length).toBeLessThan(samples.length);
  });
});
