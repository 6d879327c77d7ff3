/**
 * The embedded store: the Repository of repository.ts on local files, with lowdb holding the hot
 * snapshot. lowdb rewrites its whole file on every write, so the snapshot is NOT written per
 * change. Instead:
 *
 *   <dir>/journal.log                    one JSON line per commit: the changes of all transactions
 *                                        that arrived together (group commit), in order, with
 *                                        repeated puts of one record reduced to the last; appended
 *                                        and fsynced. One line = one atomic unit on replay.
 *   <dir>/hot.json                       lowdb file: every hot record + the dedup window, written
 *                                        atomically (temp + fsync + rename + dir fsync) only at
 *                                        compaction, when the journal has grown past a bound
 *   <dir>/archive/<collection>/<YYYY-MM>.jsonl
 *                                        history: archived records appended once, never rewritten
 *
 * So one change costs about its own size in the journal, plus its share of the next compaction;
 * history (e.g. 100,000 closed tickets) is never rewritten. Recovery = read hot.json, then replay
 * the journal lines newer than the snapshot; a torn last line (crash mid-append) was never
 * acknowledged and is cut off.
 *
 * Durability: `transaction()` resolves only after the journal line holding its changes is
 * fsynced. A transaction that changes nothing (a duplicate) still waits for the commit in flight,
 * so an acknowledgement never overtakes the commit of what it depends on. After an I/O error the
 * store refuses all further writes (memory may then hold changes the disk does not): readiness
 * turns false and the process must be restarted, which reloads the durable state.
 */
