/**
 * Agent partitions behind Mosquitto (`broker.external.partition`, docs/scale-out.md): three
 * `fleetdesk server` processes on one PostgreSQL database, each the only member of its partition of
 * three. Mosquitto deals round-robin, so without partitions an agent's messages spread over all
 * instances; with them:
 *
 *  1. each instance ingests exactly the messages of the agents that hash to its partition (its
 *     `fleetdesk_messages_in_total`) and acknowledges the rest unread (`…_other_partition_total`);
 *  2. one instance killed with SIGKILL mid-stream and restarted: its partition's messages wait in its
 *     Mosquitto session, the others carry on, and at the end the database holds every message once
 *     and exactly the tickets one instance produces from the same stream.
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { WireMessage } from '../../shared/wire/messages.js';
import { partitionOfTopic } from '../../shared/wire/topics.js';
import {
  clusterTickets,
  countProcessed,
  FAST_CONTRACT_YAML,
  faultStream,
  metricOf,
  publishAll,
  referenceTickets,
  publishKillingMidStream,
  startInstances,
  ticketShape,
} from '../harness/cluster.js';
import { useClusterPeers } from '../harness/clusterPeers.js';
import { waitUntil } from '../harness/peers.js';
import { topicOf } from '../unit/server/wireFixtures.js';

const PARTITIONS = 3;
const STREAM = faultStream({ tenants: 2, agentsPerTenant: 6, devicesPerAgent: 3, telemetryPerDevice: 2, secondFaultEvery: 4, duplicateEvery: 10 });
const partitionOf = (m: WireMessage): number => partitionOfTopic(topicOf(m), PARTITIONS);
/** Messages published per partition (repeats included: a repeat goes where its first copy went). */
const published = (messages: readonly WireMessage[]): number[] =>
  Array.from({ length: PARTITIONS }, (_, k) => messages.filter((m) => partitionOf(m) === k).length);

const peers = useClusterPeers('cluster-partition');
const { instances, clients } = peers;

describe('three instances, one per agent partition, behind Mosquitto and PostgreSQL', () => {
  it("apply each agent's messages on one instance, and lose or double nothing when one is killed mid-stream", async () => {
    // Every partition owns some agents of this stream (else the kill would prove nothing).
    const warmupPerPartition = published(STREAM.warmup);
    expect(warmupPerPartition.every((n) => n > 0)).toBe(true);
    const expected = ticketShape(await referenceTickets([...STREAM.warmup, ...STREAM.messages]));

    const common = { dir: peers.dir, postgresUrl: peers.postgresUrl, mqttUrl: peers.mosquittoUrl, extraYaml: FAST_CONTRACT_YAML, receiveMaximum: 200 };
    await startInstances(
      [0, 1, 2].map((index) => ({ ...common, id: `q${index}`, partition: { count: PARTITIONS, index } })),
      instances,
    );

    const publisher = await mqtt.connectAsync(peers.mosquittoUrl, { protocolVersion: 5, reconnectPeriod: 0, clientId: 'partition-test-publisher' });
    clients.push(publisher);
    expect(await publishAll(publisher, STREAM.warmup, { inFlight: 100, timeoutMs: 30_000 })).toBe(STREAM.warmup.length);
    await waitUntil(async () => (await countProcessed(peers.postgresUrl)) === STREAM.warmup.length, 'the warm-up', 30_000, 250);
    // 1. Each instance read exactly its partition's messages and left every other one to its owner.
    const counts = async (name: string) => Promise.all(instances.map((i) => metricOf(i.httpPort, name)));
    expect(await counts('fleetdesk_messages_in_total')).toEqual(warmupPerPartition);
    expect(await counts('fleetdesk_messages_other_partition_total')).toEqual(warmupPerPartition.map((n) => STREAM.warmup.length - n));

    // 2. The stream, with the instance of partition 1 killed at 40 % and restarted once the others are done.
    const victim = instances[1]!;
    const acked = await publishKillingMidStream(publisher, STREAM.messages, victim);
    expect(acked).toBe(STREAM.messages.length);
    const all = STREAM.warmup.length + STREAM.distinct;
    const seen: number[] = [];
    await waitUntil(
      async () => {
        seen.push(await countProcessed(peers.postgresUrl));
        return seen.length >= 4 && seen.slice(-4).every((n) => n === seen.at(-1));
      },
      'the survivors to finish their partitions',
      40_000,
      1000,
    );
    // The victim's partition waits for it: nobody else applies its agents' messages.
    expect(seen.at(-1)).toBeLessThan(all);
    // The survivors read every message of their own agents (first copies and repeats) and nothing else.
    const perPartition = published([...STREAM.warmup, ...STREAM.messages]);
    const survivors = [0, 2];
    const inTotals = await counts('fleetdesk_messages_in_total');
    expect(survivors.map((k) => inTotals[k])).toEqual(survivors.map((k) => perPartition[k]));

    await victim.restart();
    await waitUntil(async () => (await countProcessed(peers.postgresUrl)) === all, `all ${all} distinct messages processed`, 45_000, 250);
    // After the restart the victim read only its own agents' messages (what its session kept for it).
    const victimIn = await metricOf(victim.httpPort, 'fleetdesk_messages_in_total');
    expect(victimIn).toBeGreaterThan(0);
    expect(victimIn).toBeLessThanOrEqual(perPartition[1]!);

    const tickets = await clusterTickets(peers.postgresUrl);
    expect(tickets).toHaveLength(expected.length);
    expect(new Set(tickets.map((t) => t.key)).size).toBe(expected.length);
    expect(new Set(tickets.map((t) => t.id)).size).toBe(expected.length);
    expect(ticketShape(tickets)).toEqual(expected);
  });
});
