/**
 * Three `fleetdesk server` processes against one Mosquitto 2 (shared subscription
 * `$share/fleetdesk/…`, persistent sessions) and one PostgreSQL database (docs/scale-out.md):
 *
 *  1. a stream of faults from 32 devices (with telemetry, second faults and re-sent messages)
 *     yields exactly the tickets one instance produces from the same stream, none twice, none
 *     missing — while one instance is killed with SIGKILL mid-stream and restarted afterwards
 *     (Mosquitto keeps its share in its session and hands it over when it is back);
 *  2. SLA timers (a 24/7 contract with a 20 s reaction target) fire once per ticket across the
 *     instances, although the leader is killed with SIGKILL while they are due;
 *  3. live updates: a dashboard stream on every instance gets a change made on any instance
 *     (an API action, a new fault ingested wherever the broker sent it) exactly once.
 */
import { request, type IncomingMessage } from 'node:http';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  clusterTickets as ticketsIn,
  countProcessed as countProcessedIn,
  FAST_CONTRACT_YAML,
  faultStream,
  metricOf,
  publishAll,
  referenceTickets,
  publishKillingMidStream,
  startInstances,
  ticketShape as shape,
  type ServerInstance,
} from '../harness/cluster.js';
import { useClusterPeers } from '../harness/clusterPeers.js';
import { waitUntil } from '../harness/peers.js';
import { fault, raisedMsg, topicOf } from '../unit/server/wireFixtures.js';

const STREAM = faultStream({ tenants: 2, agentsPerTenant: 2, devicesPerAgent: 8, telemetryPerDevice: 2, secondFaultEvery: 4, duplicateEvery: 10 });

const peers = useClusterPeers('cluster');
const { instances, clients } = peers;

const countProcessed = () => countProcessedIn(peers.postgresUrl);
const clusterTickets = () => ticketsIn(peers.postgresUrl);

async function leaderOf(): Promise<ServerInstance[]> {
  const flags = await Promise.all(instances.map((i) => metricOf(i.httpPort, 'fleetdesk_cluster_leader')));
  return instances.filter((_, k) => flags[k] === 1);
}

