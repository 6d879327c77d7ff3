/**
 * Which server instance runs the time-driven work (ticket timers, agent staleness): the leader.
 * Everything else (ingest, API, live updates) runs on every instance.
 *
 * Two implementations:
 *  - `SingleProcessLeadership`: one instance (lowdb storage), leader from start() to stop();
 *  - `LockLeadership` over a `LeaderLock` (PostgreSQL session advisory lock, pgLeaderLock.ts):
 *    followers try to take the lock every `checkInterval`; the leader confirms every
 *    `checkInterval` that it still holds it and steps down AT ONCE (before anything else) when
 *    the confirmation fails, times out, or the lock's connection reports an error.
 *
 * Leadership only decides who fires timers; it is not what makes them fire once. The timer work
 * runs in store transactions over state that records what was done (a warned ticket is marked
 * warned), and each timer writes the record it decides on (the ticket, its next-due entry, the
 * planned stop or hold it consumes), so an old leader that has not yet noticed its loss and the
 * new one cannot both commit the same warning: two units writing one row conflict even at
 * PostgreSQL's REPEATABLE READ, and the one run again finds nothing left to do (docs/server.md,
 * "Isolation and guards"). Leadership keeps the work on one instance; the database makes it exact.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';

export interface Leadership {
  isLeader(): boolean;
  /** Called with the new state on every change; returns the unsubscribe function. */
  onChange(listener: (leader: boolean) => void): () => void;
  start(): void;
  /** Steps down (listeners hear `false` first) and releases the lock. */
  stop(): Promise<void>;
}

/** Leader listeners, called in order; one failing listener does not stop the others. */
class Listeners {
  private readonly set = new Set<(leader: boolean) => void>();
  constructor(private readonly logger?: Logger) {}
  add(l: (leader: boolean) => void): () => void {
    this.set.add(l);
    return () => this.set.delete(l);
  }
  emit(leader: boolean): void {
    for (const l of this.set) {
      try {
        l(leader);
      } catch (err) {
        this.logger?.error({ err, leader }, 'leadership listener failed');
      }
    }
  }
}

/** One server instance: it is the leader while it runs. */
export class SingleProcessLeadership implements Leadership {
  private leader = false;
  private readonly listeners: Listeners;
  constructor(logger?: Logger) {
    this.listeners = new Listeners(logger);
  }
  isLeader(): boolean {
    return this.leader;
  }
  onChange(listener: (leader: boolean) => void): () => void {
    return this.listeners.add(listener);
  }
  start(): void {
    if (this.leader) return;
    this.leader = true;
    this.listeners.emit(true);
  }
  stop(): Promise<void> {
    if (this.leader) {
      this.leader = false;
      this.listeners.emit(false);
    }
    return Promise.resolve();
  }
}

/** A lock that at most one instance holds at a time (e.g. a PostgreSQL session advisory lock). */
export interface LeaderLock {
  /** Tries to take the lock without waiting; true when this instance holds it. */
  tryAcquire(): Promise<boolean>;
  /** Whether this instance still holds it (its connection alive, the lock granted). */
  stillHeld(): Promise<boolean>;
  /** Gives it up (closing its connection releases it even if the unlock itself fails). */
  release(): Promise<void>;
  /** Registers the callback for an asynchronous loss (the lock's connection failed). */
  onLost(callback: (reason: string) => void): void;
}

export interface LockLeadershipOptions {
  readonly lock: LeaderLock;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** How often a follower tries to take the lock and the leader confirms it holds it. */
  readonly checkIntervalMs: number;
  /** A try or a confirmation that takes longer counts as failed (the leader steps down). */
  readonly checkTimeoutMs: number;
  /** For logs. */
  readonly instanceId: string;
}

const TIMED_OUT = Symbol('timed out');

export class LockLeadership implements Leadership {
  private leader = false;
  private running = false;
  private timer: TimerHandle | undefined;
  private checking = false;
  private readonly listeners: Listeners;

  constructor(private readonly o: LockLeadershipOptions) {
    this.listeners = new Listeners(o.logger);
    o.lock.onLost((reason) => this.stepDown(`lock connection lost: ${reason}`));
  }

  isLeader(): boolean {
    return this.leader;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    return this.listeners.add(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.stepDown('stopping', false);
    await this.o.lock.release().catch((err: unknown) => this.o.logger?.warn({ err }, 'releasing the leader lock failed'));
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      void this.check().finally(() => this.schedule(this.o.checkIntervalMs));
    }, ms);
  }

  /** One round: a follower tries to become leader; the leader confirms it still is. */
  private async check(): Promise<void> {
    if (this.checking || !this.running) return;
    this.checking = true;
    try {
      if (this.leader) {
        const held = await this.bounded(this.o.lock.stillHeld());
        if (held !== true)
          this.stepDown(
            held === TIMED_OUT ? 'lock confirmation timed out' : held instanceof Error ? `lock confirmation failed: ${held.message}` : 'lock no longer held',
          );
      } else {
        const got = await this.bounded(this.o.lock.tryAcquire());
        if (got === true && this.running) {
          this.leader = true;
          this.o.logger?.info({ instance: this.o.instanceId }, 'this instance is now the leader (runs ticket timers and staleness checks)');
          this.listeners.emit(true);
        } else if (got === TIMED_OUT || got instanceof Error) {
          this.o.logger?.warn({ err: got === TIMED_OUT ? 'timed out' : got.message }, 'cannot reach the database to take the leader lock; retrying');
          // Whatever the late answer is, do not keep a half-taken lock on a connection we gave up on.
          await this.o.lock.release().catch(() => undefined);
        } else if (got === true) {
          await this.o.lock.release().catch(() => undefined);
        }
      }
    } finally {
      this.checking = false;
    }
  }

  /** The lock call's result, its error, or TIMED_OUT when it took longer than checkTimeout. */
  private bounded<T>(work: Promise<T>): Promise<T | Error | typeof TIMED_OUT> {
    return new Promise((resolve) => {
      const t = this.o.clock.setTimeout(() => resolve(TIMED_OUT), this.o.checkTimeoutMs);
      work.then(
        (v) => {
          this.o.clock.clearTimeout(t);
          resolve(v);
        },
        (err: unknown) => {
          this.o.clock.clearTimeout(t);
          resolve(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /** Stops being leader now (listeners stop the timers), then drops the lock's connection. */
  private stepDown(why: string, release = true): void {
    if (!this.leader) return;
    this.leader = false;
    // A stop hands over on purpose (info); a lost lock or a failed check is worth a warning.
    const log = { instance: this.o.instanceId, why };
    if (why === 'stopping') this.o.logger?.info(log, 'this instance is no longer the leader');
    else this.o.logger?.warn(log, 'this instance is no longer the leader');
    this.listeners.emit(false);
    if (release) void this.o.lock.release().catch(() => undefined);
  }
}
