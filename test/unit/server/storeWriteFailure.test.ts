/**
 * Write failures of the embedded store (issue 16), injected at the file handle: a short write is
 * continued, a write that fails (ENOSPC) or makes no progress rejects the commit (no
 * acknowledgement) and every later write until the store recovers by itself; after recovery the
 * refused changes are gone and everything acknowledged is there, also after a reopen.
 * The real thing (a full tmpfs under a server) is test/peers/storeSafety.test.ts.
 */
import { readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { StoreFailedError } from '../../../server/storage/repository.js';
import { makeTempDir, waitUntil } from '../../harness/peers.js';

const dirs: { remove: () => void }[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) d.remove();
});

async function fileHandlePrototype(dir: string): Promise<FileHandle> {
  const h = await open(join(dir, 'probe-for-prototype'), 'w');
  await h.close();
  return Object.getPrototypeOf(h) as FileHandle;
}

type Write = (buffer: Buffer, offset: number, length: number, position: number | null) => Promise<{ bytesWritten: number; buffer: Buffer }>;

describe('write failures of the journaled store', () => {
  it('continues a short write: the record is whole on disk', async () => {
    const d = makeTempDir('store-write');
    dirs.push(d);
    const proto = await fileHandlePrototype(d.path);
    const store = new JournaledStore({ dir: d.path });
    await store.open();
    const real = Reflect.get(proto, 'write') as Write;
    let shortened = 0;
    vi.spyOn(proto, 'write').mockImplementation(function (this: FileHandle, buffer: Buffer, offset: number, length: number, position: number | null) {
      // Every journal append is cut to at most 7 bytes per call.
      const cut = length > 21 ? Math.min(length, 7) : length;
      if (cut < length) shortened += 1;
      return real.call(this, buffer, offset, cut, position);
    } as never);
    await store.transaction((tx) => tx.put('devices', 'd1', { name: 'a long enough record to need several writes' }));
    vi.restoreAllMocks();
    await store.close();
    expect(shortened).toBeGreaterThan(3);
    const again = new JournaledStore({ dir: d.path });
    await again.open();
    expect(await again.get('devices', 'd1')).toEqual({ name: 'a long enough record to need several writes' });
    await again.close();
  });

  it('refuses and does not acknowledge while writes fail (ENOSPC, no progress), then recovers by itself losing nothing acknowledged', async () => {
    const d = makeTempDir('store-write');
    dirs.push(d);
    const proto = await fileHandlePrototype(d.path);
    const store = new JournaledStore({ dir: d.path, recoveryIntervalMs: 20, recoveryProbeBytes: 4096 });
    await store.open();
    await store.transaction((tx) => tx.put('devices', 'd1', { v: 1 }));
    const journal = join(d.path, 'journal.log');
    const durableBytes = readFileSync(journal).length;

    const real = Reflect.get(proto, 'write') as Write;
    let mode: 'enospc' | 'no-progress' | 'ok' = 'enospc';
    vi.spyOn(proto, 'write').mockImplementation(function (this: FileHandle, buffer: Buffer, offset: number, length: number, position: number | null) {
      if (mode === 'ok' || length === 21) return real.call(this, buffer, offset, length, position); // the committed-length mark
      if (mode === 'no-progress') return Promise.resolve({ bytesWritten: 0, buffer });
      // Half of it reaches the file, then the disk is full.
      return real.call(this, buffer, offset, Math.floor(length / 2), position).then(() => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      });
    } as never);
    // The probe file is written with writeFile (not write): fail it too while the disk is "full".
    const realWriteFile = Reflect.get(proto, 'writeFile') as (...a: unknown[]) => Promise<void>;
    vi.spyOn(proto, 'writeFile').mockImplementation(function (this: FileHandle, ...args: unknown[]) {
      if (mode !== 'ok') return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      return realWriteFile.apply(this, args);
    });

    await expect(store.transaction((tx) => tx.put('devices', 'd2', { v: 2 }))).rejects.toBeInstanceOf(StoreFailedError);
    expect(store.stats()).toMatchObject({ healthy: false, failure: expect.stringContaining('ENOSPC') as unknown });
    // The half-written line was cut off again: the file ends with the last acknowledged record.
    expect(readFileSync(journal).length).toBe(durableBytes);
    await expect(store.transaction((tx) => tx.put('devices', 'd3', { v: 3 }))).rejects.toBeInstanceOf(StoreFailedError);
    mode = 'no-progress';
    await new Promise((r) => setTimeout(r, 100)); // several recovery attempts, all failing
    expect(store.stats().healthy).toBe(false);
    await expect(store.transaction((tx) => tx.put('devices', 'd4', { v: 4 }))).rejects.toThrow(/storage write failed/);

    mode = 'ok';
    await waitUntil(() => store.stats().healthy, 'the store to recover once writes work again', 5000, 10);
    // The refused changes are gone from memory too; new writes are durable.
    expect(await store.get('devices', 'd2')).toBeUndefined();
    expect(await store.list('devices')).toEqual([{ v: 1 }]);
    await store.transaction((tx) => tx.put('devices', 'd5', { v: 5 }));
    await store.close();
    vi.restoreAllMocks();
    const again = new JournaledStore({ dir: d.path });
    await again.open();
    expect(await again.list('devices')).toEqual([{ v: 1 }, { v: 5 }]);
    await again.close();
  });
});
