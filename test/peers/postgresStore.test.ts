/**
 * The PostgreSQL store against a private PostgreSQL 15 (test/harness/postgres.ts): the shared
 * storage contract, schema migrations, outages, and the ticket service over it with two
 * instances racing on the same faults.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { presetContract } from '../../server/sla/presets.js';
import { SERVER_UNIQUE_KEYS } from '../../server/storage/openRepository.js';
import { PgLeaderLock } from '../../server/cluster/pgLeaderLock.js';
import { PgNotifyBus } from '../../server/cluster/pgNotifyBus.js';
import { PostgresStore } from '../../server/storage/postgresStore.js';
import { StoreFailedError, UniqueKeyViolation } from '../../server/storage/repository.js';
import { MIGRATIONS } from '../../server/storage/migrations/index.js';
import { runMigrations, SchemaTooNewError } from '../../server/storage/schemaMigrations.js';
import { StoredTicketRepository, ticketUniqueKeys } from '../../server/tickets/ticketRepository.js';
import { TicketService } from '../../server/tickets/ticketService.js';
import { ManualClock } from '../harness/manualClock.js';
import { waitUntil } from '../harness/peers.js';
import { startPostgres } from '../harness/postgres.js';
import { usePostgresStores } from '../harness/postgresStores.js';
import { defineRepositoryContract } from '../harness/repositoryContract.js';
import { at, cleared, device, MIN, raised } from '../unit/tickets/fixtures.js';

const pg15 = usePostgresStores();
const openStore = pg15.openStore;

async function sql<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

describe('storage contract: PostgresStore', () => {
  defineRepositoryContract({
    sharedByInstances: true,
    fresh: () => pg15.server().newDatabase('contract'),
    create: (url, options = {}) => new PostgresStore({ url, poolSize: 4, healthCheckMs: 0, ...options }),
  });
});

describe('update: only the changed fields travel', () => {
  it('sends the fields that moved, not the whole record, and the stored record is whole', async () => {
    const url = await pg15.server().newDatabase('update_narrow');
    const store = await openStore(url);
    const supplies = Array.from({ length: 8 }, (_, i) => ({
      index: i,
      name: `Toner ${i}`,
      levelPercent: 50,
      raw: { level: 5000, max: 10000, unit: 'tenthsOfGrams' },
    }));
    const device = { key: 'd1', identity: { vendor: 'Kyocera', model: 'ECOSYS M2540dn', serial: 'SN-1' }, supplies, counters: { total: 1 }, lastSeen: 't1' };
    await store.transaction((tx) => tx.put('devices', 'd1', device));
    const whole = JSON.stringify(device).length;
    const before = store.stats().bytesWritten;
    await store.transaction(async (tx) => {
      const d = (await tx.get<typeof device>('devices', 'd1'))!;
      await tx.update('devices', 'd1', d, { ...d, counters: { total: 2 }, lastSeen: 't2' });
    });
    const sent = store.stats().bytesWritten - before;
    expect(sent).toBeLessThan(whole / 4);
    expect(await store.get('devices', 'd1')).toEqual({ ...device, counters: { total: 2 }, lastSeen: 't2' });
    // The same through a put: the whole record.
    const again = store.stats().bytesWritten;
    await store.transaction((tx) => tx.put('devices', 'd1', { ...device, lastSeen: 't3' }));
    expect(store.stats().bytesWritten - again).toBeGreaterThan(whole);
  });
});

describe('schema migrations', () => {
  it('apply once, are recorded, and are a no-op on restart', async () => {
    const url = await pg15.server().newDatabase('migrate');
    const first = await openStore(url);
    const last = MIGRATIONS.length;
    expect(MIGRATIONS.slice(0, 3).map((m) => `${m.version}_${m.name}`)).toEqual(['1_initial', '2_number_sequences', '3_ticket_due_index']);
    expect(first.migration).toMatchObject({ from: 0, to: last, applied: MIGRATIONS.map((m) => `${m.version}_${m.name}`) });
    await first.close();
    const second = await openStore(url);
    expect(second.migration).toMatchObject({ from: last, to: last, applied: [] });
    expect(await sql(url, 'SELECT version, name FROM schema_migrations ORDER BY version')).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
  });

  it('instances starting at once migrate exactly once (advisory lock)', async () => {
    const url = await pg15.server().newDatabase('migrate_race');
    const opened = await Promise.all([0, 1, 2].map(() => openStore(url)));
    expect(opened.map((s) => s.migration!.applied.length).sort()).toEqual([0, 0, MIGRATIONS.length]);
    expect(await sql(url, 'SELECT count(*)::int AS n FROM schema_migrations')).toEqual([{ n: MIGRATIONS.length }]);
  });

  it('refuses a database migrated by a newer release, naming both versions', async () => {
    const url = await pg15.server().newDatabase('migrate_newer');
    await (await openStore(url)).close();
    const future = MIGRATIONS.length + 1;
    await sql(url, `INSERT INTO schema_migrations (version, name) VALUES (${future}, 'from the future')`);
    const err = await openStore(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect((err as Error).message).toMatch(new RegExp(`schema is at version ${future} .* knows versions up to ${MIGRATIONS.length}`));
  });

  it('a failing step rolls back entirely and names the step', async () => {
    const url = await pg15.server().newDatabase('migrate_fail');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const steps = [
        { version: 1, name: 'ok', sql: 'CREATE TABLE a (x int)' },
        { version: 2, name: 'broken', sql: 'CREATE TABLE b (x nonsense_type)' },
      ];
      await expect(runMigrations(c, steps)).rejects.toThrow(/schema migration 2 \(broken\) failed: .*nonsense_type/);
      expect((await c.query("SELECT to_regclass('a') AS t")).rows[0]).toEqual({ t: null });
      expect(await runMigrations(c, steps.slice(0, 1))).toMatchObject({ from: 0, to: 1, applied: ['1_ok'] });
    } finally {
      await c.end();
    }
  });
});

describe('PostgreSQL specifics', () => {
  it('a conflict swallowed inside a savepoint still re-runs the whole unit of work', async () => {
    const url = await pg15.server().newDatabase('conflict_swallowed');
    const a = await openStore(url);
    const b = await openStore(url);
    await a.transaction((tx) => tx.put('counters', 'c', { n: 0 }));
    let attempts = 0;
    let bCommitted: Promise<void> | undefined;
    const seen: unknown[] = [];
    await a.transaction(async (tx) => {
      attempts += 1;
      const c = (await tx.get<{ n: number }>('counters', 'c'))!.n;
      // Another instance changes the record after this attempt read it (first attempt only).
      bCommitted ??= b.transaction((tb) => tb.put('counters', 'c', { n: 100 }));
      await bCommitted;
      try {
        // Writes wait in memory until something must reach the database: the listing sends this one.
        await tx.savepoint(async () => {
          await tx.put('counters', 'c', { n: c + 1 });
          await tx.list('counters');
        });
      } catch (err) {
        seen.push(err); // like an event bus that logs and goes on
      }
    });
    expect(attempts).toBe(2);
    expect(seen[0]).toMatchObject({ name: 'TransactionConflictError' });
    expect(await a.get('counters', 'c')).toEqual({ n: 101 });
    expect(a.conflictStats().retries).toBe(1);
  });

  it('write-behind: a savepoint that had to reach the database rolls back exactly its own writes and claims', async () => {
    const store = await openStore(await pg15.server().newDatabase('write_behind'));
    await store.transaction(async (tx) => {
      await tx.put('things', 'a', { n: 1 });
      expect(await tx.claimMessage('m-outer')).toBe(true);
      await expect(
        tx.savepoint(async () => {
          await tx.put('things', 'a', { n: 2 });
          await tx.put('things', 'b', { n: 2 });
          expect(await tx.claimMessage('m-inner')).toBe(true);
          // Sends the outer write before the SQL SAVEPOINT and the inner ones after it.
          expect((await tx.list<{ n: number }>('things')).map((t) => t.n)).toEqual([2, 2]);
          throw new Error('bad message');
        }),
      ).rejects.toThrow('bad message');
      expect(await tx.get('things', 'a')).toEqual({ n: 1 });
      expect(await tx.get('things', 'b')).toBeUndefined();
      expect(await tx.claimMessage('m-inner')).toBe(true);
      await tx.put('things', 'c', { n: 3 });
      await tx.archive('things', 'c', { n: 3 }, new Date('2026-12-01T00:00:00Z'));
    });
    expect(await store.list('things')).toEqual([{ n: 1 }]);
    expect(await store.archiveMonths('things')).toEqual(['2026-12']);
    expect(await store.transaction(async (tx) => [await tx.claimMessage('m-outer'), await tx.claimMessage('m-inner')])).toEqual([false, false]);
  });

  it('a message id claimed by another instance after this unit looked re-runs the unit, which then sees a duplicate', async () => {
    const url = await pg15.server().newDatabase('claim_race');
    const a = await openStore(url);
    const b = await openStore(url);
    let other: Promise<boolean> | undefined;
    const verdicts: boolean[] = [];
    await a.transaction(async (tx) => {
      await tx.prefetch([], ['m1']);
      const claimed = await tx.claimMessage('m1');
      // The other instance commits the same id while this unit still holds its claim in memory.
      other ??= b.transaction((tb) => tb.claimMessage('m1'));
      await other;
      verdicts.push(claimed);
    });
    expect(await other).toBe(true);
    expect(verdicts).toEqual([true, false]);
  });

  /**
   * Two admins, each unit revokes one unless it would leave none: the check reads the record the
   * other unit writes. A waits, between its read and its write, until B has committed.
   */
  async function revokeRace(guarded: boolean): Promise<{ attemptsA: number; left: string[] }> {
    const url = await pg15.server().newDatabase(guarded ? 'skew_guarded' : 'skew_unguarded');
    const a = await openStore(url);
    const b = await openStore(url);
    await a.transaction(async (tx) => {
      await tx.put('tokens', 'x', { active: true });
      await tx.put('tokens', 'y', { active: true });
    });
    const revoke = (store: PostgresStore, id: string, other: string, between: () => Promise<unknown> = () => Promise.resolve()) =>
      store.transaction(async (tx) => {
        if (guarded) await tx.guard('tokens:admins');
        const others = await tx.get<{ active: boolean }>('tokens', other);
        await between();
        if (!others?.active) return false;
        await tx.put('tokens', id, { active: false });
        return true;
      });
    let attemptsA = 0;
    let bDone: Promise<boolean> | undefined;
    await revoke(a, 'x', 'y', () => {
      attemptsA += 1;
      bDone ??= revoke(b, 'y', 'x');
      return bDone;
    });
    expect(await bDone).toBe(true);
    const rows = await sql<{ id: string }>(url, "SELECT id FROM records WHERE collection = 'tokens' AND (value->>'active')::boolean ORDER BY id");
    return { attemptsA, left: rows.map((r) => r.id) };
  }

  it('snapshot isolation lets write skew through (why guards exist): both revocations commit, no admin left', async () => {
    expect(await revokeRace(false)).toEqual({ attemptsA: 1, left: [] });
  });

  it('guard: the same race with both units guarding one key runs as if one after the other; the re-run sees the revocation and refuses', async () => {
    expect(await revokeRace(true)).toEqual({ attemptsA: 2, left: ['x'] });
  });

  it('a record deleted or archived by another instance after this unit read it (get or list) is not written back: the unit runs again and finds it gone', async () => {
    const url = await pg15.server().newDatabase('resurrect');
    const a = await openStore(url);
    const b = await openStore(url);
    await a.transaction(async (tx) => {
      await tx.put('things', 'x', { id: 'x', n: 1 });
      await tx.put('things', 'y', { id: 'y', n: 1 });
    });
    for (const [read, gone] of [
      ['get', 'delete'],
      ['list', 'archive'],
    ] as const) {
      const id = read === 'get' ? 'x' : 'y';
      let other: Promise<void> | undefined;
      const seen: (number | undefined)[] = [];
      await a.transaction(async (tx) => {
        type Thing = { id: string; n: number };
        const v = read === 'get' ? await tx.get<Thing>('things', id) : (await tx.list<Thing>('things')).find((t) => t.id === id);
        seen.push(v?.n);
        other ??= b.transaction((tb) =>
          gone === 'delete' ? tb.delete('things', id) : tb.archive('things', id, { id, n: 1 }, new Date('2026-12-01T00:00:00Z')),
        );
        await other;
        if (v) await tx.put('things', id, { id, n: v.n + 1 });
      });
      expect(seen, `${read} then ${gone}`).toEqual([1, undefined]);
      expect(await a.get('things', id), `${read} then ${gone}`).toBeUndefined();
    }
  });

  it('numbers come from a sequence started after the stored counter: no row written per number, an unused number offered again, never reused', async () => {
    const url = await pg15.server().newDatabase('numbers');
    const counter = { collection: 'ticketMeta', id: 'counter' };
    const first = await openStore(url);
    // An installation from before the sequence (or copied by store migrate): its counter record holds 41.
    await first.transaction((tx) => tx.put(counter.collection, counter.id, { lastNumber: 41 }));
    const offered = await first.transaction(async (tx) => {
      const n = await tx.offerNumber(counter);
      await tx.unusedNumber(counter, n);
      return n;
    });
    expect(offered).toBe(42);
    const used = await first.transaction(async (tx) => {
      const n = await tx.offerNumber(counter);
      await tx.useNumber(counter, n);
      return n;
    });
    expect(used).toBe(42);
    // Another instance: its own sequence handle, never a number handed out already.
    const second = await openStore(url);
    const next = await second.transaction((tx) => tx.offerNumber(counter));
    expect(next).toBe(43);
    expect(await first.get(counter.collection, counter.id)).toEqual({ lastNumber: 41 });
    await expect(first.transaction((tx) => tx.offerNumber({ collection: 'ticketMeta', id: 'bad id' }))).rejects.toThrow(/invalid counter id "bad id"/);
  });

  it('gives up after maxAttempts with a StoreConflictError, which is a StoreFailedError (not acknowledged)', async () => {
    const url = await pg15.server().newDatabase('conflict_giveup');
    const a = await openStore(url, { maxAttempts: 1 });
    const b = await openStore(url);
    await a.transaction((tx) => tx.put('counters', 'c', { n: 0 }));
    const err = await a
      .transaction(async (tx) => {
        await tx.get('counters', 'c');
        await b.transaction((tb) => tb.put('counters', 'c', { n: 5 }));
        await tx.put('counters', 'c', { n: 1 });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreFailedError);
    expect(err).toMatchObject({ name: 'StoreConflictError', attempts: 1 });
    expect(await a.get('counters', 'c')).toEqual({ n: 5 });
  });

  it('reads a month of more than one page of archive in order; prunes the dedup window by count', async () => {
    const url = await pg15.server().newDatabase('archive_pages');
    const store = await openStore(url, { dedupWindow: 1000, pruneEvery: 100 });
    await store.transaction(async (tx) => {
      for (let i = 0; i < 1205; i++) await tx.archive('events', `e${i}`, { i }, new Date(Date.UTC(2026, 4, 1, 0, 0, i)));
    });
    const ids: string[] = [];
    for await (const r of store.readArchive<{ i: number }>('events', '2026-05')) ids.push(r.id);
    expect(ids).toHaveLength(1205);
    expect(ids.slice(998, 1002)).toEqual(['e998', 'e999', 'e1000', 'e1001']);
    expect(ids.at(-1)).toBe('e1204');
    await store.transaction(async (tx) => {
      for (let i = 0; i < 1500; i++) await tx.claimMessage(`m${i}`);
    });
    await store.prune();
    expect(
      await sql(url, 'SELECT count(*)::int AS n, min(message_id) AS oldest FROM processed_messages WHERE message_id IN ($1, $2)', ['m499', 'm500']),
    ).toEqual([{ n: 1, oldest: 'm500' }]);
    expect(await store.transaction((tx) => tx.claimMessage('m499'))).toBe(true);
  });

  it('refuses ids with NUL characters and non-JSON values with a clear error, leaving the transaction usable', async () => {
    const store = await openStore(await pg15.server().newDatabase('bad_values'));
    const out = await store.transaction(async (tx) => {
      const errors: string[] = [];
      await tx.put('things', 'a\u0000b', 1).catch((e: Error) => errors.push(e.message));
      await tx.put('things', 'x', undefined).catch((e: Error) => errors.push(e.message));
      await tx.put('things', 'ok', { fine: true });
      return errors;
    });
    expect(out).toEqual([expect.stringMatching(/invalid record id .*without NUL/), expect.stringMatching(/record things\/x: value undefined is not JSON/)]);
    expect(await store.get('things', 'ok')).toEqual({ fine: true });
  });
});

