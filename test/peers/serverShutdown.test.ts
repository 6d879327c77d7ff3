/**
 * SIGTERM of a real `fleetdesk server` process while an agent streams QoS 1 messages with faults:
 * the server drains (every acknowledged fault is ticketed before the ticket engine stops), exits 0,
 * and after a restart the agent's re-sent messages complete the stream. The tickets are the same
 * as those of a run without a restart; nothing acknowledged is lost, nothing is applied twice.
 *
 * Plus, in process: the order of the stop (/readyz 503 first, the broker closed before the parts
 * behind it, HTTP still answering meanwhile).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { issueAgentToken } from '../harness/agentCredentials.js';
import { JournaledStore } from '../../server/storage/journaledStore.js';
import type { Ticket } from '../../server/tickets/ticket.js';
import { createLogger } from '../../shared/logging.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServer } from '../../server/server.js';
import type { Fault } from '../../shared/snapshot.js';
import type { WireMessage } from '../../shared/wire/messages.js';
import {
  freeTcpPort,
  makeTempDir,
  serverReady,
  startMosquitto,
  startPeer,
  tcpAnswers,
  waitUntil,
  type MosquittoPeer,
  type PeerProcess,
} from '../harness/peers.js';
import { REPO_ROOT } from '../harness/repo.js';
import { startPostgres, type PostgresPeer } from '../harness/postgres.js';
import { openRepository } from '../../server/storage/openRepository.js';
import { bytes, fault, raisedMsg, stateMsg, telemetryMsg, topicOf } from '../unit/server/wireFixtures.js';

const DEVICES = 20;
const CODES: Fault['code'][] = ['jam', 'door.open', 'paper.empty'];
const TELEMETRY_PER_DEVICE = 120;
const temps: { remove: () => void }[] = [];
const servers: PeerProcess[] = [];
const clients: MqttClient[] = [];
let mosquitto: MosquittoPeer | undefined;
let postgres: PostgresPeer | undefined;

afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  for (const s of servers) await s.stop();
  await mosquitto?.stop();
  await postgres?.stop();
  for (const t of temps) t.remove();
});

/** 20 devices: a snapshot each, then telemetry with three faults per device spread through the stream. */
function stream(): WireMessage[] {
  const start = Date.parse('2026-01-05T08:00:00Z');
  const msgs: WireMessage[] = [];
  for (let d = 0; d < DEVICES; d++)
    msgs.push(stateMsg('acme', 'a1', `p${d}`, { identity: { vendor: 'HP', model: 'M404', serial: `SN-${d}` }, collectedAt: new Date(start).toISOString() }));
  for (let i = 0; i < TELEMETRY_PER_DEVICE; i++) {
    for (let d = 0; d < DEVICES; d++) {
      const ts = new Date(start + 1000 + (i * DEVICES + d) * 1000).toISOString();
      const f = CODES.findIndex((_, k) => i === 10 + k * 40 + (d % 7));
      if (f >= 0) msgs.push(raisedMsg('acme', 'a1', `p${d}`, fault(CODES[f]!), ts, 1000 + i));
      msgs.push(telemetryMsg('acme', 'a1', `p${d}`, 1000 + i, ts, 1000 + i));
    }
  }
  return msgs;
}

/** Embedded broker on `mqttPort`, or subscribing to the external broker at `externalUrl`; lowdb storage, or PostgreSQL at `postgresUrl`. */
function writeConfig(dir: string, mqttPort: number, httpPort: number, externalUrl?: string, postgresUrl?: string): string {
  const file = join(dir, 'server.yaml');
  const broker = externalUrl ? ['  external:', `    url: ${externalUrl}`, '    clientId: shutdown-test-server'] : ['  embedded:', `    port: ${mqttPort}`];
  writeFileSync(
    file,
    [
      `dataDir: ${dir}/data`,
      ...(postgresUrl ? ['storage:', '  kind: postgres', `  url: ${postgresUrl}`] : []),
      'broker:',
      ...broker,
      'http:',
      `  port: ${httpPort}`,
      'fleet:',
      '  customers:',
      '    acme: { name: ACME, contract: device-vendor, tenants: [acme] }',
      '  sites:',
      '    waw: { name: Warszawa, customer: acme, agents: [acme/a1] }',
      // Doors and paper open their tickets at once here (no customer-first hold): one ticket per device and code.
      'impact:',
      '  customerFixable: []',
      'log:',
      '  format: json',
      '',
    ].join('\n'),
  );
  return file;
}

async function startServerProcess(configFile: string, httpPort: number): Promise<PeerProcess> {
  const peer = await startPeer({
    name: 'fleetdesk-server',
    program: 'node',
    debPackage: 'nodejs',
    args: [join(REPO_ROOT, 'bin/fleetdesk.mjs'), 'server', '--config', configFile],
    port: httpPort,
    env: { FLEETDESK_LOG_LEVEL: 'info' },
    ready: () => tcpAnswers(httpPort),
    timeoutMs: 30_000,
  });
  servers.push(peer);
  return peer;
}

