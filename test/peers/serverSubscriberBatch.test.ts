/**
 * The external-broker subscriber against a real Mosquitto: messages arriving together are ingested
 * as one transaction and their PUBACKs (success, and 0x99 for a rejected payload) are written as
 * ready-made bytes after the commit. Mosquitto must accept them all: the connection stays up and,
 * after a reconnect of the persistent session, nothing is delivered again.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging.js';
import { startExternalSubscriber, type ExternalSubscriber } from '../../server/broker/externalSubscriber.js';
import { ExternalBrokerSettings } from '../../server/serverConfig.js';
import type { DeviceRecord } from '../../server/fleet/fleetModel.js';
import { startMosquitto, waitUntil, type MosquittoPeer } from '../harness/peers.js';
import { makeKit, type Kit } from '../unit/server/serverTestKit.js';
import { bytes, stateMsg, telemetryMsg, topicOf } from '../unit/server/wireFixtures.js';

let broker: MosquittoPeer;
let kit: Kit;
const logger = createLogger({ name: 'test', level: 'silent' });

beforeAll(async () => {
  broker = await startMosquitto({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0'] });
  kit = await makeKit();
  // After the stream's timestamps (08:02-08:12): none lies beyond the clock-skew window (server/fleet/clockSkew.ts).
  kit.clock.set('2026-01-05T08:15:00Z');
});

afterAll(async () => {
  await kit?.close();
  await broker?.stop();
});

function subscribe(): { sub: ExternalSubscriber; connects: () => number } {
  const settings = ExternalBrokerSettings.parse({ url: broker.url, clientId: 'batch-test-server', receiveMaximum: 512 });
  const sub = startExternalSubscriber(settings, { ingest: kit.ingest, logger, clientId: 'unused' });
  let n = 0;
  sub.client.on('connect', () => {
    n += 1;
  });
  return { sub, connects: () => n };
}

describe('external subscriber: batched ingest and PUBACKs', () => {
  it('acknowledges accepted, duplicate and rejected messages so that Mosquitto never redelivers them', async () => {
    const first = subscribe();
    await first.sub.ready;
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clean: true });
    const state = stateMsg('acme', 'a1', 'p1');
    await pub.publishAsync(topicOf(state), bytes(state), { qos: 1 });
    // 600 telemetry messages published without waiting: they reach the server in a few socket reads.
    const N = 600;
    const sends: Promise<unknown>[] = [];
    for (let i = 1; i <= N; i++) {
      const t = telemetryMsg('acme', 'a1', 'p1', i, new Date(Date.parse('2026-01-05T08:02:00Z') + i * 1000).toISOString());
      sends.push(pub.publishAsync(topicOf(t), bytes(t), { qos: 1 }));
      if (i === N / 2) {
        sends.push(pub.publishAsync(topicOf(t), Buffer.from('{"v":1,"broken"'), { qos: 1 })); // rejected: PUBACK 0x99
        sends.push(pub.publishAsync(topicOf(t), bytes(t), { qos: 1 })); // same id: duplicate
      }
    }
    await Promise.all(sends); // Mosquitto has them all
    await waitUntil(() => kit.metrics.accepted.get({ type: 'device.telemetry' }) === N, 'all telemetry accepted', 20_000);
    await waitUntil(
      () => kit.metrics.duplicates.get() === 1 && kit.metrics.rejected.get({ reason: 'not-json' }) === 1,
      'duplicate and rejection counted',
      20_000,
    );
    const device = await kit.store.get<DeviceRecord>('devices', 'acme/sn:sn-1');
    expect(device?.counters.total).toBe(N); // applied in order: the last telemetry wins
    // Fewer commits than messages: the messages of one socket read share a transaction.
    expect(kit.store.stats().commits).toBeLessThan(N / 4);
    await first.sub.close();
    expect(first.connects()).toBe(1); // Mosquitto took every PUBACK (a malformed one closes the connection)

    // Same persistent session again: a sentinel published now comes after anything redelivered.
    const second = subscribe();
    await second.sub.ready;
    const sentinel = stateMsg('acme', 'a1', 'p2', { identity: { serial: 'SN-2' } });
    await pub.publishAsync(topicOf(sentinel), bytes(sentinel), { qos: 1 });
    await waitUntil(() => kit.metrics.accepted.get({ type: 'device.state' }) === 2, 'sentinel accepted', 20_000);
    expect(kit.metrics.duplicates.get()).toBe(1);
    expect(kit.metrics.rejected.get({ reason: 'not-json' })).toBe(1);
    await second.sub.close();
    await pub.endAsync();
  });
});
