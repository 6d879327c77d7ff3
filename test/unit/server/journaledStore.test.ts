import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDurableJson } from '../../../server/storage/durableFile.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { makeTempDir } from '../../harness/peers.js';

const dirs: { remove: () => void }[] = [];
function tempDir(): string {
  const d = makeTempDir('store');
  dirs.push(d);
  return d.path;
}
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

async function openStore(dir: string, extra: Partial<ConstructorParameters<typeof JournaledStore>[0]> = {}): Promise<JournaledStore> {
  const s = new JournaledStore({ dir, ...extra });
  await s.open();
  return s;
}

describe('JournaledStore', () => {
  it('keeps committed records across a reopen, and a transaction sees its own writes', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    const seen = await s.transaction(async (tx) => {
      await tx.put('tickets', 't1', { n: 1 });
      await tx.put('tickets', 't2', { n: 2 });
      await tx.delete('tickets', 't2');
      return { own: await tx.get('tickets', 't1'), list: await tx.list('tickets') };
    });
    expect(seen).toEqual({ own: { n: 1 }, list: [{ n: 1 }] });
    await s.close();
    const again = await openStore(dir);
    expect(await again.get('tickets', 't1')).toEqual({ n: 1 });
    expect(await again.get('tickets', 't2')).toBeUndefined();
    await again.close();
  });

  it('applies nothing of a transaction whose work throws', async () => {
    const s = await openStore(tempDir());
    await expect(
      s.transaction(async (tx) => {
        await tx.put('agents', 'a', { x: 1 });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await s.get('agents', 'a')).toBeUndefined();
    expect(await s.transaction(async (tx) => tx.claimMessage('m1'))).toBe(true);
    await s.close();
  });

  it('rolls back only a failed savepoint: its writes, deletes and claimed ids; the rest commits', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    await s.transaction(async (tx) => {
      await tx.put('devices', 'kept', { v: 0 });
      await tx.put('devices', 'gone', { v: 0 });
    });
    const seen = await s.transaction(async (tx) => {
      expect(await tx.savepoint(async () => tx.claimMessage('m1'))).toBe(true);
      await tx.put('devices', 'kept', { v: 1 });
      await expect(
        tx.savepoint(async () => {
          expect(await tx.claimMessage('m2')).toBe(true);
          await tx.put('devices', 'kept', { v: 2 });
          await tx.put('devices', 'new', { v: 2 });
          await tx.delete('devices', 'gone');
          await tx.archive('devices', 'x', { v: 2 }, new Date('2026-01-05T00:00:00Z'));
          // Inner savepoint that succeeds is undone with the outer one that fails.
          await tx.savepoint(async () => tx.put('devices', 'inner', { v: 2 }));
          expect(await tx.get('devices', 'kept')).toEqual({ v: 2 });
          throw new Error('bad message');
        }),
      ).rejects.toThrow('bad message');
      // A failed inner savepoint leaves the outer one's own writes alone.
      await tx.savepoint(async () => {
        await tx.put('devices', 'outer', { v: 3 });
        await expect(
          tx.savepoint(async () => {
            await tx.put('devices', 'outer', { v: 4 });
            throw new Error('inner');
          }),
        ).rejects.toThrow('inner');
      });
      return {
        kept: await tx.get('devices', 'kept'),
        gone: await tx.get('devices', 'gone'),
        fresh: await tx.get('devices', 'new'),
        outer: await tx.get('devices', 'outer'),
        list: (await tx.list<{ v: number }>('devices')).map((d) => d.v).sort(),
        m1Again: await tx.claimMessage('m1'),
      };
    });
    expect(seen).toEqual({ kept: { v: 1 }, gone: { v: 0 }, fresh: undefined, outer: { v: 3 }, list: [0, 1, 3], m1Again: false });
    await s.close();
    // The journal holds exactly what survived.
    const again = await openStore(dir);
    expect(await again.get('devices', 'kept')).toEqual({ v: 1 });
    expect(await again.get('devices', 'gone')).toEqual({ v: 0 });
    expect(await again.get('devices', 'new')).toBeUndefined();
    expect(await again.get('devices', 'inner')).toBeUndefined();
    expect(await again.get('devices', 'outer')).toEqual({ v: 3 });
    expect(await again.archiveMonths('devices')).toEqual([]);
    expect(await again.transaction((tx) => tx.claimMessage('m1'))).toBe(false);
    expect(await again.transaction((tx) => tx.claimMessage('m2'))).toBe(true);
    await again.close();
  });

  it('undoes a failed savepoint after many writes (indexed form) and a claim made before it stays', async () => {
    const s = await openStore(tempDir());
    await s.transaction(async (tx) => {
      for (let i = 0; i < 40; i++) await tx.put('devices', `d${i}`, { v: i });
      await tx.claimMessage('before');
      await expect(
        tx.savepoint(async () => {
          for (let i = 0; i < 40; i++) await tx.put('devices', `d${i}`, { v: -1 });
          await tx.claimMessage('during');
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(await tx.get('devices', 'd39')).toEqual({ v: 39 });
      expect(await tx.claimMessage('during')).toBe(true);
      expect(await tx.claimMessage('before')).toBe(false);
    });
    expect(await s.get('devices', 'd0')).toEqual({ v: 0 });
    await s.close();
  });

  it('claims a message id once, also after a reopen, and forgets the oldest beyond the window', async () => {
    const dir = tempDir();
    const s = await openStore(dir, { dedupWindow: 3 });
    const claims: boolean[] = [];
    for (const id of ['a', 'b', 'a', 'c', 'd']) claims.push(await s.transaction((tx) => tx.claimMessage(id)));
    expect(claims).toEqual([true, true, false, true, true]);
    await s.close();
    const again = await openStore(dir, { dedupWindow: 3 });
    // window of 3 after a,b,c,d: a was evicted, b c d remain
    expect(await again.transaction((tx) => tx.claimMessage('b'))).toBe(false);
    expect(await again.transaction((tx) => tx.claimMessage('a'))).toBe(true);
    await again.close();
  });

  it('recovers from a torn last journal line (crash mid-append) and keeps appending after it', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    await s.transaction((tx) => tx.put('devices', 'd1', { v: 1 }));
    await s.close();
    appendFileSync(join(dir, 'journal.log'), '{"s":2,"o":[["p","devices","d2",{"v":');
    const again = await openStore(dir);
    expect(await again.get('devices', 'd1')).toEqual({ v: 1 });
    expect(await again.get('devices', 'd2')).toBeUndefined();
    await again.transaction((tx) => tx.put('devices', 'd3', { v: 3 }));
    await again.close();
    const third = await openStore(dir);
    expect(await third.list('devices')).toEqual([{ v: 1 }, { v: 3 }]);
    await third.close();
  });

  it('compacts into hot.json, empties the journal and replays only newer lines', async () => {
    const dir = tempDir();
    const s = await openStore(dir, { compactJournalBytes: 2000 });
    for (let i = 0; i < 50; i++) await s.transaction((tx) => tx.put('devices', `d${i % 5}`, { i, pad: 'x'.repeat(100) }));
    const stats = s.stats();
    expect(stats.compactions).toBeGreaterThan(0);
    expect(stats.journalBytes).toBeLessThan(2000 + 400);
    await s.close();
    const snap = parseDurableJson<{ seq: number }>('hot.json', readFileSync(join(dir, 'hot.json'))).value;
    expect(snap.seq).toBeGreaterThan(0);
    const again = await openStore(dir);
    expect((await again.get<{ i: number }>('devices', 'd4'))!.i).toBe(49);
    expect((await again.get<{ i: number }>('devices', 'd0'))!.i).toBe(45);
    await again.close();
  });

  it('archives records into monthly files that later changes never rewrite', async () => {
    const dir = tempDir();
    const s = await openStore(dir, { maxPendingArchive: 10 });
    for (let i = 0; i < 25; i++) {
      await s.transaction(async (tx) => {
        await tx.put('tickets', `t${i}`, { i, state: 'open' });
      });
      await s.transaction((tx) => tx.archive('tickets', `t${i}`, { i, state: 'closed' }, new Date(i < 12 ? '2026-01-31T10:00:00Z' : '2026-02-01T10:00:00Z')));
    }
    expect(await s.list('tickets')).toEqual([]);
    expect(await s.archiveMonths('tickets')).toEqual(['2026-01', '2026-02']);
    const jan: number[] = [];
    for await (const r of s.readArchive<{ i: number }>('tickets', '2026-01')) jan.push(r.value.i);
    expect(jan).toEqual([...Array(12).keys()]);
    const janFile = join(dir, 'archive', 'tickets', '2026-01.jsonl');
    const sizeBefore = statSync(janFile).size;
    await s.transaction((tx) => tx.put('tickets', 'new', { state: 'open' }));
    await s.compactNow();
    expect(statSync(janFile).size).toBe(sizeBefore);
    await s.close();
    const again = await openStore(dir);
    const feb: number[] = [];
    for await (const r of again.readArchive<{ i: number }>('tickets', '2026-02')) feb.push(r.value.i);
    expect(feb).toEqual([...Array(13).keys()].map((k) => k + 12));
    await again.close();
  });

  it('does not append an archived record twice when a compaction is repeated after a crash', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    await s.transaction((tx) => tx.archive('tickets', 't1', { n: 1 }, new Date('2026-03-02T00:00:00Z')));
    await s.close();
    // Simulate: the archive line reached its file but hot.json was not rewritten (crash in between).
    mkdirSync(join(dir, 'archive', 'tickets'), { recursive: true });
    writeFileSync(join(dir, 'archive', 'tickets', '2026-03.jsonl'), `${JSON.stringify({ s: 1, id: 't1', at: '2026-03-02T00:00:00.000Z', v: { n: 1 } })}\n`, {
      flag: 'w',
    });
    const again = await openStore(dir);
    await again.compactNow();
    const lines = readFileSync(join(dir, 'archive', 'tickets', '2026-03.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(1);
    const read: unknown[] = [];
    for await (const r of again.readArchive('tickets', '2026-03')) read.push(r.value);
    expect(read).toEqual([{ n: 1 }]);
    await again.close();
  });

  it('resolves transactions only after their commit, sharing one fsync among concurrent ones', async () => {
    const s = await openStore(tempDir());
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.transaction((tx) => tx.put('devices', `d${i}`, { i }))));
    const stats = s.stats();
    expect(stats.commits).toBeLessThan(200);
    expect((await s.list('devices')).length).toBe(200);
    await s.close();
  });

  it('reads its own writes in a large transaction (past the point where they are indexed), across collections', async () => {
    const s = await openStore(tempDir());
    await s.transaction((tx) => tx.put('devices', 'keep', { v: 0 }));
    const seen = await s.transaction(async (tx) => {
      for (let i = 0; i < 40; i++) await tx.put(i % 2 ? 'devices' : 'agents', `r${i}`, { v: i });
      await tx.put('devices', 'r1', { v: 'last' }); // rewritten after the switch to the index
      await tx.delete('agents', 'r0');
      await tx.delete('devices', 'keep');
      expect(await tx.claimMessage('m1')).toBe(true);
      expect(await tx.claimMessage('m2')).toBe(true);
      expect(await tx.claimMessage('m1')).toBe(false);
      return {
        r1: await tx.get('devices', 'r1'),
        r0: await tx.get('agents', 'r0'),
        r2: await tx.get('agents', 'r2'),
        keep: await tx.get('devices', 'keep'),
        devices: (await tx.list<{ v: unknown }>('devices')).length,
        agents: (await tx.list('agents')).length,
      };
    });
    expect(seen).toEqual({ r1: { v: 'last' }, r0: undefined, r2: { v: 2 }, keep: undefined, devices: 20, agents: 19 });
    expect(await s.get('devices', 'r1')).toEqual({ v: 'last' });
    expect(await s.get('devices', 'keep')).toBeUndefined();
    expect(await s.transaction((tx) => tx.claimMessage('m2'))).toBe(false);
    await s.close();
  });

  it('runs thousands of queued transactions one after another, each seeing the ones before', async () => {
    const s = await openStore(tempDir());
    await s.transaction((tx) => tx.put('counters', 'n', 0));
    const results = await Promise.all(
      Array.from({ length: 9000 }, () =>
        s.transaction(async (tx) => {
          const n = (await tx.get<number>('counters', 'n'))!;
          await tx.put('counters', 'n', n + 1);
          return n + 1;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 9000 }, (_, i) => i + 1));
    expect(await s.get('counters', 'n')).toBe(9000);
    await s.close();
  });

  it('rejects bad collection names with the name in the message', async () => {
    const s = await openStore(tempDir());
    await expect(s.transaction((tx) => tx.put('../etc', 'x', 1))).rejects.toThrow('invalid collection name "../etc"');
    await s.close();
  });
});
