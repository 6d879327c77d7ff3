/**
 * Damage detection of the embedded store (issue 16): checksummed records, a damaged line in the
 * middle, a cut journal, a torn tail, a missing or damaged hot.json; the start refuses and changes
 * no file; `store repair` keeps copies and drops exactly the damaged part; one process per store.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { frameRecord, parseRecordLine } from '../../../server/storage/appendLog.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { StoreDamagedError } from '../../../server/storage/storeFiles.js';
import { StoreLockedError } from '../../../server/storage/storeLock.js';
import { migrateLowdbToPostgres } from '../../../server/storage/storeMigration.js';
import { checkStore, repairStore } from '../../../server/storage/storeRepair.js';
import { makeTempDir } from '../../harness/peers.js';

const dirs: { remove: () => void }[] = [];
function tempDir(): string {
  const d = makeTempDir('store-damage');
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

/** A store with `n` tickets, one commit each, closed. */
async function storeWithTickets(n: number, extra: Partial<ConstructorParameters<typeof JournaledStore>[0]> = {}): Promise<string> {
  const dir = tempDir();
  const s = await openStore(dir, extra);
  for (let i = 1; i <= n; i++) await s.transaction((tx) => tx.put('tickets', `T${String(i).padStart(6, '0')}`, { n: i }));
  await s.close();
  return dir;
}

/** Byte offset of the start of line `index` (0-based) of a file. */
function lineOffset(file: string, index: number): number {
  const bytes = readFileSync(file);
  let at = 0;
  for (let i = 0; i < index; i++) at = bytes.indexOf(0x0a, at) + 1;
  return at;
}

async function refusal(dir: string): Promise<StoreDamagedError> {
  const err = await openStore(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreDamagedError);
  return err as StoreDamagedError;
}

describe('record framing', () => {
  it('writes a CRC-32 before each record and reads it back; one changed byte is a checksum mismatch', () => {
    const line = frameRecord({ s: 7, o: [['p', 'tickets', 'T1', { title: 'Paper jam' }]] });
    expect(line.toString('latin1')).toMatch(/^[0-9a-f]{8} \{"s":7,/);
    expect(line[line.length - 1]).toBe(0x0a);
    const body = line.subarray(0, line.length - 1);
    expect(parseRecordLine(body)).toEqual({ ok: true, checked: true, value: { s: 7, o: [['p', 'tickets', 'T1', { title: 'Paper jam' }]] } });
    const damaged = Buffer.from(body);
    damaged[damaged.indexOf('Paper')] = 0x70; // 'P' → 'p': still valid JSON
    const parsed = parseRecordLine(damaged);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toMatch(/checksum mismatch \(stored [0-9a-f]{8}, computed [0-9a-f]{8}\)/);
  });

  it('reads a format 1 line (plain JSON, written before checksums) as before', () => {
    expect(parseRecordLine(Buffer.from('{"s":1,"o":[]}'))).toEqual({ ok: true, checked: false, value: { s: 1, o: [] } });
    expect(parseRecordLine(Buffer.from('{"s":1,"o":['))).toMatchObject({ ok: false });
    expect(parseRecordLine(Buffer.from('garbage'))).toMatchObject({ ok: false });
  });

  it('opens a store written by the previous format (plain lines, no committed length) and appends checksummed lines', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'journal.log'), '{"s":1,"o":[["p","devices","d1",{"v":1}]]}\n{"s":2,"o":[["p","devices","d2",{"v":2}]]}\n');
    const s = await openStore(dir);
    expect(await s.list('devices')).toEqual([{ v: 1 }, { v: 2 }]);
    await s.transaction((tx) => tx.put('devices', 'd3', { v: 3 }));
    await s.close();
    const lines = readFileSync(join(dir, 'journal.log'), 'utf8').trim().split('\n');
    expect(lines[2]).toMatch(/^[0-9a-f]{8} \{/);
    const again = await openStore(dir);
    expect(await again.list('devices')).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
    await again.close();
  });
});

