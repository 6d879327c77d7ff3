/**
 * The durable outbox: every message the agent reports is appended to an on-disk queue first
 * and leaves it only when the broker has acknowledged it (PUBACK).
 *
 * Layout under `dir`:
 *   LOCK                      pid of the agent using the outbox (a second agent refuses to start)
 *   events/<n>.seg            device.event records, append-only segments (n = 12-digit counter)
 *   telemetry/<n>.seg         device.telemetry records
 *   acked.json                per lane, how many records of the head segment are already acknowledged
 *   quarantine/               corrupt segments moved aside, named after lane, segment and time
 *
 * Durability: the events lane is fsynced before `append` returns, so an event handed to the
 * outbox survives SIGKILL and power loss. Telemetry is fsynced at most every
 * `telemetryFsyncMs` (it is replaceable by the next poll).
 *
 * Size policy (`maxBytes` over both lanes): when an append would exceed the budget the oldest
 * telemetry segments are deleted first (counted in `droppedTelemetry`). Events are never dropped:
 * if events alone exceed the budget they are still written and the outbox reports itself over
 * budget. Above `nearFullRatio` of the budget the outbox reports `nearFull` (the runtime warns).
 *
 * Delivery order: the events lane is drained before telemetry; within a lane, records leave in
 * the order they were appended, so per-device order holds. Delivery is at-least-once: after a
 * crash, records that were acknowledged since the last `checkpoint()` are sent again with the
 * same message id (the server drops repeats by id).
 *
 * Write failures (disk full, read-only, I/O error): the partial write is cut off, the records are
 * held in memory (bounded) so that publishing continues, and the error is reported with its
 * code; writing is retried on the next append.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { encodeRecord, scanRecords, type StoredMessage } from './recordFormat.js';

export type Lane = 'events' | 'telemetry';
export const LANES: readonly Lane[] = ['events', 'telemetry'];

export interface OutboxOptions {
  dir: string;
  maxBytes: number;
  /** Rotate to a new segment file beyond this size. */
  segmentBytes?: number;
  nearFullRatio?: number;
  telemetryFsyncMs?: number;
  /** Records kept in memory per lane when the disk refuses writes. */
  memoryFallbackLimit?: number;
  now?: () => number;
  /** Tests replace the write step to simulate a full disk. */
  writeFile?: (fd: number, data: Buffer) => void;
}

export interface RecoveryProblem {
  readonly file: string;
  readonly quarantinedAs: string;
  readonly recoveredRecords: number;
  readonly lostBytes: number;
  readonly reason: string;
}

export interface OutboxRecord {
  readonly lane: Lane;
  readonly topic: string;
  readonly message: StoredMessage['message'];
  /** Encoded size on disk. */
  readonly bytes: number;
}

interface Rec extends OutboxRecord {
  readonly seg: Segment | null;
  readonly index: number;
  acked: boolean;
}

interface Segment {
  readonly no: number;
  readonly path: string;
  bytes: number;
  count: number;
  ackedCount: number;
  /** Loaded records; null while the segment waits on disk behind the drain cursor. */
  records: Rec[] | null;
  fd: number | null;
  deleted: boolean;
}

interface LaneState {
  readonly lane: Lane;
  readonly dir: string;
  segments: Segment[];
  nextNo: number;
  /** Drain cursor: segment number and record index of the next record to hand out. */
  cursorSeg: number;
  cursorIdx: number;
  /** Records the disk refused, in order, after everything on disk. */
  memory: Rec[];
  memoryCursor: number;
  lastFsync: number;
  dirty: boolean;
}

export interface OutboxStats {
  readonly records: number;
  readonly bytes: number;
  readonly byLane: Record<Lane, { records: number; bytes: number; segments: number; inMemory: number }>;
  readonly maxBytes: number;
  readonly nearFull: boolean;
  readonly overBudget: boolean;
  readonly droppedTelemetry: number;
  readonly droppedMemory: number;
  readonly writeErrors: number;
  readonly lastWriteError: string | null;
  readonly quarantined: number;
}

export interface AppendResult {
  readonly persisted: boolean;
  readonly error?: string;
  readonly droppedTelemetry: number;
}

export class OutboxLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`outbox ${dir} is in use by another running agent (pid ${pid}); each agent needs its own outbox.dir`);
    this.name = 'OutboxLockedError';
  }
}

