/**
 * The next-due index (ticketRepository.ts): the tick reads only the tickets due by now, through
 * the index, in bounded batches; timers fire once; a store from before the index, or one whose
 * timer policy changed, is indexed once by the first tick.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { presetContract } from '../../../server/sla/presets.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import type { Repository, Transaction } from '../../../server/storage/repository.js';
import { StoredTicketRepository } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import { nextDue } from '../../../server/tickets/ticketTimers.js';
import { DEFAULT_POLICY } from '../../../server/tickets/ticketPolicy.js';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';
import { at, cleared, device, MIN, raised } from './fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Counts what units of work read: whole collections listed and ordered reads. */
function counting(store: Repository): { repo: Repository; lists: string[]; ordered: number[] } {
  const lists: string[] = [];
  const ordered: number[] = [];
  const wrap = (tx: Transaction): Transaction =>
    new Proxy(tx, {
      get(target, prop, receiver) {
        if (prop === 'list')
          return (collection: string) => {
            lists.push(collection);
            return target.list(collection);
          };
        if (prop === 'listOrdered')
          return async (collection: string, field: string, upTo: number, limit: number) => {
            const rows = await target.listOrdered(collection, field, upTo, limit);
            ordered.push(rows.length);
            return rows;
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const repo = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'transaction') return <T>(work: (tx: Transaction) => Promise<T> | T) => target.transaction((tx) => work(wrap(tx)));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { repo, lists, ordered };
}

async function openStore(): Promise<JournaledStore> {
  const tmp = makeTempDir('due-index');
  const store = new JournaledStore({ dir: tmp.path });
  await store.open();
  cleanups.push(() => tmp.remove());
  cleanups.push(() => store.close());
  return store;
}

function service(repo: Repository, clock: ManualClock, extra: { quietPeriodMs?: number; tickBatch?: number } = {}) {
  return new TicketService({
    repository: new StoredTicketRepository(repo),
    clock,
    contractFor: presetContract,
    defaultContractId: 'device-vendor',
    ...(extra.quietPeriodMs !== undefined ? { policy: { quietPeriodMs: extra.quietPeriodMs } } : {}),
    ...(extra.tickBatch !== undefined ? { tickBatch: extra.tickBatch } : {}),
  });
}

describe('ticket timers driven by the next-due index', () => {
  it('a tick reads only the tickets due, in bounded batches, never the hot set; each timer fires once', async () => {
    const store = await openStore();
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const counted = counting(store);
    const svc = service(counted.repo, clock, { tickBatch: 4 });
    // The first tick (at start) marks the new store's index as built.
    expect(await svc.tick()).toEqual([]);
    // 10 tickets; 6 of them cleared at once (resolved by device after the quiet period), 4 stay open.
    for (let i = 0; i < 10; i++) await svc.handleEvent(raised('jam', clock.now(), { device: device(`dev-${i}`) }));
    clock.advance(MIN);
    for (let i = 0; i < 6; i++) await svc.handleEvent(cleared('jam', clock.now(), `dev-${i}`));
    const repo = new StoredTicketRepository(store);
    const first = await repo.firstDue(JSON.stringify({ quietPeriodMs: DEFAULT_POLICY.quietPeriodMs, reopenWindowMs: DEFAULT_POLICY.reopenWindowMs }));
    expect(first).toBe(Math.min(...(await repo.active()).map((t) => nextDue(t, { config: DEFAULT_POLICY, contractFor: presetContract })!)));

    counted.lists.length = 0;
    counted.ordered.length = 0;
    clock.advance(DEFAULT_POLICY.quietPeriodMs);
    const notices = await svc.tick();
    expect(notices.filter((n) => n.kind === 'ticket.resolved').map((n) => n.ticketId)).toEqual([
      'T000001',
      'T000002',
      'T000003',
      'T000004',
      'T000005',
      'T000006',
    ]);
    // Batches of 4: 4 due, 2 due, then the index had nothing more; the tickets collection was never listed.
    expect(counted.ordered).toEqual([4, 2]);
    expect(counted.lists.filter((c) => c === 'tickets')).toEqual([]);
    // Fired once: the next tick at the same instant finds nothing due.
    counted.ordered.length = 0;
    expect((await svc.tick()).filter((n) => n.kind === 'ticket.resolved')).toEqual([]);
    expect(counted.ordered).toEqual([0]);
    // Each hot ticket is in the index at its exact next instant, after now.
    for (const t of await repo.active()) {
      const due = nextDue(t, { config: DEFAULT_POLICY, contractFor: presetContract });
      expect(await store.get('ticketDue', t.id)).toEqual(due === null ? undefined : { dueAt: due });
      if (due !== null) expect(due).toBeGreaterThan(clock.now());
    }
  });

  it('a store from before the index is indexed by the first tick; a changed timer policy re-indexes it', async () => {
    const store = await openStore();
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const svc = service(store, clock);
    await svc.handleEvent(raised('jam', clock.now()));
    clock.advance(MIN);
    await svc.handleEvent(cleared('jam', clock.now()));
    // As an older release left it: tickets without index entries and no mark.
    await store.transaction(async (tx) => {
      await tx.delete('ticketDue', 'T000001');
      await tx.delete('ticketMeta', 'dueIndex');
    });
    const repo = new StoredTicketRepository(store);
    const policyKey = (quiet: number) => JSON.stringify({ quietPeriodMs: quiet, reopenWindowMs: DEFAULT_POLICY.reopenWindowMs });
    // Not built: the scheduler is told to tick at once.
    expect(await repo.firstDue(policyKey(DEFAULT_POLICY.quietPeriodMs))).toBe(0);
    expect(await svc.tick()).toEqual([]);
    expect(await store.get('ticketDue', 'T000001')).toEqual({ dueAt: clock.now() + DEFAULT_POLICY.quietPeriodMs });
    // A server restarted with a shorter quiet period: the stored instants are stale until re-indexed.
    const shorter = service(store, clock, { quietPeriodMs: 2 * MIN });
    expect(await repo.firstDue(policyKey(2 * MIN))).toBe(0);
    clock.advance(2 * MIN);
    const notices = await shorter.tick();
    expect(notices.map((n) => [n.kind, n.ticketId])).toEqual([['ticket.resolved', 'T000001']]);
    expect(await repo.firstDue(policyKey(2 * MIN))).toBe((await store.get<{ dueAt: number }>('ticketDue', 'T000001'))!.dueAt);
  });

  it('a ticket stored without its instant (CHECK_AT_NEXT_TICK) gets its exact instant from the next tick', async () => {
    const store = await openStore();
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const svc = service(store, clock);
    await svc.handleEvent(raised('jam', clock.now()));
    const repo = new StoredTicketRepository(store);
    const [t] = await repo.active();
    await repo.transaction((s) => s.put(t!));
    expect(await store.get('ticketDue', t!.id)).toEqual({ dueAt: 0 });
    expect(await svc.tick()).toEqual([]);
    expect(await store.get('ticketDue', t!.id)).toEqual({ dueAt: nextDue(t!, { config: DEFAULT_POLICY, contractFor: presetContract }) });
  });
});
