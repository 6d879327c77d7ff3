import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/manualClock.js';

describe('ManualClock', () => {
  it('fires timers in due order at their own time', () => {
    const clock = new ManualClock(0);
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    clock.setTimeout(() => clock.setTimeout(() => fired.push(['nested', clock.now()]), 50), 120);
    clock.advance(150);
    expect(fired).toEqual([['a', 100]]);
    clock.advance(100);
    expect(fired).toEqual([
      ['a', 100],
      ['nested', 170],
      ['b', 200],
    ]);
    expect(clock.now()).toBe(250);
  });

  it('cancels timers and refuses to go back in time', () => {
    const clock = new ManualClock('2026-01-01T00:00:00Z');
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(h);
    clock.advance(20);
    expect(fired).toBe(false);
    expect(() => clock.set('2025-12-31T00:00:00Z')).toThrow(/cannot go back/);
  });
});
