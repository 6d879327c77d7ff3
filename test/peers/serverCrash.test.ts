/**
 * kill -9 the server (a real child process running `fleetdesk server`) while an agent streams
 * QoS 1 messages into its embedded broker; after a restart, every message the broker
 * acknowledged is in the store, and re-sending the whole stream duplicates nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { issueAgentToken } from '../harness/agentCredentials.js';
import type { DeviceRecord } from '../../server/fleet/fleetModel.js';
import { JournaledStore } from '../../server/storage/journaledStore.js';
import type { DeviceTelemetryMessage } from '../../shared/wire/messages.js';
import { freeTcpPort, makeTempDir, startMosquitto, serverReady, startPeer, waitUntil, type MosquittoPeer, type PeerProcess } from '../harness/peers.js';
import { REPO_ROOT } from '../harness/repo.js';
import { bytes, telemetryMsg, topicOf } from '../unit/server/wireFixtures.js';

const N = 4000;
const DEVICES = 20;
const data = makeTempDir('crash');
let server: PeerProcess | undefined;
const clients: MqttClient[] = [];

let mosquitto: MosquittoPeer | undefined;
afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  await server?.stop();
  await mosquitto?.stop();
  data.remove();
});

async function startServerProcess(configFile: string, httpPort: number): Promise<PeerProcess> {
  return startPeer({
    name: 'fleetdesk-server',
    program: 'node',
    debPackage: 'nodejs',
    args: [join(REPO_ROOT, 'bin/fleetdesk.mjs'), 'server', '--config', configFile],
    port: httpPort,
    env: { FLEETDESK_LOG_LEVEL: 'warn' },
    // Ready = subscribed: a message published before the subscription exists is dropped by the broker.
    ready: () => serverReady(httpPort),
    timeoutMs: 30_000,
  });
}

function stream(): DeviceTelemetryMessage[] {
  const start = Date.parse('2026-01-05T08:00:00Z');
  return Array.from({ length: N }, (_, i) => telemetryMsg('acme', 'a1', `p${i % DEVICES}`, i, new Date(start + i * 1000).toISOString(), i));
}

/** Publishes with a bounded number in flight; resolves with the ids the broker acknowledged. */
function publishAll(client: MqttClient, msgs: DeviceTelemetryMessage[], onAck: (n: number) => void): Promise<Set<string>> {
  const acked = new Set<string>();
  return new Promise((resolve) => {
    let next = 0;
    let inFlight = 0;
    let finished = false;
    const done = () => {
      if (!finished) {
        finished = true;
        resolve(acked);
      }
    };
    client.once('close', done);
    const pump = () => {
      while (inFlight < 100 && next < msgs.length && !finished) {
        const m = msgs[next++]!;
        inFlight++;
        client.publish(topicOf(m), bytes(m), { qos: 1 }, (err) => {
          inFlight--;
          if (!err) {
            acked.add(m.id);
            onAck(acked.size);
          }
          if (acked.size === msgs.length) done();
          else pump();
        });
      }
    };
    pump();
  });
}

async function connect(port: number, password: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: 'acme/a1',
    username: 'acme/a1',
    password,
    reconnectPeriod: 0,
    protocolVersion: 4,
    clean: true,
  });
  clients.push(client);
  return client;
}

