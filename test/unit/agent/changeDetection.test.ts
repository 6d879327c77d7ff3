import { describe, expect, it } from 'vitest';
import {
  detectChanges,
  DEFAULT_CHANGE_SETTINGS,
  rekeyFaults,
  type ChangeSettings,
  type DeviceMemory,
  type PollOutcome,
} from '../../../agent/diff/changeDetection.js';
import { faultKey } from '../../../shared/faultIdentity.js';
import type { DeviceSnapshot, Fault, Supply } from '../../../shared/snapshot.js';
import { DeviceEvent } from '../../../shared/wire/messages.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const at = (minute: number) => new Date(T0 + minute * 60_000);

const jam: Fault = {
  code: 'jam',
  severity: 'critical',
  source: 'prtAlert',
  message: 'Paper jam in tray 2',
  subunit: { group: 'mediaPath', index: 2 },
  rawCode: '8',
};
const door: Fault = { code: 'door.open', severity: 'critical', source: 'hrErrorState', message: 'Door open' };

function toner(level: number | null, state: Supply['state'], name = 'Black Toner'): Supply {
  return { index: 1, name, kind: 'toner', color: 'black', levelPercent: level, state, raw: { level, max: 100, unit: 19, class: 3, type: 3 } };
}

function snap(parts: { faults?: Fault[]; supplies?: Supply[]; serial?: string }): PollOutcome {
  const snapshot: DeviceSnapshot = {
    address: '127.0.0.1:1161',
    protocols: ['snmp'],
    collectedAt: at(0).toISOString(),
    identity: { vendor: 'HP', model: 'M404', serial: parts.serial ?? 'SN-1' },
    status: 'idle',
    faults: parts.faults ?? [],
    supplies: parts.supplies ?? [],
    inputs: [],
    counters: { total: 10 },
  };
  return { ok: true, snapshot };
}
const fail = (error = 'timeout'): PollOutcome => ({ ok: false, error });

/** Runs a sequence of polls one minute apart; returns the events of each step and the final memory. */
function run(outcomes: PollOutcome[], settings: ChangeSettings = DEFAULT_CHANGE_SETTINGS, start?: DeviceMemory) {
  let memory = start;
  const steps = outcomes.map((o, i) => {
    const r = detectChanges(memory, o, at(i), settings);
    memory = r.memory;
    for (const e of r.events) DeviceEvent.parse(e); // every event is a valid wire event
    return r.events;
  });
  return { steps, memory: memory!, kinds: steps.map((s) => s.map((e) => e.kind)) };
}

