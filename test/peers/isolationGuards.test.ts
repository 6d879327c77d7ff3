/**
 * The invariants that PostgreSQL's REPEATABLE READ does not hold by itself: a decision across
 * records, held by a guard (Transaction.guard), and a record written back after another instance
 * deleted or archived it, which the store turns into a conflict (postgresStore.ts resurrected());
 * the audit is in docs/server.md, "Isolation and guards". Two PostgresStores
 * on one database are two server instances; the two units are interleaved deterministically
 * (test/harness/unitInterleaving.ts): the first stops right after its deciding read, the second
 * runs to its commit, then the first goes on. The outcome must be one a serial order gives, with
 * the first unit run again.
 */
import { describe, expect, it } from 'vitest';
import { DELIVERIES, type Delivery } from '../../server/notifications/delivery.js';
import { NotificationDispatcher } from '../../server/notifications/notificationDispatcher.js';
import { NotificationOutbox } from '../../server/notifications/notificationOutbox.js';
import { NotificationSettings } from '../../server/notifications/notificationSettings.js';
import { ACTIVE_ADMINS_GUARD, API_TOKENS, createApiToken, listApiTokens, revokeApiToken, type RevokeOutcome } from '../../server/auth/apiTokens.js';
import { presetContract } from '../../server/sla/presets.js';
import { SERVER_UNIQUE_KEYS } from '../../server/storage/openRepository.js';
import type { PostgresStore } from '../../server/storage/postgresStore.js';
import { StoredTicketRepository, TICKETS } from '../../server/tickets/ticketRepository.js';
import { TicketNotFoundError, TicketService } from '../../server/tickets/ticketService.js';
import { ManualClock } from '../harness/manualClock.js';
import { usePostgresStores } from '../harness/postgresStores.js';
import { interleaved } from '../harness/unitInterleaving.js';
import { jamStory } from '../unit/notifications/noticeFixtures.js';
import { at, raised } from '../unit/tickets/fixtures.js';

const pg15 = usePostgresStores();

/** Two instances on one fresh database. */
async function instances(name: string): Promise<[PostgresStore, PostgresStore]> {
  const url = await pg15.server().newDatabase(name);
  const open = () => pg15.openStore(url, { poolSize: 2, uniqueKeys: SERVER_UNIQUE_KEYS });
  return [await open(), await open()];
}

