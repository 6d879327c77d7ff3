/**
 * The cluster bus over PostgreSQL LISTEN/NOTIFY, on a connection of its own (a pooled connection
 * would lose its LISTEN when returned). Notes published in the same turn of the event loop are
 * packed into few payloads (each < 8000 bytes) and sent with one statement; every instance
 * LISTENs on the group's channel and ignores its own notes (no echo).
 *
 * Bounded: at most `maxQueued` notes wait for the database; beyond that, and while the
 * connection is down, notes are dropped and counted (live updates are hints: see clusterBus.ts).
 * A lost connection is re-opened with a growing delay (up to 10 s) and LISTENs again.
 */
import pg from 'pg';
import { connectionSettings } from '../storage/postgresStore.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { packNotes, unpackNotes, type BusNote, type ClusterBus } from './clusterBus.js';

export interface PgNotifyBusOptions {
  readonly url: string;
  /** When kept out of the URL (storage.password). */
  readonly password?: string;
  readonly group: string;
  readonly instanceId: string;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly maxQueued?: number;
}

/** The NOTIFY channel of a cluster group (a quoted identifier: any case, '-' allowed, ≤ 63 bytes). */
export function busChannel(group: string): string {
  return `fleetdesk:${group}`;
}

export class PgNotifyBus implements ClusterBus {
  readonly instanceId: string;
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly handlers = new Set<(note: BusNote, from: string) => void>();
  private queue: BusNote[] = [];
  private flushing = false;
  private flushScheduled = false;
  private seq = 1;
  private closed = false;
  private retryTimer: TimerHandle | undefined;
  private retryMs = 250;
  /** Notes dropped (queue full, too big, or the database unreachable): a metric. */
  dropped = 0;
  /** Notes received from other instances. */
  received = 0;

  constructor(private readonly o: PgNotifyBusOptions) {
    this.instanceId = o.instanceId;
  }

  /** Connects and LISTENs; resolves once listening (the first time) or rejects with why not. */
  start(): Promise<void> {
    return this.connect();
  }

  private connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    const attempt = (async () => {
      const client = new pg.Client({
        ...connectionSettings(this.o.url, this.o.password),
        application_name: `fleetdesk-bus:${this.o.instanceId}`.slice(0, 63),
        keepAlive: true,
        connectionTimeoutMillis: 5_000,
      });
      client.on('error', (err) => this.lost(client, err.message));
      client.on('end', () => this.lost(client, 'connection closed'));
      client.on('notification', (n) => {
        if (n.channel === busChannel(this.o.group) && n.payload !== undefined) this.deliver(n.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN "${busChannel(this.o.group)}"`);
      } catch (err) {
        client.removeAllListeners('end');
        client.on('error', () => undefined);
        await client.end().catch(() => undefined);
        throw err;
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.retryMs = 250;
      this.scheduleFlush();
    })();
    this.connecting = attempt;
    void attempt.then(
      () => {
        this.connecting = undefined;
      },
      (err: Error) => {
        this.connecting = undefined;
        this.o.logger?.warn({ err: err.message }, 'cluster bus: cannot connect to PostgreSQL; retrying');
        this.retryLater();
      },
    );
    return attempt;
  }

  private lost(client: pg.Client, reason: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.o.logger?.warn({ reason }, 'cluster bus: connection lost; reconnecting (live updates from other instances pause meanwhile)');
    this.retryLater();
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect().catch(() => undefined);
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }

  private deliver(payload: string): void {
    const parsed = unpackNotes(payload);
    if (!parsed || parsed.from === this.instanceId) return;
    for (const note of parsed.notes) {
      this.received += 1;
      for (const h of this.handlers) {
        try {
          h(note, parsed.from);
        } catch (err) {
          this.o.logger?.error({ err, kind: note.kind }, 'cluster bus handler failed');
        }
      }
    }
  }

  publish(note: BusNote): boolean {
    if (this.closed || this.queue.length >= (this.o.maxQueued ?? 10_000)) {
      this.dropped += 1;
      return false;
    }
    this.queue.push(note);
    this.scheduleFlush();
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing || this.queue.length === 0) return;
    this.flushScheduled = true;
    // Everything published in this turn of the event loop goes out together.
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const client = this.client;
    if (!client || this.flushing) return;
    const notes = this.queue;
    this.queue = [];
    this.flushing = true;
    try {
      const packed = packNotes(this.instanceId, this.seq, notes);
      this.seq = packed.nextSeq;
      if (packed.tooBig.length > 0) {
        this.dropped += packed.tooBig.length;
        this.o.logger?.warn({ kinds: packed.tooBig.map((n) => n.kind) }, 'cluster bus: note larger than a NOTIFY payload dropped');
      }
      if (packed.payloads.length > 0) await client.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [busChannel(this.o.group), packed.payloads]);
    } catch (err) {
      this.dropped += notes.length;
      this.o.logger?.warn({ err: (err as Error).message, notes: notes.length }, 'cluster bus: NOTIFY failed; notes dropped');
    } finally {
      this.flushing = false;
      this.scheduleFlush();
    }
  }

  subscribe(handler: (note: BusNote, from: string) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.connecting?.catch(() => undefined);
    // Send what is queued before leaving.
    if (this.queue.length > 0 && this.client && !this.flushing) await this.flush();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
