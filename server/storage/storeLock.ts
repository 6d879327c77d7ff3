/**
 * One process per embedded store: `<store dir>/lock` names the process that has the store open
 * (pid, host, boot id and the process's start time). It is created exclusively (O_EXCL); when it
 * exists, the holder is checked for liveness: the lock is stale, and is taken over, when the host
 * is this one and the process is gone (kill -9, power loss: another boot id, or the pid now
 * belongs to a process started at another time). A lock written on another host (a shared network
 * directory) is never taken over: the admin removes it after making sure that server is stopped.
 *
 * Pid + liveness rather than flock(2): Node has no portable flock, and the lock file doubles as
 * the answer to "who has this store open" in the error message.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

interface LockOwner {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id (Linux), '' elsewhere. */
  boot: string;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22), '' elsewhere. */
  started: string;
  /** What holds it ("fleetdesk server", "fleetdesk store repair"). */
  purpose: string;
  since: string;
}

/** The store is open in another live process. */
export class StoreLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly owner: { pid: number; host: string; purpose: string; since: string },
  ) {
    super(
      `the store ${dir} is in use by ${owner.purpose} (pid ${owner.pid} on ${owner.host}, since ${owner.since}): one server per store. ` +
        `Stop that process first; if it is certainly gone (another machine sharing the directory), remove ${join(dir, 'lock')}`,
    );
    this.name = 'StoreLockedError';
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function bootId(): string {
  return readOr('/proc/sys/kernel/random/boot_id', '').trim();
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so count from its ')'. */
function processStart(pid: number): string | undefined {
  const stat = readOr(`/proc/${pid}/stat`, '');
  if (stat === '') return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the recorded owner is certainly gone (only decidable on the same host). */
function stale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  const boot = bootId();
  if (owner.boot !== '' && boot !== '' && owner.boot !== boot) return true;
  if (!alive(owner.pid)) return true;
  const started = processStart(owner.pid);
  return owner.started !== '' && started !== undefined && started !== owner.started;
}

export interface StoreLock {
  release(): Promise<void>;
}

/** Takes the lock of a store directory or throws StoreLockedError naming the holder. */
export async function lockStore(dir: string, purpose: string): Promise<StoreLock> {
  const file = join(dir, 'lock');
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    boot: bootId(),
    started: processStart(process.pid) ?? '',
    purpose,
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await unlink(file).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the lock ${file}: ${(err as Error).message}`);
    }
    let owner: LockOwner;
    try {
      owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      // Empty or cut: its writer died between create and write (the write is a few bytes): stale.
      owner = { pid: 0, host: hostname(), boot: '', started: '', purpose: 'an unknown process', since: '?' };
    }
    if (owner.pid !== 0 && !stale(owner)) throw new StoreLockedError(dir, owner);
    // Move the stale lock aside under a unique name; of two processes doing this, one rename fails.
    await rename(file, `${file}.stale-${process.pid}`).then(
      () => unlink(`${file}.stale-${process.pid}`).catch(() => undefined),
      () => undefined,
    );
  }
  throw new Error(`cannot take the lock ${file}: it keeps reappearing (another process starting at the same time?)`);
}

/** Who holds the lock of a store directory now, when it is held by a live process. */
export async function storeLockHolder(dir: string): Promise<{ pid: number; host: string; purpose: string; since: string } | undefined> {
  try {
    const owner = JSON.parse(await readFile(join(dir, 'lock'), 'utf8')) as LockOwner;
    return stale(owner) ? undefined : owner;
  } catch {
    return undefined;
  }
}
