/**
 * The leader lock in PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a
 * connection of its own, so that no pooled query, transaction or rollback of the store can ever
 * release it by accident.
 *
 * Why an advisory lock rather than a lease row with an expiry: the database releases a session
 * lock the moment the holder's session ends (process killed, connection closed, backend
 * terminated), so a new leader takes over within one `checkInterval` of a crash, with no lease
 * length to tune and no clock comparison between machines. A lease row must outlive pauses of its
 * holder and so delays every take-over by its length. The cost: a leader cut off from the database
 * keeps its session (and the lock) until TCP notices; it cannot commit anything meanwhile, and
 * it steps down itself when its confirmation query times out.
 *
 * The lock key is a 63-bit number derived from the cluster group, so several installations can
 * share one database without sharing a leader.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { connectionSettings } from '../storage/postgresStore.js';
import type { LeaderLock } from './leadership.js';

/** The advisory lock key of a cluster group: the first 63 bits of SHA-256("fleetdesk:leader:<group>"). */
export function leaderLockKey(group: string): bigint {
  const digest = createHash('sha256').update(`fleetdesk:leader:${group}`).digest();
  return digest.readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
}

export interface PgLeaderLockOptions {
  readonly url: string;
  /** When kept out of the URL (storage.password). */
  readonly password?: string;
  readonly group: string;
  readonly instanceId: string;
  /** Connection attempt bound (ms). */
  readonly connectTimeoutMs?: number;
}

export class PgLeaderLock implements LeaderLock {
  private client: pg.Client | undefined;
  private lostCallback: (reason: string) => void = () => undefined;
  readonly key: bigint;

  constructor(private readonly o: PgLeaderLockOptions) {
    this.key = leaderLockKey(o.group);
  }

  onLost(callback: (reason: string) => void): void {
    this.lostCallback = callback;
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      ...connectionSettings(this.o.url, this.o.password),
      application_name: `fleetdesk-leader:${this.o.instanceId}`.slice(0, 63),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: this.o.connectTimeoutMs ?? 5_000,
    });
    // Registered before connect: an error event without a listener would crash the process.
    client.on('error', (err) => this.drop(client, err.message));
    client.on('end', () => this.drop(client, 'connection closed'));
    this.client = client;
    try {
      await client.connect();
    } catch (err) {
      this.drop(client, (err as Error).message);
      throw err;
    }
    return client;
  }

  /** Forgets a failed connection (its session, and the lock with it, is gone or going). */
  private drop(client: pg.Client, reason: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.lostCallback(reason);
  }

  async tryAcquire(): Promise<boolean> {
    const client = await this.connection();
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [this.key.toString()]);
    return r.rows[0]?.ok === true;
  }

  async stillHeld(): Promise<boolean> {
    const client = this.client;
    if (!client) return false;
    // pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
    const r = await client.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
         AND classid::bigint = ($1::bigint >> 32) AND objid::bigint = ($1::bigint & 4294967295) AND objsubid = 1) AS held`,
      [this.key.toString()],
    );
    return r.rows[0]?.held === true;
  }

  async release(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    // Ending the session releases every advisory lock it holds; no separate unlock needed.
    await client.end();
  }
}
