/**
 * Append-only JSON-lines files: the store's journal and the monthly archives.
 *
 * Record framing (format 2): `<crc32 of the JSON, 8 lowercase hex> <JSON>\n`. A line that starts
 * with `{` is a format 1 record (written before checksums existed): it is read as before, checked
 * only by JSON parsing. So a data directory written by older code still opens, and every record
 * written now carries a checksum.
 *
 * Committed length: beside each log, `<file>.end` holds the length the log had after its last
 * fsynced append (written after the fsync, not itself fsynced: after a power loss it can only be
 * older, i.e. smaller, never larger than what is durable). A log shorter than that was cut by
 * something other than a crash; a fragment after it is an interrupted append (never acknowledged).
 *
 * Scanning reports damage instead of hiding it: the intact prefix, the first damaged line with its
 * byte offset, and what follows it (see LogScan). Deciding what to do is the caller's business;
 * nothing here rewrites a file except `AppendLog.open` cutting an interrupted final append.
 */
import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/** One record as a framed line (format 2). */
export function frameRecord(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const line = Buffer.allocUnsafe(json.length + 10);
  line.write(crc32(json).toString(16).padStart(8, '0'), 0, 'latin1');
  line[8] = 0x20;
  json.copy(line, 9);
  line[line.length - 1] = 0x0a;
  return line;
}

export type ParsedLine<T> = { readonly ok: true; readonly value: T; readonly checked: boolean } | { readonly ok: false; readonly problem: string };

const HEX = /^[0-9a-f]{8}$/;

/** Parses one line (without its newline), framed (format 2) or plain JSON (format 1). */
export function parseRecordLine<T>(line: Buffer): ParsedLine<T> {
  if (line.length === 0) return { ok: false, problem: 'empty line' };
  if (line[0] === 0x7b) {
    try {
      return { ok: true, value: JSON.parse(line.toString('utf8')) as T, checked: false };
    } catch (err) {
      return { ok: false, problem: `unchecked (format 1) record is not valid JSON: ${(err as Error).message}` };
    }
  }
  const head = line.toString('latin1', 0, 8);
  if (line.length < 10 || !HEX.test(head) || line[8] !== 0x20) return { ok: false, problem: 'neither a checksummed record ("<crc32> {…}") nor a JSON object' };
  const json = line.subarray(9);
  const actual = crc32(json).toString(16).padStart(8, '0');
  if (actual !== head) return { ok: false, problem: `checksum mismatch (stored ${head}, computed ${actual})` };
  try {
    return { ok: true, value: JSON.parse(json.toString('utf8')) as T, checked: true };
  } catch (err) {
    // The checksum matched, so the writer wrote this: not damage on disk but a bug; still unusable.
    return { ok: false, problem: `record with a valid checksum is not valid JSON: ${(err as Error).message}` };
  }
}

export interface LogDamage<T> {
  /** Byte offset of the first damaged line. */
  readonly offset: number;
  /** 1-based line number of it. */
  readonly line: number;
  readonly problem: string;
  /** Readable records after the damage (what a start would lose if it stopped there). */
  readonly recordsAfter: T[];
  /** Further damaged lines after the first. */
  readonly badLinesAfter: number;
  readonly bytesAfter: number;
}

export interface LogScan<T> {
  /** Records of the intact prefix, in order. */
  readonly records: T[];
  /** Byte length of the intact prefix (up to the first damaged line or the torn tail). */
  readonly validBytes: number;
  readonly totalBytes: number;
  /** Records with a checksum / format 1 records without one, in the intact prefix. */
  readonly checked: number;
  readonly unchecked: number;
  /** A final fragment without a newline when everything before it is intact: an interrupted append. */
  readonly tornTail?: { readonly offset: number; readonly bytes: number };
  /** The first complete line that is not a valid record, and what follows it. */
  readonly damage?: LogDamage<T>;
  /** Committed length from `<file>.end`, when that file exists. */
  readonly committedBytes?: number;
  /** False when the file does not exist (an empty log). */
  readonly exists: boolean;
}

/** The committed-length file of a log. */
export function endMarkFile(file: string): string {
  return `${file}.end`;
}

const END_MARK_WIDTH = 20;

async function readEndMark(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(endMarkFile(file), 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const m = /^(\d{1,20})\n?$/.exec(text);
  if (!m) throw new Error(`${endMarkFile(file)}: expected the committed length of ${file} as a decimal number, found ${JSON.stringify(text.slice(0, 40))}`);
  return Number(m[1]);
}

/** Reads and checks every line of a log; a missing file is an empty log. */
export async function scanLog<T>(file: string): Promise<LogScan<T>> {
  // The mark first: read while a writer appends, it can then only be behind the data read.
  const committed = await readEndMark(file);
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return {
        records: [],
        validBytes: 0,
        totalBytes: 0,
        checked: 0,
        unchecked: 0,
        exists: false,
        ...(committed !== undefined ? { committedBytes: committed } : {}),
      };
    }
    throw err;
  }
  const records: T[] = [];
  let checked = 0;
  let unchecked = 0;
  let start = 0;
  let lineNo = 0;
  let damage: { offset: number; line: number; problem: string } | undefined;
  const after: T[] = [];
  let badAfter = 0;
  let tornTail: { offset: number; bytes: number } | undefined;
  while (start < buffer.length) {
    const end = buffer.indexOf(0x0a, start);
    lineNo += 1;
    if (end < 0) {
      if (!damage) tornTail = { offset: start, bytes: buffer.length - start };
      else badAfter += 1;
      break;
    }
    const parsed = parseRecordLine<T>(buffer.subarray(start, end));
    if (!damage) {
      if (parsed.ok) {
        records.push(parsed.value);
        if (parsed.checked) checked += 1;
        else unchecked += 1;
      } else damage = { offset: start, line: lineNo, problem: parsed.problem };
    } else if (parsed.ok) after.push(parsed.value);
    else badAfter += 1;
    start = end + 1;
  }
  const validBytes = damage ? damage.offset : tornTail ? tornTail.offset : buffer.length;
  return {
    records,
    validBytes,
    totalBytes: buffer.length,
    checked,
    unchecked,
    exists: true,
    ...(tornTail ? { tornTail } : {}),
    ...(damage ? { damage: { ...damage, recordsAfter: after, badLinesAfter: badAfter, bytesAfter: buffer.length - damage.offset } } : {}),
    ...(committed !== undefined ? { committedBytes: committed } : {}),
  };
}