/**
 * An agent with an outbox: publishes in order with at most 64 in flight; what is not acknowledged
 * when the connection drops is published again, in order, on the next connection. Resolves when
 * every message was acknowledged. `onAck` sees the running count (to stop the server mid-stream).
 */
async function deliver(msgs: WireMessage[], connect: () => Promise<MqttClient>, onAck: (n: number) => void, deadlineMs: number): Promise<void> {
  const acked = new Set<number>();
  const deadline = Date.now() + deadlineMs;
  while (acked.size < msgs.length) {
    if (Date.now() > deadline) throw new Error(`only ${acked.size} of ${msgs.length} messages acknowledged in time`);
    let client: MqttClient;
    try {
      client = await connect();
    } catch {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    await new Promise<void>((resolve) => {
      const queue = msgs.map((_, i) => i).filter((i) => !acked.has(i));
      let next = 0;
      let inFlight = 0;
      let over = false;
      const finish = () => {
        if (!over) {
          over = true;
          resolve();
        }
      };
      client.once('close', finish);
      const pump = () => {
        while (!over && inFlight < 64 && next < queue.length) {
          const i = queue[next++]!;
          inFlight++;
          client.publish(topicOf(msgs[i]!), bytes(msgs[i]!), { qos: 1 }, (err) => {
            inFlight--;
            if (!err) {
              acked.add(i);
              onAck(acked.size);
            }
            if (acked.size === msgs.length) finish();
            else pump();
          });
        }
      };
      pump();
    });
    await client.endAsync(true);
  }
}

/** Ticket key → the fault codes it holds, for every ticket in the store of `dataDir` (or the PostgreSQL database). */
async function ticketsIn(dataDir: string, postgresUrl?: string): Promise<Record<string, string[]>> {
  const store = postgresUrl
    ? await openRepository(ServerConfig.parse({ storage: { kind: 'postgres', url: postgresUrl } }).storage, { dataDir })
    : new JournaledStore({ dir: join(dataDir, 'store') });
  if (!postgresUrl) await store.open();
  const tickets = await store.list<Ticket>('tickets');
  await store.close();
  // A device is keyed by serial once its snapshot is applied, by agent/device id before: with PostgreSQL the
  // embedded broker's concurrent units may apply a fault before the snapshot of its device, in any run.
  const device = (key: string) => key.replace(/agent:a1\/p(\d+)|sn:sn-(\d+)/, (_m, a?: string, b?: string) => `p${a ?? b}`);
  const keys = tickets.map((t) => device(t.key));
  const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (twice.length > 0) throw new Error(`more than one ticket for ${twice.join(', ')}`);
  return Object.fromEntries(tickets.map((t, i) => [keys[i]!, t.faults.map((f) => f.code).sort()]));
}

async function runStream(
  restartAfter: number | undefined,
  postgresUrl?: string,
): Promise<{ tickets: Record<string, string[]>; exitCodes: (number | null)[]; stopOutput: string }> {
  const dir = makeTempDir('shutdown');
  temps.push(dir);
  const mqttPort = await freeTcpPort();
  const httpPort = await freeTcpPort();
  const configFile = writeConfig(dir.path, mqttPort, httpPort, undefined, postgresUrl);
  const token = await issueAgentToken(configFile, { tenant: 'acme', agentId: 'a1' });
  let server = await startServerProcess(configFile, httpPort);
  const exitCodes: (number | null)[] = [];
  let stopOutput = '';
  let restarting: Promise<void> | undefined;
  const connect = async () => {
    await restarting;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      clientId: 'acme/a1',
      username: 'acme/a1',
      password: token,
      reconnectPeriod: 0,
      connectTimeout: 3000,
      protocolVersion: 4,
      clean: true,
    });
    clients.push(client);
    return client;
  };
  await deliver(
    stream(),
    connect,
    (n) => {
      if (restartAfter !== undefined && n >= restartAfter && !restarting) {
        // SIGTERM while messages are in flight; the agent keeps what was not acknowledged.
        restarting = (async () => {
          await server.stop();
          exitCodes.push(server.child.exitCode);
          stopOutput = server.output();
          server = await startServerProcess(configFile, httpPort);
        })();
      }
    },
    150_000,
  );
  await restarting;
  // Let the last commits' ticket work finish, then stop and read the store.
  await server.stop();
  exitCodes.push(server.child.exitCode);
  return { tickets: await ticketsIn(join(dir.path, 'data'), postgresUrl), exitCodes, stopOutput };
}

describe('SIGTERM under a QoS 1 stream with faults', () => {
  it('opens the same tickets as a run without a restart, and exits 0', async () => {
    const total = stream().length;
    const baseline = await runStream(undefined);
    expect(Object.keys(baseline.tickets)).toHaveLength(DEVICES * CODES.length);
    const restarted = await runStream(Math.floor(total / 2));
    expect(restarted.tickets).toEqual(baseline.tickets);
    expect(restarted.exitCodes).toEqual([0, 0]);
    expect(restarted.stopOutput).toContain('stopped: everything acknowledged is stored');
  });
});

