/**
 * The read side at fleet scale (issue 19 point 2): the ticket timer tick and API pages over a
 * large embedded store, in one process with a manual clock, measured per operation.
 *
 *   npx tsx bench/apiPages.ts [--devices 10000] [--hot 5000] [--rounds 100] [--changed 20] [--store embedded|postgres]
 *
 *  - tick: `tickets.tick()` with `--hot` open tickets, the clock moved 30 s per round (a few
 *    timers due, as in steady operation): CPU ms per tick;
 *  - pages: between two requests `--changed` device records and as many tickets are rewritten (new
 *    objects, as telemetry and ticket changes do), then one page of 50 is asked through the API
 *    (fastify inject, admin token): the unfiltered fleet list, the fleet list of one customer, the
 *    ticket queue. Latency p50/p95 (ms) and CPU per request.
 *  - `--store postgres`: the same on a private PostgreSQL 15 (test/harness/postgres.ts), plus the
 *    rows each request reads from the table `records` and entries of `listings` (when it exists),
 *    from PostgreSQL's statistics (after waiting for the backends to report them), less what the
 *    changes between requests read. The server's CPU only: PostgreSQL's is not counted.
 *
 * Uses only what the server had before the next-due index and the page reads (startServerApp, the
 * journaled and PostgreSQL stores, openReportedTicket), so the same file measures the code before
 * and after.
 * Bounded: fixed counts, and a hard limit of 10 minutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../shared/logging.js';
import type { DeviceRecord } from '../server/fleet/fleetModel.js';
import { benchDevice, benchJamTicket } from './benchFleet.js';
import { ServerConfig } from '../server/serverConfig.js';
import { startServerApp } from '../server/serverApp.js';
import { contractCatalogue } from '../server/sla/contractCatalogue.js';
import { JournaledStore } from '../server/storage/journaledStore.js';
import type { Ticket } from '../server/tickets/ticket.js';
import { ManualClock } from '../test/harness/manualClock.js';
import pg from 'pg';
import { PostgresStore } from '../server/storage/postgresStore.js';
import type { Repository } from '../server/storage/repository.js';
import { startPostgres, type PostgresPeer } from '../test/harness/postgres.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    hot: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '100' },
    changed: { type: 'string', default: '20' },
    store: { type: 'string', default: 'embedded' },
  },
});
const DEVICES = Number(values.devices);
const HOT = Number(values.hot);
const ROUNDS = Number(values.rounds);
const CHANGED = Number(values.changed);
const STORE = values.store;
if (STORE !== 'embedded' && STORE !== 'postgres') throw new Error(`--store ${STORE}: expected embedded or postgres`);
const CUSTOMERS = 50;
const AGENTS = 200;
const ADMIN = 'fdk_bench-admin-token-0123456789abcdefghijkl';
const START = Date.parse('2026-03-02T09:00:00Z');

const hardStop = setTimeout(() => {
  process.stderr.write('bench: hard time limit reached\n');
  process.exit(3);
}, 10 * 60_000);
hardStop.unref();

async function populate(store: Repository): Promise<void> {
  await store.open();
  const iso = new Date(START).toISOString();
  const devices: DeviceRecord[] = [];
  for (let d = 0; d < DEVICES; d++) {
    const a = d % AGENTS;
    const tenant = `c${a % CUSTOMERS}`;
    devices.push(benchDevice(d, { tenant, customerId: tenant, siteId: `${tenant}/a${a}`, agentId: `a${a}` }, iso));
  }
  for (let i = 0; i < devices.length; i += 2000) {
    await store.transaction(async (tx) => {
      for (const d of devices.slice(i, i + 2000)) await tx.put('devices', d.key, d);
    });
  }
  const contracts = contractCatalogue();
  const tickets: Ticket[] = [];
  for (let i = 0; i < HOT; i++) {
    const d = devices[(i * 7919) % devices.length]!;
    // Opened over the 8 hours before the start: deadlines spread, a few timers due as the clock moves.
    const now = START - ((i * 2_654_435) % (8 * 3_600_000));
    tickets.push(benchJamTicket(d, i, now, contracts));
  }
  await store.transaction(async (tx) => {
    for (const t of tickets) await tx.put('tickets', t.id, t);
    await tx.put('ticketMeta', 'counter', { lastNumber: HOT });
  });
  await store.close();
}

function cpuMs(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Rows read so far, as PostgreSQL's statistics report them: of `records`, rows read sequentially
 * or fetched through an index; of `listings`, rows read sequentially plus the entries its indexes
 * returned (an index-only count reads entries, not rows).
 */
