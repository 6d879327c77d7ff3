/**
 * Planned stops are not outages: an agent that stops cleanly opens a site ticket only if it is not
 * back within `agentOfflineGrace`; a last will or staleness opens one at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';
import { presetContract } from '../../../server/sla/presets.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { admitAgentEvent } from '../../../server/tickets/plannedStops.js';
import { InMemoryTicketRepository, StoredTicketRepository, type TicketRepository } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import type { Notice } from '../../../server/tickets/ticketPolicy.js';
import { agentOffline, agentOnline, at, MIN, raised } from './fixtures.js';

const GRACE = 5 * MIN;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Lets the timer's tick run; a durable store commits with real file I/O, so wait for the tick itself. */
async function settle(svc?: TicketService): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  // Ticks never overlap: this one runs after the timer's and returns when both are done.
  await svc?.tick();
}

function service(repository: TicketRepository, clock: ManualClock, notices: Notice[]) {
  const svc = new TicketService({
    repository,
    clock,
    contractFor: presetContract,
    defaultContractId: 'device-vendor',
    onNotice: (n) => notices.push(n),
    policy: { agentOfflineGraceMs: GRACE },
  });
  cleanups.push(() => svc.stop());
  svc.start();
  return svc;
}

describe('planned stops (pure admission)', () => {
  const NOW = at('2026-03-02T09:00');
  it('holds a clean stop back for the grace, lets a will, staleness or zero grace through, and drops the stop when the agent is back', () => {
    const shutdown = agentOffline(NOW, ['dev-1'], 'acme:agent-1', 'shutdown');
    const held = admitAgentEvent(shutdown, undefined, false, GRACE);
    expect(held).toEqual({ apply: null, stop: { agentId: 'acme:agent-1', dueAt: NOW + GRACE, event: shutdown } });
    // A repeated notice keeps the first deadline.
    expect(admitAgentEvent(agentOffline(NOW + MIN, ['dev-1'], 'acme:agent-1', 'shutdown'), held.stop!, false, GRACE).stop).toBe(held.stop);
    expect(admitAgentEvent(agentOnline(NOW + MIN), held.stop!, false, GRACE)).toEqual({ apply: agentOnline(NOW + MIN), stop: null });
    for (const reason of ['will', 'stale'] as const)
      expect(admitAgentEvent(agentOffline(NOW, [], 'acme:agent-1', reason), undefined, false, GRACE).apply).not.toBeNull();
    expect(admitAgentEvent(shutdown, undefined, false, 0).apply).toBe(shutdown);
    // The outage is already known (an open site ticket): the stop joins it at once.
    expect(admitAgentEvent(shutdown, undefined, true, GRACE).apply).toBe(shutdown);
    expect(admitAgentEvent(raised('jam', NOW), held.stop!, false, GRACE)).toEqual({ apply: raised('jam', NOW), stop: undefined });
  });
});

describe('planned stops in the ticket service', () => {
  for (const [name, make] of [
    ['in memory', () => Promise.resolve(new InMemoryTicketRepository())],
    [
      'durable store',
      async () => {
        const tmp = makeTempDir('planned-stops');
        const store = new JournaledStore({ dir: tmp.path });
        await store.open();
        cleanups.push(
          () => tmp.remove(),
          () => store.close(),
        );
        return new StoredTicketRepository(store);
      },
    ],
  ] as const) {
    it(`${name}: a restart within the grace opens no ticket; a stop longer than the grace opens one when it ends`, async () => {
      const clock = new ManualClock(at('2026-03-02T09:00'));
      const notices: Notice[] = [];
      const repo = await make();
      const svc = service(repo, clock, notices);

      await svc.handleEvent(agentOffline(clock.now(), ['dev-1'], 'acme:agent-1', 'shutdown'));
      expect(await repo.active()).toEqual([]);
      expect(await repo.plannedStops()).toHaveLength(1);
      clock.advance(2 * MIN);
      await settle();
      await svc.handleEvent(agentOnline(clock.now()));
      expect(await repo.plannedStops()).toEqual([]);
      clock.advance(2 * GRACE);
      await settle();
      expect(await repo.active()).toEqual([]);
      expect(notices).toEqual([]);

      const stoppedAt = clock.now();
      await svc.handleEvent(agentOffline(stoppedAt, ['dev-1', 'dev-2'], 'acme:agent-1', 'shutdown'));
      clock.advance(GRACE - 1);
      await settle();
      expect(await repo.active()).toEqual([]);
      clock.advance(1);
      // In memory the timer alone must open it; the durable store's commit takes real I/O time.
      await settle(name === 'durable store' ? svc : undefined);
      const [ticket] = await repo.active();
      expect(ticket).toMatchObject({
        kind: 'site',
        key: 'agent:acme:agent-1',
        openedAt: stoppedAt + GRACE,
        firstSeen: stoppedAt,
        affectedDevices: ['dev-1', 'dev-2'],
      });
      expect(ticket!.faults[0]!.evidence.message).toContain('stopped cleanly');
      expect(notices.map((n) => n.kind)).toEqual(['ticket.opened']);
      expect(await repo.plannedStops()).toEqual([]);
    });
  }

  it('a last will opens the site ticket at once', async () => {
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const notices: Notice[] = [];
    const repo = new InMemoryTicketRepository();
    const svc = service(repo, clock, notices);
    await svc.handleEvent(agentOffline(clock.now(), ['dev-1'], 'acme:agent-1', 'will'));
    expect((await repo.active()).map((t) => [t.key, t.openedAt])).toEqual([['agent:acme:agent-1', clock.now()]]);
    expect(notices.map((n) => n.kind)).toEqual(['ticket.opened']);
  });
});
