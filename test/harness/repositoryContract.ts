/**
 * The storage contract (server/storage/repository.ts) as one test suite, run against every store:
 * the journaled lowdb store (test/unit/server/storageContract.test.ts) and PostgreSQL
 * (test/peers/postgresStore.test.ts). Call `defineRepositoryContract` inside a `describe`.
 */
import { afterEach, expect, it } from 'vitest';
import {
  UniqueKeyViolation,
  type ListingQuery,
  type ListingRules,
  type Repository,
  type TermFilter,
  type UniqueKeyRules,
} from '../../server/storage/repository.js';
import { matchesListing } from '../../server/storage/listing.js';
import { seededRandom, type Rng } from './seededRandom.js';

export interface ContractStoreOptions {
  uniqueKeys?: UniqueKeyRules;
  listings?: ListingRules;
  dedupWindow?: number;
}

export interface ContractTarget {
  /** A fresh, empty location (a directory, a database): every test gets its own. */
  fresh(): Promise<string>;
  /** A store over a location, not yet opened. */
  create(location: string, options?: ContractStoreOptions): Repository;
  /** Several store instances may use one location at the same time (PostgreSQL: yes; lowdb: no). */
  readonly sharedByInstances: boolean;
}

/** An open ticket holds one key per fault (device + code), as the ticket policy's invariant. */
export const TEST_RULES: UniqueKeyRules = {
  items: (v) => {
    const item = v as { open?: boolean; keys?: string[] };
    return item.open ? (item.keys ?? []) : [];
  },
};

/** A listed test record: sorted by `rank` then id, terms `c=` and `s=`, text fields `words`. */
interface Listed {
  id: string;
  rank: number;
  c: string;
  s: string[];
  words: string[];
  hidden?: boolean;
}
const listedEntry = (v: unknown) => {
  const r = v as Listed;
  if (r.hidden) return undefined;
  return { sort: `${String(r.rank).padStart(4, '0')}${r.id}`, terms: [`c=${r.c}`, ...r.s.map((x) => `s=${x}`)], text: r.words };
};
export const TEST_LISTINGS: ListingRules = { listed: { version: 1, entryOf: listedEntry } };

function randomListed(rng: Rng, id: string): Listed {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)]!;
  const words = ['alpha', 'beta', 'gamma', 'delta', 'épée', 'a_b', '50%', 'x\\y', 'naïve'];
  return {
    id,
    rank: Math.floor(rng() * 40),
    c: pick(['c1', 'c2', 'c3', 'c4']),
    s: ['ok', 'warn', 'down', 'odd'].filter(() => rng() < 0.4),
    words: Array.from({ length: Math.floor(rng() * 3) }, () => `${pick(words)}${pick(['', '-1', ' two'])}`),
    ...(rng() < 0.05 ? { hidden: true } : {}),
  };
}

function randomQuery(rng: Rng): ListingQuery {
  const term = (): TermFilter => ({
    anyTerm: Array.from({ length: Math.floor(rng() * 3) }, () =>
      rng() < 0.5 ? `c=c${1 + Math.floor(rng() * 5)}` : `s=${['ok', 'warn', 'down', 'odd', 'no'][Math.floor(rng() * 5)]}`,
    ),
  });
  const tree = (depth: number): TermFilter => {
    const k = depth > 1 ? 0 : Math.floor(rng() * 4);
    if (k === 0) return term();
    if (k === 1) return { not: tree(depth + 1) };
    const parts = Array.from({ length: Math.floor(rng() * 3) }, () => tree(depth + 1));
    return k === 2 ? { all: parts } : { or: parts };
  };
  return {
    ...(rng() < 0.7 ? { filter: tree(0) } : {}),
    ...(rng() < 0.3 ? { contains: ['a', 'ph', 'épé', '_', '%', '\\', 'two', 'a-1', 'zz'][Math.floor(rng() * 9)] } : {}),
    offset: Math.floor(rng() * 3) * 7,
    limit: 1 + Math.floor(rng() * 12),
  };
}

