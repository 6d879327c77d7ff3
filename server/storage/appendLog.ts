/**
 * Append-only JSON-lines files: the store's journal and the monthly archives. A crash can leave a
 * torn last line; readers stop at the first line that does not parse and report the offset of
 * the intact prefix so the writer can cut the tail off before appending again.
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface LogScan<T> {
  readonly records: T[];
  /** Byte length of the intact prefix (everything up to the last complete, parseable line). */
  readonly validBytes: number;
  readonly totalBytes: number;
}

/** Reads every complete JSON line; a missing file is an empty log. */
export async function scanLog<T>(file: string): Promise<LogScan<T>> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], validBytes: 0, totalBytes: 0 };
    throw err;
  }
  try {
    const buffer = await handle.readFile();
    const records: T[] = [];
    let start = 0;
    while (start < buffer.length) {
      const end = buffer.indexOf(0x0a, start);
      if (end < 0) break; // torn last line: no newline yet
      try {
        records.push(JSON.parse(buffer.toString('utf8', start, end)) as T);
      } catch {
        break;
      }
      start = end + 1;
    }
    return { records, validBytes: start, totalBytes: buffer.length };
  } finally {
    await handle.close();
  }
}

/** The last complete line of a log (read from the tail only), or undefined. */
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
    const lines = buffer.toString('utf8').split('\n');
    // The final element is '' after a complete line, or a torn fragment: skip it either way.
    for (let i = lines.length - 2; i >= 0; i--) {
      try {
        return JSON.parse(lines[i]!) as T;
      } catch {
        // a fragment at the start of the tail window or a torn line: keep looking
      }
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/** An open log for appending; `append` returns once the data is fsynced. */
export class AppendLog {
  private constructor(
    readonly file: string,
    private handle: FileHandle,
    private size: number,
  ) {}

  /** Opens for appending, cutting off a torn tail (`validBytes` from scanLog) first. */
  static async open(file: string, validBytes?: number): Promise<AppendLog> {
    const handle = await open(file, 'a+', 0o600);
    let { size } = await handle.stat();
    if (validBytes !== undefined && validBytes < size) {
      await handle.truncate(validBytes);
      await handle.sync();
      size = validBytes;
    }
    return new AppendLog(file, handle, size);
  }

  get bytes(): number {
    return this.size;
  }

  async append(data: Buffer, sync = true): Promise<void> {
    await this.handle.write(data, 0, data.length, null);
    this.size += data.length;
    if (sync) await this.handle.datasync();
  }

  async sync(): Promise<void> {
    await this.handle.datasync();
  }

  async truncate(): Promise<void> {
    await this.handle.truncate(0);
    await this.handle.sync();
    this.size = 0;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
