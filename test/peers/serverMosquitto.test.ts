/**
 * The server against a real Mosquitto configured with the shipped example (docs/mosquitto/acl and
 * passwd.example): shared subscription, per-agent credentials and the ACL pattern.
 */
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServer, type RunningServer } from '../../server/server.js';
import type { DeviceRecord } from '../../server/fleet/fleetModel.js';
import { REPO_ROOT } from '../harness/repo.js';
import { makeTempDir, serverReady, startMosquitto, waitUntil, type MosquittoPeer } from '../harness/peers.js';
import { bytes, stateMsg, topicOf } from '../unit/server/wireFixtures.js';

let broker: MosquittoPeer;
let server: RunningServer;
const data = makeTempDir('server-mosq');
const clients: MqttClient[] = [];

beforeAll(async () => {
  const dir = makeTempDir('mosq-conf');
  confDir = dir;
  copyFileSync(join(REPO_ROOT, 'docs/mosquitto/acl'), join(dir.path, 'acl'));
  copyFileSync(join(REPO_ROOT, 'docs/mosquitto/passwd.example'), join(dir.path, 'passwd'));
  // Mosquitto started as root drops to its own user, which must be able to read these.
  chmodSync(dir.path, 0o755);
  chmodSync(join(dir.path, 'acl'), 0o644);
  chmodSync(join(dir.path, 'passwd'), 0o644);
  broker = await startMosquitto({
    allowAnonymous: false,
    extraConfig: [
      `password_file ${join(dir.path, 'passwd')}`,
      `acl_file ${join(dir.path, 'acl')}`,
      'max_queued_messages 0',
      'max_inflight_messages 0',
      'use_username_as_clientid true',
    ],
  });
  const config = ServerConfig.parse({
    dataDir: data.path,
    http: { port: 0 },
    broker: {
      external: { url: broker.url, clientId: 'fleetdesk-server', username: 'fleetdesk-server', password: 'demo-server-password', shareGroup: 'fleetdesk' },
    },
  });
  server = await startServer(config, createLogger({ name: 'test', level: 'silent' }));
  await waitUntil(() => server.metrics !== undefined && serverReady(server.httpPort), 'server ready');
});

let confDir: { remove: () => void } | undefined;
afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  confDir?.remove();
  await server?.close();
  await broker?.stop();
  data.remove();
});

function agent(password: string): Promise<{ client: MqttClient; error?: Error }> {
  return new Promise((resolve) => {
    const client = mqtt.connect(broker.url, { username: 'acme/agent-1', password, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(client);
    client.once('connect', () => resolve({ client }));
    client.once('error', (error) => resolve({ client, error }));
  });
}

describe('server with Mosquitto and the example ACL', () => {
  it('refuses an agent with the wrong credentials', async () => {
    const { error } = await agent('not-the-password');
    expect(error?.message).toMatch(/Bad User Name or Password|Not authorized/i);
  });

  it("ingests an agent's own messages through the shared subscription", async () => {
    const { client, error } = await agent('demo-agent-password');
    expect(error).toBeUndefined();
    const msg = stateMsg('acme', 'agent-1', 'p1');
    await client.publishAsync(topicOf(msg), bytes(msg), { qos: 1 });
    await waitUntil(async () => (await server.repo.list<DeviceRecord>('devices')).length === 1, 'device stored');
    expect((await server.repo.list<DeviceRecord>('devices'))[0]!.key).toBe('acme/sn:sn-1');
  });

  it("binds client ids to usernames (use_username_as_clientid): an agent sending the server's client id does not take its session over", async () => {
    const thief = mqtt.connect(broker.url, {
      clientId: 'fleetdesk-server',
      clean: true,
      username: 'acme/agent-1',
      password: 'demo-agent-password',
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(thief);
    await new Promise<void>((resolve, reject) => {
      thief.once('connect', () => resolve());
      thief.once('error', reject);
    });
    const msg = stateMsg('acme', 'agent-1', 'p7', { identity: { serial: 'SN-7' } });
    await thief.publishAsync(topicOf(msg), bytes(msg), { qos: 1 });
    await waitUntil(
      async () => (await server.repo.get<DeviceRecord>('devices', 'acme/sn:sn-7')) !== undefined,
      'message ingested by the server, whose session is intact',
      10_000,
    );
    expect(thief.connected).toBe(true);
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/readyz`)).status).toBe(200);
  });

  it('refuses a publish under another tenant (broker ACL), and counts a payload naming another tenant (server)', async () => {
    const { client } = await agent('demo-agent-password');
    const foreign = stateMsg('globex', 'agent-1', 'p9', { identity: { serial: 'G-1' } });
    const refused = await client.publishAsync(topicOf(foreign), bytes(foreign), { qos: 1 }).then(
      () => undefined,
      (err: Error & { code?: number }) => err,
    );
    expect(refused?.code).toBe(135); // PUBACK "not authorized" from Mosquitto
    // Same payload on the agent's own topic passes the broker; the server refuses and counts it.
    // (A fresh connection: Mosquitto 2.0.11 was seen closing the connection that had a publish denied.)
    const { client: second } = await agent('demo-agent-password');
    await second.publishAsync('fleetdesk/v1/acme/agent-1/devices/p9/state', bytes(foreign), { qos: 1 });
    await waitUntil(() => server.metrics.rejected.get({ reason: 'topic-mismatch' }) === 1, 'rejection counted');
    expect((await server.repo.list<DeviceRecord>('devices')).map((d) => d.tenant)).not.toContain('globex');
  });
});
