import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INITIAL_MEMORY } from '../../../agent/diff/changeDetection.js';
import { CRASH_SEQ_GAP, StateStore } from '../../../agent/runtime/stateStore.js';
import { family, Histogram } from '../../../shared/metrics.js';
import { makeTempDir } from '../../harness/peers.js';

const dirs: { remove: () => void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
function file(): string {
  const d = makeTempDir('state');
  dirs.push(d);
  return join(d.path, 'agent-state.json');
}

describe('StateStore', () => {
  it('round-trips device memory; sequence numbers continue after a clean stop', () => {
    const path = file();
    new StateStore(path).save(new Map([['d1', { memory: { ...INITIAL_MEMORY, consecutiveFailures: 2 }, seq: 41, stateHash: 'x' }]]), true);
    const loaded = new StateStore(path).load(new Map());
    expect(loaded.cleanShutdown).toBe(true);
    expect(loaded.devices.get('d1')).toEqual({ memory: { ...INITIAL_MEMORY, consecutiveFailures: 2 }, seq: 41 });
  });

  it('after a crash, numbering jumps past anything that may have been used', () => {
    const path = file();
    new StateStore(path).save(new Map([['d1', { memory: INITIAL_MEMORY, seq: 41 }]]), false);
    const loaded = new StateStore(path).load(
      new Map([
        ['d1', 45],
        ['d2', 7],
      ]),
    );
    expect(loaded.cleanShutdown).toBe(false);
    expect(loaded.devices.get('d1')!.seq).toBe(45 + CRASH_SEQ_GAP);
    expect(loaded.devices.get('d2')!.seq).toBe(7 + CRASH_SEQ_GAP);
  });

  it('an unreadable file is reported, not fatal, and numbering still moves on', () => {
    const path = file();
    writeFileSync(path, '{"version":1,"devi');
    const loaded = new StateStore(path).load(new Map([['d1', 3]]));
    expect(loaded.problem).toMatch(/agent-state.json is unreadable/);
    expect(loaded.devices.get('d1')!.seq).toBe(3 + CRASH_SEQ_GAP);
  });

  it('names the file when saving fails', () => {
    expect(() => new StateStore('/nonexistent-dir/x/state.json').save(new Map(), true)).toThrow(/cannot save agent state to \/nonexistent-dir\/x\/state.json/);
  });
});

describe('metrics text', () => {
  it('renders counters, gauges with escaped labels and cumulative histograms', () => {
    expect(family('x_total', 'counter', 'Things.', 3)).toBe('# HELP x_total Things.\n# TYPE x_total counter\nx_total 3');
    expect(family('g', 'gauge', 'G.', [{ value: 1, labels: { lane: 'a"b' } }])).toContain('g{lane="a\\"b"} 1');
    const h = new Histogram('d_seconds', 'D.', [0.1, 1]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    const text = h.render();
    expect(text).toContain('d_seconds_bucket{le="0.1"} 1');
    expect(text).toContain('d_seconds_bucket{le="1"} 2');
    expect(text).toContain('d_seconds_bucket{le="+Inf"} 3');
    expect(text).toContain('d_seconds_sum 5.55');
    expect(text).toContain('d_seconds_count 3');
  });
});