describe('a password kept out of the URL (storage.password)', () => {
  it('logs in with it: the store, its health check, the leader lock and the cluster bus; a wrong one is a clear StoreFailedError without the secret', async () => {
    const url = await pg15.server().newDatabase('password_login');
    const db = new URL(url).pathname.slice(1);
    // This role must give a password even though the test cluster trusts `postgres`.
    const hba = join(pg15.server().dir, 'data', 'pg_hba.conf');
    writeFileSync(hba, `host all fd_pw 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
    await sql(url, "CREATE ROLE fd_pw LOGIN PASSWORD 'pw-s3cret:/@?'");
    await sql(url, `GRANT ALL ON SCHEMA public TO fd_pw; ALTER DATABASE ${db} OWNER TO fd_pw`);
    await sql(url, 'SELECT pg_reload_conf()');
    const u = new URL(url);
    u.username = 'fd_pw';
    const bare = u.toString();
    const store = await openStore(bare, { password: 'pw-s3cret:/@?' });
    await store.transaction((tx) => tx.put('things', 'a', { n: 1 }));
    expect(await store.get('things', 'a')).toEqual({ n: 1 });
    expect(await store.healthCheck()).toBe(true);
    const lock = new PgLeaderLock({ url: bare, password: 'pw-s3cret:/@?', group: 'g', instanceId: 'i1' });
    expect(await lock.tryAcquire()).toBe(true);
    await lock.release();
    const bus = new PgNotifyBus({ url: bare, password: 'pw-s3cret:/@?', group: 'g', instanceId: 'i1', clock: new ManualClock(0) });
    await bus.start();
    await bus.close();
    const wrong = new PostgresStore({ url: bare, password: 'not-it', healthCheckMs: 0 });
    const err = await wrong.open().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(StoreFailedError);
    expect((err as Error).message).toMatch(/password authentication failed for user "fd_pw"/);
    expect((err as Error).message).not.toContain('not-it');
  });
});

describe('PostgreSQL outages', () => {
  it('an unreachable server is a StoreFailedError without the password; readiness turns false', async () => {
    const err = await new PostgresStore({ url: `postgres://fleetdesk:hunter2@127.0.0.1:${pg15.server().port + 1}/x`, connectTimeoutMs: 1000, healthCheckMs: 0 })
      .open()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreFailedError);
    expect((err as Error).message).toContain('postgres://fleetdesk:***@127.0.0.1');
    expect((err as Error).message).not.toContain('hunter2');

    const own = await startPostgres();
    try {
      const store = await openStore(await own.newDatabase('outage'), { connectTimeoutMs: 1000 });
      await store.transaction((tx) => tx.put('things', 'a', { n: 1 }));
      expect(await store.healthCheck()).toBe(true);
      await own.stop();
      expect(await store.healthCheck()).toBe(false);
      expect(store.stats()).toMatchObject({
        healthy: false,
        failure: expect.stringMatching(/PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/outage_\d+_\d+ unreachable/) as unknown,
      });
      await expect(store.transaction((tx) => tx.put('things', 'b', { n: 2 }))).rejects.toBeInstanceOf(StoreFailedError);
    } finally {
      await own.stop();
    }
  });
});

