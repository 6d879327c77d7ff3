/**
 * The files of the embedded store (journaledStore.ts), their format, and what is wrong with them:
 * read by the store at every start (it refuses to start on damage), by `fleetdesk store check`
 * (reports) and by `fleetdesk store repair` (storeRepair.ts).
 *
 *   hot.json                  snapshot, checksummed (durableFile.ts); absent until the first compaction
 *   journal.log (+ .end)      commits since the snapshot, one checksummed line each (appendLog.ts);
 *                             after a compaction its first line is a checkpoint naming the snapshot
 *   archive/<c>/<YYYY-MM>.jsonl (+ .end)   archived records, appended at compactions
 *
 * `judgeStore` is pure: it turns what was read into problems (the store must not start) and
 * notes (normal after a crash, said once in the log).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cutShort, endMarkFile, lastLogRecord, scanLog, type LogScan } from './appendLog.js';
import { DamagedFileError, parseDurableJson } from './durableFile.js';

export type Op =
  | ['p', string, string, unknown] // put collection id value
  | ['d', string, string] // delete collection id
  | ['a', string, string, string, string, unknown, number] // archive collection id month archivedAt value archiveSeq
  | ['m', string]; // claim message id

export interface JournalLine {
  s: number;
  o: Op[];
  /** Set on the first line after a compaction: the snapshot (hot.json) holds everything up to `s`. */
  k?: 'checkpoint';
}

export interface PendingArchive {
  /** Archive sequence number: orders archived records, makes re-appending them idempotent. */
  s: number;
  collection: string;
  month: string;
  id: string;
  at: string;
  v: unknown;
}

export interface ArchiveLine {
  s: number;
  id: string;
  at: string;
  v: unknown;
}

export interface Snapshot {
  format: 1;
  seq: number;
  collections: Record<string, Record<string, unknown>>;
  /** Dedup window, oldest first. */
  messages: string[];
  /** Archived records not yet in their monthly file. */
  pendingArchive: PendingArchive[];
  archiveSeq?: number;
  /** Written by `store repair` in place of a lost snapshot: when, and why. */
  repaired?: string;
}

export const SNAPSHOT_FILE = 'hot.json';
export const JOURNAL_FILE = 'journal.log';
export const ARCHIVE_DIR = 'archive';

export interface ArchiveFileState {
  readonly file: string;
  readonly collection: string;
  readonly month: string;
  readonly bytes: number;
  readonly committedBytes?: number;
  /** Sequence number of the last readable record. */
  readonly lastSeq?: number;
  /** Full scan (store check / repair); at a start only the tail is read. */
  readonly scan?: LogScan<ArchiveLine>;
}

export interface StoreFiles {
  readonly dir: string;
  readonly snapshot:
    | { readonly state: 'missing' }
    | { readonly state: 'ok'; readonly value: Snapshot; readonly bytes: number }
    | { readonly state: 'damaged'; readonly problem: string; readonly bytes: number };
  readonly journal: LogScan<JournalLine>;
  readonly archives: readonly ArchiveFileState[];
}

