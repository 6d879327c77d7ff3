/**
 * Several `fleetdesk server` child processes behind one Mosquitto and one PostgreSQL database
 * (docs/scale-out.md), for the cluster peer test and bench/clusterThroughput.ts: their config,
 * start/kill, a fault stream from many devices, a bounded QoS 1 publisher and /metrics reading.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { startServerApp } from '../../server/serverApp.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { PostgresStore } from '../../server/storage/postgresStore.js';
import type { Ticket } from '../../server/tickets/ticket.js';
import type { FaultCode } from '../../shared/faults.js';
import { createLogger } from '../../shared/logging.js';
import type { WireMessage } from '../../shared/wire/messages.js';
import { fault, raisedMsg, telemetryMsg, topicOf } from '../unit/server/wireFixtures.js';
import { freeTcpPort, makeTempDir, serverReady, startPeer, tcpAnswers, waitUntil, type PeerProcess } from './peers.js';
import { REPO_ROOT } from './repo.js';

export interface InstanceOptions {
  readonly id: string;
  readonly dir: string;
  /** The shared database; undefined: the embedded store in the instance's dataDir (one instance only, for comparison). */
  readonly postgresUrl: string | undefined;
  readonly mqttUrl: string;
  /** Extra top-level YAML (e.g. contracts, tickets.defaultContract). */
  readonly extraYaml?: string[];
  readonly receiveMaximum?: number;
  readonly logLevel?: string;
  /** broker.external.partition of this instance. */
  readonly partition?: { count: number; index: number };
}

export interface ServerInstance {
  readonly id: string;
  readonly httpPort: number;
  readonly configFile: string;
  process: PeerProcess;
  /** Starts it again with the same config (and instance id: the broker session is resumed). */
  restart(): Promise<void>;
}

/** The YAML of one instance: PostgreSQL storage (or the embedded one), the external broker with a shared subscription. */
export function instanceConfig(o: InstanceOptions, httpPort: number): string {
  return [
    `dataDir: ${join(o.dir, o.id)}`,
    'storage:',
    ...(o.postgresUrl === undefined ? ['  kind: lowdb'] : ['  kind: postgres', `  url: ${o.postgresUrl}`, '  poolSize: 10', '  healthCheckInterval: 0']),
    'broker:',
    '  external:',
    `    url: ${o.mqttUrl}`,
    '    shareGroup: fleetdesk',
    `    receiveMaximum: ${o.receiveMaximum ?? 500}`,
    ...(o.partition ? [`    partition: { count: ${o.partition.count}, index: ${o.partition.index} }`] : []),
    'http:',
    `  port: ${httpPort}`,
    'cluster:',
    `  instanceId: ${o.id}`,
    '  group: test',
    '  leadership:',
    '    checkInterval: 200ms',
    '    checkTimeout: 2s',
    'log:',
    '  format: json',
    `  level: ${o.logLevel ?? 'warn'}`,
    ...(o.extraYaml ?? []),
    '',
  ].join('\n');
}

function spawnInstance(configFile: string, httpPort: number, id: string): Promise<PeerProcess> {
  return startPeer({
    name: `fleetdesk-server ${id}`,
    program: 'node',
    debPackage: 'nodejs',
    args: [join(REPO_ROOT, 'bin/fleetdesk.mjs'), 'server', '--config', configFile],
    port: httpPort,
    env: { FLEETDESK_LOG_FORMAT: 'json', FLEETDESK_ADMIN_TOKEN: ADMIN_TOKEN },
    ready: () => tcpAnswers(httpPort),
    timeoutMs: 60_000,
  });
}

/** The admin API token of the test instances (FLEETDESK_ADMIN_TOKEN). */
export const ADMIN_TOKEN = 'cluster-test-admin-token-0123456789abcdef';

export async function startInstance(o: InstanceOptions): Promise<ServerInstance> {
  mkdirSync(join(o.dir, o.id), { recursive: true });
  const httpPort = await freeTcpPort();
  const configFile = join(o.dir, `${o.id}.yaml`);
  writeFileSync(configFile, instanceConfig(o, httpPort));
  const instance: ServerInstance = {
    id: o.id,
    httpPort,
    configFile,
    process: await spawnInstance(configFile, httpPort, o.id),
    restart: async () => {
      instance.process = await spawnInstance(configFile, httpPort, o.id);
    },
  };
  return instance;
}

