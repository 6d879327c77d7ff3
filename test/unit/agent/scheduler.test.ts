import { describe, expect, it } from 'vitest';
import { nextDelay, Scheduler, type PollResult, type SchedulerOptions } from '../../../agent/schedule/scheduler.js';
import { ManualClock } from '../../harness/manualClock.js';

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

interface Call {
  id: string;
  at: number;
  signal: AbortSignal;
  resolve: (r: PollResult) => void;
}

function setup(overrides: Partial<SchedulerOptions> = {}, behaviour: (id: string) => PollResult | 'hang' | 'manual' = () => 'ok') {
  const clock = new ManualClock(0);
  const calls: Call[] = [];
  const active = new Set<string>();
  let maxActive = 0;
  let overlap = false;
  const sched = new Scheduler({
    clock,
    intervalMs: 60_000,
    jitter: 0,
    concurrency: 4,
    timeoutMs: 5_000,
    backoffAfter: 3,
    maxBackoffMs: 600_000,
    random: () => 0.5,
    poll: (id, signal) =>
      new Promise<PollResult>((resolve) => {
        if (active.has(id)) overlap = true;
        active.add(id);
        maxActive = Math.max(maxActive, active.size);
        const done = (r: PollResult) => {
          active.delete(id);
          resolve(r);
        };
        calls.push({ id, at: clock.now(), signal, resolve: done });
        const b = behaviour(id);
        if (b === 'hang') signal.addEventListener('abort', () => done('failed'));
        else if (b !== 'manual') done(b);
      }),
    ...overrides,
  });
  const advance = async (ms: number, step = 1000) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(Math.min(step, ms - t));
      await flush();
    }
  };
  return { clock, calls, sched, advance, stats: () => ({ maxActive, overlap }) };
}

describe('nextDelay', () => {
  it('keeps the interval until the threshold, then doubles up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((f) => nextDelay(60_000, f, 3, 600_000))).toEqual([
      60_000, 60_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000,
    ]);
  });
});

describe('Scheduler', () => {
  it('polls every device at its interval', async () => {
    const t = setup();
    for (const id of ['a', 'b', 'c']) t.sched.add(id);
    t.sched.start();
    await t.advance(185_000);
    const times = (id: string) => t.calls.filter((c) => c.id === id).map((c) => c.at);
    expect(times('a')).toEqual([0, 60_000, 120_000, 180_000]);
    expect(times('c')).toEqual([0, 60_000, 120_000, 180_000]);
  });

  it('spreads polls with jitter within ± jitter × interval', async () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const t = setup({ jitter: 0.1, random });
    t.sched.add('a');
    t.sched.start();
    await t.advance(1_300_000);
    const times = t.calls.map((c) => c.at);
    const gaps = times.slice(1).map((x, i) => x - times[i]!);
    expect(gaps.length).toBeGreaterThan(15);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(54_000);
      expect(g).toBeLessThanOrEqual(66_000);
    }
    expect(new Set(gaps).size).toBeGreaterThan(1);
  });

  it('never runs more than `concurrency` polls at once and queues the rest', async () => {
    const t = setup({ concurrency: 2 }, () => 'manual');
    for (const id of ['a', 'b', 'c', 'd', 'e']) t.sched.add(id);
    t.sched.start();
    await t.advance(0 + 1);
    expect(t.calls.map((c) => c.id)).toEqual(['a', 'b']);
    expect(t.sched.stats()).toMatchObject({ running: 2, queued: 3 });
    t.calls[0]!.resolve('ok');
    await flush();
    expect(t.calls.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(t.stats().maxActive).toBe(2);
  });

  it('a device that hangs holds a slot only until its timeout; the others keep their schedule', async () => {
    const t = setup({ concurrency: 1 }, (id) => (id === 'slow' ? 'hang' : 'ok'));
    const timedOut: string[] = [];
    t.sched = new Scheduler({ ...(t.sched as unknown as { opts: SchedulerOptions }).opts, onTimeout: (id) => timedOut.push(id) });
    t.sched.add('slow');
    t.sched.add('fast');
    t.sched.start();
    await t.advance(130_000);
    const fast = t.calls.filter((c) => c.id === 'fast').map((c) => c.at);
    expect(fast).toEqual([5_000, 65_000, 125_000]);
    expect(timedOut).toEqual(['slow', 'slow', 'slow']);
    expect(t.calls.filter((c) => c.id === 'slow').every((c) => c.signal.aborted)).toBe(true);
    expect(t.sched.stats().timeouts).toBe(3);
  });

  it('never overlaps two polls of one device, even when a poll ignores the abort', async () => {
    const t = setup({ timeoutMs: 5_000 }, () => 'manual');
    t.sched.add('a');
    t.sched.start();
    await t.advance(200_000);
    // The first poll never settles: the scheduler skips turns instead of starting another.
    expect(t.calls).toHaveLength(1);
    expect(t.sched.stats().skippedOverlaps).toBeGreaterThan(0);
    t.calls[0]!.resolve('ok');
    await t.advance(70_000);
    expect(t.calls.length).toBeGreaterThanOrEqual(2);
    expect(t.stats().overlap).toBe(false);
  });

  it('backs off a failing device and returns to the interval after a success', async () => {
    let failing = true;
    const t = setup({}, () => (failing ? 'failed' : 'ok'));
    t.sched.add('a');
    t.sched.start();
    await t.advance(500_000, 5000);
    // Third failure at 120 s makes it unreachable: then 2x, 4x the interval.
    expect(t.calls.map((c) => c.at)).toEqual([0, 60_000, 120_000, 240_000, 480_000]);
    failing = false;
    await t.advance(600_000, 5000);
    // Next try after 8x (960 s) succeeds: back to the plain interval.
    expect(t.calls.map((c) => c.at).slice(5)).toEqual([960_000, 1_020_000, 1_080_000]);
  });

  it('pollNow polls at once, and merges with a poll in progress', async () => {
    const t = setup({}, () => 'manual');
    t.sched.add('a');
    t.sched.start();
    await t.advance(1);
    expect(t.calls).toHaveLength(1);
    expect(t.sched.pollNow('a')).toBe(true);
    expect(t.calls).toHaveLength(1);
    t.calls[0]!.resolve('ok');
    await flush();
    t.clock.advance(0);
    await flush();
    expect(t.calls).toHaveLength(2);
    t.calls[1]!.resolve('ok');
    await flush();
    await t.advance(10_000);
    expect(t.sched.pollNow('a')).toBe(true);
    await flush();
    expect(t.calls.map((c) => c.at)).toEqual([0, 1, 10_001]);
    expect(t.sched.pollNow('unknown')).toBe(false);
  });

  it('stops scheduling on stop() and removed devices are no longer polled', async () => {
    const t = setup();
    t.sched.add('a');
    t.sched.add('b');
    t.sched.start();
    await t.advance(1);
    t.sched.remove('b');
    await t.advance(60_000);
    expect(t.calls.map((c) => c.id)).toEqual(['a', 'b', 'a']);
    await t.sched.stop();
    await t.advance(120_000);
    expect(t.calls).toHaveLength(3);
    expect(t.clock.timerCount).toBe(0);
  });
});