describe('faults with hysteresis', () => {
  it('raises after two consecutive sightings with the first-seen time, clears after two absences', () => {
    const r = run([snap({ faults: [jam] }), snap({ faults: [jam] }), snap({ faults: [jam] }), snap({}), snap({})]);
    expect(r.kinds).toEqual([[], ['fault.raised'], [], [], ['fault.cleared']]);
    const raised = r.steps[1]![0]!;
    expect(raised).toMatchObject({ kind: 'fault.raised', fault: jam, firstSeen: at(0).toISOString() });
    expect(r.steps[4]![0]).toEqual({
      kind: 'fault.cleared',
      fault: { code: 'jam', subunit: { group: 'mediaPath', index: 2 }, rawCode: '8' },
      firstSeen: at(0).toISOString(),
      clearedAt: at(3).toISOString(),
    });
    expect(r.memory.faults).toEqual({});
  });

  it('a single bad poll neither raises nor clears', () => {
    const single = run([snap({}), snap({ faults: [jam] }), snap({}), snap({})]);
    expect(single.kinds.flat()).toEqual([]);
    const dip = run([snap({ faults: [jam] }), snap({ faults: [jam] }), snap({}), snap({ faults: [jam] }), snap({}), snap({ faults: [jam] })]);
    expect(dip.kinds.flat()).toEqual(['fault.raised']);
  });

  it('flapping every poll never raises', () => {
    const outcomes = Array.from({ length: 20 }, (_, i) => snap({ faults: i % 2 === 0 ? [jam] : [] }));
    expect(run(outcomes).kinds.flat()).toEqual([]);
  });

  it('flapping while raised never clears, and firstSeen survives', () => {
    const outcomes = [snap({ faults: [jam] }), snap({ faults: [jam] }), ...Array.from({ length: 10 }, (_, i) => snap({ faults: i % 2 === 0 ? [] : [jam] }))];
    const r = run(outcomes);
    expect(r.kinds.flat()).toEqual(['fault.raised']);
    expect(Object.values(r.memory.faults)[0]!.firstSeen).toBe(at(0).toISOString());
  });

  it('honours configured thresholds, including 1 (no hysteresis)', () => {
    const s3: ChangeSettings = { ...DEFAULT_CHANGE_SETTINGS, raiseAfter: 3, clearAfter: 1 };
    expect(run([snap({ faults: [jam] }), snap({ faults: [jam] }), snap({ faults: [jam] }), snap({})], s3).kinds).toEqual([
      [],
      [],
      ['fault.raised'],
      ['fault.cleared'],
    ]);
    const s1: ChangeSettings = { ...DEFAULT_CHANGE_SETTINGS, raiseAfter: 1, clearAfter: 1 };
    expect(run([snap({ faults: [jam] }), snap({})], s1).kinds).toEqual([['fault.raised'], ['fault.cleared']]);
  });

  it('traps confirm: a fault seen in a trap-triggered poll is raised at once; clearing keeps its hysteresis', () => {
    const trap = (o: PollOutcome): PollOutcome => (o.ok ? { ...o, trigger: 'trap' } : o);
    const s3: ChangeSettings = { ...DEFAULT_CHANGE_SETTINGS, raiseAfter: 3 };
    // Seen first in a trap poll: raised in that poll.
    expect(run([trap(snap({ faults: [jam] }))], s3).kinds).toEqual([['fault.raised']]);
    // Pending from a regular poll, then a trap poll: raised with the first sighting's time.
    const r = run([snap({ faults: [jam] }), trap(snap({ faults: [jam, door] })), snap({}), trap(snap({}))], s3);
    expect(r.kinds).toEqual([[], ['fault.raised', 'fault.raised'], [], ['fault.cleared', 'fault.cleared']]);
    expect(r.steps[1]![0]).toMatchObject({ kind: 'fault.raised', fault: jam, firstSeen: at(0).toISOString() });
    // A regular poll with the same observations does not raise.
    expect(run([snap({ faults: [jam] }), snap({ faults: [jam] })], s3).kinds).toEqual([[], []]);
    // A trap poll without the fault clears nothing by itself.
    expect(run([snap({ faults: [jam] }), snap({ faults: [jam] }), snap({ faults: [jam] }), trap(snap({}))], s3).kinds).toEqual([[], [], ['fault.raised'], []]);
  });

  it('re-keys memory saved under an older key, so an open unclassified fault stays open', () => {
    const odd: Fault = { code: 'unclassified', severity: 'warning', source: 'prtAlert', message: 'Vendor 40123', rawCode: '40123' };
    const s1: ChangeSettings = { ...DEFAULT_CHANGE_SETTINGS, raiseAfter: 1, clearAfter: 1 };
    const raised = run([snap({ faults: [odd] })], s1).memory;
    const track = Object.values(raised.faults)[0]!;
    const old: DeviceMemory = { ...raised, faults: { 'unclassified||': track } }; // the key before the raw code joined it
    expect(run([snap({ faults: [odd] })], s1, old).kinds).toEqual([['fault.raised', 'fault.cleared']]);
    expect(run([snap({ faults: [odd] })], s1, rekeyFaults(old)).kinds).toEqual([[]]);
    expect(Object.keys(rekeyFaults(old).faults)).toEqual([faultKey(odd)]);
  });

  it('keys faults by code and subunit, so two jams in different places are separate', () => {
    const jam3: Fault = { ...jam, subunit: { group: 'mediaPath', index: 3 }, message: 'Jam 3' };
    expect(faultKey(jam)).not.toBe(faultKey(jam3));
    const r = run([snap({ faults: [jam, jam3, door] }), snap({ faults: [jam, jam3, door] }), snap({ faults: [jam3] }), snap({ faults: [jam3] })]);
    expect(r.kinds).toEqual([[], ['fault.raised', 'fault.raised', 'fault.raised'], [], ['fault.cleared', 'fault.cleared']]);
    expect(r.steps[3]!.map((e) => (e.kind === 'fault.cleared' ? e.fault.code : ''))).toEqual(['jam', 'door.open']);
  });

  it('duplicate faults within one snapshot count once', () => {
    expect(run([snap({ faults: [jam, jam] }), snap({ faults: [jam, jam] })]).kinds).toEqual([[], ['fault.raised']]);
  });

  it('failed polls do not count as absence nor presence', () => {
    const r = run([snap({ faults: [jam] }), fail(), snap({ faults: [jam] }), fail(), fail(), snap({}), fail(), snap({})]);
    expect(r.kinds.flat().filter((k) => k.startsWith('fault'))).toEqual(['fault.raised', 'fault.cleared']);
    expect(r.kinds[2]).toEqual(['fault.raised']);
  });

  it('rejects nonsense settings with a clear error', () => {
    expect(() => detectChanges(undefined, snap({}), at(0), { ...DEFAULT_CHANGE_SETTINGS, raiseAfter: 0 })).toThrow(
      /raiseAfter must be an integer >= 1, found 0/,
    );
  });
});

describe('reachability', () => {
  it('unreachable after N failures (since = first failure), reachable again on first success', () => {
    const r = run([snap({}), fail('t1'), fail('t2'), fail('request timed out'), fail('t4'), snap({}), snap({})]);
    expect(r.kinds).toEqual([[], [], [], ['device.unreachable'], [], ['device.reachable'], []]);
    expect(r.steps[3]![0]).toEqual({ kind: 'device.unreachable', since: at(1).toISOString(), consecutiveFailures: 3, lastError: 'request timed out' });
    expect(r.steps[5]![0]).toEqual({ kind: 'device.reachable', since: at(5).toISOString() });
  });

  it('a device that never answered is reported unreachable; intermittent failures are not', () => {
    expect(run([fail(), fail(), fail()]).kinds.flat()).toEqual(['device.unreachable']);
    expect(run([fail(), fail(), snap({}), fail(), fail(), snap({})]).kinds.flat()).toEqual([]);
  });

  it('truncates very long errors to the wire limit', () => {
    const r = run([fail('x'.repeat(5000))], { ...DEFAULT_CHANGE_SETTINGS, unreachableAfter: 1 });
    const e = r.steps[0]![0]!;
    expect(e.kind === 'device.unreachable' && e.lastError.length).toBe(1024);
  });
});