describe('a damaged store does not start', () => {
  it('refuses a corrupt line in the middle of the journal, naming file, byte offset and the tickets after it; the file is untouched', async () => {
    const dir = await storeWithTickets(6);
    const journal = join(dir, 'journal.log');
    const offset = lineOffset(journal, 2);
    const bytes = readFileSync(journal);
    bytes[offset + 20] = bytes[offset + 20]! ^ 0x01;
    writeFileSync(journal, bytes);
    const err = await refusal(dir);
    expect(err.message).toContain(journal);
    expect(err.message).toContain(`byte ${offset}`);
    expect(err.message).toMatch(/line 3 at byte \d+ is damaged: checksum mismatch/);
    // Line 3 (T000003) is the damaged one; the readable commits after it are T000004..T000006.
    expect(err.message).toContain('3 commits (changes: tickets 3; 0 processed messages; tickets T000004, T000005, T000006)');
    expect(readFileSync(journal).equals(bytes)).toBe(true);
  });

  it('refuses a journal cut in half (shorter than its committed length), also at a line boundary', async () => {
    for (const cut of ['mid-line', 'line boundary'] as const) {
      const dir = await storeWithTickets(8);
      const journal = join(dir, 'journal.log');
      const full = readFileSync(journal).length;
      const at = cut === 'mid-line' ? Math.floor(full / 2) : lineOffset(journal, 4);
      truncateSync(journal, at);
      const before = readFileSync(journal);
      const err = await refusal(dir);
      expect(err.message).toContain(`but ${full} bytes were committed`);
      expect(readFileSync(journal).equals(before)).toBe(true);
    }
  });

  it('cuts an interrupted final append (never acknowledged) and says so', async () => {
    const dir = await storeWithTickets(2);
    const journal = join(dir, 'journal.log');
    const intact = readFileSync(journal).length;
    appendFileSync(journal, frameRecord({ s: 3, o: [['p', 'tickets', 'T000003', { n: 3 }]] }).subarray(0, 25));
    const warnings: string[] = [];
    const logger = {
      warn: (_o: unknown, msg: string) => warnings.push(msg),
      error: () => undefined,
      info: () => undefined,
      debug: () => undefined,
    } as unknown as NonNullable<ConstructorParameters<typeof JournaledStore>[0]['logger']>;
    const s = await openStore(dir, { logger });
    expect((await s.list('tickets')).length).toBe(2);
    expect(warnings.join('\n')).toContain(`interrupted final append of 25 bytes at byte ${intact}`);
    await s.close();
    expect(readFileSync(journal).length).toBe(intact);
  });

  it('refuses a missing hot.json after a compaction, and a hot.json with a bad checksum', async () => {
    const dir = await storeWithTickets(30, { compactJournalBytes: 1500 });
    const s = await openStore(dir);
    await s.transaction((tx) => tx.put('tickets', 'T000031', { n: 31 }));
    await s.close();
    const hot = join(dir, 'hot.json');
    const saved = readFileSync(hot);
    unlinkSync(hot);
    const err = await refusal(dir);
    expect(err.message).toMatch(/hot\.json: missing, but journal\.log starts after a compaction at sequence \d+: the snapshot existed/);
    expect(existsSync(hot)).toBe(false);
    const damaged = Buffer.from(saved);
    damaged[damaged.length - 10] = damaged[damaged.length - 10]! ^ 0x02;
    writeFileSync(hot, damaged);
    expect((await refusal(dir)).message).toMatch(/hot\.json.*checksum mismatch/);
    writeFileSync(hot, saved);
    const ok = await openStore(dir);
    expect((await ok.list('tickets')).length).toBe(31);
    await ok.close();
  });

  it('refuses a damaged archive line when the history is read, and store check finds it', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    for (let i = 1; i <= 4; i++) await s.transaction((tx) => tx.archive('tickets', `T${i}`, { n: i }, new Date('2026-03-02T00:00:00Z')));
    await s.compactNow();
    await s.close();
    const file = join(dir, 'archive', 'tickets', '2026-03.jsonl');
    const bytes = readFileSync(file);
    const offset = lineOffset(file, 1);
    bytes[offset + 15] = 0x21;
    writeFileSync(file, bytes);
    const report = await checkStore(dir);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ file, offset });
    expect(report.problems[0]!.loses).toContain('2 archived tickets records of 2026-03');
    const again = await openStore(dir);
    await expect(async () => {
      for await (const r of again.readArchive('tickets', '2026-03')) expect(r).toBeDefined();
    }).rejects.toThrow(StoreDamagedError);
    await again.close();
  });
});