import { mkdir, open as openFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from '../../shared/logging.js';
import { AppendLog, frameRecord, scanLog } from './appendLog.js';
import { DurableJsonFile } from './durableFile.js';
import {
  checkArchiveMonth,
  checkCollection,
  checkGuardKey,
  monthOf,
  StoreFailedError,
  UniqueKeyViolation,
  type ArchivedRecord,
  type ListingPage,
  type ListingQuery,
  type ListingRules,
  type NumberCounter,
  type OrderedRecord,
  type Repository,
  type StoreStats,
  type Transaction,
  type UniqueKeyRules,
} from './repository.js';
import {
  ARCHIVE_DIR,
  JOURNAL_FILE,
  judgeStore,
  readStoreFiles,
  SNAPSHOT_FILE,
  StoreDamagedError,
  type ArchiveLine,
  type JournalLine,
  type Op,
  type PendingArchive,
  type Snapshot,
} from './storeFiles.js';
import { lockStore, type StoreLock } from './storeLock.js';
import { byKeyThenId, OrderedIndex } from './orderedIndex.js';
import { ListingIndex } from './listing.js';

export interface JournaledStoreOptions {
  dir: string;
  /** Extra wait before a commit so that more transactions share one fsync (ms); 0 = next tick. */
  commitDelayMs?: number;
  /** Compact (rewrite hot.json, empty the journal) when the journal exceeds this many bytes. */
  compactJournalBytes?: number;
  /** Compact when this many archived records wait in memory for their monthly file. */
  maxPendingArchive?: number;
  /** How many processed message ids are remembered for deduplication. */
  dedupWindow?: number;
  /** Commit at once when this many transactions wait, without waiting for the next tick. */
  maxBatchTransactions?: number;
  /** Unique keys per collection (repository.ts), enforced in memory. */
  uniqueKeys?: UniqueKeyRules;
  /** Listings per collection (repository.ts ListingRules), kept in memory. */
  listings?: ListingRules;
  /** After a write failure (disk full, I/O error), how often to try to recover (ms). */
  recoveryIntervalMs?: number;
  /** Bytes the recovery probe must be able to write and fsync before the store takes writes again. */
  recoveryProbeBytes?: number;
  /** Who holds the store's lock, for the error a second process gets (storeLock.ts). */
  owner?: string;
  logger?: Logger;
}

const DELETED = Symbol('deleted');
const NOT_WRITTEN = Symbol('not written');

interface QueuedWork {
  work: (tx: Transaction) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  /** Store maintenance (recovery) run in the queue's turn, with no unit of work in progress. */
  exclusive?: true;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class JournaledStore implements Repository {
  private readonly collections = new Map<string, Map<string, unknown>>();
  private readonly messages = new Set<string>();
  private pendingArchive: PendingArchive[] = [];
  private readonly archiveLastSeq = new Map<string, number>();
  private journal: AppendLog | undefined;
  private readonly snapshotAdapter: DurableJsonFile<Snapshot>;
  private readonly db: Low<Snapshot>;
  private appliedSeq = 0;
  private archiveSeq = 0;
  /** Units of work not yet run, in order; entries before waitingHead are done. */
  private readonly waiting: QueuedWork[] = [];
  private waitingHead = 0;
  private running = false;
  private batch: { ops: Op[]; seq: number; archiveSeq: number; count: number; waiters: Waiter[]; done: Promise<void> } | undefined;
  /** Highest archive sequence number whose journal line is durable. */
  private durableArchiveSeq = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private flushing = false;
  private flushScheduled = false;
  private failure: string | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  /** The recovery attempt in progress (close() waits for it). */
  private recovering: Promise<void> | undefined;
  private lock: StoreLock | undefined;
  private closed = false;
  private readonly listeners: ((info: { seconds: number; bytes: number }) => void)[] = [];
  private readonly options: Required<Omit<JournaledStoreOptions, 'uniqueKeys' | 'listings' | 'logger'>>;
  /** collection → its sorted index, from the first ordered read of the collection on (repository.ts OrderedRecord). */
  private readonly orderedIndexes = new Map<string, OrderedIndex>();
  /** collection → its listing, from the first listing page of the collection on. */
  private readonly listingIndexes = new Map<string, ListingIndex>();
  private readonly listings: ListingRules;
  readonly uniqueKeys: UniqueKeyRules;
  /** collection → unique key → id of the hot record holding it (collections with rules only). */
  private readonly keyOwners = new Map<string, Map<string, string>>();
  private counters = { bytesWritten: 0, commits: 0, compactions: 0, lastCommitSeconds: 0, snapshotBytes: 0, failures: 0, recoveries: 0 };
  private idle: (() => void)[] = [];
  private readonly logger: Logger | undefined;

  constructor(options: JournaledStoreOptions) {
    this.options = {
      commitDelayMs: 0,
      compactJournalBytes: 32 * 1024 * 1024,
      maxPendingArchive: 20_000,
      dedupWindow: 100_000,
      maxBatchTransactions: 500,
      recoveryIntervalMs: 5000,
      recoveryProbeBytes: 1024 * 1024,
      owner: 'a FleetDesk server',
      ...options,
    };
    this.uniqueKeys = options.uniqueKeys ?? {};
    this.listings = options.listings ?? {};
    this.logger = options.logger;
    this.snapshotAdapter = new DurableJsonFile<Snapshot>(join(options.dir, SNAPSHOT_FILE), { checksum: true });
    this.db = new Low<Snapshot>(this.snapshotAdapter, { format: 1, seq: 0, collections: {}, messages: [], pendingArchive: [] });
  }

  private get journalFile(): string {
    return join(this.options.dir, JOURNAL_FILE);
  }

  private archiveFile(collection: string, month: string): string {
    return join(this.options.dir, ARCHIVE_DIR, collection, `${month}.jsonl`);
  }

  /**
   * Takes the store's lock (one process per store), checks every file and loads. Damage
   * (storeFiles.ts) stops the start with StoreDamagedError and changes no file; the one thing
   * cut is an interrupted final append of the journal, which was never acknowledged.
   */
  async open(): Promise<void> {
    await mkdir(join(this.options.dir, ARCHIVE_DIR), { recursive: true });
    this.lock = await lockStore(this.options.dir, this.options.owner);
    try {
      await this.load();
    } catch (err) {
      await this.lock.release();
      this.lock = undefined;
      throw err;
    }
  }

  /** Reads the durable state into memory (at open, and when recovering from a write failure). */
  private async load(): Promise<void> {
    const files = await readStoreFiles(this.options.dir, { fullArchives: false });
    const verdict = judgeStore(files);
    if (verdict.problems.length > 0) throw new StoreDamagedError(this.options.dir, verdict.problems);
    for (const note of verdict.notes) this.logger?.warn({ store: this.options.dir }, note);
    this.collections.clear();
    this.keyOwners.clear();
    this.messages.clear();
    this.archiveLastSeq.clear();
    const snap: Snapshot = files.snapshot.state === 'ok' ? files.snapshot.value : { format: 1, seq: 0, collections: {}, messages: [], pendingArchive: [] };
    for (const [name, records] of Object.entries(snap.collections)) {
      this.collections.set(name, new Map(Object.entries(records)));
    }
    for (const [name, records] of this.collections) if (this.uniqueKeys[name]) for (const [id, v] of records) this.rekey(name, id, v);
    // Rebuilt at the next ordered read or page.
    this.orderedIndexes.clear();
    this.listingIndexes.clear();
    for (const id of snap.messages) this.messages.add(id);
    this.pendingArchive = [...snap.pendingArchive];
    this.appliedSeq = snap.seq;
    this.archiveSeq = snap.archiveSeq ?? 0;
    this.counters.snapshotBytes = files.snapshot.state === 'ok' ? files.snapshot.bytes : 0;
    for (const line of files.journal.records) {
      if (line.s > this.appliedSeq) {
        this.apply(line);
        this.appliedSeq = line.s;
      }
    }
    this.durableArchiveSeq = this.archiveSeq; // everything read from disk is durable
    // Where each monthly archive file ends, so a compaction repeated after a crash appends nothing twice.
    for (const a of files.archives) if (a.lastSeq !== undefined) this.archiveLastSeq.set(a.file, a.lastSeq);
    this.journal = await AppendLog.open(this.journalFile, files.journal.tornTail ? { validBytes: files.journal.validBytes } : {});
  }

  private collection(name: string): Map<string, unknown> {
    let c = this.collections.get(name);
    if (!c) {
      checkCollection(name);
      c = new Map();
      this.collections.set(name, c);
    }
    return c;
  }

  /** Moves the unique keys of a record from its current value to `next` (undefined: gone). */
  private rekey(collection: string, id: string, next: unknown): void {
    const rule = this.uniqueKeys[collection];
    if (!rule) return;
    let owners = this.keyOwners.get(collection);
    if (!owners) this.keyOwners.set(collection, (owners = new Map<string, string>()));
    const prev = this.collections.get(collection)?.get(id);
    if (prev !== undefined) for (const k of rule(prev)) if (owners.get(k) === id) owners.delete(k);
    // Replayed data that breaks a rule (written before the rule existed) keeps its first holder.
    if (next !== undefined) for (const k of rule(next)) if (!owners.has(k)) owners.set(k, id);
  }

  /** The hot record holding a unique key (as committed). */
  keyOwner(collection: string, key: string): string | undefined {
    return this.keyOwners.get(collection)?.get(key);
  }

  private claim(id: string): void {
    this.messages.add(id);
    if (this.messages.size > this.options.dedupWindow) {
      const oldest = this.messages.values().next().value as string;
      this.messages.delete(oldest);
    }
  }

  private apply(line: JournalLine): void {
    for (const op of line.o) {
      switch (op[0]) {
        case 'p':
          this.rekey(op[1], op[2], op[3]);
          this.orderedIndexes.get(op[1])?.move(op[2], this.collections.get(op[1])?.get(op[2]), op[3]);
          this.listingIndexes.get(op[1])?.move(op[2], op[3]);
          this.collection(op[1]).set(op[2], op[3]);
          break;
        case 'd':
          this.rekey(op[1], op[2], undefined);
          this.orderedIndexes.get(op[1])?.move(op[2], this.collections.get(op[1])?.get(op[2]), undefined);
          this.listingIndexes.get(op[1])?.move(op[2], undefined);
          this.collection(op[1]).delete(op[2]);
          break;
        case 'a':
          this.rekey(op[1], op[2], undefined);
          this.orderedIndexes.get(op[1])?.move(op[2], this.collections.get(op[1])?.get(op[2]), undefined);
          this.listingIndexes.get(op[1])?.move(op[2], undefined);
          this.collection(op[1]).delete(op[2]);
          // A replayed line may repeat archive ops the snapshot already holds: keep each once.
          if (op[6] > this.archiveSeq) {
            this.pendingArchive.push({ s: op[6], collection: op[1], id: op[2], month: op[3], at: op[4], v: op[5] });
            this.archiveSeq = op[6];
          }
          break;
        case 'm':
          this.claim(op[1]);
          break;
      }
    }
  }

  transaction<T>(work: (tx: Transaction) => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.running) {
        this.running = true;
        queueMicrotask(() => this.runNext());
      }
    });
  }

  /**
   * Runs queued units of work one after another (each sees the changes of those before it). A
   * plain FIFO instead of a chain of promises: under load thousands wait here, and the chain's
   * per-transaction promises were a measurable part of ingest CPU and garbage.
   */
  private runNext(): void {
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
      this.running = false;
      return;
    }
    const next = this.waiting[this.waitingHead]!;
    this.waiting[this.waitingHead++] = undefined as unknown as QueuedWork;
    // Under a steady stream the queue may never run empty: drop the done prefix now and then.
    if (this.waitingHead >= 4096 && this.waitingHead * 2 >= this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    if (next.exclusive) {
      Promise.resolve()
        .then(() => next.work(undefined as unknown as Transaction))
        .then(next.resolve, next.reject)
        .finally(() => this.runNext());
      return;
    }
    this.runWork(next.work).then(
      ({ result, durable }) => {
        durable.then(() => next.resolve(result), next.reject);
        this.runNext();
      },
      (err: unknown) => {
        next.reject(err as Error);
        this.runNext();
      },
    );
  }

  private async runWork<T>(work: (tx: Transaction) => Promise<T> | T): Promise<{ result: T; durable: Promise<void> }> {
    if (this.failure !== undefined) throw new StoreFailedError(this.failure);
    if (!this.journal) throw new Error('the store is not open: call open() first');
    const tx = new StoreTransaction(this);
    const result = await work(tx);
    // The store failed while this unit ran: its changes must not reach memory the disk lacks.
    if (this.failure !== undefined) throw new StoreFailedError(this.failure);
    if (tx.ops.length === 0) return { result, durable: this.inFlight };
    let archiveSeq = this.archiveSeq;
    for (const op of tx.ops) if (op[0] === 'a') op[6] = ++archiveSeq;
    const line: JournalLine = { s: this.appliedSeq + 1, o: tx.ops };
    this.apply(line);
    this.appliedSeq = line.s;
    return { result, durable: this.enqueue(tx.ops, line.s) };
  }

  private enqueue(ops: Op[], seq: number): Promise<void> {
    if (!this.batch) {
      const waiters: Waiter[] = [];
      const done = new Promise<void>((resolve, reject) => {
        waiters.push({ resolve, reject });
      });
      // Rejections reach every caller through the promise they await; this only marks it handled.
      done.catch(() => undefined);
      this.batch = { ops: [], seq, archiveSeq: this.archiveSeq, count: 0, waiters, done };
    }
    for (const op of ops) this.batch.ops.push(op);
    this.batch.seq = seq;
    this.batch.archiveSeq = this.archiveSeq;
    this.batch.count += 1;
    const done = this.batch.done;
    this.inFlight = done;
    // A full batch commits now instead of waiting for the event loop to come round: under a steady
    // stream (mqtt.js parses a whole socket buffer before yielding) acknowledgements keep flowing.
    if (this.batch.count >= this.options.maxBatchTransactions && !this.flushing) void this.flush();
    else this.scheduleFlush();
    return done;
  }

  /** The batch as one journal line; a put overwritten later in the same batch is left out. */
  private static serialise(ops: Op[], seq: number): Buffer {
    // Walk backwards: the first put of a record met is its last; earlier ones are left out.
    const seen = new Map<string, Set<string>>();
    const kept: Op[] = [];
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i]!;
      if (op[0] === 'p') {
        let ids = seen.get(op[1]);
        if (!ids) seen.set(op[1], (ids = new Set()));
        if (ids.has(op[2])) continue;
        ids.add(op[2]);
      }
      kept.push(op);
    }
    kept.reverse();
    return frameRecord({ s: seq, o: kept } satisfies JournalLine);
  }

  private scheduleFlush(): void {
    if (this.flushing || this.flushScheduled) return;
    this.flushScheduled = true;
    const go = () => {
      this.flushScheduled = false;
      void this.flush();
    };
    if (this.options.commitDelayMs > 0) setTimeout(go, this.options.commitDelayMs);
    else setImmediate(go);
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    if (this.flushing) return;
    if (!batch) {
      this.notifyIdle();
      return;
    }
    this.flushing = true;
    this.batch = undefined;
    if (this.failure !== undefined) {
      // Failed while this batch waited: it is not written; memory is reloaded from disk on recovery.
      for (const w of batch.waiters) w.reject(new StoreFailedError(this.failure));
      this.flushing = false;
      this.notifyIdle();
      return;
    }
    const data = JournaledStore.serialise(batch.ops, batch.seq);
    const started = process.hrtime.bigint();
    try {
      await this.journal!.append(data);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.counters.bytesWritten += data.length;
      this.counters.commits += 1;
      this.counters.lastCommitSeconds = seconds;
      this.durableArchiveSeq = batch.archiveSeq;
      for (const w of batch.waiters) w.resolve();
      for (const l of this.listeners) l({ seconds, bytes: data.length });
      if (this.journal!.bytes > this.options.compactJournalBytes || this.pendingArchive.length > this.options.maxPendingArchive) {
        await this.compact();
      }
    } catch (err) {
      this.fail(err as Error);
      for (const w of batch.waiters) w.reject(new StoreFailedError(this.failure!));
    } finally {
      this.flushing = false;
    }
    if (this.batch) {
      if (this.failure !== undefined) {
        const pending = this.batch as { waiters: Waiter[] };
        this.batch = undefined;
        for (const w of pending.waiters) w.reject(new StoreFailedError(this.failure));
        this.notifyIdle();
      } else this.scheduleFlush();
    } else {
      this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    if (this.flushing || this.flushScheduled || this.batch) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /**
   * A write failed (disk full, I/O error, short write): refuse every write from now on, so nothing
   * is acknowledged that the disk does not hold, and try to recover in the background.
   */
  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = `storage write failed in ${this.options.dir}: ${err.message}`;
    this.counters.failures += 1;
    this.logger?.error({ store: this.options.dir, err: err.message }, 'storage write failed: writes are refused and nothing is acknowledged until it recovers');
    this.scheduleRecovery();
  }

  private scheduleRecovery(): void {
    if (this.closed || this.recoveryTimer) return;
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = undefined;
      void this.recover();
    }, this.options.recoveryIntervalMs);
    this.recoveryTimer.unref();
  }

  /**
   * Recovery after a write failure, in the queue's turn (no unit of work half done): once a probe
   * of `recoveryProbeBytes` can be written and fsynced, cut what the failed append left, reload
   * memory from the durable files (dropping every change that was refused, none of which was
   * acknowledged) and take writes again. Otherwise try again later.
   */
  private async recover(): Promise<void> {
    if (this.closed || this.failure === undefined || this.recovering) return;
    this.recovering = this.attemptRecovery().finally(() => (this.recovering = undefined));
    await this.recovering;
  }

  private async attemptRecovery(): Promise<void> {
    try {
      await this.exclusive(async () => {
        while (this.flushing) await new Promise<void>((r) => this.idle.push(r));
        if (this.closed) throw new Error('the store was closed');
        await this.probeSpace();
        const journal = this.journal;
        this.journal = undefined;
        if (journal) {
          await journal.cutToDurable().catch(() => undefined);
          await journal.close().catch(() => undefined);
        }
        await this.load();
      });
      const was = this.failure;
      this.failure = undefined;
      this.counters.recoveries += 1;
      this.logger?.warn({ store: this.options.dir, failure: was }, 'storage recovered: writes are accepted again; refused changes were never acknowledged');
    } catch (err) {
      this.logger?.debug({ store: this.options.dir, err: (err as Error).message }, 'storage still failing; retrying');
      if (err instanceof StoreDamagedError) this.logger?.error({ store: this.options.dir, err: err.message }, 'storage cannot recover: the files are damaged');
      this.scheduleRecovery();
    }
  }

  private async probeSpace(): Promise<void> {
    const file = join(this.options.dir, '.space-probe');
    const handle = await openFile(file, 'w', 0o600);
    try {
      await handle.writeFile(Buffer.alloc(this.options.recoveryProbeBytes));
      await handle.datasync();
    } finally {
      await handle.close();
      await unlink(file).catch(() => undefined);
    }
  }

  /** Runs `fn` in the queue's turn: after every unit queued before it, before every one after. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work: fn, resolve: resolve as (value: unknown) => void, reject, exclusive: true });
      if (!this.running) {
        this.running = true;
        queueMicrotask(() => this.runNext());
      }
    });
  }

  /**
   * Writes archived records to their monthly files, then the whole hot state to hot.json, then
   * empties the journal. The hot state is captured synchronously, so it may include
   * transactions still waiting in the next batch: their journal lines then carry sequence numbers
   * at or below the snapshot's and are skipped on replay (the snapshot already holds them).
   */
  private async compact(): Promise<void> {
    // Only records whose journal line is durable go to the monthly files; the rest stay pending.
    const committed = this.pendingArchive.filter((r) => r.s <= this.durableArchiveSeq);
    this.pendingArchive = this.pendingArchive.filter((r) => r.s > this.durableArchiveSeq);
    const byFile = new Map<string, PendingArchive[]>();
    for (const rec of committed) {
      const file = this.archiveFile(rec.collection, rec.month);
      const list = byFile.get(file) ?? [];
      list.push(rec);
      byFile.set(file, list);
    }
    for (const [file, records] of byFile) {
      const last = this.archiveLastSeq.get(file) ?? 0;
      const fresh = records.filter((r) => r.s > last);
      if (fresh.length === 0) continue;
      await mkdir(join(file, '..'), { recursive: true });
      // An interrupted earlier append (a crash, or a failure whose cut-back failed) may have left a
      // fragment after the last complete line: cut it; its records are still pending here.
      const log = await AppendLog.open(file, { cutTornTail: true });
      try {
        const data = Buffer.concat(fresh.map((r) => frameRecord({ s: r.s, id: r.id, at: r.at, v: r.v } satisfies ArchiveLine)));
        await log.append(data);
        this.counters.bytesWritten += data.length;
      } finally {
        await log.close();
      }
      this.archiveLastSeq.set(file, fresh[fresh.length - 1]!.s);
    }
    // Capture the hot state now (synchronously): the lowdb adapter serialises before its first await.
    const collections: Record<string, Record<string, unknown>> = {};
    for (const [name, records] of this.collections) collections[name] = Object.fromEntries(records);
    const seq = this.appliedSeq;
    this.db.data = { format: 1, seq, collections, messages: [...this.messages], pendingArchive: this.pendingArchive, archiveSeq: this.archiveSeq };
    await this.db.write();
    this.db.data = { format: 1, seq: this.appliedSeq, collections: {}, messages: [], pendingArchive: [] };
    this.counters.bytesWritten += this.snapshotAdapter.lastWriteBytes;
    this.counters.snapshotBytes = this.snapshotAdapter.lastWriteBytes;
    await this.journal!.truncate();
    // The first line names the snapshot, so a missing hot.json is noticed instead of starting half empty.
    const checkpoint = frameRecord({ s: seq, o: [], k: 'checkpoint' } satisfies JournalLine);
    await this.journal!.append(checkpoint);
    this.counters.bytesWritten += checkpoint.length;
    this.counters.compactions += 1;
  }

  /** Forces a compaction now (after pending commits). */
  async compactNow(): Promise<void> {
    await this.transaction(() => undefined);
    while (this.flushing) await new Promise<void>((r) => this.idle.push(r));
    this.flushing = true;
    try {
      await this.compact();
    } finally {
      this.flushing = false;
    }
    if (this.batch) this.scheduleFlush();
    else this.notifyIdle();
  }

  // --- reads (used by transactions and by callers outside them) ---

  peek(collection: string, id: string): unknown {
    return this.collections.get(collection)?.get(id);
  }

  peekAll(collection: string): Map<string, unknown> | undefined {
    return this.collections.get(collection);
  }

  /** Names of the collections holding hot records (for `fleetdesk store migrate`). */
  collectionNames(): string[] {
    return [...this.collections]
      .filter(([, records]) => records.size > 0)
      .map(([name]) => name)
      .sort();
  }

  /** The dedup window, oldest first. */
  messageIds(): string[] {
    return [...this.messages];
  }

  /** Collections with archived records (monthly files or still pending). */
  async archivedCollections(): Promise<string[]> {
    const names = new Set<string>(this.pendingArchive.map((p) => p.collection));
    for (const entry of await readdir(join(this.options.dir, 'archive'), { withFileTypes: true })) if (entry.isDirectory()) names.add(entry.name);
    return [...names].sort();
  }

  hasMessage(id: string): boolean {
    return this.messages.has(id);
  }

  get<T>(collectionName: string, id: string): Promise<T | undefined> {
    return Promise.resolve(this.peek(collectionName, id) as T | undefined);
  }

  list<T>(collectionName: string): Promise<T[]> {
    return Promise.resolve([...(this.collections.get(collectionName)?.values() ?? [])] as T[]);
  }

  listingPage<T>(collectionName: string, query: ListingQuery): Promise<ListingPage<T>> {
    let index = this.listingIndexes.get(collectionName);
    if (!index) {
      const rule = this.listings[collectionName];
      if (!rule) return Promise.reject(new Error(`collection ${collectionName} has no listing rule (ListingRules of the store's options)`));
      index = new ListingIndex(rule, this.collections.get(collectionName) ?? []);
      this.listingIndexes.set(collectionName, index);
    }
    const records = this.collections.get(collectionName);
    const { ids, sorts, total } = index.page(query);
    return Promise.resolve({ items: ids.map((id) => records!.get(id) as T), sorts, total });
  }

  getMany<T>(collectionName: string, ids: readonly string[]): Promise<(T | undefined)[]> {
    const records = this.collections.get(collectionName);
    return Promise.resolve(ids.map((id) => records?.get(id) as T | undefined));
  }

  /** The sorted index of a collection by `field` (committed records), built at its first use. */
  orderedIndex(collectionName: string, field: string): OrderedIndex {
    let index = this.orderedIndexes.get(collectionName);
    if (index && index.field !== field)
      throw new Error(`collection ${collectionName} is ordered by ${index.field}, not ${field}: one order field per collection`);
    if (!index) {
      checkCollection(collectionName);
      index = new OrderedIndex(field);
      for (const [id, v] of this.collections.get(collectionName) ?? []) index.move(id, undefined, v);
      this.orderedIndexes.set(collectionName, index);
    }
    return index;
  }

  firstOrdered(collectionName: string, field: string): Promise<number | undefined> {
    try {
      return Promise.resolve(this.orderedIndex(collectionName, field).first());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  archiveMonths(collectionName: string): Promise<string[]> {
    checkCollection(collectionName);
    return (async () => {
      const months = new Set<string>();
      try {
        for (const file of await readdir(join(this.options.dir, 'archive', collectionName))) {
          if (file.endsWith('.jsonl')) months.add(file.slice(0, -'.jsonl'.length));
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      for (const p of this.pendingArchive) if (p.collection === collectionName) months.add(p.month);
      return [...months].sort();
    })();
  }

  async *readArchive<T>(collectionName: string, month: string): AsyncIterable<ArchivedRecord<T>> {
    checkCollection(collectionName);
    checkArchiveMonth(month);
    const file = this.archiveFile(collectionName, month);
    const pending = this.pendingArchive.filter((p) => p.collection === collectionName && p.month === month);
    const scan = await scanLog<ArchiveLine>(file);
    if (scan.damage)
      throw new StoreDamagedError(this.options.dir, [
        {
          file,
          offset: scan.damage.offset,
          problem: `line ${scan.damage.line} is damaged: ${scan.damage.problem}`,
          loses: `${scan.damage.recordsAfter.length} archived records after it`,
        },
      ]);
    let last = 0;
    for (const line of scan.records) {
      last = line.s;
      yield { collection: collectionName, id: line.id, month, archivedAt: line.at, value: line.v as T };
    }
    for (const p of pending) {
      if (p.s > last) yield { collection: collectionName, id: p.id, month, archivedAt: p.at, value: p.v as T };
    }
  }

  onCommit(listener: (info: { seconds: number; bytes: number }) => void): void {
    this.listeners.push(listener);
  }

  stats(): StoreStats {
    return {
      snapshotBytes: this.counters.snapshotBytes,
      journalBytes: this.journal?.bytes ?? 0,
      bytesWritten: this.counters.bytesWritten,
      commits: this.counters.commits,
      compactions: this.counters.compactions,
      lastCommitSeconds: this.counters.lastCommitSeconds,
      healthy: this.failure === undefined,
      ...(this.failure !== undefined ? { failure: this.failure } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.failure === undefined && this.journal) {
      await this.transaction(() => undefined).catch(() => undefined);
      // A compaction may still be running after the last commit resolved.
      while (this.flushing || this.flushScheduled) await new Promise<void>((r) => this.idle.push(r));
    }
    this.closed = true;
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    this.recoveryTimer = undefined;
    await this.recovering;
    await this.journal?.close();
    this.journal = undefined;
    await this.lock?.release();
    this.lock = undefined;
  }
}

/** A unit of work over the store: reads see earlier applied transactions plus its own writes. */
class StoreTransaction implements Transaction {
  readonly ops: Op[] = [];
  // Most units of work (one ingested message) claim one id and write a record or two, so their own
  // writes are kept as a flat list [collection, id, value, ...] and indexed by maps only when many.
  private writes: unknown[] | undefined;
  private index: Map<string, Map<string, unknown>> | undefined;
  private claimedOne: string | undefined;
  private claimedMore: Set<string> | undefined;
  /** Open savepoints; while > 0 every write and claim is recorded in `undo`. */
  private depth = 0;
  /** [collection, id, previous own value (or NOT_WRITTEN)] per write; [undefined, messageId] per claim. */
  private undo: unknown[][] = [];

  constructor(private readonly store: JournaledStore) {}

  /** This transaction's own value for a record (DELETED when it deleted it), or NOT_WRITTEN. */
  private own(collection: string, id: string): unknown {
    if (this.index) {
      const m = this.index.get(collection);
      return m?.has(id) ? m.get(id) : NOT_WRITTEN;
    }
    const w = this.writes;
    if (w) for (let i = w.length - 3; i >= 0; i -= 3) if (w[i] === collection && w[i + 1] === id) return w[i + 2];
    return NOT_WRITTEN;
  }

  private write(collection: string, id: string, value: unknown): void {
    checkCollection(collection);
    const rule = this.store.uniqueKeys[collection];
    if (rule && this.ownKeys) this.moveOwnKeys(collection, id, this.own(collection, id), value, rule);
    if (this.depth > 0) this.undo.push([collection, id, this.own(collection, id)]);
    if (!this.index) {
      const w = (this.writes ??= []);
      w.push(collection, id, value);
      if (w.length < 48) return;
      this.toIndex();
      return;
    }
    this.indexed(collection).set(id, value);
  }

  private toIndex(): void {
    const w = this.writes ?? [];
    this.index = new Map();
    for (let i = 0; i < w.length; i += 3) this.indexed(w[i] as string).set(w[i + 1] as string, w[i + 2]);
    this.writes = undefined;
  }

  private indexed(collection: string): Map<string, unknown> {
    let m = this.index!.get(collection);
    if (!m) this.index!.set(collection, (m = new Map<string, unknown>()));
    return m;
  }

  get<T>(collection: string, id: string): Promise<T | undefined> {
    const v = this.own(collection, id);
    if (v !== NOT_WRITTEN) return Promise.resolve(v === DELETED ? undefined : (v as T));
    return Promise.resolve(this.store.peek(collection, id) as T | undefined);
  }

  async offerNumber(counter: NumberCounter): Promise<number> {
    return ((await this.get<{ lastNumber: number }>(counter.collection, counter.id))?.lastNumber ?? 0) + 1;
  }

  async useNumber(counter: NumberCounter, n: number): Promise<void> {
    const last = (await this.get<{ lastNumber: number }>(counter.collection, counter.id))?.lastNumber ?? 0;
    if (n <= last) throw new Error(`number ${n} of ${counter.collection}/${counter.id} is not after ${last}`);
    await this.put(counter.collection, counter.id, { lastNumber: n });
  }

  unusedNumber(): Promise<void> {
    // Nothing was written for an offer.
    return Promise.resolve();
  }

  prefetch(): Promise<void> {
    // Every read is from memory already.
    return Promise.resolve();
  }

  list<T>(collection: string): Promise<T[]> {
    const merged = new Map(this.store.peekAll(collection) ?? []);
    const apply = (id: string, v: unknown) => {
      if (v === DELETED) merged.delete(id);
      else merged.set(id, v);
    };
    if (this.index) for (const [id, v] of this.index.get(collection) ?? []) apply(id, v);
    else if (this.writes)
      for (let i = 0; i < this.writes.length; i += 3) if (this.writes[i] === collection) apply(this.writes[i + 1] as string, this.writes[i + 2]);
    return Promise.resolve([...merged.values()] as T[]);
  }

  listOrdered<T>(collection: string, field: string, upTo: number, limit: number): Promise<OrderedRecord<T>[]> {
    let index: OrderedIndex;
    try {
      index = this.store.orderedIndex(collection, field);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // This unit's own writes replace what the index holds of them; the `limit` lowest of the rest
    // plus the own ones contain the `limit` lowest of all.
    const own = new Map<string, unknown>();
    if (this.index) for (const [id, v] of this.index.get(collection) ?? []) own.set(id, v);
    else if (this.writes)
      for (let i = 0; i < this.writes.length; i += 3) if (this.writes[i] === collection) own.set(this.writes[i + 1] as string, this.writes[i + 2]);
    const out: OrderedRecord<T>[] = [];
    let committed = 0;
    for (const [key, id] of index.upTo(upTo)) {
      if (committed >= limit) break;
      if (own.has(id)) continue;
      out.push({ id, key, value: this.store.peek(collection, id) as T });
      committed += 1;
    }
    for (const [id, v] of own) {
      if (v === DELETED) continue;
      const key = index.keyOf(v);
      if (key !== undefined && key <= upTo) out.push({ id, key, value: v as T });
    }
    return Promise.resolve(own.size === 0 ? out : out.sort(byKeyThenId).slice(0, limit));
  }

  put<T>(collection: string, id: string, value: T): Promise<void> {
    const rule = this.store.uniqueKeys[collection];
    if (rule) {
      try {
        this.checkKeys(collection, id, value, rule);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    this.write(collection, id, value);
    this.ops.push(['p', collection, id, value]);
    return Promise.resolve();
  }

  update<T extends object>(collection: string, id: string, _from: T, value: T): Promise<void> {
    // The journal holds whole records: an update is a put.
    return this.put(collection, id, value);
  }

  /** Throws UniqueKeyViolation when another hot record (as this transaction sees them) holds a key of `value`. */
  private checkKeys(collection: string, id: string, value: unknown, rule: (value: unknown) => readonly string[]): void {
    const keys = rule(value);
    if (keys.length === 0) return;
    const mineByKey = this.ownKeysOf(collection, rule);
    for (const key of keys) {
      // Held by a record written earlier in this transaction (its value as of now)?
      const holder = mineByKey.get(key);
      if (holder !== undefined && holder !== id) throw new UniqueKeyViolation(collection, key, id, holder);
      // Held by a committed record this transaction has not rewritten (a rewrite is in mineByKey).
      const owner = this.store.keyOwner(collection, key);
      if (owner !== undefined && owner !== id && this.own(collection, owner) === NOT_WRITTEN) throw new UniqueKeyViolation(collection, key, id, owner);
    }
  }

  /**
   * Unique keys held by this transaction's own (not deleted) writes, per collection: kept up to
   * date by write(), rebuilt after a savepoint rollback. A map, so that a unit of work writing
   * thousands of tickets (a timer tick) stays linear.
   */
  private ownKeys: Map<string, Map<string, string>> | undefined;

  private ownKeysOf(collection: string, rule: (value: unknown) => readonly string[]): Map<string, string> {
    this.ownKeys ??= new Map();
    let m = this.ownKeys.get(collection);
    if (!m) {
      m = new Map();
      this.ownKeys.set(collection, m);
      const add = (otherId: string, v: unknown) => {
        if (v !== DELETED) for (const k of rule(v)) m!.set(k, otherId);
      };
      if (this.index) for (const [otherId, v] of this.index.get(collection) ?? []) add(otherId, v);
      else if (this.writes) {
        // The flat list may hold several writes of one record: only the last counts.
        const last = new Map<string, unknown>();
        for (let i = 0; i < this.writes.length; i += 3) if (this.writes[i] === collection) last.set(this.writes[i + 1] as string, this.writes[i + 2]);
        for (const [otherId, v] of last) add(otherId, v);
      }
    }
    return m;
  }

  private moveOwnKeys(collection: string, id: string, previous: unknown, next: unknown, rule: (value: unknown) => readonly string[]): void {
    const m = this.ownKeys?.get(collection);
    if (!m) return; // built lazily from the writes when first needed
    if (previous !== NOT_WRITTEN && previous !== DELETED) for (const k of rule(previous)) if (m.get(k) === id) m.delete(k);
    if (next !== DELETED) for (const k of rule(next)) m.set(k, id);
  }

  delete(collection: string, id: string): Promise<void> {
    this.write(collection, id, DELETED);
    this.ops.push(['d', collection, id]);
    return Promise.resolve();
  }

  archive<T>(collection: string, id: string, value: T, now: Date): Promise<void> {
    this.write(collection, id, DELETED);
    this.ops.push(['a', collection, id, monthOf(now), now.toISOString(), value, 0]);
    return Promise.resolve();
  }

  claimMessage(messageId: string): Promise<boolean> {
    if (this.claimedOne === messageId || this.claimedMore?.has(messageId) || this.store.hasMessage(messageId)) return Promise.resolve(false);
    if (this.claimedOne === undefined) this.claimedOne = messageId;
    else (this.claimedMore ??= new Set()).add(messageId);
    if (this.depth > 0) this.undo.push([undefined, messageId]);
    this.ops.push(['m', messageId]);
    return Promise.resolve(true);
  }

  guard(key: string): Promise<void> {
    // Units of work already run one after the other here: the key is only checked.
    try {
      checkGuardKey(key);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async savepoint<T>(work: () => Promise<T> | T): Promise<T> {
    // Undo entries restore the indexed form; switching now keeps the flat list append-only.
    if (!this.index) this.toIndex();
    const ops = this.ops.length;
    const undo = this.undo.length;
    this.depth += 1;
    try {
      return await work();
    } catch (err) {
      this.rollbackTo(ops, undo);
      throw err;
    } finally {
      this.depth -= 1;
      // Outside any savepoint nothing can be rolled back partially any more.
      if (this.depth === 0) this.undo.length = 0;
    }
  }

  private rollbackTo(ops: number, undo: number): void {
    this.ops.length = ops;
    this.ownKeys = undefined; // rebuilt from the restored writes when next needed
    for (let i = this.undo.length - 1; i >= undo; i--) {
      const [collection, id, previous] = this.undo[i]!;
      if (collection === undefined) {
        if (this.claimedOne === id) this.claimedOne = undefined;
        else this.claimedMore?.delete(id as string);
        continue;
      }
      const m = this.indexed(collection as string);
      if (previous === NOT_WRITTEN) m.delete(id as string);
      else m.set(id as string, previous);
    }
    this.undo.length = undo;
  }
}
