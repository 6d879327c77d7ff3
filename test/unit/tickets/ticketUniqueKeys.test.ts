/**
 * The ticket policy's invariant as store unique keys (ticketUniqueKeys): one open ticket per device
 * and fault code, enforced by the journaled store like by PostgreSQL (test/peers/postgresStore.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { presetContract } from '../../../server/sla/presets.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { SERVER_UNIQUE_KEYS } from '../../../server/storage/openRepository.js';
import { UniqueKeyViolation } from '../../../server/storage/repository.js';
import { StoredTicketRepository, ticketUniqueKeys } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import type { Ticket } from '../../../server/tickets/ticket.js';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';
import { agentOffline, at, device, MIN, raised } from './fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup() {
  const tmp = makeTempDir('ticket-keys');
  const store = new JournaledStore({ dir: tmp.path, uniqueKeys: SERVER_UNIQUE_KEYS });
  await store.open();
  cleanups.push(
    () => tmp.remove(),
    () => store.close(),
  );
  const clock = new ManualClock(at('2026-03-02T09:00'));
  const repo = new StoredTicketRepository(store);
  const svc = new TicketService({
    repository: repo,
    clock,
    contractFor: presetContract,
    defaultContractId: 'device-vendor',
    policy: { relatedWindowMs: 60 * MIN },
  });
  return { store, clock, repo, svc };
}

describe('ticket unique keys', () => {
  it('an open ticket holds one key per fault it carries; resolved, closed and invalid values none', async () => {
    const { clock, svc, repo } = await setup();
    await svc.handleEvent(raised('paper.empty', clock.now()));
    clock.advance(MIN);
    // Same category within the related window: joins the first ticket, which then carries two faults.
    await svc.handleEvent(raised('paper.low', clock.now()));
    await svc.handleEvent(agentOffline(clock.now(), ['dev-9']));
    const tickets = await repo.active();
    expect(tickets.map((t) => ticketUniqueKeys(t).sort()).sort()).toEqual([
      ['open:device:dev-1|paper.empty||', 'open:device:dev-1|paper.low||'],
      ['open:site:acme:agent-1|agent.offline||'],
    ]);
    const device1 = tickets.find((t) => t.kind === 'device')!;
    expect(ticketUniqueKeys({ ...device1, status: 'resolved' })).toEqual([]);
    expect(ticketUniqueKeys({ ...device1, status: 'closed' })).toEqual([]);
    expect(ticketUniqueKeys({ ...device1, status: 'acknowledged' })).toHaveLength(device1.faults.length);
    expect(ticketUniqueKeys(null)).toEqual([]);
    // A fault stored before subunits keeps the key older versions gave it (device + code).
    const legacy = { ...device1, faults: device1.faults.map(({ subunit: _none, ...f }) => f) };
    expect(ticketUniqueKeys(legacy).sort()).toEqual(['open:device:dev-1|paper.empty', 'open:device:dev-1|paper.low']);
    expect(ticketUniqueKeys({ status: 'new' })).toEqual([]);
  });

  it('two cartridges of one device carry two keys: one open ticket per device and fault, not per code', async () => {
    const { clock, svc, repo } = await setup();
    await svc.handleEvent(raised('toner.empty', clock.now(), { subunit: { group: 'markerSupplies', index: 2, name: 'Cyan' } }));
    await svc.handleEvent(raised('toner.empty', clock.now(), { subunit: { group: 'markerSupplies', index: 3, name: 'Magenta' } }));
    const [t] = await repo.active();
    expect(ticketUniqueKeys(t).sort()).toEqual(['open:device:dev-1|toner.empty|markerSupplies|2', 'open:device:dev-1|toner.empty|markerSupplies|3']);
  });

  it('the journaled store refuses a second open ticket for the same device and fault code', async () => {
    const { clock, svc, repo } = await setup();
    await svc.handleEvent(raised('jam', clock.now(), { device: device('dev-4') }));
    const [first] = await repo.active();
    const copy: Ticket = { ...first!, id: 'T999999' };
    const err = await repo.transaction((s) => s.put(copy)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueKeyViolation);
    expect(err).toMatchObject({ collection: 'tickets', key: 'open:device:dev-4|jam||', id: 'T999999', existingId: first!.id });
    expect((await repo.active()).map((t) => t.id)).toEqual([first!.id]);
    // The normal flow is unaffected: resolve and the same fault later opens a new ticket.
    await svc.act(first!.id, { type: 'resolve', by: 'jan', solution: 'cleared' });
    await repo.transaction((s) => s.put(copy));
    expect((await repo.active()).map((t) => t.id).sort()).toEqual([first!.id, 'T999999']);
  });
});