async function rowsRead(url: string): Promise<{ records: number; listings: number }> {
  // A backend reports its counts when idle for up to 10 s (PostgreSQL 15): wait for them.
  await new Promise((r) => setTimeout(r, 11_000));
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ relname: string; n: string }>(
      `SELECT t.relname, (coalesce(t.seq_tup_read, 0) + CASE WHEN t.relname = 'records' THEN coalesce(t.idx_tup_fetch, 0)
              ELSE (SELECT coalesce(sum(i.idx_tup_read), 0) FROM pg_stat_user_indexes i WHERE i.relid = t.relid) END)::text AS n
       FROM pg_stat_user_tables t WHERE t.relname IN ('records', 'listings')`,
    );
    const n = (name: string) => Number(r.rows.find((row) => row.relname === name)?.n ?? 0);
    return { records: n('records'), listings: n('listings') };
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-apipages-'));
  let postgres: PostgresPeer | undefined;
  try {
    const t0 = Date.now();
    let url: string | undefined;
    if (STORE === 'postgres') {
      postgres = await startPostgres();
      url = await postgres.newDatabase('apipages');
      await populate(new PostgresStore({ url, healthCheckMs: 0 }));
    } else await populate(new JournaledStore({ dir: join(dir, 'store'), compactJournalBytes: 1 << 30 }));
    process.stdout.write(`populated ${DEVICES} devices, ${HOT} hot tickets in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const clock = new ManualClock(new Date(START).toISOString());
    const config = ServerConfig.parse({
      dataDir: dir,
      http: { host: '127.0.0.1', port: 0 },
      broker: { embedded: { host: '127.0.0.1', port: 0 } },
      log: { level: 'silent' },
      ...(url !== undefined ? { storage: { kind: 'postgres', url } } : {}),
    });
    const opening = Date.now();
    const app = await startServerApp(config, createLogger({ name: 'bench', level: 'silent' }), { clock, env: { FLEETDESK_ADMIN_TOKEN: ADMIN } });
    process.stdout.write(`server open in ${((Date.now() - opening) / 1000).toFixed(1)} s (${STORE})\n`);
    try {
      const repo = app.server.repo;
      // The first tick after a start builds what the code keeps (next-due index); not measured.
      await app.tickets.tick();
      const tickCpu: number[] = [];
      let fired = 0;
      for (let r = 0; r < ROUNDS; r++) {
        clock.advance(30_000);
        const c = process.cpuUsage();
        fired += (await app.tickets.tick()).length;
        tickCpu.push(cpuMs(c));
      }
      tickCpu.sort((a, b) => a - b);
      const mean = tickCpu.reduce((s, x) => s + x, 0) / tickCpu.length;
      process.stdout.write(
        `tick (${HOT} hot tickets, 30 s per round, ${fired} notices in ${ROUNDS} rounds): CPU mean ${mean.toFixed(2)} ms, p50 ${pct(tickCpu, 50).toFixed(2)}, p95 ${pct(tickCpu, 95).toFixed(2)}\n`,
      );

      const deviceKeys = (await repo.list<DeviceRecord>('devices')).map((d) => d.key);
      const ticketIds = (await repo.list<Ticket>('tickets')).map((t) => t.id);
      let turn = 0;
      const touch = async () => {
        await repo.transaction(async (tx) => {
          for (let i = 0; i < CHANGED; i++) {
            const key = deviceKeys[(turn * CHANGED + i) % deviceKeys.length]!;
            const d = await tx.get<DeviceRecord>('devices', key);
            if (d) await tx.put('devices', key, { ...d, counters: { total: (d.counters.total ?? 0) + 1 } });
            const id = ticketIds[(turn * CHANGED + i) % ticketIds.length]!;
            const t = await tx.get<Ticket>('tickets', id);
            if (t) await tx.put('tickets', id, { ...t, revision: t.revision + 1 });
          }
        });
        turn += 1;
      };
      const endpoints = [
        ['fleet list', (r: number) => `/api/v1/devices?limit=50&offset=${(r * 50) % DEVICES}`],
        ['fleet list, one customer', () => '/api/v1/devices?limit=50&customer=c7'],
        ['fleet list, text search', () => '/api/v1/devices?limit=50&q=model%2012'],
        ['fleet list, one status', () => '/api/v1/devices?limit=50&status=unknown&offset=200'],
        ['ticket queue', () => '/api/v1/tickets?limit=50'],
        ['ticket queue, one customer, high impacts', () => '/api/v1/tickets?limit=50&customer=c7&impact=critical,high'],
      ] as const;
      let before = url !== undefined ? await rowsRead(url) : undefined;
      // What the changes between requests read by themselves, subtracted below.
      let touchRows = { records: 0, listings: 0 };
      if (url !== undefined && before !== undefined) {
        for (let r = 0; r < ROUNDS; r++) await touch();
        const after = await rowsRead(url);
        touchRows = { records: (after.records - before.records) / ROUNDS, listings: (after.listings - before.listings) / ROUNDS };
        before = after;
      }
      for (const [name, path] of endpoints) {
        const ms: number[] = [];
        let cpu = 0;
        for (let r = 0; r < ROUNDS; r++) {
          await touch();
          const c = process.cpuUsage();
          const started = process.hrtime.bigint();
          const res = await app.server.http.inject({ method: 'GET', url: path(r), headers: { authorization: `Bearer ${ADMIN}` } });
          ms.push(Number(process.hrtime.bigint() - started) / 1e6);
          cpu += cpuMs(c);
          if (res.statusCode !== 200) throw new Error(`${path(r)} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
        }
        ms.sort((a, b) => a - b);
        process.stdout.write(
          `${name} (page of 50, ${CHANGED} devices + ${CHANGED} tickets changed before each): p50 ${pct(ms, 50).toFixed(2)} ms, p95 ${pct(ms, 95).toFixed(2)} ms, CPU ${(cpu / ROUNDS).toFixed(2)} ms per request\n`,
        );
        if (url !== undefined && before !== undefined) {
          const after = await rowsRead(url);
          const records = (after.records - before.records) / ROUNDS - touchRows.records;
          const listings = (after.listings - before.listings) / ROUNDS - touchRows.listings;
          process.stdout.write(`  rows read per request: records ${records.toFixed(0)}, listings ${listings.toFixed(0)}\n`);
          before = after;
        }
      }
    } finally {
      await app.close();
    }
  } finally {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