describe('a database that refuses writes (issue 16)', () => {
  it('read-only: a unit of work fails as a storage failure (no acknowledgement), even one that swallowed the error; readiness false until writable again', async () => {
    const url = await pg15.server().newDatabase('readonly');
    const db = new URL(url).pathname.slice(1);
    // Changed from another database: a read-only session could not undo it.
    const admin = url.replace(/\/[^/]+$/, '/postgres');
    const store = await openStore(url);
    await store.transaction((tx) => tx.put('things', 'a', { n: 1 }));
    // The database turns read-only; its sessions are cut, as in a failover to a standby.
    await sql(admin, `ALTER DATABASE ${db} SET default_transaction_read_only = on`);
    await sql(admin, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db]);
    try {
      await waitUntil(
        async () => !(await store.healthCheck()) && /refuses writes/.test(store.stats().failure ?? ''),
        'the health check to see a read-only database',
        10_000,
      );
      expect(store.stats()).toMatchObject({ healthy: false, failure: expect.stringMatching(/refuses writes: transactions are read-only/) as unknown });
      // A put inside a savepoint whose error the work swallows (as the ingest does for one bad message): still no commit, no acknowledgement.
      const swallowed = store.transaction(async (tx) => {
        await tx.savepoint(() => tx.put('things', 'b', { n: 2 })).catch(() => undefined);
        return 'done';
      });
      await expect(swallowed).rejects.toBeInstanceOf(StoreFailedError);
      await expect(swallowed).rejects.toThrow(/refuses writes: .*read-only.*nothing of the unit of work was committed/);
      await expect(store.transaction((tx) => tx.put('things', 'c', { n: 3 }))).rejects.toBeInstanceOf(StoreFailedError);
    } finally {
      await sql(admin, `ALTER DATABASE ${db} RESET default_transaction_read_only`);
      await sql(admin, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db]);
    }
    await waitUntil(() => store.healthCheck(), 'the health check to see a writable database', 10_000);
    await store.transaction((tx) => tx.put('things', 'd', { n: 4 }));
    expect(store.stats().healthy).toBe(true);
    expect((await store.list<{ n: number }>('things')).map((t) => t.n).sort()).toEqual([1, 4]);
  });
});

