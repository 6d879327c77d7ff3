import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';
import { presetContract } from '../../../server/sla/presets.js';
import { monthOfInstant } from '../../../server/tickets/billing.js';
import { StoredTicketRepository, ticketStoreIn } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { at, HOUR, raised, ZONE } from './fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function openStore(dir: string): Promise<JournaledStore> {
  const store = new JournaledStore({ dir });
  await store.open();
  cleanups.push(() => store.close());
  return store;
}

describe('stored tickets are parsed once per stored version', () => {
  it('reads of an unchanged record share one parsed ticket; a new version is read as itself; a restart parses from disk', async () => {
    const tmp = makeTempDir('ticket-parse');
    cleanups.push(() => tmp.remove());
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const store = await openStore(tmp.path);
    const repo = new StoredTicketRepository(store);
    const svc = new TicketService({ repository: repo, clock, contractFor: presetContract, defaultContractId: 'device-vendor', maxTickIntervalMs: 6 * HOUR });
    cleanups.push(() => svc.stop());
    await svc.handleEvent(raised('jam', clock.now()));

    const [first] = await repo.active();
    const [again] = await repo.active();
    // Parsing builds a new object each time: the same object back means the parse was reused.
    expect(again).toBe(first);
    expect(await repo.get(first!.id)).toBe(first);

    await svc.act(first!.id, { type: 'acknowledge', by: 'jan' });
    const [next] = await repo.active();
    expect(next).not.toBe(first);
    expect(next!.revision).toBe(first!.revision + 1);
    expect(next!.status).toBe('acknowledged');
    expect(await store.transaction((tx) => ticketStoreIn(tx).get(first!.id))).toBe(next);

    await store.close();
    const reopened = await openStore(tmp.path);
    const [fromDisk] = await new StoredTicketRepository(reopened).active();
    expect(fromDisk).not.toBe(next);
    expect(fromDisk).toEqual(next);
  });

  it('an invalid stored record is rejected on every read, naming it', async () => {
    const tmp = makeTempDir('ticket-parse-bad');
    cleanups.push(() => tmp.remove());
    const store = await openStore(tmp.path);
    await store.transaction((tx) => tx.put('tickets', 'T000009', { id: 'T000009', kind: 'device', status: 'nonsense' }));
    const repo = new StoredTicketRepository(store);
    await expect(repo.get('T000009')).rejects.toThrow(/stored ticket T000009 is invalid/);
    await expect(repo.get('T000009')).rejects.toThrow(/stored ticket T000009 is invalid/);
    await expect(repo.active()).rejects.toThrow(/stored ticket #0 is invalid/);
  });
});

describe('monthOfInstant (cap usage month, remembered per zone)', () => {
  it('gives the local month on both sides of month boundaries, in any order of calls', () => {
    // Warsaw is UTC+1 in winter, UTC+2 in summer.
    const cases: [string, string][] = [
      ['2026-01-31T22:59:59.999Z', '2026-01'],
      ['2026-01-31T23:00:00.000Z', '2026-02'],
      ['2026-01-15T12:00:00.000Z', '2026-01'],
      ['2026-02-28T23:00:00.000Z', '2026-03'],
      ['2026-02-28T22:59:59.999Z', '2026-02'],
      ['2026-06-30T21:59:59.999Z', '2026-06'],
      ['2026-06-30T22:00:00.000Z', '2026-07'],
      ['2026-02-01T00:00:00.000Z', '2026-02'],
    ];
    for (const [iso, month] of cases) expect(monthOfInstant(ZONE, Date.parse(iso)), iso).toBe(month);
    // Another zone is remembered separately.
    expect(monthOfInstant('UTC', Date.parse('2026-01-31T23:00:00.000Z'))).toBe('2026-01');
    expect(monthOfInstant(ZONE, Date.parse('2026-01-31T23:00:00.000Z'))).toBe('2026-02');
  });
});