describe('three server instances behind one Mosquitto and one PostgreSQL', () => {
  it('turn a fault stream into exactly the tickets of one instance, with one instance killed mid-stream', async () => {
    const expected = shape(await referenceTickets([...STREAM.warmup, ...STREAM.messages]));
    // One ticket per device and fault (jam everywhere, door.open on every fourth device).
    expect(expected).toHaveLength(STREAM.devices + Math.ceil(STREAM.devices / 4));

    const common = { dir: peers.dir, postgresUrl: peers.postgresUrl, mqttUrl: peers.mosquittoUrl, extraYaml: FAST_CONTRACT_YAML, receiveMaximum: 200 };
    await startInstances(
      ['s1', 's2', 's3'].map((id) => ({ ...common, id })),
      instances,
    );
    expect(await leaderOf()).toHaveLength(1);

    const publisher = await mqtt.connectAsync(peers.mosquittoUrl, { protocolVersion: 5, reconnectPeriod: 0, clientId: 'cluster-test-publisher' });
    clients.push(publisher);
    // Every device known first (see faultStream), then the stream proper.
    expect(await publishAll(publisher, STREAM.warmup, { inFlight: 100, timeoutMs: 30_000 })).toBe(STREAM.warmup.length);
    await waitUntil(async () => (await countProcessed()) === STREAM.warmup.length, 'the warm-up', 30_000, 250);
    const victim = instances[1]!;
    const acked = await publishKillingMidStream(publisher, STREAM.messages, victim);
    expect(acked).toBe(STREAM.messages.length);

    // The two others carry on after the kill...
    const atKill = await countProcessed();
    await waitUntil(async () => (await countProcessed()) >= atKill + 10, 'the survivors to carry on', 30_000, 250);
    // ...through everything routed to them (no progress for 4 s), while the victim's share waits.
    const seen: number[] = [];
    await waitUntil(
      async () => {
        seen.push(await countProcessed());
        return seen.length >= 5 && seen.slice(-5).every((n) => n === seen.at(-1));
      },
      'the survivors to finish their share',
      40_000,
      1000,
    );
    expect(seen.at(-1)).toBeLessThan(STREAM.warmup.length + STREAM.distinct);
    // ...and the victim's share waits in its Mosquitto session until it is back under the same instance id.
    await victim.restart();
    await waitUntil(
      async () => (await countProcessed()) === STREAM.warmup.length + STREAM.distinct,
      `all ${STREAM.warmup.length + STREAM.distinct} distinct messages processed`,
      45_000,
      250,
    );

    const tickets = await clusterTickets();
    expect(tickets).toHaveLength(expected.length);
    expect(new Set(tickets.map((t) => t.key)).size).toBe(expected.length);
    expect(new Set(tickets.map((t) => t.id)).size).toBe(expected.length);
    expect(shape(tickets)).toEqual(expected);
  });

  it('fire each SLA warning and breach once across instances, although the leader is killed while they are due', async () => {
    const [leader] = await leaderOf();
    expect(leader).toBeDefined();
    // Kill the leader once the first warnings are out (10 s after the first tickets opened).
    await waitUntil(async () => (await clusterTickets()).some((t) => t.history.some((h) => h.what === 'sla.warning')), 'the first SLA warning', 30_000, 250);
    await leader!.process.kill();
    await waitUntil(async () => (await leaderOf()).length === 1, 'a new leader', 10_000, 100);
    expect((await leaderOf())[0]).not.toBe(leader);

    await waitUntil(async () => (await clusterTickets()).every((t) => t.history.some((h) => h.what === 'sla.breach')), 'every ticket breached', 45_000, 500);
    const tickets = await clusterTickets();
    const counts = tickets.map((t) => `${t.history.filter((h) => h.what === 'sla.warning').length}/${t.history.filter((h) => h.what === 'sla.breach').length}`);
    expect(counts.filter((c) => c !== '1/1')).toEqual([]);
    expect(counts).toHaveLength(STREAM.devices + Math.ceil(STREAM.devices / 4));
  });

  it('push a change made on any instance to the dashboards of every instance, once', async () => {
    const live = instances.filter((i) => i.process.child.exitCode === null && i.process.child.signalCode === null);
    expect(live.length).toBeGreaterThanOrEqual(2);
    const streams = await Promise.all(live.map((i) => openStream(i.httpPort)));
    try {
      // An operator acknowledges a ticket through the API of the first instance.
      const [ticket] = await clusterTickets();
      const ack = await fetch(`http://127.0.0.1:${live[0]!.httpPort}/api/v1/tickets/${ticket!.id}/acknowledge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(ack.status).toBe(200);
      // A new fault arrives over the broker: whichever instance ingests it, every dashboard hears of it.
      const msg = raisedMsg('t9', 'a9', 'p-live', fault('jam'), '2026-01-05T09:00:00Z', 5);
      await clients[0]!.publishAsync(topicOf(msg), JSON.stringify(msg), { qos: 1 });
      const seen = () => streams.map((s) => `${s.count('ticket.updated')}/${s.count('fleet.faultRaised')}/${s.count('ticket.opened')}`).join(' ');
      await waitUntil(
        () => streams.every((s) => s.count('ticket.updated') >= 1 && s.count('fleet.faultRaised') >= 1 && s.count('ticket.opened') >= 1),
        'the updates on every stream',
        20_000,
        100,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; updated/faultRaised/opened per stream: ${seen()}`);
      });
      await new Promise((r) => setTimeout(r, 1000)); // room for a duplicate to show up
      for (const s of streams) expect([s.count('ticket.updated'), s.count('fleet.faultRaised'), s.count('ticket.opened')]).toEqual([1, 1, 1]);
    } finally {
      for (const s of streams) s.close();
    }
  });
});

/** An SSE client of /api/v1/events that counts events by type. */
async function openStream(port: number): Promise<{ count: (type: string) => number; close: () => void }> {
  const counts = new Map<string, number>();
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/v1/events', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: 'text/event-stream' } },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
  expect(res.statusCode).toBe(200);
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const type = /^event: (.+)$/m.exec(buffer.slice(0, end))?.[1];
      if (type) counts.set(type, (counts.get(type) ?? 0) + 1);
      buffer = buffer.slice(end + 2);
    }
  });
  return { count: (type) => counts.get(type) ?? 0, close: () => res.destroy() };
}
