/** The ticket subject index: signals load only the tickets they may concern, kept right through opening, joining, closing and old stores. */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { presetContract } from '../../../server/sla/presets.js';
import { StoredTicketRepository, ticketStoreIn } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import { subjectMoves, subjectsOfEvent, subjectsOfTicket, withoutTicket, withTicket } from '../../../server/tickets/ticketSubjects.js';
import { agentOffline, at, cleared, device, HOUR, raised } from './fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('ticket subjects (pure)', () => {
  it('names the device, the devices of the faults and the key of a ticket', () => {
    expect(subjectsOfTicket({ device: { id: 'd1' }, faults: [{ deviceId: 'd1' }, { deviceId: 'd2' }], key: 'agent:acme/a1' })).toEqual([
      'device:d1',
      'device:d2',
      'key:agent:acme/a1',
    ]);
    expect(subjectsOfTicket(undefined)).toEqual([]);
    expect(subjectsOfTicket({ device: null, faults: 'garbage' })).toEqual([]);
  });

  it('names what a signal can touch', () => {
    expect(subjectsOfEvent(raised('jam', 0))).toEqual(['device:dev-1']);
    expect(subjectsOfEvent(cleared('jam', 0, 'dev-9'))).toEqual(['device:dev-9']);
    expect(subjectsOfEvent(agentOffline(0, ['dev-1'], 'acme:a1'))).toEqual(['key:agent:acme:a1']);
  });

  it('moves and edits index records only when something changes', () => {
    expect(subjectMoves(['a', 'b'], ['b', 'c'])).toEqual({ remove: ['a'], add: ['c'] });
    expect(withTicket({ tickets: ['T1'] }, 'T1')).toBeNull();
    expect(withTicket(undefined, 'T2')).toEqual({ tickets: ['T2'] });
    expect(withoutTicket({ tickets: ['T1', 'T2'] }, 'T1')).toEqual({ tickets: ['T2'] });
    expect(withoutTicket(undefined, 'T1')).toBeNull();
  });
});

describe('subject index over the durable store', () => {
  async function setup() {
    const tmp = makeTempDir('ticket-subjects');
    cleanups.push(() => tmp.remove());
    const store = new JournaledStore({ dir: tmp.path });
    await store.open();
    cleanups.push(() => store.close());
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const repo = new StoredTicketRepository(store);
    const svc = new TicketService({ repository: repo, clock, contractFor: presetContract, defaultContractId: 'device-vendor', maxTickIntervalMs: 6 * HOUR });
    cleanups.push(() => svc.stop());
    const concerning = (subjects: string[]) => store.transaction((tx) => ticketStoreIn(tx).concerning(subjects));
    return { store, clock, repo, svc, concerning };
  }

  it('finds the tickets of a device by its device, and forgets one once closed', async () => {
    const { clock, repo, svc, concerning } = await setup();
    await svc.handleEvent(raised('jam', clock.now()));
    await svc.handleEvent(raised('jam', clock.now(), { device: device('dev-2', 'iR C3025') }));
    const [t1] = await concerning(['device:dev-1']);
    expect(t1?.device?.id).toBe('dev-1');
    expect((await concerning(['device:dev-2'])).map((t) => t.device?.id)).toEqual(['dev-2']);
    // Another fault of dev-1 (its own ticket under the policy): both are found under dev-1.
    await svc.handleEvent(raised('door.open', clock.now()));
    expect((await concerning(['device:dev-1'])).flatMap((t) => t.faults.map((f) => f.code)).sort()).toEqual(['door.open', 'jam']);
    // Resolved and closed: out of the hot set and out of the index.
    await svc.act(t1!.id, { type: 'resolve', by: 'jan', solution: 'cleared', confirmedByCustomer: true });
    await svc.act(t1!.id, { type: 'close', by: 'jan' });
    expect((await concerning(['device:dev-1'])).flatMap((t) => t.faults.map((f) => f.code))).toEqual(['door.open']);
    expect((await repo.active()).map((t) => t.device?.id).sort()).toEqual(['dev-1', 'dev-2']);
  });

  it('builds the index once for a store written before it existed, with every hot ticket in it', async () => {
    const { store, clock, svc, concerning } = await setup();
    await svc.handleEvent(raised('jam', clock.now()));
    await svc.handleEvent(raised('jam', clock.now(), { device: device('dev-2', 'iR C3025') }));
    // As an older server left it: tickets, no index records and no marker.
    await store.transaction(async (tx) => {
      for (const s of ['device:dev-1', 'device:dev-2']) await tx.delete('ticketSubjects', s);
      for (const t of await tx.list<{ key: string }>('tickets')) await tx.delete('ticketSubjects', `key:${t.key}`);
      await tx.delete('ticketMeta', 'subjectIndex');
    });
    expect((await concerning(['device:dev-2'])).map((t) => t.device?.id)).toEqual(['dev-2']);
    // The fault clearing on dev-1 reaches its ticket through the rebuilt index.
    await svc.handleEvent(cleared('jam', clock.now() + 60_000));
    const [t1] = await concerning(['device:dev-1']);
    expect(t1?.faults.find((f) => f.code === 'jam')?.clearedAt).toBe(clock.now() + 60_000 - 10_000);
  });
});
