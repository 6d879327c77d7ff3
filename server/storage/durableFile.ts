/**
 * Crash-safe whole-file writes for lowdb. lowdb's default writer (steno) writes a temp file and
 * renames it, but never calls fsync: after a power loss the renamed file may be empty. This
 * adapter writes the temp file, fsyncs it, renames it over the target and fsyncs the directory,
 * so a reader sees either the old or the new content, never a torn one. A failed write (ENOSPC,
 * EIO) throws and leaves the old file as it was.
 *
 * With `checksum` (the store's hot.json) the file is `{"crc32":"<8 hex>","data":<JSON>}`, the CRC-32
 * taken over the bytes of <JSON>, so damage from outside (a disk, a hand edit) is detected rather
 * than loaded. A file without that wrapper (written before checksums existed) is read as plain JSON.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Adapter } from 'lowdb';

const CHECKED_HEAD = '{"crc32":"';
const CHECKED_PREFIX_BYTES = CHECKED_HEAD.length + 8 + '","data":'.length;

/** The file exists but cannot be trusted: unreadable JSON or a checksum that does not match. */
export class DamagedFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file} is damaged: ${problem}`);
    this.name = 'DamagedFileError';
  }
}

/** Parses a whole-file JSON document, checking its checksum when it has one. */
export function parseDurableJson<T>(file: string, bytes: Buffer): { value: T; checked: boolean } {
  if (bytes.toString('latin1', 0, CHECKED_HEAD.length) === CHECKED_HEAD) {
    const stored = bytes.toString('latin1', CHECKED_HEAD.length, CHECKED_HEAD.length + 8);
    if (bytes.toString('latin1', CHECKED_HEAD.length + 8, CHECKED_PREFIX_BYTES) !== '","data":' || bytes[bytes.length - 1] !== 0x7d) {
      throw new DamagedFileError(file, 'the checksum wrapper {"crc32":…,"data":…} is broken (file cut or edited)');
    }
    const data = bytes.subarray(CHECKED_PREFIX_BYTES, bytes.length - 1);
    const actual = crc32(data).toString(16).padStart(8, '0');
    if (actual !== stored) throw new DamagedFileError(file, `checksum mismatch (stored ${stored}, computed ${actual}; ${bytes.length} bytes)`);
    try {
      return { value: JSON.parse(data.toString('utf8')) as T, checked: true };
    } catch (err) {
      throw new DamagedFileError(file, `valid checksum but not valid JSON: ${(err as Error).message}`);
    }
  }
  try {
    return { value: JSON.parse(bytes.toString('utf8')) as T, checked: false };
  } catch (err) {
    throw new DamagedFileError(file, `not valid JSON (${(err as Error).message}); it is only ever replaced atomically, so this is outside damage`);
  }
}

function checksummed(json: string): Buffer {
  const data = Buffer.from(json, 'utf8');
  return Buffer.concat([Buffer.from(`${CHECKED_HEAD}${crc32(data).toString(16).padStart(8, '0')}","data":`, 'latin1'), data, Buffer.from('}', 'latin1')]);
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Atomically replaces `file` with `data`; returns the number of bytes written. */
export async function writeFileDurably(file: string, data: string | Uint8Array): Promise<number> {
  const temp = join(dirname(file), `.${basename(file)}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await rename(temp, file);
  await fsyncDirectory(dirname(file));
  return bytes.byteLength;
}

/** lowdb adapter: JSON file written with writeFileDurably; remembers the size of the last write. */
export class DurableJsonFile<T> implements Adapter<T> {
  lastWriteBytes = 0;

  constructor(
    readonly file: string,
    private readonly options: { checksum?: boolean } = {},
  ) {}

  /** The document, or null when the file does not exist; DamagedFileError when it cannot be trusted. */
  async read(): Promise<T | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return parseDurableJson<T>(this.file, bytes).value;
  }

  async write(data: T): Promise<void> {
    const json = JSON.stringify(data);
    this.lastWriteBytes = await writeFileDurably(this.file, this.options.checksum ? checksummed(json) : json);
  }
}