describe('REPEATABLE READ on PostgreSQL, two instances: guards and records deleted meanwhile', () => {
  it('the last active admin token: two instances revoking the two admin tokens at once leave one (the later revocation is refused)', async () => {
    const [a, b] = await instances('guard_admins');
    const now = new Date('2026-12-07T06:00:00Z');
    const x = await createApiToken(a, { role: 'admin', name: 'anna', customerId: null }, now);
    const y = await createApiToken(a, { role: 'admin', name: 'jan', customerId: null }, now);
    await createApiToken(a, { role: 'dispatcher', name: 'ola', customerId: null }, now);
    // A reads the tokens (y active: x may go), then B revokes y and commits, then A writes.
    let revokedOnB: Promise<RevokeOutcome> | undefined;
    const onA = interleaved(a, {
      after: (r) => r.method === 'list' && r.collection === API_TOKENS,
      between: () => (revokedOnB = revokeApiToken(b, y.id, now, 'jan')),
    });
    const outcomeA = await revokeApiToken(onA.repo, x.id, now, 'anna');
    expect((await revokedOnB)?.outcome).toBe('revoked');
    // A ran again, saw y revoked, and refused.
    expect(outcomeA.outcome).toBe('last-admin');
    expect(onA.attempts()).toBe(2);
    expect(onA.guards).toEqual([[ACTIVE_ADMINS_GUARD], [ACTIVE_ADMINS_GUARD]]);
    const active = (await listApiTokens(b, now)).filter((t) => t.role === 'admin' && t.state === 'active');
    expect(active.map((t) => t.id)).toEqual([x.id]);
  });

  it('a closed ticket stays history: a change read before the closing and written after it is run again and finds no hot ticket', async () => {
    const [a, b] = await instances('guard_ticket');
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const service = (repo: ConstructorParameters<typeof StoredTicketRepository>[0]) =>
      new TicketService({ repository: new StoredTicketRepository(repo), clock, contractFor: presetContract, defaultContractId: 'device-vendor' });
    const svcA = service(a);
    await svcA.handleEvent(raised('jam', clock.now()));
    const repoA = new StoredTicketRepository(a);
    const [ticket] = await repoA.active();
    await svcA.act(ticket!.id, { type: 'resolve', by: 'anna', solution: 'jam cleared' });
    // B reads the resolved ticket to add a note; A closes it (archived: its hot record deleted) and
    // commits; then B writes the ticket with the note. An upsert would insert the ticket again (no
    // row left to conflict on): closed in the archive and resolved in the hot set. The store sees
    // that it inserted a record its snapshot held and runs the unit again.
    let closedOnA: Promise<unknown> | undefined;
    const onB = interleaved(b, {
      after: (r) => r.method === 'get' && r.collection === TICKETS && r.id === ticket!.id,
      between: () => (closedOnA = svcA.act(ticket!.id, { type: 'close', by: 'anna' })),
    });
    const noted = await service(onB.repo)
      .act(ticket!.id, { type: 'comment', by: 'jan', text: 'toner ordered', public: false })
      .catch((err: unknown) => err);
    await closedOnA;
    // Run again after the closing committed: the ticket is no longer hot, so there is nothing to note on.
    expect(noted).toBeInstanceOf(TicketNotFoundError);
    expect(onB.attempts()).toBe(2);
    expect(onB.guards).toEqual([[], []]);
    expect(await repoA.active()).toEqual([]);
    const closed = await repoA.closedSince('2026-03');
    expect(closed.map((t) => [t.id, t.status])).toEqual([[ticket!.id, 'closed']]);
  });

  it('a delivery is pending or in the delivery log, never both: an attempt recorded after another dispatcher archived the delivery is run again and records nothing', async () => {
    const [a, b] = await instances('guard_delivery');
    // One webhook target: one delivery for the notice.
    const settings = NotificationSettings.parse({
      webhooks: [{ id: 'chat', url: 'http://127.0.0.1:9/hook', secret: 'whsec-0123456789abcdef', events: ['ticket.opened'] }],
      retry: { maxAttempts: 3, initialDelay: '1m', maxDelay: '10m' },
    });
    const opened = jamStory().of('ticket.opened');
    const clock = new ManualClock(opened.notice.at);
    const [queued] = await new NotificationOutbox({ repo: a, settings, clock }).enqueue(opened.notice);
    // A's attempt fails (a retry is due later), B's succeeds: the old and the new leader at a hand-over.
    // A reads the delivery to record its failed attempt; B sends, archives it and commits; then A writes.
    const onB = new NotificationDispatcher({ repo: b, settings, clock, send: () => Promise.resolve({ outcome: 'delivered', statusCode: 204 }) });
    let deliveredOnB: Promise<unknown> | undefined;
    const onA = interleaved(a, {
      after: (r) => r.method === 'get' && r.collection === DELIVERIES && r.id === queued!.id,
      between: () => (deliveredOnB = onB.dispatchDue()),
    });
    const failingA = new NotificationDispatcher({
      repo: onA.repo,
      settings,
      clock,
      send: () => Promise.resolve({ outcome: 'error', error: 'connection refused', permanent: false }),
      random: () => 0.5,
    });
    // Run again after the archiving committed: the delivery is no longer pending, A records nothing.
    expect(await failingA.dispatchDue()).toEqual({ attempted: 0, delivered: 0, retrying: 0, failed: 0 });
    expect(await deliveredOnB).toEqual({ attempted: 1, delivered: 1, retrying: 0, failed: 0 });
    expect(onA.attempts()).toBe(2);
    expect(onA.guards).toEqual([[], []]);
    expect(await b.list<Delivery>(DELIVERIES)).toEqual([]);
    const log: Delivery[] = [];
    for await (const r of b.readArchive<Delivery>(DELIVERIES, new Date(clock.now()).toISOString().slice(0, 7))) log.push(r.value);
    expect(log.map((d) => [d.id, d.status, d.attempts.length])).toEqual([[queued!.id, 'delivered', 1]]);
  });
});
