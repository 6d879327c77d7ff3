/**
 * The guard keys (Transaction.guard) and which units take them, on the embedded store (where a guard
 * does nothing but must be accepted): the key is valid, the units that decide take exactly it, and
 * ticket changes take none (the store itself holds a closed ticket closed: a record deleted
 * meanwhile is a conflict, postgresStore.ts resurrected()). What the guards do on PostgreSQL with two instances:
 * test/peers/isolationGuards.test.ts; the audit: docs/server.md, "Isolation and guards".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTIVE_ADMINS_GUARD, createApiToken, revokeApiToken } from '../../../server/auth/apiTokens.js';
import { presetContract } from '../../../server/sla/presets.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { SERVER_UNIQUE_KEYS } from '../../../server/storage/openRepository.js';
import { checkGuardKey } from '../../../server/storage/repository.js';
import { StoredTicketRepository } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';
import { interleaved } from '../../harness/unitInterleaving.js';
import { at, MIN, raised } from '../tickets/fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function embedded(): Promise<JournaledStore> {
  const tmp = makeTempDir('guards');
  const store = new JournaledStore({ dir: tmp.path, uniqueKeys: SERVER_UNIQUE_KEYS });
  await store.open();
  cleanups.push(
    () => tmp.remove(),
    () => store.close(),
  );
  return store;
}

describe('guard keys', () => {
  it('the admins guard is a valid key', () => {
    expect(() => checkGuardKey(ACTIVE_ADMINS_GUARD)).not.toThrow();
  });
});

describe('who takes a guard', () => {
  it('revoking an active admin token takes the admins guard; other revocations do not', async () => {
    const store = await embedded();
    const now = new Date('2026-12-07T06:00:00Z');
    const x = await createApiToken(store, { role: 'admin', name: 'anna', customerId: null }, now);
    const y = await createApiToken(store, { role: 'admin', name: 'jan', customerId: null }, now);
    const d = await createApiToken(store, { role: 'dispatcher', name: 'ola', customerId: null }, now);
    const seen = interleaved(store);
    expect((await revokeApiToken(seen.repo, d.id, now, 'anna')).outcome).toBe('revoked');
    expect((await revokeApiToken(seen.repo, x.id, now, 'anna')).outcome).toBe('revoked');
    expect((await revokeApiToken(seen.repo, x.id, now, 'anna')).outcome).toBe('already-revoked');
    // The last one is refused, under the same guard (its check is the one the guard protects).
    expect((await revokeApiToken(seen.repo, y.id, now, 'jan')).outcome).toBe('last-admin');
    expect(seen.guards).toEqual([[], [ACTIVE_ADMINS_GUARD], [], [ACTIVE_ADMINS_GUARD]]);
  });

  it('ticket changes take no guard: opening, repeating, resolving and closing', async () => {
    const store = await embedded();
    const seen = interleaved(store);
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const svc = new TicketService({
      repository: new StoredTicketRepository(seen.repo),
      clock,
      contractFor: presetContract,
      defaultContractId: 'device-vendor',
    });
    const { tickets } = await svc.handleEvent(raised('jam', clock.now()));
    const id = tickets[0]!.id;
    clock.advance(MIN);
    await svc.handleEvent(raised('jam', clock.now()));
    await svc.act(id, { type: 'resolve', by: 'anna', solution: 'jam cleared' });
    await svc.act(id, { type: 'close', by: 'anna' });
    expect(seen.guards).toEqual([[], [], [], []]);
    expect(await new StoredTicketRepository(store).active()).toEqual([]);
  });
});