/**
 * Starts the instances, the first alone (it migrates the schema) and the rest in parallel, into
 * `into` in the order given (so that the test's cleanup stops them even if readiness fails), then waits
 * until every one answers /readyz (its broker connection and shared subscription are up) and lets
 * the subscriptions settle.
 */
export async function startInstances(specs: readonly InstanceOptions[], into: ServerInstance[]): Promise<void> {
  const [first, ...rest] = specs;
  if (first) into.push(await startInstance(first));
  into.push(...(await Promise.all(rest.map(startInstance))));
  await waitUntil(async () => (await Promise.all(into.map((i) => serverReady(i.httpPort)))).every(Boolean), 'instances ready', 30_000);
  await new Promise((r) => setTimeout(r, 500));
}

/** Sum of a metric's samples (all label sets) on one instance; undefined when it does not answer. */
export async function metricOf(httpPort: number, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  } catch {
    return undefined;
  }
}

/**
 * 24/7 contract with a reaction target of 20 s (warning at half: 10 s), so SLA timers fire within a
 * peer test. Impact of every fault maps to its one level; every fault opens its ticket at once
 * (`customerFixable: null`: no customer-first hold for doors and paper).
 */
export const FAST_CONTRACT_YAML = [
  'contracts:',
  '  - id: fast-test',
  '    name: "test: 20 s reaction, 24/7"',
  '    calendar:',
  '      zone: UTC',
  '      week: { mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"] }',
  '    levels: [{ id: now, label: now, reaction: "0.333m" }]',
  '    impactToLevel: { critical: now, high: now, medium: now, low: now }',
  '    queues: { default: service }',
  '    warnAtShare: 0.5',
  '    customerFixable: null',
  'tickets:',
  '  defaultContract: fast-test',
];

export interface FaultStreamOptions {
  readonly tenants: number;
  readonly agentsPerTenant: number;
  readonly devicesPerAgent: number;
  /** Telemetry messages per device (load without tickets). */
  readonly telemetryPerDevice: number;
  /** Every n-th device also raises a second fault (joins its ticket). */
  readonly secondFaultEvery: number;
  /** Every n-th message is published twice (an agent re-sending from its outbox). */
  readonly duplicateEvery: number;
}

const FIRST: FaultCode = 'jam';
const SECOND: FaultCode = 'door.open';

/**
 * Faults from many devices, interleaved device by device (as many agents publish at once), with
 * telemetry in between and some messages sent twice. Returns the warm-up (one message per device,
 * to publish and process first), the publish list (with repeats) and its distinct message count.
 */
export function faultStream(o: FaultStreamOptions): { warmup: WireMessage[]; messages: WireMessage[]; distinct: number; devices: number } {
  const perDevice: WireMessage[][] = [];
  // One telemetry message per device first: every device exists before its faults, so the impact
  // ("only device on its site") does not depend on which instance got which message first.
  const warmup: WireMessage[] = [];
  const start = Date.parse('2026-01-05T08:00:00Z');
  let d = 0;
  for (let t = 0; t < o.tenants; t++)
    for (let a = 0; a < o.agentsPerTenant; a++)
      for (let k = 0; k < o.devicesPerAgent; k++, d++) {
        const tenant = `t${t}`;
        const agent = `a${a}`;
        const dev = `p${k}`;
        warmup.push(telemetryMsg(tenant, agent, dev, 999, new Date(start - 1000).toISOString(), 1));
        const list: WireMessage[] = [];
        for (let i = 0; i < o.telemetryPerDevice; i++) list.push(telemetryMsg(tenant, agent, dev, 1000 + i, new Date(start + i * 1000).toISOString(), 10 + i));
        list.splice(Math.min(1, list.length), 0, raisedMsg(tenant, agent, dev, fault(FIRST), new Date(start + 500).toISOString(), 5));
        if (d % o.secondFaultEvery === 0) list.push(raisedMsg(tenant, agent, dev, fault(SECOND), new Date(start + 900).toISOString(), 6));
        perDevice.push(list);
      }
  const messages: WireMessage[] = [];
  let distinct = 0;
  while (perDevice.some((l) => l.length > 0)) {
    for (const list of perDevice) {
      const m = list.shift();
      if (!m) continue;
      messages.push(m);
      distinct++;
      if (distinct % o.duplicateEvery === 0) messages.push(m);
    }
  }
  return { warmup, messages, distinct, devices: d };
}