/** Reads the files of a store directory; `fullArchives` scans every archive line (slow on a big history). */
export async function readStoreFiles(dir: string, o: { fullArchives: boolean }): Promise<StoreFiles> {
  const snapshotFile = join(dir, SNAPSHOT_FILE);
  let snapshot: StoreFiles['snapshot'];
  let bytes: Buffer | undefined;
  try {
    bytes = await readFile(snapshotFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!bytes) snapshot = { state: 'missing' };
  else {
    try {
      const value = parseDurableJson<Snapshot>(snapshotFile, bytes).value;
      snapshot =
        value.format === 1
          ? { state: 'ok', value, bytes: bytes.length }
          : { state: 'damaged', problem: `unknown format ${JSON.stringify(value.format)}`, bytes: bytes.length };
    } catch (err) {
      if (!(err instanceof DamagedFileError)) throw err;
      snapshot = { state: 'damaged', problem: err.problem, bytes: bytes.length };
    }
  }
  const journal = await scanLog<JournalLine>(join(dir, JOURNAL_FILE));
  const archives: ArchiveFileState[] = [];
  let collections: string[] = [];
  try {
    collections = (await readdir(join(dir, ARCHIVE_DIR), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const collection of collections.sort()) {
    for (const name of (await readdir(join(dir, ARCHIVE_DIR, collection))).sort()) {
      if (!name.endsWith('.jsonl')) continue;
      const file = join(dir, ARCHIVE_DIR, collection, name);
      const month = name.slice(0, -'.jsonl'.length);
      if (o.fullArchives) {
        const scan = await scanLog<ArchiveLine>(file);
        const last = scan.records[scan.records.length - 1];
        archives.push({
          file,
          collection,
          month,
          bytes: scan.totalBytes,
          scan,
          ...(scan.committedBytes !== undefined ? { committedBytes: scan.committedBytes } : {}),
          ...(last ? { lastSeq: last.s } : {}),
        });
      } else {
        const size = (await stat(file)).size;
        const committed = await readCommitted(file);
        const last = await lastLogRecord<ArchiveLine>(file);
        archives.push({
          file,
          collection,
          month,
          bytes: size,
          ...(committed !== undefined ? { committedBytes: committed } : {}),
          ...(last ? { lastSeq: last.s } : {}),
        });
      }
    }
  }
  return { dir, snapshot, journal, archives };
}

async function readCommitted(file: string): Promise<number | undefined> {
  try {
    const text = await readFile(endMarkFile(file), 'latin1');
    return /^\d{1,20}\n?$/.test(text) ? Number(text.trim()) : undefined;
  } catch {
    return undefined;
  }
}

export interface StoreProblem {
  readonly file: string;
  /** Byte offset where the damage starts, when there is one place. */
  readonly offset?: number;
  readonly problem: string;
  /** What a start past this point would lose (and what `store repair` drops). */
  readonly loses: string;
}

export interface StoreVerdict {
  readonly problems: StoreProblem[];
  /** Normal after a crash (an interrupted final append), reported once. */
  readonly notes: string[];
}

/** What a run of journal lines holds, for an admin: commits, changes per collection, ticket ids. */
export function describeJournalLines(lines: readonly JournalLine[]): string {
  if (lines.length === 0) return 'no readable commits';
  const perCollection = new Map<string, number>();
  const tickets = new Set<string>();
  let messages = 0;
  for (const line of lines) {
    for (const op of line.o) {
      if (op[0] === 'm') {
        messages += 1;
        continue;
      }
      perCollection.set(op[1], (perCollection.get(op[1]) ?? 0) + 1);
      if (op[1] === 'tickets') tickets.add(op[2]);
    }
  }
  const parts = [...perCollection].sort(([a], [b]) => a.localeCompare(b)).map(([c, n]) => `${c} ${n}`);
  const ids = [...tickets].sort();
  const ticketText = ids.length > 0 ? `; tickets ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ` and ${ids.length - 20} more` : ''}` : '';
  return `${lines.length} commits (changes: ${parts.join(', ') || 'none'}; ${messages} processed messages${ticketText})`;
}

/** Problems and notes of a store directory as read by readStoreFiles. */
export function judgeStore(files: StoreFiles): StoreVerdict {
  const problems: StoreProblem[] = [];
  const notes: string[] = [];
  const journalFile = join(files.dir, JOURNAL_FILE);
  const j = files.journal;
  if (j.damage) {
    const more = j.damage.badLinesAfter > 0 ? ` and ${j.damage.badLinesAfter} more unreadable lines` : '';
    problems.push({
      file: journalFile,
      offset: j.damage.offset,
      problem: `line ${j.damage.line} at byte ${j.damage.offset} is damaged: ${j.damage.problem}`,
      loses: `${j.damage.bytesAfter} bytes from there: ${describeJournalLines(j.damage.recordsAfter)}${more}`,
    });
  } else if (cutShort(j)) {
    problems.push({
      file: journalFile,
      offset: j.validBytes,
      problem: `ends at byte ${j.validBytes} but ${j.committedBytes!} bytes were committed (${endMarkFile(journalFile)}): the file was cut or replaced`,
      loses: `the acknowledged commits in the missing ${j.committedBytes! - j.validBytes} bytes (their content is gone; the journal up to byte ${j.validBytes} holds ${describeJournalLines(j.records)})`,
    });
  } else if (j.tornTail) {
    notes.push(
      `${journalFile}: interrupted final append of ${j.tornTail.bytes} bytes at byte ${j.tornTail.offset} (a crash during a commit that was never acknowledged): it is cut off`,
    );
  }
  const checkpoint = j.records[0]?.k === 'checkpoint' ? j.records[0] : undefined;
  const snapshotFile = join(files.dir, SNAPSHOT_FILE);
  if (files.snapshot.state === 'damaged') {
    problems.push({
      file: snapshotFile,
      problem: files.snapshot.problem,
      loses:
        'the hot state of the last compaction (devices, agents, open tickets not changed since): restore hot.json from a backup, or let `store repair` rebuild from the journal alone',
    });
  } else if (files.snapshot.state === 'missing') {
    if (checkpoint) {
      problems.push({
        file: snapshotFile,
        problem: `missing, but ${JOURNAL_FILE} starts after a compaction at sequence ${checkpoint.s}: the snapshot existed`,
        loses: `every record last changed before sequence ${checkpoint.s} (devices, agents, open tickets); only the ${j.records.length - 1} commits since are in the journal`,
      });
    } else {
      // A crash in the very first compaction leaves archive lines whose records the journal still
      // holds; an archive record the journal does not know came from an earlier compaction.
      const journalArchived = new Set<number>();
      for (const line of j.records) for (const op of line.o) if (op[0] === 'a') journalArchived.add(op[6]);
      const orphan = files.archives.find((a) => a.lastSeq !== undefined && !journalArchived.has(a.lastSeq));
      if (orphan) {
        problems.push({
          file: snapshotFile,
          problem: `missing, but ${orphan.file} holds archived records the journal does not: the store was compacted before, so the snapshot existed`,
          loses: 'every record last changed before the last compaction (devices, agents, open tickets)',
        });
      }
    }
  } else if (checkpoint && checkpoint.s > files.snapshot.value.seq && files.snapshot.value.repaired === undefined) {
    problems.push({
      file: snapshotFile,
      problem: `holds sequence ${files.snapshot.value.seq}, older than the journal's checkpoint ${checkpoint.s}: an old copy was put back`,
      loses: `the records changed between sequence ${files.snapshot.value.seq} and ${checkpoint.s}`,
    });
  }
  for (const a of files.archives) {
    const scan = a.scan;
    if (scan?.damage) {
      problems.push({
        file: a.file,
        offset: scan.damage.offset,
        problem: `line ${scan.damage.line} at byte ${scan.damage.offset} is damaged: ${scan.damage.problem}`,
        loses: `${scan.damage.recordsAfter.length} archived ${a.collection} records of ${a.month} after it (history)`,
      });
      continue;
    }
    const intact = scan ? scan.validBytes : a.bytes;
    if (a.committedBytes !== undefined && (scan ? cutShort(scan) : a.bytes < a.committedBytes)) {
      problems.push({
        file: a.file,
        offset: intact,
        problem: `ends at byte ${intact} but ${a.committedBytes} bytes were committed: the file was cut or replaced`,
        loses: `the archived ${a.collection} records of ${a.month} in the missing ${a.committedBytes - intact} bytes (history)`,
      });
    } else if (scan?.tornTail) {
      notes.push(
        `${a.file}: interrupted append of ${scan.tornTail.bytes} bytes at byte ${scan.tornTail.offset} (its records are still pending in the snapshot): cut at the next compaction`,
      );
    }
  }
  return { problems, notes };
}

/** The store found damage at start: it does not start, and changes no file. */
export class StoreDamagedError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: readonly StoreProblem[],
  ) {
    super(
      `the store ${dir} is damaged; not starting, no file was changed:\n` +
        problems
          .map((p) => `  ${p.file}${p.offset !== undefined ? ` (byte ${p.offset})` : ''}: ${p.problem}; a start past it would lose ${p.loses}`)
          .join('\n') +
        `\nRun \`fleetdesk store check --dir ${dir}\` for the full report, restore the files from a backup, or run \`fleetdesk store repair --dir ${dir}\` (keeps a copy, drops the damaged part).`,
    );
    this.name = 'StoreDamagedError';
  }
}