describe('tickets over PostgreSQL', () => {
  function service(store: PostgresStore, clock: ManualClock) {
    return new TicketService({ repository: new StoredTicketRepository(store), clock, contractFor: presetContract, defaultContractId: 'device-vendor' });
  }

  it('two service instances racing on the same faults open each ticket once, numbers never reused', async () => {
    const url = await pg15.server().newDatabase('tickets_race');
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const a = await openStore(url, { uniqueKeys: SERVER_UNIQUE_KEYS });
    const b = await openStore(url, { uniqueKeys: SERVER_UNIQUE_KEYS });
    const [svcA, svcB] = [service(a, clock), service(b, clock)];
    const now = clock.now();
    // The same signal delivered to both instances (a redelivery after a failover), several times.
    await Promise.all([
      svcA.handleEvent(raised('jam', now)),
      svcB.handleEvent(raised('jam', now)),
      svcA.handleEvent(raised('paper.empty', now, { device: device('dev-2') })),
      svcB.handleEvent(raised('paper.empty', now, { device: device('dev-2') })),
      svcB.handleEvent(raised('jam', now)),
      svcA.handleEvent(raised('toner.empty', now, { device: device('dev-3') })),
    ]);
    const active = await new StoredTicketRepository(a).active();
    expect(active.map((t) => t.key).sort()).toEqual(['device:dev-1:jam||', 'device:dev-2:paper.empty||', 'device:dev-3:toner.empty||']);
    // From a sequence: a number taken by a unit that lost the race is skipped (gaps), never given twice.
    const ids = active.map((t) => t.id);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^T\d{6}$/);
    const jam = active.find((t) => t.key === 'device:dev-1:jam||')!;
    expect(jam.faults[0]!.occurrences).toBe(3);
  });

  it('the database refuses a second open ticket for a device and fault code, whoever writes it', async () => {
    const url = await pg15.server().newDatabase('tickets_unique');
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const store = await openStore(url, { uniqueKeys: SERVER_UNIQUE_KEYS });
    const svc = service(store, clock);
    await svc.handleEvent(raised('jam', clock.now()));
    const repo = new StoredTicketRepository(store);
    const [first] = await repo.active();
    const copy = { ...first!, id: 'T999999' };
    const err = await repo.transaction((s) => s.put(copy)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueKeyViolation);
    expect(err).toMatchObject({ collection: 'tickets', id: 'T999999', existingId: 'T000001', key: 'open:device:dev-1|jam||' });
    // Once the first is resolved, it no longer holds the key.
    await svc.act('T000001', { type: 'resolve', by: 'jan', solution: 'cleared' });
    await repo.transaction((s) => s.put(copy));
    expect((await repo.active()).map((t) => t.id).sort()).toEqual(['T000001', 'T999999']);
  });

  it('a ticket stored before subunits keeps its key and still takes its fault on any subunit', async () => {
    const url = await pg15.server().newDatabase('tickets_legacy');
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const store = await openStore(url, { uniqueKeys: SERVER_UNIQUE_KEYS });
    const svc = service(store, clock);
    await svc.handleEvent(raised('toner.empty', clock.now()));
    const repo = new StoredTicketRepository(store);
    const [stored] = await repo.active();
    // As an older version wrote it: faults without a subunit, the unique key device + code.
    await repo.transaction((s) => s.put({ ...stored!, faults: stored!.faults.map(({ subunit: _none, ...f }) => f) }));
    expect(ticketUniqueKeys(await repo.get(stored!.id))).toEqual(['open:device:dev-1|toner.empty']);
    clock.advance(MIN);
    await svc.handleEvent(raised('toner.empty', clock.now(), { subunit: { group: 'markerSupplies', index: 3, name: 'Magenta' } }));
    expect((await repo.active()).map((t) => [t.id, t.faults.map((f) => f.occurrences)])).toEqual([[stored!.id, [2]]]);
  });

  it('the timer tick reads the tickets due through the ticketDue btree index (migration 0003), each timer once across instances', async () => {
    const url = await pg15.server().newDatabase('tickets_due');
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const a = await openStore(url, { uniqueKeys: SERVER_UNIQUE_KEYS });
    const b = await openStore(url, { uniqueKeys: SERVER_UNIQUE_KEYS });
    const [svcA, svcB] = [service(a, clock), service(b, clock)];
    await svcA.tick();
    for (let i = 0; i < 6; i++) await (i % 2 ? svcA : svcB).handleEvent(raised('jam', clock.now(), { device: device(`dev-${i}`) }));
    clock.advance(MIN);
    for (let i = 0; i < 3; i++) await svcB.handleEvent(cleared('jam', clock.now(), `dev-${i}`));
    const repo = new StoredTicketRepository(a);
    const policyKey = JSON.stringify({ quietPeriodMs: 15 * MIN, reopenWindowMs: 24 * 60 * MIN });
    expect(await repo.firstDue(policyKey)).toBe(clock.now() + 15 * MIN);
    clock.advance(15 * MIN);
    // Both instances tick at once (a leader change mid-tick): each resolution happens once.
    const [na, nb] = await Promise.all([svcA.tick(), svcB.tick()]);
    expect(
      [...na, ...nb]
        .filter((n) => n.kind === 'ticket.resolved')
        .map((n) => n.ticketId)
        .sort(),
    ).toEqual(['T000001', 'T000002', 'T000003']);
    expect((await repo.active()).filter((t) => t.status === 'resolved')).toHaveLength(3);
    // The query of listOrdered can use the partial index on the generated column (migration 0004; the one the planner picks without seq scans).
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('SET enable_seqscan = off');
      const plan = await c.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id, ordered_key AS key, value FROM records WHERE collection = 'ticketDue' AND ordered_key IS NOT NULL AND ordered_key <= $1 ORDER BY ordered_key, id LIMIT $2`,
        [clock.now(), 500],
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('records_ordered');
      const keys = await c.query<{ n: string }>("SELECT count(*)::text AS n FROM records WHERE collection = 'ticketDue' AND ordered_key IS NOT NULL");
      expect(Number(keys.rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
  });

  it('updates records in place (HOT: no new index entry), which keeps units on disjoint records from conflicting on index pages', async () => {
    const url = await pg15.server().newDatabase('hot');
    const store = new PostgresStore({ url, healthCheckMs: 0 });
    await store.open();
    try {
      for (let i = 0; i < 50; i++) await store.transaction((tx) => tx.put('devices', `d${i}`, { n: 0, ticketLike: 'x'.repeat(200) }));
      for (let round = 1; round <= 4; round++)
        for (let i = 0; i < 50; i++) await store.transaction((tx) => tx.put('devices', `d${i}`, { n: round, ticketLike: 'x'.repeat(200) }));
      // And a ticketDue record (the indexed collection): its due time moves, so its update is not HOT.
      await store.transaction((tx) => tx.put('ticketDue', 'T1', { dueAt: 1 }));
      await store.transaction((tx) => tx.put('ticketDue', 'T1', { dueAt: 2 }));
    } finally {
      await store.close();
    }
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // Statistics reach the shared view when a backend flushes them; ask for it, then read them unsnapshotted.
      await c.query("SET stats_fetch_consistency = 'none'");
      let stats = { upd: 0, hot: 0 };
      for (let i = 0; i < 50 && stats.upd < 201; i++) {
        const r = await c.query<{ upd: string; hot: string }>(
          "SELECT n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot FROM pg_stat_user_tables WHERE relname = 'records'",
        );
        stats = { upd: Number(r.rows[0]!.upd), hot: Number(r.rows[0]!.hot) };
        if (stats.upd < 201) await new Promise((r) => setTimeout(r, 200));
      }
      expect(stats.upd).toBe(201);
      // Most device updates are HOT (a few may not fit on their page); without migration 0004 none is.
      expect(stats.hot).toBeGreaterThanOrEqual(150);
    } finally {
      await c.end();
    }
  });

  it('tickets survive a restart; closed ones are read back from the monthly archive', async () => {
    const url = await pg15.server().newDatabase('tickets_restart');
    const clock = new ManualClock(at('2026-03-02T09:00'));
    let store = await openStore(url, { uniqueKeys: SERVER_UNIQUE_KEYS });
    let svc = service(store, clock);
    await svc.handleEvent(raised('jam', clock.now()));
    await svc.act('T000001', { type: 'resolve', by: 'jan', solution: 'paper path cleaned' });
    await svc.act('T000001', { type: 'close', by: 'jan' });
    clock.advance(5 * MIN);
    await svc.handleEvent(raised('door.open', clock.now()));
    await store.close();
    store = await openStore(url, { uniqueKeys: SERVER_UNIQUE_KEYS });
    svc = service(store, clock);
    const repo = new StoredTicketRepository(store);
    expect((await repo.active()).map((t) => [t.id, t.status])).toEqual([['T000002', 'new']]);
    expect((await repo.closedSince('2026-03')).map((t) => [t.id, t.status])).toEqual([['T000001', 'closed']]);
    await svc.handleEvent(raised('paper.empty', clock.now(), { device: device('dev-7') }));
    expect((await repo.active()).map((t) => t.id)).toEqual(['T000002', 'T000003']);
  });
});