async function metric(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('server crash (kill -9) during ingest', () => {
  it('loses no acknowledged message and duplicates nothing', async () => {
    const mqttPort = await freeTcpPort();
    const httpPort = await freeTcpPort();
    const configFile = join(data.path, 'server.yaml');
    writeFileSync(
      configFile,
      [`dataDir: ${data.path}/data`, 'broker:', '  embedded:', `    port: ${mqttPort}`, 'http:', `  port: ${httpPort}`, 'log:', '  format: json', ''].join(
        '\n',
      ),
    );
    const token = await issueAgentToken(configFile, { tenant: 'acme', agentId: 'a1' });
    const msgs = stream();

    server = await startServerProcess(configFile, httpPort);
    const first = await connect(mqttPort, token);
    let killed: Promise<void> | undefined;
    const acked = await publishAll(first, msgs, (n) => {
      if (n >= 1000 && !killed) killed = server!.kill();
    });
    await killed;
    expect(acked.size).toBeGreaterThanOrEqual(1000);
    expect(acked.size).toBeLessThan(N);

    // What survived on disk, read the way the server will read it at start.
    const store = new JournaledStore({ dir: join(data.path, 'data', 'store') });
    await store.open();
    const durable = msgs.filter((m) => store.hasMessage(m.id)).map((m) => m.id);
    const missing = [...acked].filter((id) => !store.hasMessage(id));
    await store.close();
    expect(missing).toEqual([]);

    // Restart; the agent re-sends everything (its outbox holds at least the unacknowledged ones).
    server = await startServerProcess(configFile, httpPort);
    const second = await connect(mqttPort, token);
    const acked2 = await publishAll(second, msgs, () => undefined);
    expect(acked2.size).toBe(N);
    expect(await metric(httpPort, 'fleetdesk_messages_duplicate_total')).toBe(durable.length);
    expect(await metric(httpPort, 'fleetdesk_messages_accepted_total')).toBe(N - durable.length);
    await second.endAsync();
    await server.stop();

    const after = new JournaledStore({ dir: join(data.path, 'data', 'store') });
    await after.open();
    expect(msgs.every((m) => after.hasMessage(m.id))).toBe(true);
    const devices = await after.list<DeviceRecord>('devices');
    expect(devices).toHaveLength(DEVICES);
    for (const d of devices) {
      const index = Number(d.agentDeviceId.slice(1));
      expect(d.counters.total).toBe(N - DEVICES + index);
    }
    await after.close();
  });
});

describe('server crash (kill -9) behind Mosquitto', () => {
  it('gets every message the broker accepted after a restart, applying none twice', async () => {
    mosquitto = await startMosquitto({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0'] });
    const httpPort = await freeTcpPort();
    const dir = join(data.path, 'ext');
    const configFile = join(data.path, 'server-ext.yaml');
    writeFileSync(
      configFile,
      [
        `dataDir: ${dir}`,
        'broker:',
        '  external:',
        `    url: ${mosquitto.url}`,
        '    clientId: crash-test-server',
        '    receiveMaximum: 1000',
        'http:',
        `  port: ${httpPort}`,
        '',
      ].join('\n'),
    );
    const msgs = stream();
    server = await startServerProcess(configFile, httpPort);
    const agent = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(agent);
    // Kill at a moment set by the publisher, not by the server's own event loop: once half the
    // stream is at the broker and the server has stored something (on a loaded machine it may not
    // have, and a kill then proves nothing).
    let killed: Promise<void> | undefined;
    const published = await publishAll(agent, msgs, (n) => {
      if (n >= N / 2 && !killed)
        killed = waitUntil(async () => (await metric(httpPort, 'fleetdesk_messages_accepted_total')) > 0, 'a first stored message', 30_000, 5).then(() =>
          server!.kill(),
        );
    });
    await killed;
    expect(published.size).toBe(N); // the broker accepted the whole stream

    const store = new JournaledStore({ dir: join(dir, 'store') });
    await store.open();
    const durable = msgs.filter((m) => store.hasMessage(m.id)).length;
    await store.close();
    expect(durable).toBeGreaterThan(0);
    expect(durable).toBeLessThan(N);

    // Restart: the persistent session delivers the rest, and redelivers what was never acknowledged.
    server = await startServerProcess(configFile, httpPort);
    let accepted = 0;
    await waitUntil(
      async () => (accepted = await metric(httpPort, 'fleetdesk_messages_accepted_total')) >= N - durable,
      'the rest of the stream',
      20_000,
    ).catch(async (err: Error) => {
      // What arrived, and what the two peers said: a loss and a slow machine look different here.
      const duplicates = await metric(httpPort, 'fleetdesk_messages_duplicate_total');
      throw new Error(
        `${err.message}: ${accepted} of ${N - durable} accepted, ${duplicates} duplicates (${durable} stored before the kill)\n--- server\n${server!.output().slice(-3000)}\n--- mosquitto\n${mosquitto!.output().slice(-3000)}`,
      );
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await metric(httpPort, 'fleetdesk_messages_accepted_total')).toBe(N - durable);
    await server.stop();
    const after = new JournaledStore({ dir: join(dir, 'store') });
    await after.open();
    expect(msgs.filter((m) => !after.hasMessage(m.id))).toEqual([]);
    const devices = await after.list<DeviceRecord>('devices');
    expect(devices.map((d) => d.counters.total ?? -1).sort((a, b) => a - b)).toEqual(Array.from({ length: DEVICES }, (_, i) => N - DEVICES + i));
    await after.close();
  });
});