describe('store repair', () => {
  it('cuts the journal at a damaged line, keeps a byte-identical copy, lists what it dropped, and the store starts', async () => {
    const dir = await storeWithTickets(5);
    const journal = join(dir, 'journal.log');
    const offset = lineOffset(journal, 3);
    const bytes = readFileSync(journal);
    bytes[offset] = 0x5a;
    writeFileSync(journal, bytes);
    expect((await checkStore(dir)).problems).toHaveLength(1);
    const report = await repairStore(dir, new Date('2026-12-06T21:00:00Z'));
    expect(report.dropped).toBe(true);
    expect(report.backupDir).toBe(join(dir, 'repair-2026-12-06T21-00-00-000Z'));
    expect(readFileSync(join(report.backupDir!, 'journal.log')).equals(bytes)).toBe(true);
    expect(report.actions.join('\n')).toContain(`cut at byte ${offset}`);
    expect(report.actions.join('\n')).toContain('tickets T000005');
    expect(readFileSync(join(report.backupDir!, 'REPAIR.txt'), 'utf8')).toContain('T000005');
    expect((await checkStore(dir)).problems).toEqual([]);
    const s = await openStore(dir);
    expect((await s.list<{ n: number }>('tickets')).map((t) => t.n)).toEqual([1, 2, 3]);
    await s.close();
  });

  it('replaces a lost hot.json by an empty snapshot: the journal since the compaction is kept, new archive records follow the old ones', async () => {
    const dir = tempDir();
    const s = await openStore(dir, { compactJournalBytes: 1500 });
    for (let i = 1; i <= 30; i++) await s.transaction((tx) => tx.put('tickets', `T${i}`, { n: i }));
    await s.transaction((tx) => tx.archive('tickets', 'T1', { n: 1 }, new Date('2026-03-02T00:00:00Z')));
    await s.compactNow();
    await s.transaction((tx) => tx.put('tickets', 'T31', { n: 31 }));
    await s.close();
    unlinkSync(join(dir, 'hot.json'));
    const report = await repairStore(dir, new Date('2026-12-06T21:00:00Z'));
    expect(report.dropped).toBe(true);
    expect(report.actions.join('\n')).toMatch(/hot\.json: missing.*replaced by an empty snapshot/);
    const again = await openStore(dir);
    expect(await again.list('tickets')).toEqual([{ n: 31 }]);
    await again.transaction((tx) => tx.archive('tickets', 'T31', { n: 31 }, new Date('2026-03-03T00:00:00Z')));
    await again.compactNow();
    const archived: unknown[] = [];
    for await (const r of again.readArchive('tickets', '2026-03')) archived.push(r.value);
    expect(archived).toEqual([{ n: 1 }, { n: 31 }]);
    await again.close();
  });

  it('leaves an intact store alone', async () => {
    const dir = await storeWithTickets(2);
    const report = await repairStore(dir, new Date('2026-12-06T21:00:00Z'));
    expect(report).toEqual({ dir, actions: [], dropped: false });
    expect(readdirSync(dir).filter((f) => f.startsWith('repair-'))).toEqual([]);
  });
});

describe('one process per store', () => {
  it('refuses a second open while the first holds the store, and repair too; after close it opens', async () => {
    const dir = await storeWithTickets(1);
    const first = await openStore(dir);
    const second = await openStore(dir).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(StoreLockedError);
    expect((second as Error).message).toContain(`pid ${process.pid}`);
    await expect(repairStore(dir, new Date())).rejects.toThrow(StoreLockedError);
    // The migration refuses before it connects anywhere (the target URL is never used).
    await expect(migrateLowdbToPostgres({ sourceDir: dir, url: 'postgres://nobody@127.0.0.1:1/none', uniqueKeys: {} })).rejects.toThrow(StoreLockedError);
    await first.close();
    const third = await openStore(dir);
    await third.close();
  });

  it('takes over the lock of a process that is gone (kill -9)', async () => {
    const dir = await storeWithTickets(1);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(gone.stdout);
    expect(pid).toBeGreaterThan(0);
    writeFileSync(
      join(dir, 'lock'),
      JSON.stringify({ pid, host: hostname(), boot: '', started: '', purpose: 'a FleetDesk server', since: '2026-12-06T20:00:00Z' }),
    );
    const s = await openStore(dir);
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await s.close();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });
});
