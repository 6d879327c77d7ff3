import { describe, expect, it } from 'vitest';
import { RepeatingTask } from '../../../server/cluster/repeatingTask.js';
import { ManualClock } from '../../harness/manualClock.js';

/** Lets the run's promise and its finally() settle after a timer fired. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('RepeatingTask', () => {
  it('runs first after firstDelayMs, then intervalMs after each run ended; a failed run is reported and the next still comes', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const runs: number[] = [];
    const errors: unknown[] = [];
    const task = new RepeatingTask({
      clock,
      firstDelayMs: 1_000,
      intervalMs: () => 10_000,
      run: () => {
        runs.push(clock.now() - start);
        return runs.length === 2 ? Promise.reject(new Error('second run failed')) : Promise.resolve();
      },
      onError: (err) => errors.push(err),
    });
    task.start();
    task.start(); // a second start arms nothing more
    clock.advance(999);
    await settle();
    expect(runs).toEqual([]);
    clock.advance(1);
    await settle();
    expect(runs).toEqual([1_000]);
    clock.advance(10_000);
    await settle();
    clock.advance(10_000);
    await settle();
    expect(runs).toEqual([1_000, 11_000, 21_000]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['second run failed']);
    task.stop();
    clock.advance(100_000);
    await settle();
    expect(runs).toHaveLength(3);
  });

  it('never overlaps: the next wait starts when a slow run ends, read from intervalMs then', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    let interval = 5_000;
    let release: () => void = () => undefined;
    const runs: number[] = [];
    const task = new RepeatingTask({
      clock,
      firstDelayMs: 0,
      intervalMs: () => interval,
      run: () => {
        runs.push(clock.now() - start);
        return new Promise<void>((resolve) => (release = resolve));
      },
      onError: () => undefined,
    });
    task.start();
    clock.advance(0);
    await settle();
    clock.advance(60_000); // the first run is still going: no second one
    await settle();
    expect(runs).toEqual([0]);
    interval = 2_000;
    release();
    await settle();
    clock.advance(2_000);
    await settle();
    expect(runs).toEqual([0, 62_000]);
    task.stop();
  });
});
