/**
 * A controllable clock for tests: time stands still until the test advances it, and timers
 * fire in due order while it does. Implements shared/clock.ts's Clock.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';

interface Pending {
  id: number;
  due: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private pending: Pending[] = [];

  constructor(start: number | string | Date = '2026-01-05T08:00:00Z') {
    this.current = typeof start === 'number' ? start : new Date(start).getTime();
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { id: this.nextId++, due: this.current + Math.max(0, ms), fn };
    this.pending.push(entry);
    return { id: entry.id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((p) => p.id !== handle.id);
  }

  /** Number of timers not yet fired. */
  get timerCount(): number {
    return this.pending.length;
  }

  /** Moves time forward, firing every timer that falls due, in order, at its own due time. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.pending.sort((a, b) => a.due - b.due || a.id - b.id);
      const next = this.pending[0];
      if (!next || next.due > target) break;
      this.pending.shift();
      this.current = next.due;
      next.fn();
    }
    this.current = target;
  }

  /**
   * Jumps to an instant like a process that was suspended: every timer due by then fires once,
   * in due order, with the clock already at the target; timers they set fire at a later jump.
   * For replaying weeks of history without firing periodic timers thousands of times.
   */
  jump(instant: number | string | Date): void {
    const t = typeof instant === 'number' ? instant : new Date(instant).getTime();
    if (t < this.current) throw new Error(`ManualClock cannot go back from ${new Date(this.current).toISOString()} to ${new Date(t).toISOString()}`);
    this.current = t;
    const due = this.pending.filter((p) => p.due <= t).sort((a, b) => a.due - b.due || a.id - b.id);
    this.pending = this.pending.filter((p) => p.due > t);
    for (const p of due) p.fn();
  }

  /** Jumps to an instant (must not go backwards), firing timers on the way. */
  set(instant: number | string | Date): void {
    const t = typeof instant === 'number' ? instant : new Date(instant).getTime();
    if (t < this.current) throw new Error(`ManualClock cannot go back from ${new Date(this.current).toISOString()} to ${new Date(t).toISOString()}`);
    this.advance(t - this.current);
  }
}