/**
 * Whether a scan shows acknowledged data missing: the intact prefix ends before the committed
 * length (the file was cut, or a torn fragment sits where committed records were).
 */
export function cutShort(scan: LogScan<unknown>): boolean {
  return scan.damage === undefined && scan.committedBytes !== undefined && scan.validBytes < scan.committedBytes;
}

/** The last complete, readable record of a log (read from the tail only), or undefined. */
export async function lastLogRecord<T>(file: string, tailBytes = 1024 * 1024): Promise<T | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, tailBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    // The part after the last newline is '' or a torn fragment: skip it either way.
    let end = buffer.lastIndexOf(0x0a);
    while (end > 0) {
      const start = buffer.lastIndexOf(0x0a, end - 1) + 1;
      const parsed = parseRecordLine<T>(buffer.subarray(start, end));
      if (parsed.ok) return parsed.value;
      end = start - 1; // a fragment at the start of the tail window: keep looking
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Writes all of `data` at the end of the file: a short write is continued, no progress is an error. */
async function writeAll(handle: FileHandle, data: Buffer, file: string): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, null);
    if (bytesWritten <= 0) throw new Error(`${file}: short write (${done} of ${data.length} bytes written, then no progress)`);
    done += bytesWritten;
  }
}

/** Length up to the end of the last complete line, read from the tail. */
async function completeLength(handle: FileHandle, size: number, file: string): Promise<number> {
  const window = Math.min(size, 4 * 1024 * 1024);
  const buffer = Buffer.alloc(window);
  await handle.read(buffer, 0, window, size - window);
  const last = buffer.lastIndexOf(0x0a);
  if (last === window - 1) return size;
  if (last < 0 && window < size)
    throw new Error(`${file}: no line end in the last ${window} bytes: not an interrupted append, check the file with \`fleetdesk store check\``);
  return size - window + last + 1;
}

/** An open log for appending; `append` returns once the data is fsynced. */
export class AppendLog {
  private constructor(
    readonly file: string,
    private handle: FileHandle,
    private mark: FileHandle,
    private size: number,
  ) {}

  /**
   * Opens for appending. `validBytes` (from scanLog) cuts an interrupted final append off first;
   * callers pass it only after checking that nothing committed lies beyond it (see cutShort).
   * `cutTornTail` finds such a fragment from the file's tail instead (no full scan), refusing when
   * the cut would reach below the committed length.
   */
  static async open(file: string, o: { validBytes?: number; cutTornTail?: boolean } = {}): Promise<AppendLog> {
    const handle = await open(file, 'a+', 0o600);
    let mark: FileHandle;
    try {
      mark = await open(endMarkFile(file), constants.O_RDWR | constants.O_CREAT, 0o600);
    } catch (err) {
      await handle.close();
      throw err;
    }
    try {
      let { size } = await handle.stat();
      let keep = o.validBytes;
      if (o.cutTornTail && size > 0) keep = await completeLength(handle, size, file);
      if (keep !== undefined && keep < size) {
        const committed = await readEndMark(file);
        if (committed !== undefined && keep < committed) throw new Error(`${file}: refusing to cut at byte ${keep}, below the committed length ${committed}`);
        await handle.truncate(keep);
        await handle.sync();
        size = keep;
      }
      const log = new AppendLog(file, handle, mark, size);
      await log.writeMark();
      return log;
    } catch (err) {
      await handle.close();
      await mark.close();
      throw err;
    }
  }

  /** Durable length of the log (what every successful append has made durable). */
  get bytes(): number {
    return this.size;
  }

  private async writeMark(): Promise<void> {
    const text = Buffer.from(`${String(this.size).padStart(END_MARK_WIDTH, '0')}\n`, 'latin1');
    const { bytesWritten } = await this.mark.write(text, 0, text.length, 0);
    if (bytesWritten !== text.length) throw new Error(`${endMarkFile(this.file)}: short write (${bytesWritten} of ${text.length} bytes)`);
  }

  /**
   * Appends and fsyncs. On any failure (ENOSPC, EIO, short write) the bytes of this append are cut
   * off again where possible, so the file keeps ending with a complete record, and the error is
   * thrown: the caller must not treat the data as written.
   */
  async append(data: Buffer): Promise<void> {
    try {
      await writeAll(this.handle, data, this.file);
      await this.handle.datasync();
    } catch (err) {
      await this.handle.truncate(this.size).catch(() => undefined);
      throw err;
    }
    this.size += data.length;
    await this.writeMark();
  }

  /** Empties the log: the committed length goes to 0 (durably) before the data does. */
  async truncate(): Promise<void> {
    this.size = 0;
    await this.writeMark();
    await this.mark.sync();
    await this.handle.truncate(0);
    await this.handle.sync();
  }

  /** Cuts whatever follows the durable length (the rest of a failed append). */
  async cutToDurable(): Promise<void> {
    await this.handle.truncate(this.size);
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle.close();
    await this.mark.close();
  }
}
