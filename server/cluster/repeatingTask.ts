/**
 * A job the leader repeats on the injected clock: first `firstDelayMs` after `start()`, then
 * `intervalMs` after each run ended, so two runs never overlap however long one takes. A failed
 * run is reported to `onError` and the next one still comes. The supply forecast sweep, the
 * missing-meter check and the retention sweep are such jobs.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';

export interface RepeatingTaskOptions {
  readonly clock: Clock;
  readonly firstDelayMs: number;
  /** Read again before each wait, so a setting changed at runtime takes effect from the next run. */
  readonly intervalMs: () => number;
  readonly run: () => Promise<unknown>;
  readonly onError: (err: unknown) => void;
}

export class RepeatingTask {
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(private readonly o: RepeatingTaskOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm(this.o.firstDelayMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delay: number): void {
    if (!this.running) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.o
        .run()
        .catch(this.o.onError)
        .finally(() => this.arm(this.o.intervalMs()));
    }, delay);
  }
}
