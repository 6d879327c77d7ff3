/**
 * API latency with a large store (issue 8): 10,000 devices and 100,000 tickets, then the p95 of
 * the fleet list, the ticket queue and the device page (pages of 100 rows), measured with
 * autocannon against a `fleetdesk server` child process (so its RSS is the server's alone).
 *
 *   npx tsx bench/apiLatency.ts [--devices 10000] [--tickets 100000] [--hot 5000] [--seconds 10] [--connections 1,10]
 *
 * `--hot`: how many tickets are open/resolved (the `tickets` collection the queue sorts); the
 * rest are closed and archived (history, not read by the queue). Default 5,000 open of 100,000.
 * Bounded: fixed counts, fixed durations per endpoint, a hard limit (10 min); the server is stopped at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AgentRecord, DeviceRecord } from '../server/fleet/fleetModel.js';
import { contractCatalogue } from '../server/sla/contractCatalogue.js';
import { JournaledStore } from '../server/storage/journaledStore.js';
import type { Ticket } from '../server/tickets/ticket.js';
import { freeTcpPort } from '../test/harness/peers.js';
import { benchDevice, benchJamTicket } from './benchFleet.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    tickets: { type: 'string', default: '100000' },
    hot: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '1,10' },
  },
});
const DEVICES = Number(values.devices);
const TICKETS = Number(values.tickets);
const HOT = Math.min(TICKETS, Number(values.hot ?? 5000));
const SECONDS = Number(values.seconds);
const CONNECTIONS = values.connections.split(',').map(Number);
const CUSTOMERS = 50;
const AGENTS = 200;
const HARD_LIMIT_MS = 10 * 60_000;
const ADMIN = 'fdk_bench-admin-token-0123456789abcdefghijkl';
const repoRoot = join(import.meta.dirname, '..');

interface AutocannonInstance {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: 'done', fn: (result: { requests: { total: number; average: number }; non2xx: number; errors: number }) => void): void;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
  requests?: Array<{ setupRequest: (req: { path: string }) => { path: string } }>;
}) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const hardStop = setTimeout(() => {
  process.stderr.write('bench: hard time limit reached\n');
  process.exit(3);
}, HARD_LIMIT_MS);

async function populate(dir: string): Promise<string[]> {
  const store = new JournaledStore({ dir: join(dir, 'store'), compactJournalBytes: 1 << 30 });
  await store.open();
  // Real time: the server's ticket engine runs on the system clock, and tickets opened in the
  // recent past keep it quiet (no mass SLA breach to process while we measure).
  const start = Date.now();
  const iso = new Date(start).toISOString();
  const agents: AgentRecord[] = [];
  for (let a = 0; a < AGENTS; a++) {
    const tenant = `c${a % CUSTOMERS}`;
    agents.push({
      key: `${tenant}/a${a}`,
      tenant,
      agentId: `a${a}`,
      customerId: tenant,
      siteId: `${tenant}/a${a}`,
      state: 'online',
      stateReason: 'birth',
      since: iso,
      lastSeen: iso,
    });
  }
  const keys: string[] = [];
  const devices: DeviceRecord[] = [];
  for (let d = 0; d < DEVICES; d++) {
    const agent = agents[d % AGENTS]!;
    const device = benchDevice(d, agent, iso, d % 17 === 0);
    keys.push(device.key);
    devices.push(device);
  }
  await store.transaction(async (tx) => {
    for (const a of agents) await tx.put('agents', a.key, a);
  });
  for (let i = 0; i < devices.length; i += 2000) {
    await store.transaction(async (tx) => {
      for (const d of devices.slice(i, i + 2000)) await tx.put('devices', d.key, d);
    });
  }
  const contracts = contractCatalogue();
  let batch: Ticket[] = [];
  const flush = async () => {
    const rows = batch;
    batch = [];
    await store.transaction(async (tx) => {
      for (const t of rows) {
        if (t.status === 'closed') await tx.archive('tickets', t.id, t, new Date(t.closedAt!));
        else await tx.put('tickets', t.id, t);
      }
    });
  };
  for (let i = 0; i < TICKETS; i++) {
    const d = devices[(i * 7919) % devices.length]!;
    // Open tickets spread over the 8 hours before the start (deadlines differ); closed ones over 30 days.
    const now = i < HOT ? start - ((i * 2_654_435) % (8 * 3_600_000)) : start - ((i * 2_654_435) % (30 * 86_400_000)) - 7_200_000;
    let t = benchJamTicket(d, i, now, contracts);
    if (i >= HOT) t = { ...t, status: 'closed', resolution: 'byTechnician', resolvedAt: now + 3_600_000, closedAt: now + 7_200_000 };
    else if (i % 5 === 0) t = { ...t, assignee: `tech${i % 20}` };
    batch.push(t);
    if (batch.length >= 5000) await flush();
  }
  if (batch.length > 0) await flush();
  await store.close();
  return keys;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function load(
  base: string,
  path: string | ((i: number) => string),
  connections: number,
): Promise<{ n: number; rps: number; p50: number; p95: number; p99: number; non2xx: number }> {
  return new Promise((resolve) => {
    const latencies: number[] = [];
    let i = 0;
    const inst = autocannon({
      url: base,
      connections,
      duration: SECONDS,
      headers: { authorization: `Bearer ${ADMIN}` },
      requests: [{ setupRequest: (req) => ({ ...req, path: typeof path === 'string' ? path : path(i++) }) }],
    });
    inst.on('response', (_c, _status, _bytes, ms) => latencies.push(ms));
    inst.on('done', (r) => {
      latencies.sort((a, b) => a - b);
      resolve({
        n: latencies.length,
        rps: Math.round(r.requests.average),
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        non2xx: r.non2xx,
      });
    });
  });
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-apibench-'));
  const t0 = Date.now();
  const keys = await populate(dir);
  process.stdout.write(`populated ${DEVICES} devices, ${TICKETS} tickets (${HOT} hot) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const httpPort = await freeTcpPort();
  const mqttPort = await freeTcpPort();
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'fleetdesk.mjs'), 'server'], {
    env: {
      ...process.env,
      FLEETDESK_ADMIN_TOKEN: ADMIN,
      FLEETDESK_SERVER__DATA_DIR: dir,
      FLEETDESK_SERVER__HTTP__PORT: String(httpPort),
      FLEETDESK_SERVER__BROKER__EMBEDDED__PORT: String(mqttPort),
      FLEETDESK_SERVER__LOG__LEVEL: 'warn',
      FLEETDESK_SERVER__LOG__FORMAT: 'json',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${httpPort}`;
    const t1 = Date.now();
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before it was ready`);
      if (i >= 600) throw new Error('the server was not ready within 150 s');
      const ok = await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    process.stdout.write(`server ready in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
    const check = await fetch(`${base}/api/v1/tickets?limit=1`, { headers: { authorization: `Bearer ${ADMIN}` } }).then(
      (r) => r.json() as Promise<{ total: number }>,
    );
    process.stdout.write(`ticket queue total: ${check.total}\n`);
    const cases: Array<[string, string | ((i: number) => string)]> = [
      ['fleet list   GET /api/v1/devices?limit=100', '/api/v1/devices?limit=100'],
      ['fleet list, one customer  ?customer=c7&limit=100', '/api/v1/devices?customer=c7&limit=100'],
      ['ticket queue GET /api/v1/tickets?limit=100', '/api/v1/tickets?limit=100'],
      ['ticket queue, one customer  ?customer=c7&limit=100', '/api/v1/tickets?customer=c7&limit=100'],
      ['device page  GET /api/v1/devices/{key} (random keys)', (i) => `/api/v1/devices/${encodeURIComponent(keys[(i * 7919) % keys.length]!)}`],
    ];
    process.stdout.write(
      `\n${SECONDS} s per endpoint and concurrency\n| endpoint | connections | requests | req/s | p50 ms | p95 ms | p99 ms | non-2xx |\n|---|---|---|---|---|---|---|---|\n`,
    );
    const ms = (v: number) => v.toFixed(1);
    for (const connections of CONNECTIONS) {
      for (const [name, path] of cases) {
        const r = await load(base, path, connections);
        process.stdout.write(`| ${name} | ${connections} | ${r.n} | ${r.rps} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${r.non2xx} |\n`);
      }
    }
    process.stdout.write(`\nserver peak RSS: ${(rssOf(child.pid!) / 1024 / 1024).toFixed(0)} MiB\n`);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
    clearTimeout(hardStop);
  }
}

await main();