describe('supplies', () => {
  it('reports ok → low → empty once each state is confirmed, with no event on first sighting', () => {
    const r = run([
      snap({ supplies: [toner(40, 'ok')] }),
      snap({ supplies: [toner(9, 'low')] }),
      snap({ supplies: [toner(8, 'low')] }),
      snap({ supplies: [toner(0, 'empty')] }),
      snap({ supplies: [toner(0, 'empty')] }),
    ]);
    expect(r.kinds).toEqual([[], [], ['supply.changed'], [], ['supply.changed']]);
    expect(r.steps[2]![0]).toMatchObject({ from: 'ok', to: 'low', replaced: false, supply: { index: 1, levelPercent: 8 } });
    expect(r.steps[4]![0]).toMatchObject({ from: 'low', to: 'empty', replaced: false });
  });

  it('a level oscillating around the threshold does not flap', () => {
    const outcomes = Array.from({ length: 12 }, (_, i) => snap({ supplies: [i % 2 === 0 ? toner(10, 'ok') : toner(9, 'low')] }));
    expect(run(outcomes).kinds.flat()).toEqual([]);
  });

  it('detects a replacement at once when the level jumps up', () => {
    const r = run([snap({ supplies: [toner(3, 'low')] }), snap({ supplies: [toner(2, 'low')] }), snap({ supplies: [toner(100, 'ok')] })]);
    expect(r.kinds).toEqual([[], [], ['supply.changed']]);
    expect(r.steps[2]![0]).toMatchObject({ from: 'low', to: 'ok', replaced: true, supply: { levelPercent: 100 } });
    // A refill that keeps the state (ok → ok) is still a replacement.
    const same = run([snap({ supplies: [toner(50, 'ok')] }), snap({ supplies: [toner(95, 'ok')] })]);
    expect(same.steps[1]![0]).toMatchObject({ from: 'ok', to: 'ok', replaced: true });
    // Small rises (measurement noise) are not.
    expect(run([snap({ supplies: [toner(50, 'ok')] }), snap({ supplies: [toner(55, 'ok')] })]).kinds.flat()).toEqual([]);
  });

  it('ignores unknown readings and supplies without a percentage', () => {
    const r = run([
      snap({ supplies: [toner(30, 'ok')] }),
      snap({ supplies: [toner(null, 'unknown')] }),
      snap({ supplies: [toner(null, 'unknown')] }),
      snap({ supplies: [toner(29, 'ok')] }),
    ]);
    expect(r.kinds.flat()).toEqual([]);
    const noLevel = run([snap({ supplies: [toner(null, 'ok')] }), snap({ supplies: [toner(null, 'low')] }), snap({ supplies: [toner(null, 'low')] })]);
    expect(noLevel.kinds.flat()).toEqual(['supply.changed']);
  });

  it('a differently named part in the same slot starts fresh', () => {
    const r = run([
      snap({ supplies: [toner(5, 'low')] }),
      snap({ supplies: [toner(5, 'empty', 'Cyan Toner')] }),
      snap({ supplies: [toner(5, 'empty', 'Cyan Toner')] }),
    ]);
    expect(r.kinds.flat()).toEqual([]);
  });
});

describe('identity', () => {
  it('emits identity.changed when another serial answers, and clears the old device’s faults', () => {
    const r = run([snap({ faults: [jam] }), snap({ faults: [jam] }), snap({ serial: 'SN-2' }), snap({ serial: 'SN-2' })]);
    expect(r.kinds).toEqual([[], ['fault.raised'], ['identity.changed', 'fault.cleared'], []]);
    expect(r.steps[2]![0]).toMatchObject({ from: { serial: 'SN-1' }, to: { serial: 'SN-2' } });
  });

  it('does not treat a missing serial as a change', () => {
    const noSerial = snap({});
    if (noSerial.ok) delete noSerial.snapshot.identity.serial;
    expect(run([snap({}), noSerial, snap({})]).kinds.flat()).toEqual([]);
  });
});

describe('purity', () => {
  it('does not mutate the previous memory and is deterministic', () => {
    const first = detectChanges(undefined, snap({ faults: [jam] }), at(0));
    const frozen = JSON.stringify(first.memory);
    const a = detectChanges(first.memory, snap({ faults: [jam] }), at(1));
    const b = detectChanges(first.memory, snap({ faults: [jam] }), at(1));
    expect(JSON.stringify(first.memory)).toBe(frozen);
    expect(a).toEqual(b);
    expect(JSON.parse(JSON.stringify(a.memory))).toEqual(a.memory);
  });
});
