import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';
import { presetContract } from '../../../server/sla/presets.js';
import { InMemoryTicketRepository, StoredTicketRepository, type TicketRepository } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import type { Notice } from '../../../server/tickets/ticketPolicy.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { FleetEventBus, type DeviceContext, type FaultRaisedEvent } from '../../../server/events/fleetEvents.js';
import { at, cleared, device, HOUR, local, MIN, raised } from './fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Lets the service's async timer work (ticks, rescheduling) run to completion. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Advances the manual clock in steps, letting timers and their async work run at each step. */
async function runUntil(clock: ManualClock, target: number, stepMs = HOUR): Promise<void> {
  while (clock.now() < target) {
    clock.advance(Math.min(stepMs, target - clock.now()));
    await settle();
  }
}

function service(repository: TicketRepository, clock: ManualClock, notices: Notice[] = []) {
  const svc = new TicketService({
    repository,
    clock,
    contractFor: presetContract,
    defaultContractId: 'device-vendor',
    onNotice: (n) => notices.push(n),
    maxTickIntervalMs: 6 * HOUR,
  });
  cleanups.push(() => svc.stop());
  return svc;
}

describe('ticket service over the in-memory repository, with an injected clock', () => {
  it('a fault stream opens, dedups and resolves tickets; timers emit the SLA warning and breach once', async () => {
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const repo = new InMemoryTicketRepository();
    const notices: Notice[] = [];
    const svc = service(repo, clock, notices);
    svc.start();
    await svc.handleEvent(raised('jam', clock.now()));
    clock.advance(5 * MIN);
    await svc.handleEvent(raised('jam', clock.now()));
    await svc.handleEvent(raised('paper.empty', clock.now(), { device: device('dev-2') }));
    expect((await repo.active()).map((t) => [t.id, t.key])).toEqual([
      ['T000001', 'device:dev-1:jam||'],
      ['T000002', 'device:dev-2:paper.empty||'],
    ]);
    await runUntil(clock, at('2026-03-02T11:30'), 7 * MIN);
    const sla = notices.filter((n) => n.kind.startsWith('sla.')).map((n) => `${n.ticketId} ${n.kind} ${local(n.at)}`);
    expect(sla).toEqual([
      'T000001 sla.warning 2026-03-02T10:36',
      'T000002 sla.warning 2026-03-02T10:41',
      'T000001 sla.breach 2026-03-02T11:00',
      'T000002 sla.breach 2026-03-02T11:05',
    ]);
    // Queue: both breached; the earlier deadline first.
    expect((await svc.workQueue()).map((t) => t.id)).toEqual(['T000001', 'T000002']);
    await svc.handleEvent(cleared('jam', clock.now()));
    await runUntil(clock, clock.now() + 20 * MIN, 5 * MIN);
    expect((await repo.get('T000001'))!.status).toBe('resolved');
    // The reopen window passes: closed and moved to history.
    await runUntil(clock, clock.now() + 25 * HOUR, 6 * HOUR);
    expect(await repo.get('T000001')).toBeUndefined();
    expect((await repo.closedSince('2026-03')).map((t) => [t.id, t.status])).toEqual([['T000001', 'closed']]);
  });

  it('the monthly cap counts e-mail support, not bugs; reclassifying moves the minutes of this month (seed 003)', async () => {
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const repo = new InMemoryTicketRepository();
    const svc = service(repo, clock);
    await svc.handleEvent(raised('jam', clock.now(), { contractId: 'email' }));
    await svc.act('T000001', { type: 'classifyMatter', by: 'jan', matter: 'bug', reason: 'firmware defect' });
    await expect(svc.act('T000001', { type: 'classifyMatter', by: 'jan', matter: 'bug', reason: 'again' })).rejects.toThrow(
      'ticket T000001 is already a bug matter',
    );
    await svc.act('T000001', { type: 'addTime', by: 'jan', id: 'm1', channel: 'email', minutes: 180, note: 'bug analysis' });
    // Three hours of e-mail work on a bug: the cap is untouched, the next report keeps its guarantee.
    await svc.handleEvent(raised('toner.empty', clock.now(), { contractId: 'email', device: device('dev-2') }));
    expect((await repo.get('T000002'))!.sla.guaranteed).toBe(true);
    expect((await svc.statement('acme', 'email', '2026-03')).capUsedMinutes).toBe(0);
    // Reclassified as support: its minutes now use the cap, and the next report is past it.
    await svc.act('T000001', { type: 'classifyMatter', by: 'jan', matter: 'support', reason: 'it was a configuration question' });
    expect((await repo.get('T000001'))!.history.at(-1)).toMatchObject({ what: 'matter classified', detail: 'bug → support: it was a configuration question' });
    expect((await svc.statement('acme', 'email', '2026-03')).capUsedMinutes).toBe(180);
    await svc.handleEvent(raised('door.open', clock.now(), { contractId: 'email', device: device('dev-3') }));
    expect((await repo.get('T000003'))!.sla).toMatchObject({ guaranteed: false, capExhausted: true });
  });

  it('operator actions go through the policy; errors name the ticket; time entries use up the cap', async () => {
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const repo = new InMemoryTicketRepository();
    const svc = service(repo, clock);
    await svc.handleEvent(raised('jam', clock.now(), { contractId: 'email' }));
    await expect(svc.act('T000009', { type: 'acknowledge', by: 'jan' })).rejects.toThrow('no ticket "T000009"');
    await expect(svc.act('T000001', { type: 'close', by: 'jan' })).rejects.toThrow(/cannot close a ticket that is new/);
    await svc.act('T000001', { type: 'acknowledge', by: 'jan' });
    await svc.act('T000001', { type: 'addTime', by: 'jan', id: 'm1', channel: 'email', minutes: 120, note: 'answers' });
    await svc.act('T000001', { type: 'addTime', by: 'jan', id: 'm2', channel: 'email', minutes: 60, note: 'more answers' });
    await svc.handleEvent(raised('toner.empty', clock.now(), { contractId: 'email', device: device('dev-2') }));
    const capped = (await repo.get('T000002'))!;
    expect(capped.sla.guaranteed).toBe(false);
    expect(capped.sla.noGuaranteeReason).toMatch(/monthly cap of 3 h/);
    const statement = await svc.statement('acme', 'email', '2026-03');
    expect([statement.capUsedMinutes, statement.capExhaustedAt, statement.ticketsOpened, statement.ticketsGuaranteed]).toEqual([180, clock.now(), 2, 1]);
    // A customer whose fleet record names an unknown contract still gets a ticket, under the default contract.
    await svc.handleEvent(raised('jam', clock.now(), { contractId: 'gold', device: device('dev-9') }));
    expect((await repo.active()).find((t) => t.device?.id === 'dev-9')!.sla.contractId).toBe('device-vendor');
    // A new month restores the guarantee.
    clock.set(at('2026-04-01T09:00'));
    await svc.handleEvent(raised('jam', clock.now(), { contractId: 'email', device: device('dev-3') }));
    expect((await repo.get('T000004'))!.sla.guaranteed).toBe(true);
  });
});