describe('SIGTERM with PostgreSQL storage', () => {
  it('drains the same way: the tickets equal those of a run without a restart, exit 0', async () => {
    postgres = await startPostgres();
    const total = stream().length;
    const baseline = await runStream(undefined, await postgres.newDatabase('shutdown_base'));
    expect(Object.keys(baseline.tickets)).toHaveLength(DEVICES * CODES.length);
    const restarted = await runStream(Math.floor(total / 2), await postgres.newDatabase('shutdown_restart'));
    expect(restarted.tickets).toEqual(baseline.tickets);
    expect(restarted.exitCodes).toEqual([0, 0]);
    // Two full runs on PostgreSQL: about 50 s on a quiet machine, over 120 s on a loaded one (a liveness bound, not a speed check).
  }, 300_000);
});

describe('SIGTERM behind Mosquitto', () => {
  it('processes every message the broker accepted, before and after the restart, into the same tickets', async () => {
    mosquitto = await startMosquitto({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0'] });
    const msgs = stream();
    const baseline = await runStream(undefined);
    const dir = makeTempDir('shutdown-ext');
    temps.push(dir);
    const httpPort = await freeTcpPort();
    const configFile = writeConfig(dir.path, 0, httpPort, mosquitto.url);
    let server = await startServerProcess(configFile, httpPort);
    await waitUntil(() => serverReady(httpPort), 'subscribed', 20_000);
    const agent = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(agent);
    let stopping: Promise<void> | undefined;
    const exitCodes: (number | null)[] = [];
    // Mosquitto acknowledges the whole stream; the server is stopped while it is half way through it.
    await deliver(
      msgs,
      () => Promise.resolve(agent),
      (n) => {
        if (n >= msgs.length / 2 && !stopping) {
          stopping = server.stop().then(() => void exitCodes.push(server.child.exitCode));
        }
      },
      60_000,
    );
    await stopping;
    server = await startServerProcess(configFile, httpPort);
    // A last faulty device after the stream: once its ticket exists, everything queued before it was processed.
    const sentinel = [
      stateMsg('acme', 'a1', 'last', { identity: { vendor: 'HP', model: 'M404', serial: 'SN-LAST' } }),
      raisedMsg('acme', 'a1', 'last', fault('jam'), '2026-01-05T10:00:00Z', 2),
    ];
    const late = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(late);
    for (const m of sentinel) await late.publishAsync(topicOf(m), bytes(m), { qos: 1 });
    const token = readFileSync(join(dir.path, 'data', 'admin-token'), 'utf8').trim();
    await waitUntil(
      async () => {
        const r = await fetch(`http://127.0.0.1:${httpPort}/api/v1/tickets?limit=1`, { headers: { authorization: `Bearer ${token}` } });
        return r.status === 200 && ((await r.json()) as { total: number }).total === DEVICES * CODES.length + 1;
      },
      'every ticket, the sentinel last',
      60_000,
    );
    await server.stop();
    exitCodes.push(server.child.exitCode);
    const tickets = await ticketsIn(join(dir.path, 'data'));
    const { [Object.keys(tickets).find((k) => k.includes('sn-last'))!]: last, ...rest } = tickets;
    expect(last).toEqual(['jam']);
    expect(rest).toEqual(baseline.tickets);
    expect(exitCodes).toEqual([0, 0]);
  });
});

describe('stop order', () => {
  it('answers /readyz 503 and refuses MQTT connections while the parts behind the broker still run, then closes HTTP', async () => {
    const dir = makeTempDir('shutdown-order');
    temps.push(dir);
    const config = ServerConfig.parse({ dataDir: dir.path, broker: { embedded: { port: 0 } }, http: { port: 0 } });
    let releaseGate!: () => void;
    const gate = new Promise<void>((r) => (releaseGate = r));
    let gateReached!: () => void;
    const atGate = new Promise<void>((r) => (gateReached = r));
    const order: string[] = [];
    const server = await startServer(config, createLogger({ name: 'test', level: 'silent' }), {
      beforeListen: ({ onClose }) => {
        // A part behind the broker: its close step runs after the broker drained, before HTTP closes.
        onClose('test part', async () => {
          order.push('part');
          gateReached();
          await gate;
        });
      },
    });
    const base = `http://127.0.0.1:${server.httpPort}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const closing = server.close();
    await atGate;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ problems: ['shutting down'] });
    expect(await tcpAnswers(server.mqttPort!)).toBe(false);
    releaseGate();
    await closing;
    order.push('closed');
    expect(order).toEqual(['part', 'closed']);
    expect(await tcpAnswers(server.httpPort)).toBe(false);
  });
});
