/**
 * `fleetdesk store check` and `fleetdesk store repair` for the embedded store: the full report of
 * storeFiles.ts (every archive line read, not only the tails a start reads), and the repair that
 * makes a damaged store start again by dropping what cannot be trusted.
 *
 * Repair holds the store's lock (it refuses while a server runs), copies every file before it
 * changes it into `<store>/repair-<time>/` (same relative paths), and then:
 *   - a damaged journal or archive line: the file is cut at it (everything from there is dropped);
 *   - a file shorter than its committed length: the length mark is set to what is there;
 *   - an interrupted final append: cut, as a start would;
 *   - a damaged hot.json: moved into the copy directory, then handled as a missing one;
 *   - a missing hot.json that existed: a new empty snapshot marked `repaired`, so the journal's
 *     commits and the archives are kept and the rest is gone (restore from a backup if there is one).
 * It reports each action with what it dropped, then checks the result again.
 */
import { copyFile, mkdir, open, rename, truncate, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { endMarkFile } from './appendLog.js';
import { DurableJsonFile, writeFileDurably } from './durableFile.js';
import {
  describeJournalLines,
  JOURNAL_FILE,
  judgeStore,
  readStoreFiles,
  SNAPSHOT_FILE,
  type Snapshot,
  type StoreFiles,
  type StoreVerdict,
} from './storeFiles.js';
import { lockStore, storeLockHolder } from './storeLock.js';

export interface StoreCheckReport extends StoreVerdict {
  readonly dir: string;
  /** One line per file: what was read. */
  readonly summary: string[];
  /** A server had the store open while it was read (the files may have moved on). */
  readonly liveHolder?: { pid: number; host: string; purpose: string };
}

function summarise(files: StoreFiles): string[] {
  const lines: string[] = [];
  const s = files.snapshot;
  lines.push(
    `${SNAPSHOT_FILE}: ${s.state === 'ok' ? `${s.bytes} bytes, sequence ${s.value.seq}, ${Object.values(s.value.collections).reduce((n, c) => n + Object.keys(c).length, 0)} hot records` : s.state}`,
  );
  const j = files.journal;
  lines.push(
    `${JOURNAL_FILE}: ${j.totalBytes} bytes, ${j.records.length} readable commits (${j.checked} with checksum, ${j.unchecked} older without)${j.committedBytes !== undefined ? `, committed length ${j.committedBytes}` : ''}`,
  );
  const records = files.archives.reduce((n, a) => n + (a.scan?.records.length ?? 0), 0);
  lines.push(`archive: ${files.archives.length} files, ${records} readable records`);
  return lines;
}

/** Reads every file of the store (read-only) and reports what is damaged. */
export async function checkStore(dir: string): Promise<StoreCheckReport> {
  const holder = await storeLockHolder(dir);
  const files = await readStoreFiles(dir, { fullArchives: true });
  return { dir, ...judgeStore(files), summary: summarise(files), ...(holder ? { liveHolder: holder } : {}) };
}

export interface StoreRepairReport {
  readonly dir: string;
  /** Where the copies of the changed files are (undefined when nothing was changed). */
  readonly backupDir?: string;
  /** What was done, each with what it dropped. */
  readonly actions: string[];
  /** Whether acknowledged data was dropped (as opposed to only an interrupted append). */
  readonly dropped: boolean;
}

async function setCommittedLength(file: string, bytes: number): Promise<void> {
  await writeFileDurably(endMarkFile(file), `${String(bytes).padStart(20, '0')}\n`);
}

async function cutFile(file: string, bytes: number): Promise<void> {
  await truncate(file, bytes);
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await setCommittedLength(file, bytes);
}

/** Repairs a store so that it starts; `now` names the copy directory. */
export async function repairStore(dir: string, now: Date): Promise<StoreRepairReport> {
  const lock = await lockStore(dir, 'fleetdesk store repair');
  try {
    const files = await readStoreFiles(dir, { fullArchives: true });
    const verdict = judgeStore(files);
    if (verdict.problems.length === 0 && verdict.notes.length === 0) return { dir, actions: [], dropped: false };
    const backupDir = join(dir, `repair-${now.toISOString().replace(/[:.]/g, '-')}`);
    const backedUp = new Set<string>();
    const keep = async (file: string) => {
      if (backedUp.has(file)) return;
      backedUp.add(file);
      for (const f of [file, endMarkFile(file)]) {
        const target = join(backupDir, relative(dir, f));
        await mkdir(dirname(target), { recursive: true });
        await copyFile(f, target).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
    };
    const actions: string[] = [];
    let dropped = false;
    const journalFile = join(dir, JOURNAL_FILE);
    const j = files.journal;
    if (j.damage) {
      await keep(journalFile);
      await cutFile(journalFile, j.damage.offset);
      dropped = true;
      actions.push(
        `${journalFile}: cut at byte ${j.damage.offset} (line ${j.damage.line}: ${j.damage.problem}); dropped ${j.damage.bytesAfter} bytes: ${describeJournalLines(j.damage.recordsAfter)}${j.damage.badLinesAfter > 0 ? ` and ${j.damage.badLinesAfter} more unreadable lines` : ''}`,
      );
    } else if (j.committedBytes !== undefined && j.validBytes < j.committedBytes) {
      await keep(journalFile);
      await cutFile(journalFile, j.validBytes);
      dropped = true;
      actions.push(
        `${journalFile}: accepted the loss of ${j.committedBytes - j.validBytes} committed bytes cut from its end (their commits are gone); it now ends at byte ${j.validBytes}`,
      );
    } else if (j.tornTail) {
      await keep(journalFile);
      await cutFile(journalFile, j.tornTail.offset);
      actions.push(`${journalFile}: cut an interrupted final append of ${j.tornTail.bytes} bytes at byte ${j.tornTail.offset} (never acknowledged)`);
    }
    for (const a of files.archives) {
      const scan = a.scan!;
      if (scan.damage) {
        await keep(a.file);
        await cutFile(a.file, scan.damage.offset);
        dropped = true;
        const ids = scan.damage.recordsAfter.map((r) => r.id);
        actions.push(
          `${a.file}: cut at byte ${scan.damage.offset} (line ${scan.damage.line}: ${scan.damage.problem}); dropped ${scan.damage.recordsAfter.length} archived ${a.collection} records${ids.length > 0 ? ` (${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''})` : ''} and ${scan.damage.badLinesAfter + 1} unreadable lines`,
        );
      } else if (scan.committedBytes !== undefined && scan.validBytes < scan.committedBytes) {
        await keep(a.file);
        await cutFile(a.file, scan.validBytes);
        dropped = true;
        actions.push(
          `${a.file}: accepted the loss of ${scan.committedBytes - scan.validBytes} committed bytes cut from its end (archived ${a.collection} records of ${a.month})`,
        );
      } else if (scan.tornTail) {
        await keep(a.file);
        await cutFile(a.file, scan.tornTail.offset);
        actions.push(`${a.file}: cut an interrupted append of ${scan.tornTail.bytes} bytes (its records are pending in the snapshot)`);
      }
    }
    const snapshotFile = join(dir, SNAPSHOT_FILE);
    const snapshotProblem = verdict.problems.find((p) => p.file === snapshotFile);
    if (snapshotProblem) {
      if (files.snapshot.state !== 'missing') {
        await mkdir(backupDir, { recursive: true });
        await rename(snapshotFile, join(backupDir, SNAPSHOT_FILE));
      }
      // Archive records already in files keep their sequence numbers; new ones must come after.
      let archiveSeq = 0;
      for (const a of files.archives) for (const r of a.scan!.records) archiveSeq = Math.max(archiveSeq, r.s);
      const snapshot: Snapshot = {
        format: 1,
        seq: 0,
        collections: {},
        messages: [],
        pendingArchive: [],
        archiveSeq,
        repaired: `${now.toISOString()}: ${snapshotProblem.problem}`,
      };
      await new DurableJsonFile<Snapshot>(snapshotFile, { checksum: true }).write(snapshot);
      dropped = true;
      actions.push(
        `${snapshotFile}: ${snapshotProblem.problem}; replaced by an empty snapshot${files.snapshot.state !== 'missing' ? ' (the damaged file is in the copy directory)' : ''}. Dropped: ${snapshotProblem.loses}. ` +
          'The processed-message window is empty too: a message redelivered from before may be applied again',
      );
    }
    const after = judgeStore(await readStoreFiles(dir, { fullArchives: true }));
    if (after.problems.length > 0)
      throw new Error(
        `the repair of ${dir} left problems: ${after.problems.map((p) => `${p.file}: ${p.problem}`).join('; ')} (copies of the original files are in ${backupDir})`,
      );
    await mkdir(backupDir, { recursive: true });
    await writeFile(join(backupDir, 'REPAIR.txt'), `${actions.join('\n')}\n`);
    return { dir, backupDir, actions, dropped };
  } finally {
    await lock.release();
  }
}