const SEGMENT_RE = /^(\d{12})\.seg$/;
const segName = (no: number) => `${String(no).padStart(12, '0')}.seg`;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Outbox {
  private readonly lanes: Record<Lane, LaneState>;
  private readonly opts: Required<Omit<OutboxOptions, 'writeFile'>> & Pick<OutboxOptions, 'writeFile'>;
  private droppedTelemetry = 0;
  private droppedMemory = 0;
  private writeErrors = 0;
  private lastWriteError: string | null = null;
  private closed = false;
  readonly problems: RecoveryProblem[] = [];
  /** Highest seq found per device in the recovered records. */
  readonly recoveredSeq = new Map<string, number>();

  private constructor(options: OutboxOptions) {
    this.opts = {
      segmentBytes: 4 * 1024 * 1024,
      nearFullRatio: 0.8,
      telemetryFsyncMs: 1000,
      memoryFallbackLimit: 10_000,
      now: () => Date.now(),
      ...options,
    };
    const mk = (lane: Lane): LaneState => ({
      lane,
      dir: join(options.dir, lane),
      segments: [],
      nextNo: 1,
      cursorSeg: 0,
      cursorIdx: 0,
      memory: [],
      memoryCursor: 0,
      lastFsync: 0,
      dirty: false,
    });
    this.lanes = { events: mk('events'), telemetry: mk('telemetry') };
  }

  /** Opens (creating if needed) and recovers the outbox. Throws only for a locked or unusable directory. */
  static open(options: OutboxOptions): Outbox {
    const box = new Outbox(options);
    try {
      mkdirSync(join(options.dir, 'quarantine'), { recursive: true });
      for (const lane of LANES) mkdirSync(box.lanes[lane].dir, { recursive: true });
    } catch (err) {
      throw new Error(`cannot create outbox directory ${options.dir}: ${(err as Error).message}`);
    }
    box.lock();
    const acked = box.readAckCursor();
    for (const lane of LANES) box.recoverLane(box.lanes[lane], acked[lane]);
    return box;
  }

  private lock(): void {
    const path = join(this.opts.dir, 'LOCK');
    if (existsSync(path)) {
      const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(pid) && pid !== process.pid && pidAlive(pid)) throw new OutboxLockedError(this.opts.dir, pid);
    }
    writeFileSync(path, `${process.pid}\n`);
  }

  private readAckCursor(): Partial<Record<Lane, { seg: number; count: number }>> {
    const path = join(this.opts.dir, 'acked.json');
    if (!existsSync(path)) return {};
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { seg?: unknown; count?: unknown }>;
      const out: Partial<Record<Lane, { seg: number; count: number }>> = {};
      for (const lane of LANES) {
        const v = parsed[lane];
        if (v && Number.isInteger(v.seg) && Number.isInteger(v.count)) out[lane] = { seg: v.seg as number, count: v.count as number };
      }
      return out;
    } catch {
      // A damaged cursor only costs duplicates (same message ids): start from the head.
      return {};
    }
  }

  private recoverLane(state: LaneState, acked: { seg: number; count: number } | undefined): void {
    const names = readdirSync(state.dir)
      .filter((n) => SEGMENT_RE.test(n))
      .sort();
    for (const name of names) {
      const no = Number(SEGMENT_RE.exec(name)![1]);
      const path = join(state.dir, name);
      let buf: Buffer;
      try {
        buf = readFileSync(path);
      } catch (err) {
        this.quarantine(state, path, name, 0, statSafe(path), `unreadable: ${(err as Error).message}`, null);
        continue;
      }
      const scan = scanRecords(buf);
      if (scan.badRanges.length > 0) {
        const lost = scan.badRanges.reduce((n, r) => n + r.end - r.start, 0);
        const good = Buffer.concat(scan.records.map((r) => buf.subarray(r.offset, r.offset + r.bytes)));
        this.quarantine(
          state,
          path,
          name,
          scan.records.length,
          lost,
          scan.badRanges
            .map((r) => r.reason)
            .slice(0, 3)
            .join('; '),
          good,
        );
      }
      if (scan.records.length === 0) {
        safeUnlink(path);
        continue;
      }
      const seg: Segment = { no, path, bytes: 0, count: 0, ackedCount: 0, records: [], fd: null, deleted: false };
      const skip = acked && acked.seg === no ? acked.count : 0;
      for (const r of scan.records) {
        const m = r.item.message;
        if (typeof m.deviceId === 'string' && typeof m.seq === 'number') {
          this.recoveredSeq.set(m.deviceId, Math.max(this.recoveredSeq.get(m.deviceId) ?? 0, m.seq));
        }
        const rec: Rec = { lane: state.lane, topic: r.item.topic, message: m, bytes: r.bytes, seg, index: seg.count, acked: seg.count < skip };
        seg.records!.push(rec);
        seg.count++;
        seg.bytes += r.bytes;
        if (rec.acked) seg.ackedCount++;
      }
      state.segments.push(seg);
      state.nextNo = Math.max(state.nextNo, no + 1);
    }
    // Keep only the head and the tail in memory; the rest is read again when the cursor gets there.
    state.segments.forEach((s, i) => {
      if (i !== 0 && i !== state.segments.length - 1) s.records = null;
    });
    this.compact(state);
  }

  private quarantine(state: LaneState, path: string, name: string, recovered: number, lostBytes: number, reason: string, good: Buffer | null): void {
    const target = join(this.opts.dir, 'quarantine', `${state.lane}-${name}.${new Date(this.opts.now()).toISOString().replace(/[:.]/g, '-')}.corrupt`);
    try {
      renameSync(path, target);
      if (good && good.length > 0) {
        writeFileSync(path, good);
        const fd = openSync(path, 'r+');
        fsyncSync(fd);
        closeSync(fd);
      }
    } catch (err) {
      reason += ` (and moving it aside failed: ${(err as Error).message})`;
    }
    this.problems.push({ file: path, quarantinedAs: target, recoveredRecords: recovered, lostBytes, reason });
  }

  /**
   * Appends messages to a lane in one write. Events are fsynced before this returns. Never
   * throws for disk trouble: `persisted: false` plus the error, and the messages stay in memory.
   */
  append(lane: Lane, items: readonly StoredMessage[]): AppendResult {
    if (this.closed) throw new Error('outbox is closed');
    if (items.length === 0) return { persisted: true, droppedTelemetry: 0 };
    const state = this.lanes[lane];
    const encoded = items.map((it) => encodeRecord(it));
    const incoming = encoded.reduce((n, b) => n + b.length, 0);
    const dropped = this.makeRoom(incoming, lane);
    if (lane === 'telemetry' && this.totalBytes() + incoming > this.opts.maxBytes) {
      // Even after dropping old telemetry there is no room: the newest telemetry goes too.
      this.droppedTelemetry += items.length;
      return { persisted: false, error: 'outbox full: telemetry dropped', droppedTelemetry: dropped + items.length };
    }
    // Earlier records the disk refused go first, to keep order.
    const retry = state.memory.slice(state.memoryCursor).filter((r) => !r.acked);
    const toWrite: { item: StoredMessage; buf: Buffer; prior: Rec | null }[] = [
      ...retry.map((r) => ({ item: { topic: r.topic, message: r.message }, buf: encodeRecord(r), prior: r })),
      ...items.map((item, i) => ({ item, buf: encoded[i]!, prior: null })),
    ];
    try {
      const seg = this.writableSegment(state);
      const before = seg.bytes;
      const data = Buffer.concat(toWrite.map((w) => w.buf));
      try {
        (this.opts.writeFile ?? writeAll)(seg.fd!, data);
        this.syncIfDue(state, seg, lane === 'events');
      } catch (err) {
        try {
          ftruncateSync(seg.fd!, before);
        } catch {
          // The tail will be detected and cut off as corruption at the next start.
        }
        throw err;
      }
      for (const w of toWrite) {
        const rec: Rec = { lane, topic: w.item.topic, message: w.item.message, bytes: w.buf.length, seg, index: seg.count, acked: false };
        seg.records?.push(rec);
        seg.count++;
        seg.bytes += w.buf.length;
      }
      // Retried records were handed out from memory already if the broker was up; the disk copies are new records.
      state.memory = [];
      state.memoryCursor = 0;
      if (seg.bytes >= this.opts.segmentBytes) {
        this.closeSegment(seg);
        // Nothing of it handed out yet (a backlog): let it wait on disk, not in memory.
        if (state.cursorSeg < seg.no) seg.records = null;
      }
      return { persisted: true, droppedTelemetry: dropped };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.writeErrors++;
      this.lastWriteError = `cannot write outbox ${state.dir}: ${e.code ?? ''} ${e.message}`.trim();
      for (let i = 0; i < items.length; i++) {
        state.memory.push({ lane, topic: items[i]!.topic, message: items[i]!.message, bytes: encoded[i]!.length, seg: null, index: -1, acked: false });
      }
      while (state.memory.length - state.memoryCursor > this.opts.memoryFallbackLimit) {
        state.memory.splice(state.memoryCursor, 1);
        this.droppedMemory++;
      }
      return { persisted: false, error: this.lastWriteError, droppedTelemetry: dropped };
    }
  }

  private writableSegment(state: LaneState): Segment {
    const tail = state.segments[state.segments.length - 1];
    if (tail && tail.fd !== null) return tail;
    const no = state.nextNo++;
    const path = join(state.dir, segName(no));
    const fd = openSync(path, 'a');
    const seg: Segment = { no, path, bytes: 0, count: 0, ackedCount: 0, records: [], fd, deleted: false };
    state.segments.push(seg);
    return seg;
  }

  private syncIfDue(state: LaneState, seg: Segment, always: boolean): void {
    const now = this.opts.now();
    if (always || now - state.lastFsync >= this.opts.telemetryFsyncMs) {
      fsyncSync(seg.fd!);
      state.lastFsync = now;
      state.dirty = false;
    } else {
      state.dirty = true;
    }
  }

  private closeSegment(seg: Segment): void {
    if (seg.fd === null) return;
    try {
      fsyncSync(seg.fd);
    } finally {
      closeSync(seg.fd);
      seg.fd = null;
    }
  }

  private totalBytes(): number {
    let n = 0;
    for (const lane of LANES) for (const s of this.lanes[lane].segments) n += s.bytes;
    return n;
  }

  /** Deletes the oldest telemetry segments until `incoming` fits; returns records dropped. */
  private makeRoom(incoming: number, forLane: Lane): number {
    const tel = this.lanes.telemetry;
    let dropped = 0;
    while (this.totalBytes() + incoming > this.opts.maxBytes && tel.segments.length > 0) {
      const oldest = tel.segments[0]!;
      // The segment being written is dropped only to make room for an event.
      if (oldest.fd !== null && forLane === 'telemetry') break;
      this.closeSegment(oldest);
      safeUnlink(oldest.path);
      oldest.deleted = true;
      tel.segments.shift();
      const lost = oldest.count - oldest.ackedCount;
      dropped += lost;
      this.droppedTelemetry += lost;
      if (tel.cursorSeg === oldest.no) {
        tel.cursorIdx = 0;
        tel.cursorSeg = tel.segments[0]?.no ?? 0;
      }
    }
    return dropped;
  }

  /** The next record to publish (events lane first), or undefined when everything is handed out. */
  next(): OutboxRecord | undefined {
    return this.nextIn(this.lanes.events) ?? this.nextIn(this.lanes.telemetry);
  }

  private nextIn(state: LaneState): Rec | undefined {
    for (const seg of state.segments) {
      if (seg.no < state.cursorSeg) continue;
      if (seg.no > state.cursorSeg) {
        state.cursorSeg = seg.no;
        state.cursorIdx = 0;
      }
      const records = this.loaded(state, seg);
      while (state.cursorIdx < records.length) {
        const rec = records[state.cursorIdx++]!;
        if (!rec.acked) return rec;
      }
      if (seg.fd !== null) break;
    }
    while (state.memoryCursor < state.memory.length) {
      const rec = state.memory[state.memoryCursor++]!;
      if (!rec.acked) return rec;
    }
    return undefined;
  }

  private loaded(state: LaneState, seg: Segment): Rec[] {
    if (seg.records) return seg.records;
    const records: Rec[] = [];
    try {
      const buf = readFileSync(seg.path);
      const scan = scanRecords(buf);
      if (scan.badRanges.length > 0) {
        this.problems.push({
          file: seg.path,
          quarantinedAs: '',
          recoveredRecords: scan.records.length,
          lostBytes: scan.badRanges.reduce((n, r) => n + r.end - r.start, 0),
          reason: `changed on disk since start: ${scan.badRanges[0]!.reason}`,
        });
      }
      for (const r of scan.records)
        records.push({ lane: state.lane, topic: r.item.topic, message: r.item.message, bytes: r.bytes, seg, index: records.length, acked: false });
    } catch (err) {
      this.problems.push({ file: seg.path, quarantinedAs: '', recoveredRecords: 0, lostBytes: seg.bytes, reason: `unreadable: ${(err as Error).message}` });
    }
    seg.records = records;
    seg.count = records.length;
    return records;
  }

  /** The broker acknowledged the record: it may leave the disk. */
  ack(record: OutboxRecord): void {
    const rec = record as Rec;
    if (rec.acked) return;
    rec.acked = true;
    if (!rec.seg || rec.seg.deleted) return;
    rec.seg.ackedCount++;
    this.compact(this.lanes[rec.lane]);
  }

  /** Publishing failed: hand the record (and everything after it in its lane) out again. */
  retry(record: OutboxRecord): void {
    const rec = record as Rec;
    if (rec.acked) return;
    const state = this.lanes[rec.lane];
    if (!rec.seg) {
      const i = state.memory.indexOf(rec);
      if (i >= 0 && i < state.memoryCursor) state.memoryCursor = i;
      return;
    }
    if (rec.seg.deleted) return;
    if (rec.seg.no < state.cursorSeg || (rec.seg.no === state.cursorSeg && rec.index < state.cursorIdx)) {
      state.cursorSeg = rec.seg.no;
      state.cursorIdx = rec.index;
      state.memoryCursor = 0;
    }
  }

  /** Hands everything not yet acknowledged out again (after a reconnect without a session). */
  rewind(): void {
    for (const lane of LANES) {
      const state = this.lanes[lane];
      state.cursorSeg = state.segments[0]?.no ?? 0;
      state.cursorIdx = 0;
      state.memoryCursor = 0;
    }
  }

  /** Removes fully acknowledged segments from the head of a lane. */
  private compact(state: LaneState): void {
    for (;;) {
      const head = state.segments[0];
      if (!head || head.ackedCount < head.count) break;
      // An active segment is recycled only once it is big enough to be worth a new file.
      if (head.fd !== null && head.bytes < 64 * 1024) break;
      this.closeSegment(head);
      safeUnlink(head.path);
      head.deleted = true;
      state.segments.shift();
      if (state.cursorSeg === head.no) {
        state.cursorSeg = state.segments[0]?.no ?? state.nextNo;
        state.cursorIdx = 0;
      }
      const nextHead = state.segments[0];
      if (nextHead && nextHead.records === null) this.loaded(state, nextHead);
    }
  }

  /**
   * Persists how far the head segments are acknowledged (fewer duplicates after a crash) and
   * fsyncs telemetry written since the last sync. Cheap; the runtime calls it every second.
   */
  checkpoint(): void {
    const cursor: Record<string, { seg: number; count: number }> = {};
    for (const lane of LANES) {
      const state = this.lanes[lane];
      const head = state.segments[0];
      if (head?.records) {
        let prefix = 0;
        while (prefix < head.records.length && head.records[prefix]!.acked) prefix++;
        cursor[lane] = { seg: head.no, count: prefix };
      }
      const tail = state.segments[state.segments.length - 1];
      if (state.dirty && tail?.fd != null) {
        try {
          fsyncSync(tail.fd);
          state.dirty = false;
          state.lastFsync = this.opts.now();
        } catch {
          // Reported by the next append.
        }
      }
    }
    const path = join(this.opts.dir, 'acked.json');
    try {
      writeFileSync(`${path}.tmp`, JSON.stringify(cursor));
      renameSync(`${path}.tmp`, path);
    } catch {
      // Only an optimisation: without it, acknowledged records may be sent again after a crash.
    }
  }

  stats(): OutboxStats {
    const byLane = {} as OutboxStats['byLane'];
    let records = 0;
    let bytes = 0;
    for (const lane of LANES) {
      const s = this.lanes[lane];
      const r = s.segments.reduce((n, seg) => n + seg.count - seg.ackedCount, 0);
      const b = s.segments.reduce((n, seg) => n + seg.bytes, 0);
      const inMemory = s.memory.filter((m) => !m.acked).length;
      byLane[lane] = { records: r + inMemory, bytes: b, segments: s.segments.length, inMemory };
      records += r + inMemory;
      bytes += b;
    }
    return {
      records,
      bytes,
      byLane,
      maxBytes: this.opts.maxBytes,
      nearFull: bytes >= this.opts.maxBytes * this.opts.nearFullRatio,
      overBudget: bytes > this.opts.maxBytes,
      droppedTelemetry: this.droppedTelemetry,
      droppedMemory: this.droppedMemory,
      writeErrors: this.writeErrors,
      lastWriteError: this.lastWriteError,
      quarantined: this.problems.filter((p) => p.quarantinedAs !== '').length,
    };
  }

  close(): void {
    if (this.closed) return;
    this.checkpoint();
    for (const lane of LANES)
      for (const seg of this.lanes[lane].segments) {
        try {
          this.closeSegment(seg);
        } catch {
          // Closing is best effort; the data was fsynced by checkpoint.
        }
      }
    safeUnlink(join(this.opts.dir, 'LOCK'));
    this.closed = true;
  }
}

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