/**
 * Publishes at QoS 1 with at most `inFlight` unacknowledged; `onAck(n)` after each PUBACK.
 * Bounded: gives up after `timeoutMs`. Resolves with the number acknowledged.
 */
export function publishAll(
  client: MqttClient,
  messages: readonly WireMessage[],
  o: { inFlight: number; timeoutMs: number; onAck?: (n: number) => void },
): Promise<number> {
  return new Promise((resolve) => {
    let next = 0;
    let inFlight = 0;
    let acked = 0;
    let finished = false;
    const timer = setTimeout(() => finish(), o.timeoutMs);
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve(acked);
    };
    const pump = () => {
      while (!finished && inFlight < o.inFlight && next < messages.length) {
        const m = messages[next++]!;
        inFlight++;
        client.publish(topicOf(m), JSON.stringify(m), { qos: 1 }, (err) => {
          inFlight--;
          if (!err) {
            acked++;
            o.onAck?.(acked);
          }
          if (acked === messages.length) finish();
          else pump();
        });
      }
    };
    pump();
  });
}

/**
 * Publishes the stream (100 in flight, 60 s at most) and kills `victim` with SIGKILL once 40 % of it
 * is acknowledged; resolves with the acknowledged count once the kill is done.
 */
export async function publishKillingMidStream(client: MqttClient, messages: readonly WireMessage[], victim: ServerInstance): Promise<number> {
  let killed: Promise<void> | undefined;
  const acked = await publishAll(client, messages, {
    inFlight: 100,
    timeoutMs: 60_000,
    onAck: (n) => {
      if (n >= messages.length * 0.4 && !killed) killed = victim.process.kill();
    },
  });
  await killed;
  return acked;
}

/** What decides "the same tickets": per device, its fault codes, impact and state (ids and times differ). */
export function ticketShape(tickets: readonly Ticket[]): string[] {
  return tickets
    .map(
      (t) =>
        `${t.device?.id ?? t.key} ${t.faults
          .map((f) => f.code)
          .sort()
          .join('+')} ${t.impact} ${t.status}`,
    )
    .sort();
}

/** The reference: the messages, in order, through ONE in-process server on lowdb with FAST_CONTRACT_YAML. */
export async function referenceTickets(messages: readonly WireMessage[]): Promise<Ticket[]> {
  const dir = makeTempDir('cluster-ref');
  const extra = parseYaml(FAST_CONTRACT_YAML.join('\n')) as Record<string, unknown>;
  const config = ServerConfig.parse({ dataDir: dir.path, broker: { embedded: { port: 0 } }, http: { port: 0 }, ...extra });
  const app = await startServerApp(config, createLogger({ name: 'reference', level: 'warn', format: 'json' }), {
    env: { FLEETDESK_ADMIN_TOKEN: 'reference-admin-token-0123456789abcdef' },
  });
  try {
    for (const m of messages) {
      const v = await app.server.ingest.handle(topicOf(m), Buffer.from(JSON.stringify(m)));
      if (v.outcome === 'rejected' || v.outcome === 'failed') throw new Error(`reference rejected ${m.id}: ${v.error}`);
    }
    return await app.server.repo.list<Ticket>('tickets');
  } finally {
    await app.close();
    dir.remove();
  }
}

/** Message ids the cluster's database holds (processed_messages). */
export async function countProcessed(postgresUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: postgresUrl });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*)::text AS n FROM processed_messages')).rows[0]!.n);
  } finally {
    await c.end();
  }
}

/** Every hot ticket of the cluster's database. */
export async function clusterTickets(postgresUrl: string): Promise<Ticket[]> {
  const store = new PostgresStore({ url: postgresUrl, healthCheckMs: 0 });
  await store.open();
  try {
    return await store.list<Ticket>('tickets');
  } finally {
    await store.close();
  }
}
