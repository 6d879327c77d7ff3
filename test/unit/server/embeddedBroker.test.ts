import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logging.js';
import { ServerConfig } from '../../../server/serverConfig.js';
import { startServer, type RunningServer } from '../../../server/server.js';
import { createAgentToken } from '../../../server/broker/credentials.js';
import type { DeviceRecord } from '../../../server/fleet/fleetModel.js';
import { makeTempDir } from '../../harness/peers.js';
import { bytes, stateMsg, topicOf } from './wireFixtures.js';

let server: RunningServer | undefined;
const clients: MqttClient[] = [];
const temps: { remove: () => void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  await server?.close();
  server = undefined;
  for (const t of temps.splice(0)) t.remove();
});

async function start(extra: Record<string, unknown> = {}): Promise<{ repo: RunningServer['repo'] }> {
  const tmp = makeTempDir('embedded');
  temps.push(tmp);
  const config = ServerConfig.parse({ dataDir: tmp.path, broker: { embedded: { port: 0, ...extra } }, http: { port: 0 } });
  server = await startServer(config, createLogger({ name: 'test', level: 'silent' }));
  return { repo: server.repo };
}

/** Connects with the client id an agent uses: its username (the broker binds one to the other). */
function connect(opts: { username?: string; password?: string }): Promise<{ client: MqttClient; error?: Error }> {
  return new Promise((resolve) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${server!.mqttPort}`, {
      ...(opts.username ? { clientId: opts.username } : {}),
      ...opts,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      protocolVersion: 4,
    });
    clients.push(client);
    client.once('connect', () => resolve({ client }));
    client.once('error', (error) => resolve({ client, error }));
  });
}

describe('embedded broker', () => {
  it('refuses anonymous clients and wrong tokens, accepts an issued token', async () => {
    const { repo } = await start();
    const token = await createAgentToken(repo, { tenant: 'acme', agentId: 'a1' }, new Date());
    expect((await connect({})).error?.message).toMatch(/Not authorized/i);
    expect((await connect({ username: 'acme/a1', password: 'wrong' })).error?.message).toMatch(/Bad username or password/i);
    expect((await connect({ username: 'acme/a2', password: token })).error?.message).toMatch(/Bad username or password/i);
    expect((await connect({ username: 'acme/a1', password: token })).error).toBeUndefined();
    expect(server!.metrics.authFailures.get({ reason: 'bad-credentials' })).toBe(2);
    expect(server!.metrics.authFailures.get({ reason: 'anonymous' })).toBe(1);
  });

  it('acknowledges a QoS 1 message only once it is stored', async () => {
    const { repo } = await start();
    const token = await createAgentToken(repo, { tenant: 'acme', agentId: 'a1' }, new Date());
    const { client } = await connect({ username: 'acme/a1', password: token });
    const msg = stateMsg('acme', 'a1', 'p1');
    await client.publishAsync(topicOf(msg), bytes(msg), { qos: 1 });
    // at PUBACK time the record is committed: the journal already holds it
    expect(server!.repo.stats().commits).toBeGreaterThan(0);
    expect((await server!.repo.list<DeviceRecord>('devices')).map((d) => d.key)).toEqual(['acme/sn:sn-1']);
  });

  it('refuses and counts a publish under another tenant, and a subscription to other topics', async () => {
    const { repo } = await start();
    const token = await createAgentToken(repo, { tenant: 'acme', agentId: 'a1' }, new Date());
    const { client } = await connect({ username: 'acme/a1', password: token });
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    const foreign = stateMsg('globex', 'a1', 'p1');
    client.publish(topicOf(foreign), bytes(foreign), { qos: 1 });
    await closed; // aedes drops a client whose publish is not authorised
    expect(server!.metrics.rejected.get({ reason: 'not-authorized' })).toBe(1);
    expect(await server!.repo.list('devices')).toEqual([]);

    const second = await connect({ username: 'acme/a1', password: token });
    const granted = await second.client.subscribeAsync('fleetdesk/v1/globex/+/commands', { qos: 1 }).catch((err: Error) => err);
    expect(granted instanceof Error || granted.some((g) => g.qos === 128)).toBe(true);
  });

  it('serves health, readiness and metrics', async () => {
    await start({ allowAnonymous: true });
    const base = `http://127.0.0.1:${server!.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const { client } = await connect({});
    const msg = stateMsg('demo', 'a1', 'p1');
    await client.publishAsync(topicOf(msg), bytes(msg), { qos: 1 });
    await client.publishAsync(topicOf(msg), Buffer.from('{not json'), { qos: 1 });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('fleetdesk_messages_accepted_total{type="device.state"} 1');
    expect(metrics).toContain('fleetdesk_messages_rejected_total{reason="not-json"} 1');
    expect(metrics).toMatch(/fleetdesk_store_commit_seconds_count [1-9]/);
    expect(metrics).toContain('fleetdesk_store_size_bytes{kind="journal"}');
  });
});
