/**
 * The cluster parts that need only PostgreSQL (server/cluster): the advisory-lock leadership, the
 * LISTEN/NOTIFY bus, and ticket timers that fire once even when two instances both believe they
 * lead (the moment of a hand-over), because two concurrent ticks write the same ticket record and
 * the store (REPEATABLE READ) lets only one of them commit the same SLA warning.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/clock.js';
import type { BusNote } from '../../server/cluster/clusterBus.js';
import { LockLeadership } from '../../server/cluster/leadership.js';
import { PgLeaderLock } from '../../server/cluster/pgLeaderLock.js';
import { PgNotifyBus } from '../../server/cluster/pgNotifyBus.js';
import { presetContract } from '../../server/sla/presets.js';
import { PostgresStore } from '../../server/storage/postgresStore.js';
import type { Notice } from '../../server/tickets/ticketPolicy.js';
import { StoredTicketRepository } from '../../server/tickets/ticketRepository.js';
import { TicketService } from '../../server/tickets/ticketService.js';
import { ManualClock } from '../harness/manualClock.js';
import { waitUntil } from '../harness/peers.js';
import { startPostgres, type PostgresPeer } from '../harness/postgres.js';
import { at, device, HOUR, local, MIN, raised } from '../unit/tickets/fixtures.js';

let postgres: PostgresPeer;
const cleanups: Array<() => unknown> = [];
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!();
  await postgres?.stop();
});

function leadershipOn(url: string, id: string) {
  const lock = new PgLeaderLock({ url, group: 'test', instanceId: id });
  const leadership = new LockLeadership({ lock, clock: systemClock, checkIntervalMs: 100, checkTimeoutMs: 2000, instanceId: id });
  cleanups.push(() => leadership.stop());
  return leadership;
}

describe('leadership over a PostgreSQL advisory lock', () => {
  it('elects one instance, hands over on stop, and on a killed session', async () => {
    const url = await postgres.newDatabase('leader');
    const all = ['a', 'b', 'c'].map((id) => ({ id, l: leadershipOn(url, id) }));
    for (const x of all) x.l.start();
    await waitUntil(() => all.some((x) => x.l.isLeader()), 'a leader', 5000);
    await new Promise((r) => setTimeout(r, 400));
    expect(all.filter((x) => x.l.isLeader())).toHaveLength(1);

    const first = all.find((x) => x.l.isLeader())!;
    await first.l.stop();
    await waitUntil(() => all.some((x) => x !== first && x.l.isLeader()), 'a second leader after stop', 5000);
    const second = all.find((x) => x.l.isLeader())!;

    // The database ends the leader's session (as when its process dies): it steps down, another leads.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const killed = await admin.query<{ n: string }>('SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE application_name = $1', [
      `fleetdesk-leader:${second.id}`,
    ]);
    await admin.end();
    expect(killed.rows[0]!.n).toBe('1');
    await waitUntil(() => !second.l.isLeader(), 'the old leader to step down', 5000);
    await waitUntil(() => all.some((x) => x.l.isLeader()), 'a third leader', 5000);
    expect(all.filter((x) => x.l.isLeader())).toHaveLength(1);
  });
});

describe('cluster bus over LISTEN/NOTIFY', () => {
  it('carries every note to the other instances in order, never back to the sender', async () => {
    const url = await postgres.newDatabase('bus');
    const buses = ['a', 'b', 'c'].map((id) => new PgNotifyBus({ url, group: 'test', instanceId: id, clock: systemClock }));
    for (const b of buses) cleanups.push(() => b.close());
    await Promise.all(buses.map((b) => b.start()));
    const got = buses.map(() => [] as Array<{ note: BusNote; from: string }>);
    buses.forEach((b, i) => b.subscribe((note, from) => got[i]!.push({ note, from })));
    const N = 2000;
    for (let i = 0; i < N; i++) buses[0]!.publish({ kind: 'due', body: i });
    buses[1]!.publish({ kind: 'live', body: { type: 'ticket.opened', text: 'zażółć gęślą jaźń' } });
    await waitUntil(() => got[1]!.length === N && got[2]!.length === N + 1, 'all notes', 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(got[0]!.map((g) => g.note)).toEqual([{ kind: 'live', body: { type: 'ticket.opened', text: 'zażółć gęślą jaźń' } }]);
    expect(got[1]!.map((g) => g.note.body)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(got[2]!.filter((g) => g.from === 'a').map((g) => g.note.body)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(buses[0]!.dropped).toBe(0);
  });
});

describe('ticket timers with two instances that both run them', () => {
  it('emits each SLA warning and breach once, and opens one ticket for one fault reported to both', async () => {
    const url = await postgres.newDatabase('timers');
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const notices: Array<Notice & { instance: string }> = [];
    const stores: PostgresStore[] = [];
    const services = await Promise.all(
      ['a', 'b'].map(async (instance) => {
        const store = new PostgresStore({ url, healthCheckMs: 0, retryBaseMs: 1 });
        await store.open();
        stores.push(store);
        cleanups.push(() => store.close());
        const svc = new TicketService({
          repository: new StoredTicketRepository(store),
          clock,
          contractFor: presetContract,
          defaultContractId: 'device-vendor',
          onNotice: (n) => notices.push({ ...n, instance }),
          maxTickIntervalMs: 6 * HOUR,
        });
        cleanups.push(() => svc.stop());
        return svc;
      }),
    );
    const [a, b] = services as [TicketService, TicketService];
    // The same fault reaches both instances at once (e.g. a redelivery during a take-over).
    await Promise.all([a.handleEvent(raised('jam', clock.now())), b.handleEvent(raised('jam', clock.now()))]);
    await Promise.all([
      a.handleEvent(raised('paper.empty', clock.now(), { device: device('dev-2') })),
      b.handleEvent(raised('toner.empty', clock.now(), { device: device('dev-3') })),
    ]);
    expect(notices.filter((n) => n.kind === 'ticket.opened')).toHaveLength(3);
    // Both believe they lead: both tick at every due instant, concurrently.
    a.start();
    b.start();
    for (let step = 0; step < 30 && clock.now() < at('2026-03-02T11:30'); step++) {
      clock.advance(5 * MIN);
      await Promise.all([a.tick(), b.tick()]);
    }
    const sla = notices.filter((n) => n.kind.startsWith('sla.'));
    const byTicket = new Map<string, string[]>();
    for (const n of sla) byTicket.set(n.ticketId, [...(byTicket.get(n.ticketId) ?? []), n.kind]);
    // Ticket numbers come from a sequence: the opened tickets' own ids (a lost race skips a number).
    const opened = notices
      .filter((n) => n.kind === 'ticket.opened')
      .map((n) => n.ticketId)
      .sort();
    expect(new Set(opened).size).toBe(3);
    expect([...byTicket.entries()].sort()).toEqual(opened.map((id) => [id, ['sla.warning', 'sla.breach']]));
    // Each fired once, at its due instant (to the 5-minute step), by whichever instance committed first.
    expect(sla.every((n) => local(n.at) !== null)).toBe(true);
    // The two instances really raced: the database made one of them retry (else the test proves nothing).
    expect(stores.reduce((sum, s) => sum + s.conflictStats().retries, 0)).toBeGreaterThan(0);
  });
});