describe('ticket service over the durable store (lowdb hot file + journal + monthly archives)', () => {
  async function openStore(dir: string) {
    const store = new JournaledStore({ dir });
    await store.open();
    return store;
  }

  it('tickets survive a restart; closed ones go to the monthly archive', async () => {
    const tmp = makeTempDir('tickets');
    cleanups.push(() => tmp.remove());
    const clock = new ManualClock(at('2026-03-02T09:00'));
    let store = await openStore(tmp.path);
    let svc = service(new StoredTicketRepository(store), clock);
    await svc.handleEvent(raised('jam', clock.now()));
    await svc.act('T000001', { type: 'resolve', by: 'jan', solution: 'paper path cleaned' });
    await svc.act('T000001', { type: 'close', by: 'jan' });
    await svc.handleEvent(raised('door.open', clock.now()));
    await store.close();

    store = await openStore(tmp.path);
    cleanups.push(() => store.close());
    const repo = new StoredTicketRepository(store);
    svc = service(repo, clock);
    expect((await repo.active()).map((t) => [t.id, t.status, t.revision])).toEqual([['T000002', 'new', 1]]);
    expect((await repo.closedSince('2026-03')).map((t) => [t.id, t.status, t.history.length])).toEqual([['T000001', 'closed', 3]]);
    // Numbers continue after the restart.
    await svc.handleEvent(raised('paper.empty', clock.now(), { device: device('dev-7') }));
    expect((await repo.active()).map((t) => t.id)).toEqual(['T000002', 'T000003']);
    const rows = await svc.compliance('2026-03');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ customerId: 'acme', tickets: 3, met: 1 });
  });

  it('fleet events from the server core open tickets inside the transaction that applied them', async () => {
    const tmp = makeTempDir('tickets-bus');
    cleanups.push(() => tmp.remove());
    const clock = new ManualClock(at('2026-03-02T09:00'));
    const store = await openStore(tmp.path);
    cleanups.push(() => store.close());
    const bus = new FleetEventBus();
    const svc = service(new StoredTicketRepository(store), clock);
    svc.attachToFleetEvents(bus);
    const dev: DeviceContext = {
      deviceKey: 'acme/agent-1/hp-1',
      tenant: 'acme',
      agentId: 'agent-1',
      agentDeviceId: 'hp-1',
      siteId: 'waw',
      siteName: 'Warszawa',
      customer: { id: 'acme', name: 'ACME', contract: 'software-5level', contact: { name: 'Anna', email: 'anna@acme.example' } },
      identity: { vendor: 'HP', model: 'OfficeJet Pro', serial: 'CN123' },
      address: '127.0.0.1',
      critical: false,
      onlyDeviceOnSite: false,
    };
    const event: FaultRaisedEvent = {
      type: 'faultRaised',
      eventId: 'm1/fault',
      at: new Date(clock.now()).toISOString(),
      device: dev,
      fault: { code: 'ink.empty', severity: 'critical', source: 'ippStateReason', message: 'marker-supply-empty', rawCode: 'marker-supply-empty-error' },
      firstSeen: new Date(clock.now() - MIN).toISOString(),
      impact: {
        level: 'high',
        queue: 'ink-head',
        ruleId: 'ink-empty',
        explanation: 'rule ink-empty → high: ink.empty on a non-critical device',
        contractPriority: 'sev2',
      },
      evidence: {
        status: 'down',
        collectedAt: new Date(clock.now()).toISOString(),
        faults: [{ code: 'ink.empty', severity: 'critical', source: 'ippStateReason', message: 'marker-supply-empty', rawCode: 'marker-supply-empty-error' }],
        supplies: [],
        counters: { total: 42 },
      },
    };
    await store.transaction((tx) => bus.emit(event, tx));
    expect(bus.handlerErrors).toBe(0);
    const [t] = await new StoredTicketRepository(store).active();
    expect(t).toMatchObject({
      key: 'device:acme/agent-1/hp-1:ink.empty||',
      queue: 'ink-head',
      impact: 'high',
      impactRule: 'rule ink-empty → high: ink.empty on a non-critical device',
      customer: { contractId: 'software-5level', contact: { name: 'Anna' } },
      sla: { contractId: 'software-5level', level: 'sev2' },
    });
    expect(t!.faults[0]!.evidence.stateReasons).toEqual(['marker-supply-empty-error']);
    // sev2 = 24 working hours of 9-17: Mon 8 h, Tue 8 h, Wed 8 h.
    expect(local(t!.sla.reaction.deadlineAt)).toBe('2026-03-04T17:00');
  });
});
