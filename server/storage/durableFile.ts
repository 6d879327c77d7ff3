/**
 * Crash-safe whole-file writes for lowdb. lowdb's default writer (steno) writes a temp file and
 * renames it, but never calls fsync: after a power loss the renamed file may be empty. This
 * adapter writes the temp file, fsyncs it, renames it over the target and fsyncs the directory,
 * so a reader sees either the old or the new content, never a torn one.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

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

  constructor(readonly file: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`${this.file} is not valid JSON (${(err as Error).message}); it is only ever replaced atomically, so this is outside damage: restore it from a backup`);
    }
  }

  async write(data: T): Promise<void> {
    this.lastWriteBytes = await writeFileDurably(this.file, JSON.stringify(data));
  }
}