/** What a listing query answers over `records` (the contract's model). */
function modelPage(records: ReadonlyMap<string, Listed>, q: ListingQuery): { ids: string[]; total: number } {
  const rows = [...records.values()]
    .map((r) => ({ r, e: listedEntry(r) }))
    .filter((x) => x.e !== undefined && matchesListing(q, x.e))
    .sort((a, b) => (a.e!.sort < b.e!.sort ? -1 : a.e!.sort > b.e!.sort ? 1 : 0));
  const from = q.after === undefined ? 0 : rows.findIndex((x) => x.e!.sort > q.after!);
  const start = (from < 0 ? rows.length : from) + q.offset;
  return { ids: rows.slice(start, start + q.limit).map((x) => x.r.id), total: rows.length };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function defineRepositoryContract(target: ContractTarget): void {
  const opened: Repository[] = [];
  async function open(location: string, options?: ContractStoreOptions): Promise<Repository> {
    const store = target.create(location, options);
    await store.open();
    opened.push(store);
    return store;
  }
  async function close(store: Repository): Promise<void> {
    opened.splice(opened.indexOf(store), 1);
    await store.close();
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  });

  it('commits: writes are visible inside the transaction, to later ones and to reads outside', async () => {
    const store = await open(await target.fresh());
    const seen = await store.transaction(async (tx) => {
      await tx.put('things', 'a', { n: 1 });
      await tx.put('things', 'b', { n: 2 });
      await tx.put('things', 'a', { n: 3 });
      return { a: await tx.get('things', 'a'), all: (await tx.list<{ n: number }>('things')).map((v) => v.n).sort() };
    });
    expect(seen).toEqual({ a: { n: 3 }, all: [2, 3] });
    expect(await store.get('things', 'a')).toEqual({ n: 3 });
    expect(await store.get('things', 'missing')).toBeUndefined();
    await store.transaction((tx) => tx.delete('things', 'b'));
    expect(await store.list('things')).toEqual([{ n: 3 }]);
    expect(await store.list('nothing')).toEqual([]);
    expect(store.stats().commits).toBeGreaterThanOrEqual(2);
    expect(store.stats().healthy).toBe(true);
  });

  it('rolls back everything of a unit of work that throws, claimed message ids included', async () => {
    const store = await open(await target.fresh());
    await store.transaction((tx) => tx.put('things', 'a', { n: 1 }));
    await expect(
      store.transaction(async (tx) => {
        await tx.put('things', 'a', { n: 2 });
        await tx.put('things', 'b', { n: 2 });
        expect(await tx.claimMessage('m1')).toBe(true);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.get('things', 'a')).toEqual({ n: 1 });
    expect(await store.get('things', 'b')).toBeUndefined();
    expect(await store.transaction((tx) => tx.claimMessage('m1'))).toBe(true);
  });

  it('savepoint: a failing nested unit undoes exactly its own writes and claims', async () => {
    const store = await open(await target.fresh());
    const result = await store.transaction(async (tx) => {
      await tx.put('things', 'a', { n: 1 });
      await tx.claimMessage('outer');
      await expect(
        tx.savepoint(async () => {
          await tx.put('things', 'a', { n: 99 });
          await tx.put('things', 'b', { n: 99 });
          await tx.claimMessage('inner');
          throw new Error('bad message');
        }),
      ).rejects.toThrow('bad message');
      const kept = await tx.savepoint(async () => {
        await tx.put('things', 'c', { n: 3 });
        return 'ok';
      });
      return { kept, a: await tx.get('things', 'a'), b: await tx.get('things', 'b') };
    });
    expect(result).toEqual({ kept: 'ok', a: { n: 1 }, b: undefined });
    expect(await store.get('things', 'c')).toEqual({ n: 3 });
    expect(await store.get('things', 'b')).toBeUndefined();
    const again = await store.transaction(async (tx) => ({ outer: await tx.claimMessage('outer'), inner: await tx.claimMessage('inner') }));
    expect(again).toEqual({ outer: false, inner: true });
  });

  it('update: the record becomes the new value, through savepoints, flushes and rollbacks', async () => {
    const store = await open(await target.fresh());
    const identity = { vendor: 'HP', serial: 'SN1', note: 'nul \u0000 kept' };
    const first = { key: 'd1', identity, faults: [{ code: 'jam' }], counters: { total: 1 }, lastSeen: 't1', status: 'idle' };
    await store.transaction((tx) => tx.put('devices', 'd1', first));
    const seen = await store.transaction(async (tx) => {
      const a = (await tx.get<typeof first>('devices', 'd1'))!;
      const b = { ...a, counters: { total: 2 }, lastSeen: 't2' };
      await tx.update('devices', 'd1', a, b);
      // A later update of the update, in a savepoint that is kept.
      const c = await tx.savepoint(async () => {
        const next = { ...b, counters: { total: 3 } };
        await tx.update('devices', 'd1', b, next);
        return next;
      });
      // One that is rolled back.
      await expect(
        tx.savepoint(async () => {
          await tx.update('devices', 'd1', c, { ...c, status: 'printing' });
          throw new Error('bad message');
        }),
      ).rejects.toThrow('bad message');
      // A listing sends what is pending; an update after it is made against what was sent.
      await tx.list('devices');
      const d = { ...c, lastSeen: 't4' };
      await tx.update('devices', 'd1', c, d);
      // Most fields changed, or a field dropped: the whole record.
      const { status: _dropped, ...e } = { ...d, lastSeen: 't5' };
      await tx.update('devices', 'd1', d, e);
      return tx.get('devices', 'd1');
    });
    const expected = { key: 'd1', identity, faults: [{ code: 'jam' }], counters: { total: 3 }, lastSeen: 't5' };
    expect(seen).toEqual(expected);
    expect(await store.get('devices', 'd1')).toEqual(expected);
    await store.transaction(async (tx) => {
      const a = (await tx.get<typeof expected>('devices', 'd1'))!;
      await tx.update('devices', 'd1', a, { ...a, lastSeen: 't6' });
    });
    expect(await store.get('devices', 'd1')).toEqual({ ...expected, lastSeen: 't6' });
    // A record without NUL characters, and a moved field that brings one.
    const plain = { key: 'd2', faults: [], counters: { total: 1 }, lastSeen: 't1', status: 'idle' };
    await store.transaction((tx) => tx.put('devices', 'd2', plain));
    await store.transaction(async (tx) => {
      const a = (await tx.get<typeof plain>('devices', 'd2'))!;
      await tx.update('devices', 'd2', a, { ...a, lastSeen: 't2 \u0000' });
    });
    expect(await store.get('devices', 'd2')).toEqual({ ...plain, lastSeen: 't2 \u0000' });
  });

  it('claimMessage: true once per id, within a transaction and across transactions', async () => {
    const store = await open(await target.fresh());
    const first = await store.transaction(async (tx) => [await tx.claimMessage('x'), await tx.claimMessage('x'), await tx.claimMessage('y')]);
    expect(first).toEqual([true, false, true]);
    expect(await store.transaction((tx) => tx.claimMessage('x'))).toBe(false);
    expect(await store.transaction((tx) => tx.claimMessage('z'))).toBe(true);
  });

  it('keeps at least the newest dedupWindow message ids', async () => {
    const store = await open(await target.fresh(), { dedupWindow: 1000 });
    for (let batch = 0; batch < 3; batch++) {
      await store.transaction(async (tx) => {
        for (let i = 0; i < 500; i++) await tx.claimMessage(`m${batch * 500 + i}`);
      });
    }
    const recent = await store.transaction(async (tx) => {
      const out: boolean[] = [];
      for (let i = 500; i < 1500; i += 50) out.push(await tx.claimMessage(`m${i}`));
      return out;
    });
    expect(recent.every((claimed) => !claimed)).toBe(true);
  });

  it('archive: removes from the hot set, months oldest first, records in archiving order', async () => {
    const store = await open(await target.fresh());
    await store.transaction(async (tx) => {
      for (const id of ['t1', 't2', 't3', 't4']) await tx.put('tickets', id, { id });
    });
    await store.transaction(async (tx) => {
      await tx.archive('tickets', 't3', { id: 't3', closed: 1 }, new Date('2026-03-31T23:59:59.000Z'));
      await tx.archive('tickets', 't1', { id: 't1', closed: 2 }, new Date('2026-02-10T10:00:00.000Z'));
    });
    await store.transaction((tx) => tx.archive('tickets', 't2', { id: 't2', closed: 3 }, new Date('2026-03-01T00:00:00.000Z')));
    expect((await store.list<{ id: string }>('tickets')).map((t) => t.id)).toEqual(['t4']);
    expect(await store.archiveMonths('tickets')).toEqual(['2026-02', '2026-03']);
    expect(await store.archiveMonths('other')).toEqual([]);
    const march = await collect(store.readArchive<{ id: string; closed: number }>('tickets', '2026-03'));
    expect(march.map((r) => [r.id, r.value.closed, r.archivedAt, r.collection, r.month])).toEqual([
      ['t3', 1, '2026-03-31T23:59:59.000Z', 'tickets', '2026-03'],
      ['t2', 3, '2026-03-01T00:00:00.000Z', 'tickets', '2026-03'],
    ]);
    expect(await collect(store.readArchive('tickets', '2025-01'))).toEqual([]);
    await expect(collect(store.readArchive('tickets', 'March'))).rejects.toThrow(/YYYY-MM/);
  });

  it('an archive rolled back with its transaction leaves no history', async () => {
    const store = await open(await target.fresh());
    await store.transaction((tx) => tx.put('tickets', 't1', { id: 't1' }));
    await expect(
      store.transaction(async (tx) => {
        await tx.archive('tickets', 't1', { id: 't1' }, new Date('2026-01-05T00:00:00Z'));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await store.archiveMonths('tickets')).toEqual([]);
    expect(await store.get('tickets', 't1')).toEqual({ id: 't1' });
  });

  it('rejects invalid collection names with a clear error', async () => {
    const store = await open(await target.fresh());
    await expect(store.transaction((tx) => tx.put('bad name!', 'a', 1))).rejects.toThrow(/invalid collection name/);
  });

  it('guard: a unit that takes one commits as usual; a bad key is refused with a clear error and nothing of the unit applied', async () => {
    const store = await open(await target.fresh());
    await store.transaction(async (tx) => {
      await tx.guard('tokens:admins');
      await tx.guard('tokens:admins');
      await tx.put('tokens', 'a', { admin: true });
    });
    expect(await store.get('tokens', 'a')).toEqual({ admin: true });
    for (const bad of ['', 'x'.repeat(201), 'a\u0000b'])
      await expect(
        store.transaction(async (tx) => {
          await tx.put('tokens', 'b', { admin: true });
          await tx.guard(bad);
        }),
      ).rejects.toThrow(/invalid guard key/);
    expect(await store.get('tokens', 'b')).toBeUndefined();
  });

  it('unique keys: a second hot record cannot take a key; the violation names both records', async () => {
    const store = await open(await target.fresh(), { uniqueKeys: TEST_RULES });
    await store.transaction((tx) => tx.put('items', 'A', { open: true, keys: ['dev1|jam', 'dev1|door'] }));
    const err = await store
      .transaction(async (tx) => {
        await tx.put('items', 'B', { open: true, keys: ['dev2|jam', 'dev1|door'] });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueKeyViolation);
    expect(err).toMatchObject({ collection: 'items', key: 'dev1|door', id: 'B', existingId: 'A' });
    expect(await store.get('items', 'B')).toBeUndefined();
    // The violating put has no effect and the transaction goes on.
    const after = await store.transaction(async (tx) => {
      await expect(tx.put('items', 'B', { open: true, keys: ['dev1|jam'] })).rejects.toBeInstanceOf(UniqueKeyViolation);
      await tx.put('items', 'C', { open: true, keys: ['dev3|jam'] });
      return tx.get('items', 'B');
    });
    expect(after).toBeUndefined();
    expect(await store.get('items', 'C')).toEqual({ open: true, keys: ['dev3|jam'] });
    // The same record may keep or change its own keys; a closed one holds none.
    await store.transaction((tx) => tx.put('items', 'A', { open: true, keys: ['dev1|jam'] }));
    await store.transaction((tx) => tx.put('items', 'B', { open: true, keys: ['dev1|door'] }));
    await store.transaction((tx) => tx.put('items', 'A', { open: false, keys: ['dev1|jam'] }));
    await store.transaction((tx) => tx.put('items', 'D', { open: true, keys: ['dev1|jam'] }));
    expect(await store.get('items', 'D')).toEqual({ open: true, keys: ['dev1|jam'] });
    // Collections without a rule are not constrained.
    await store.transaction(async (tx) => {
      await tx.put('free', '1', { open: true, keys: ['k'] });
      await tx.put('free', '2', { open: true, keys: ['k'] });
    });
    expect(await store.list('free')).toHaveLength(2);
  });

  it('unique keys are released by archive and delete, also earlier in the same transaction', async () => {
    const store = await open(await target.fresh(), { uniqueKeys: TEST_RULES });
    await store.transaction(async (tx) => {
      await tx.put('items', 'A', { open: true, keys: ['k1'] });
      await tx.put('items', 'B', { open: true, keys: ['k2'] });
    });
    await store.transaction(async (tx) => {
      await tx.archive('items', 'A', { open: false, keys: ['k1'] }, new Date('2026-01-01T00:00:00Z'));
      await tx.put('items', 'A2', { open: true, keys: ['k1'] });
      await tx.delete('items', 'B');
      await tx.put('items', 'B2', { open: true, keys: ['k2'] });
    });
    expect((await store.list<{ keys: string[] }>('items')).map((v) => v.keys[0]).sort()).toEqual(['k1', 'k2']);
    // Written earlier in the same transaction, not yet committed: still enforced.
    await expect(
      store.transaction(async (tx) => {
        await tx.put('items', 'X', { open: true, keys: ['k9'] });
        await tx.put('items', 'Y', { open: true, keys: ['k9'] });
      }),
    ).rejects.toMatchObject({ name: 'UniqueKeyViolation', key: 'k9', existingId: 'X' });
    // A savepoint rolled back gives its keys back.
    await store.transaction(async (tx) => {
      await expect(
        tx.savepoint(async () => {
          await tx.put('items', 'P', { open: true, keys: ['k5'] });
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      await tx.put('items', 'Q', { open: true, keys: ['k5'] });
    });
    expect(await store.get('items', 'Q')).toEqual({ open: true, keys: ['k5'] });
  });

  it('keeps records, archives, claimed ids and unique keys across a restart', async () => {
    const location = await target.fresh();
    const first = await open(location, { uniqueKeys: TEST_RULES });
    await first.transaction(async (tx) => {
      await tx.put('things', 'a', { n: 1, text: 'zażółć \u0000 "quotes"' });
      await tx.put('items', 'A', { open: true, keys: ['k1'] });
      await tx.claimMessage('m-1');
      await tx.archive('things', 'gone', { n: 0 }, new Date('2026-04-02T03:04:05.678Z'));
    });
    await close(first);
    const second = await open(location, { uniqueKeys: TEST_RULES });
    expect(await second.get('things', 'a')).toEqual({ n: 1, text: 'zażółć \u0000 "quotes"' });
    expect(await second.transaction((tx) => tx.claimMessage('m-1'))).toBe(false);
    expect(await second.archiveMonths('things')).toEqual(['2026-04']);
    expect((await collect(second.readArchive('things', '2026-04')))[0]).toMatchObject({ id: 'gone', archivedAt: '2026-04-02T03:04:05.678Z', value: { n: 0 } });
    await expect(second.transaction((tx) => tx.put('items', 'B', { open: true, keys: ['k1'] }))).rejects.toBeInstanceOf(UniqueKeyViolation);
  });

  it('ordered reads: records up to a key, lowest first, bounded, own writes included, as a plain sort says', async () => {
    const location = await target.fresh();
    const store = await open(location);
    // Seeded pseudo-random keys with ties, some records outside the order (no numeric field).
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 50;
    const committed = new Map<string, { dueAt?: number; note?: string }>();
    await store.transaction(async (tx) => {
      for (let i = 0; i < 120; i++) {
        const v = i % 10 === 9 ? { note: 'unscheduled' } : { dueAt: next() * 1000 };
        committed.set(`t${String(i).padStart(3, '0')}`, v);
        await tx.put('due', `t${String(i).padStart(3, '0')}`, v);
      }
    });
    const expected = (records: ReadonlyMap<string, { dueAt?: number }>, upTo: number, limit: number) =>
      [...records]
        .filter(([, v]) => typeof v.dueAt === 'number' && v.dueAt <= upTo)
        .sort(([ia, a], [ib, b]) => a.dueAt! - b.dueAt! || (ia < ib ? -1 : 1))
        .slice(0, limit)
        .map(([id, v]) => ({ id, key: v.dueAt!, value: v }));
    for (const [upTo, limit] of [
      [20_000, 500],
      [20_000, 7],
      [-1, 10],
      [49_000, 1000],
    ] as const)
      expect(await store.transaction((tx) => tx.listOrdered('due', 'dueAt', upTo, limit))).toEqual(expected(committed, upTo, limit));
    expect(await store.firstOrdered('due', 'dueAt')).toBe(Math.min(...[...committed.values()].flatMap((v) => (v.dueAt === undefined ? [] : [v.dueAt]))));
    // Changes of the unit itself count before they commit; a rollback leaves the committed order.
    const mine = new Map(committed);
    const seen = await store.transaction(async (tx) => {
      await tx.put('due', 't000', { dueAt: -5 });
      mine.set('t000', { dueAt: -5 });
      await tx.delete('due', 't001');
      mine.delete('t001');
      await tx.archive('due', 't002', { dueAt: 3 }, new Date('2026-01-01T00:00:00Z'));
      mine.delete('t002');
      await tx.put('due', 'new', { dueAt: 10_000 });
      mine.set('new', { dueAt: 10_000 });
      await tx.put('due', 't003', { note: 'no longer scheduled' });
      mine.set('t003', { note: 'no longer scheduled' });
      return tx.listOrdered('due', 'dueAt', 30_000, 12);
    });
    expect(seen).toEqual(expected(mine, 30_000, 12));
    await expect(
      store.transaction(async (tx) => {
        await tx.put('due', 't004', { dueAt: -100 });
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await store.transaction((tx) => tx.listOrdered('due', 'dueAt', 49_000, 1000))).toEqual(expected(mine, 49_000, 1000));
    expect(await store.firstOrdered('due', 'dueAt')).toBe(-5);
    // The order survives a restart (the embedded store rebuilds it from the records).
    await close(store);
    const again = await open(location);
    expect(await again.transaction((tx) => tx.listOrdered('due', 'dueAt', 30_000, 12))).toEqual(expected(mine, 30_000, 12));
    expect(await again.firstOrdered('empty', 'dueAt')).toBeUndefined();
  });

  it('listingPage: filtered, ordered pages that follow puts, updates, deletes, archives and savepoints (random data against a model)', async () => {
    const location = await target.fresh();
    let store = await open(location, { listings: TEST_LISTINGS });
    const rng = seededRandom(19);
    const model = new Map<string, Listed>();
    for (let round = 0; round < 6; round++) {
      await store.transaction(async (tx) => {
        for (let i = 0; i < 40; i++) {
          const id = `r${Math.floor(rng() * 120)}`;
          const roll = rng();
          if (roll < 0.6) {
            const v = randomListed(rng, id);
            await tx.put('listed', id, v);
            model.set(id, v);
          } else if (roll < 0.75 && model.has(id)) {
            const from = (await tx.get<Listed>('listed', id))!;
            const v = { ...from, rank: Math.floor(rng() * 40) };
            await tx.update('listed', id, from, v);
            model.set(id, v);
          } else if (roll < 0.85) {
            await tx.delete('listed', id);
            model.delete(id);
          } else if (roll < 0.9 && model.has(id)) {
            await tx.archive('listed', id, model.get(id)!, new Date('2026-01-01T00:00:00Z'));
            model.delete(id);
          } else {
            // Undone with its savepoint: the listing must not keep it.
            await tx
              .savepoint(async () => {
                await tx.put('listed', id, randomListed(rng, id));
                throw new Error('undone');
              })
              .catch(() => undefined);
          }
        }
      });
      for (let k = 0; k < 25; k++) {
        const q = randomQuery(rng);
        const page = await store.listingPage<Listed>('listed', q);
        const want = modelPage(model, q);
        expect({ ids: page.items.map((r) => r.id), total: page.total }, JSON.stringify(q)).toEqual(want);
        expect(page.sorts).toEqual(page.items.map((r) => listedEntry(r)!.sort));
        // Keyset: the page after the last sort key is the next offset page.
        if (page.sorts.length > 0) {
          const next = await store.listingPage<Listed>('listed', { ...q, offset: 0, after: page.sorts[page.sorts.length - 1]! });
          expect(next.items.map((r) => r.id)).toEqual(modelPage(model, { ...q, offset: q.offset + page.items.length }).ids);
        }
      }
    }
    // After a restart (PostgreSQL: the stored listing; embedded: rebuilt from the records).
    await close(store);
    store = await open(location, { listings: TEST_LISTINGS });
    const all = await store.listingPage<Listed>('listed', { offset: 0, limit: 500 });
    expect({ ids: all.items.map((r) => r.id), total: all.total }).toEqual(modelPage(model, { offset: 0, limit: 500 }));
    await expect(store.listingPage('unlisted', { offset: 0, limit: 5 })).rejects.toThrow(/unlisted has no listing rule/);
  });

  it('listingPage: records written without the rule, or under an older rule version, are listed after a restart', async () => {
    const location = await target.fresh();
    let store = await open(location);
    const rng = seededRandom(7);
    const model = new Map<string, Listed>();
    await store.transaction(async (tx) => {
      for (let i = 0; i < 30; i++) {
        const v = randomListed(rng, `r${i}`);
        await tx.put('listed', v.id, v);
        model.set(v.id, v);
      }
    });
    await close(store);
    store = await open(location, { listings: TEST_LISTINGS });
    const q: ListingQuery = { filter: { anyTerm: ['c=c2', 's=ok'] }, offset: 0, limit: 100 };
    expect((await store.listingPage<Listed>('listed', q)).items.map((r) => r.id)).toEqual(modelPage(model, q).ids);
    // A new rule version (here: reversed order) recomputes every entry.
    await close(store);
    const reversed = (v: unknown) => {
      const e = listedEntry(v);
      return e && { ...e, sort: `${String(99 - (v as Listed).rank).padStart(4, '0')}${(v as Listed).id}` };
    };
    store = await open(location, { listings: { listed: { version: 2, entryOf: reversed } } });
    const ranks = (await store.listingPage<Listed>('listed', { offset: 0, limit: 100 })).items.map((r) => r.rank);
    expect(ranks).toEqual(
      [...model.values()]
        .filter((r) => !r.hidden)
        .map((r) => r.rank)
        .sort((a, b) => b - a),
    );
  });

  it('getMany: several records of a collection in the order asked, missing ones undefined', async () => {
    const store = await open(await target.fresh());
    await store.transaction(async (tx) => {
      await tx.put('things', 'a', { n: 1 });
      await tx.put('things', 'b', { n: 2 });
    });
    expect(await store.getMany('things', ['b', 'missing', 'a', 'b'])).toEqual([{ n: 2 }, undefined, { n: 1 }, { n: 2 }]);
    expect(await store.getMany('things', [])).toEqual([]);
  });

  it('concurrent units of work lose no update (read-modify-write of one counter)', async () => {
    const location = await target.fresh();
    const stores = target.sharedByInstances ? [await open(location), await open(location)] : [await open(location)];
    const perStore = 20;
    const increment = (store: Repository) =>
      store.transaction(async (tx) => {
        const c = (await tx.get<{ n: number }>('counters', 'c'))?.n ?? 0;
        await tx.put('counters', 'c', { n: c + 1 });
      });
    // Several units in flight per store at once, on every store.
    await Promise.all(
      stores.map(async (store) => {
        for (let round = 0; round < perStore / 4; round++) await Promise.all([increment(store), increment(store), increment(store), increment(store)]);
      }),
    );
    expect(await stores[0]!.get('counters', 'c')).toEqual({ n: perStore * stores.length });
  });

  it('two instances racing for one unique key: exactly one wins', async () => {
    if (!target.sharedByInstances) return;
    const location = await target.fresh();
    const a = await open(location, { uniqueKeys: TEST_RULES });
    const b = await open(location, { uniqueKeys: TEST_RULES });
    // Each opens its "ticket" unless it sees an open one with the key: the policy's read-then-write.
    const openOnce = (store: Repository, id: string) =>
      store.transaction(async (tx) => {
        const existing = (await tx.list<{ open: boolean; keys: string[] }>('items')).find((v) => v.open && v.keys.includes('dev|jam'));
        if (existing) return 'found';
        await tx.put('items', id, { open: true, keys: ['dev|jam'] });
        return 'opened';
      });
    const results = await Promise.all([openOnce(a, 'A1'), openOnce(b, 'B1'), openOnce(a, 'A2'), openOnce(b, 'B2')]);
    expect(results.filter((r) => r === 'opened')).toHaveLength(1);
    expect(await a.list('items')).toHaveLength(1);
  });
}
