/**
 * Poll scheduling: each device at its interval (± jitter), at most `concurrency` polls at once,
 * a per-poll timeout, back-off for devices that keep failing, and never two polls of one device
 * at the same time. A slow device holds one slot until its timeout, never more, so it cannot
 * delay the rest. Time comes from an injected Clock.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';

export type PollResult = 'ok' | 'failed';

export interface SchedulerOptions {
  clock: Clock;
  intervalMs: number;
  /** Share of the interval used as random spread, 0..0.5. */
  jitter: number;
  concurrency: number;
  timeoutMs: number;
  /** Failures before back-off starts (the unreachable threshold). */
  backoffAfter: number;
  /** Longest delay between polls of a failing device. */
  maxBackoffMs: number;
  /** The poll itself; must honour the abort signal. A rejection counts as a failure. */
  poll: (deviceId: string, signal: AbortSignal) => Promise<PollResult>;
  /** Called when a poll timed out (the poll then counts as failed). */
  onTimeout?: (deviceId: string) => void;
  random?: () => number;
}

interface Entry {
  readonly id: string;
  timer: TimerHandle | null;
  /** Queued for a free slot. */
  queued: boolean;
  /** A poll (possibly timed out but not yet settled) is in progress. */
  running: boolean;
  /** The slot was given back after a timeout while the poll still runs. */
  released: boolean;
  failures: number;
  /** When the current poll started: the next one is due relative to this, not to its end. */
  startedAt: number;
  /** Re-poll as soon as the current poll ends (trap or command arrived mid-poll). */
  again: boolean;
  removed: boolean;
}

export interface SchedulerStats {
  readonly devices: number;
  readonly running: number;
  readonly queued: number;
  readonly timeouts: number;
  readonly skippedOverlaps: number;
}

/** Delay before the next poll after `failures` consecutive failures (pure). */
export function nextDelay(intervalMs: number, failures: number, backoffAfter: number, maxBackoffMs: number): number {
  if (failures < backoffAfter) return intervalMs;
  const doublings = Math.min(failures - backoffAfter + 1, 30);
  return Math.min(intervalMs * 2 ** doublings, Math.max(intervalMs, maxBackoffMs));
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly ready: Entry[] = [];
  private slots = 0;
  private started = false;
  private stopping = false;
  private timeouts = 0;
  private skippedOverlaps = 0;
  private readonly random: () => number;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: SchedulerOptions) {
    if (opts.concurrency < 1) throw new Error(`scheduler concurrency must be >= 1, found ${opts.concurrency}`);
    this.random = opts.random ?? Math.random;
  }

  /** Starts polling; devices added before start get a random first delay within the jitter window. */
  start(): void {
    this.started = true;
    for (const e of this.entries.values()) this.arm(e, this.firstDelay());
  }

  add(id: string): void {
    if (this.entries.has(id)) return;
    const entry: Entry = { id, timer: null, queued: false, running: false, released: false, failures: 0, startedAt: 0, again: false, removed: false };
    this.entries.set(id, entry);
    if (this.started && !this.stopping) this.arm(entry, this.firstDelay());
  }

  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.removed = true;
    if (e.timer) this.opts.clock.clearTimeout(e.timer);
    this.entries.delete(id);
    const i = this.ready.indexOf(e);
    if (i >= 0) this.ready.splice(i, 1);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Poll a device as soon as a slot is free (trap, command); merges with a poll in progress. */
  pollNow(id: string): boolean {
    const e = this.entries.get(id);
    if (!e || this.stopping) return false;
    if (e.running) {
      e.again = true;
      return true;
    }
    if (e.timer) this.opts.clock.clearTimeout(e.timer);
    e.timer = null;
    this.enqueue(e);
    return true;
  }

  stats(): SchedulerStats {
    return { devices: this.entries.size, running: this.slots, queued: this.ready.length, timeouts: this.timeouts, skippedOverlaps: this.skippedOverlaps };
  }

  /** Stops scheduling and waits (up to `graceMs`) for polls in progress. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const e of this.entries.values()) if (e.timer) this.opts.clock.clearTimeout(e.timer);
    this.ready.length = 0;
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  private firstDelay(): number {
    return Math.floor(this.random() * this.opts.intervalMs * this.opts.jitter);
  }

  private jittered(delay: number): number {
    const spread = delay * this.opts.jitter;
    return Math.max(0, Math.round(delay - spread + this.random() * 2 * spread));
  }

  private arm(e: Entry, delay: number): void {
    if (e.timer) this.opts.clock.clearTimeout(e.timer);
    e.timer = this.opts.clock.setTimeout(() => {
      e.timer = null;
      if (e.running) {
        // The previous poll (timed out) has still not settled: skip this turn rather than overlap.
        this.skippedOverlaps++;
        this.arm(e, this.jittered(this.opts.intervalMs));
        return;
      }
      this.enqueue(e);
    }, delay);
  }

  private enqueue(e: Entry): void {
    if (e.queued || e.removed || this.stopping) return;
    e.queued = true;
    this.ready.push(e);
    this.pump();
  }

  private pump(): void {
    while (this.slots < this.opts.concurrency && this.ready.length > 0 && !this.stopping) {
      const e = this.ready.shift()!;
      e.queued = false;
      if (e.removed) continue;
      this.launch(e);
    }
  }

  private launch(e: Entry): void {
    this.slots++;
    e.running = true;
    e.released = false;
    e.startedAt = this.opts.clock.now();
    const controller = new AbortController();
    let settled = false;
    const finish = (result: PollResult) => {
      if (settled) return;
      settled = true;
      this.opts.clock.clearTimeout(timeout);
      if (!e.released) this.slots--;
      e.released = true;
      e.failures = result === 'ok' ? 0 : e.failures + 1;
      if (!e.removed && !this.stopping) {
        if (e.again) {
          e.again = false;
          this.arm(e, 0);
        } else {
          const delay = this.jittered(nextDelay(this.opts.intervalMs, e.failures, this.opts.backoffAfter, this.opts.maxBackoffMs));
          this.arm(e, Math.max(0, e.startedAt + delay - this.opts.clock.now()));
        }
      }
      this.pump();
    };
    const timeout = this.opts.clock.setTimeout(() => {
      this.timeouts++;
      controller.abort(new Error(`poll of ${e.id} timed out after ${this.opts.timeoutMs} ms`));
      this.opts.onTimeout?.(e.id);
      finish('failed');
    }, this.opts.timeoutMs);
    let promise: Promise<PollResult>;
    try {
      promise = this.opts.poll(e.id, controller.signal);
    } catch {
      promise = Promise.resolve('failed');
    }
    const tracked = promise
      .then(
        (r) => r,
        (): PollResult => 'failed',
      )
      .then((r) => {
        // The device is free for its next poll only when the poll really ended.
        e.running = false;
        this.inFlight.delete(tracked);
        finish(r);
      });
    this.inFlight.add(tracked);
  }
}
