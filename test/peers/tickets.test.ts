/**
 * End to end over a real Mosquitto: agent messages → server ingest (fleet state, impact
 * classification, fleet events) → ticket service → durable tickets with SLA deadlines.
 * The server and the ticket service share one manual clock, so deadlines are exact.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { createLogger } from '../../shared/logging.js';
import type { WireMessage } from '../../shared/wire/messages.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { presetContract } from '../../server/sla/presets.js';
import { StoredTicketRepository } from '../../server/tickets/ticketRepository.js';
import { TicketService } from '../../server/tickets/ticketService.js';
import type { Notice } from '../../server/tickets/ticketPolicy.js';
import type { Ticket } from '../../server/tickets/ticket.js';
import { ManualClock } from '../harness/manualClock.js';
import { makeTempDir, serverReady, startMosquitto, waitUntil, type MosquittoPeer } from '../harness/peers.js';
import { bytes, clearedMsg, fault, raisedMsg, stateMsg, statusMsg, topicOf } from '../unit/server/wireFixtures.js';

const ZONE = 'Europe/Warsaw';
const local = (ms: number | null | undefined) => (ms == null ? null : DateTime.fromMillis(ms, { zone: ZONE }).toFormat("yyyy-LL-dd'T'HH:mm"));
const START = DateTime.fromISO('2026-03-02T09:00', { zone: ZONE }).toMillis();

let broker: MosquittoPeer;
let server: RunningServer;
let tickets: TicketService;
let repo: StoredTicketRepository;
let agent: MqttClient;
const clock = new ManualClock(START);
const notices: Notice[] = [];
const data = makeTempDir('tickets-peers');

beforeAll(async () => {
  broker = await startMosquitto();
  const config = ServerConfig.parse({
    dataDir: data.path,
    http: { port: 0 },
    broker: { external: { url: broker.url } },
    // The manual clock jumps minutes ahead; keep the agent from being marked stale meanwhile.
    ingest: { agentStaleAfter: '1d' },
    fleet: {
      customers: { acme: { name: 'ACME sp. z o.o.', contract: 'device-vendor', contact: { name: 'Anna Nowak', phone: '+48 600 100 200' }, tenants: ['acme'] } },
      sites: { waw: { name: 'Warszawa HQ', customer: 'acme', agents: ['acme/agent-1'] } },
    },
  });
  const logger = createLogger({ name: 'test', level: (process.env.TEST_LOG as 'debug') ?? 'silent', format: 'json' });
  server = await startServer(config, logger, {
    clock,
    beforeListen: ({ repo: store, events }) => {
      repo = new StoredTicketRepository(store);
      tickets = new TicketService({
        repository: repo,
        clock,
        contractFor: presetContract,
        defaultContractId: 'community',
        logger,
        onNotice: (n) => notices.push(n),
      });
      tickets.attachToFleetEvents(events);
    },
  });
  agent = mqtt.connect(broker.url, { clientId: 'acme-agent-1', protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 });
  await new Promise<void>((resolve, reject) => {
    agent.once('connect', () => resolve());
    agent.once('error', reject);
  });
  await waitUntil(() => serverReady(server.httpPort), 'server ready');
});

afterAll(async () => {
  tickets?.stop();
  await agent?.endAsync(true);
  await server?.close();
  await broker?.stop();
  data.remove();
});

async function publish(msg: WireMessage): Promise<void> {
  await agent.publishAsync(topicOf(msg), bytes(msg), { qos: 1 });
}

async function ticketsNow(): Promise<Ticket[]> {
  return (await repo.active()).sort((a, b) => (a.id < b.id ? -1 : 1));
}

describe('fault stream over Mosquitto → tickets and deadlines', () => {
  it('opens one ticket per device and fault, joins related faults, and sets the contract deadlines', async () => {
    await publish(statusMsg('acme', 'agent-1', 'online'));
    await publish(stateMsg('acme', 'agent-1', 'p1', { identity: { vendor: 'HP', model: 'LaserJet M404', serial: 'SN-1' } }));
    await publish(stateMsg('acme', 'agent-1', 'p2', { identity: { vendor: 'Konica Minolta', model: 'bizhub C300i', serial: 'SN-2' } }));
    await waitUntil(async () => (await server.repo.list('devices')).length === 2, 'two devices stored');

    await publish(raisedMsg('acme', 'agent-1', 'p1', fault('toner.low', 'warning'), '2026-03-02T08:00:00Z', 2));
    await waitUntil(async () => (await ticketsNow()).length === 1, 'first ticket');
    const first = (await ticketsNow())[0]!;
    // toner.low → low (default rules) → 5 working days of Mon-Fri 8-17.
    expect([first.impact, local(first.sla.reaction.deadlineAt)]).toEqual(['low', '2026-03-09T09:00']);

    clock.advance(3 * 60_000);
    await publish(raisedMsg('acme', 'agent-1', 'p1', fault('toner.empty'), '2026-03-02T08:03:00Z', 3));
    await publish(raisedMsg('acme', 'agent-1', 'p1', fault('toner.empty'), '2026-03-02T08:04:00Z', 4));
    await publish(raisedMsg('acme', 'agent-1', 'p2', fault('jam'), '2026-03-02T08:04:00Z', 2));
    await waitUntil(async () => (await ticketsNow()).length === 2 && (await ticketsNow())[0]!.faults.length === 2, 'join and second ticket');

    const [joined, jam] = await ticketsNow();
    expect(joined).toMatchObject({
      key: 'device:acme/sn:sn-1:toner.low||',
      impact: 'high',
      customer: { id: 'acme', contractId: 'device-vendor', contact: { name: 'Anna Nowak' } },
      site: { id: 'waw', name: 'Warszawa HQ' },
      device: { model: 'LaserJet M404', serial: 'SN-1' },
    });
    expect(joined!.faults.map((f) => [f.code, f.occurrences])).toEqual([
      ['toner.low', 1],
      ['toner.empty', 2],
    ]);
    expect(joined!.impactRule).toMatch(/^rule stop-with-alternatives → high/);
    // Raised to high at the join (09:03): the earlier of the low deadline and 09:03 + 6 working hours.
    expect(local(joined!.sla.reaction.deadlineAt)).toBe('2026-03-02T15:03');
    expect(jam).toMatchObject({ key: 'device:acme/sn:sn-2:jam||', impact: 'high', device: { model: 'bizhub C300i' } });
    expect(local(jam!.sla.reaction.deadlineAt)).toBe('2026-03-02T15:03');
    // Notices go out once the ingest transaction is durable (FleetEventBus.afterCommit), which can be
    // a moment after the tickets are visible in the store.
    await waitUntil(() => notices.filter((n) => n.kind === 'ticket.opened').length >= 2, 'the ticket.opened notices');
    expect(notices.filter((n) => n.kind === 'ticket.opened')).toHaveLength(2);

    // The jam clears and stays away for the quiet period: resolved by the device.
    await publish(clearedMsg('acme', 'agent-1', 'p2', 'jam', '2026-03-02T08:10:00Z', 3));
    await waitUntil(async () => (await ticketsNow())[1]!.quietSince !== null, 'jam cleared');
    clock.advance(15 * 60_000);
    await tickets.tick();
    expect((await ticketsNow())[1]).toMatchObject({ status: 'resolved', resolution: 'byDevice' });
  });
});
