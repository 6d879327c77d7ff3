/**
 * Ingest and ticket throughput of 1, 2 and 3 `fleetdesk server` instances behind one Mosquitto
 * (shared subscription) and one PostgreSQL database, on this machine (docs/benchmarks.md,
 * "Several instances"; docs/scale-out.md).
 *
 * For each instance count, on a fresh database and a fresh Mosquitto: the instances start, every device is announced
 * (one telemetry message each, not timed), then two timed phases, each published at once at QoS 1
 * and timed until the database holds every message id (processed_messages):
 *   telemetry  T telemetry messages from D devices (no tickets: fleet state only)
 *   faults     one fault per device (every one opens a ticket: fleet state + ticket + SLA clock)
 * Bounded: every phase gives up after --phase-timeout seconds (reported as such).
 *
 * `--dispatch round-robin,partitioned` runs each instance count both ways: round-robin is one shared
 * group (Mosquitto deals every message to the next instance); partitioned gives instance k of n
 * `broker.external.partition: { count: n, index: k }` (one agent's messages on one instance).
 * After each run the serialization failures PostgreSQL logged are summed up by reason and statement.
 *
 * `--embedded` first runs the same stream through one instance on the embedded store (lowdb, same
 * Mosquitto setup; done when its accepted-messages metric reaches the count), so that the ratio
 * of CPU per message, PostgreSQL path against embedded, comes from one run.
 *
 * `--moving-levels`: every telemetry message moves its supply's level down by one point from the
 * announced level (a fleet whose toner drains), so that the device history reads and writes a supply track per message; without
 * it levels stay put and only the device record and its counters move. Statements per message:
 * the instances' fleetdesk_store_statements over the phase, divided by its messages.
 *
 * WAL: bytes of write-ahead log PostgreSQL wrote per telemetry message and per fault (pg_current_wal_lsn
 * before and after each phase). `--durable` runs PostgreSQL as in production (fsync, synchronous
 * commit, full-page writes after each checkpoint); without it the test settings (none of those).
 *
 *   npx tsx bench/clusterThroughput.ts [--instances 1,2,3] [--dispatch round-robin,partitioned] [--devices 300] [--telemetry 3000]
 *     [--phase-timeout 90] [--embedded] [--moving-levels] [--durable] [--postgres-log /tmp/pg]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { availableParallelism, cpus } from 'node:os';
import type { WireMessage } from '../shared/wire/messages.js';
import { FAST_CONTRACT_YAML, metricOf, publishAll, startInstance, type ServerInstance } from '../test/harness/cluster.js';
import { makeTempDir, startMosquitto } from '../test/harness/peers.js';
import { startPostgres } from '../test/harness/postgres.js';
import { fault, raisedMsg, telemetryMsg } from '../test/unit/server/wireFixtures.js';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '1,2,3' },
    devices: { type: 'string', default: '300' },
    telemetry: { type: 'string', default: '3000' },
    'phase-timeout': { type: 'string', default: '90' },
    embedded: { type: 'boolean', default: false },
    dispatch: { type: 'string', default: 'round-robin' },
    /** Keep each run's PostgreSQL log as <prefix>-<instances>-<dispatch>.log (the conflicts with their parameters). */
    'postgres-log': { type: 'string' },
    /** More postgresql.conf lines, e.g. --postgres-setting 'max_pred_locks_per_page = 64' (repeatable). */
    'postgres-setting': { type: 'string', multiple: true, default: [] },
    'moving-levels': { type: 'boolean', default: false },
    durable: { type: 'boolean', default: false },
  },
});
type Dispatch = 'round-robin' | 'partitioned';
const DISPATCH = values.dispatch.split(',').map((d): Dispatch => {
  if (d !== 'round-robin' && d !== 'partitioned') throw new Error(`--dispatch: expected round-robin and/or partitioned, found ${JSON.stringify(d)}`);
  return d;
});
/** Instance count 0: one instance on the embedded store. */
const RUNS: { instances: number; dispatch: Dispatch }[] = [
  ...(values.embedded ? [{ instances: 0, dispatch: 'round-robin' as const }] : []),
  ...values.instances.split(',').flatMap((n) => DISPATCH.map((dispatch) => ({ instances: Number(n), dispatch }))),
];
const DEVICES = Number(values.devices);
const TELEMETRY = Number(values.telemetry);
const PHASE_TIMEOUT_MS = Number(values['phase-timeout']) * 1000;

function device(i: number): { tenant: string; agent: string; dev: string } {
  return { tenant: `t${i % 5}`, agent: `a${Math.floor(i / 5) % 6}`, dev: `p${i}` };
}
const start = Date.parse('2026-01-05T08:00:00Z');
const warmup: WireMessage[] = Array.from({ length: DEVICES }, (_, i) => {
  const d = device(i);
  return telemetryMsg(d.tenant, d.agent, d.dev, 1, new Date(start).toISOString(), 1);
});
const telemetry: WireMessage[] = Array.from({ length: TELEMETRY }, (_, k) => {
  const d = device(k % DEVICES);
  const round = Math.floor(k / DEVICES);
  const m = telemetryMsg(d.tenant, d.agent, d.dev, 100 + round, new Date(start + (round + 1) * 1000).toISOString(), 10 + round);
  // Down from the announced level (a rise would be a cartridge replacement).
  return values['moving-levels'] ? { ...m, supplies: m.supplies.map((s) => ({ ...s, levelPercent: Math.max(0, (s.levelPercent ?? 39) - 1 - round) })) } : m;
});
const faults: WireMessage[] = Array.from({ length: DEVICES }, (_, i) => {
  const d = device(i);
  return raisedMsg(d.tenant, d.agent, d.dev, fault('jam'), new Date(start + 3_600_000).toISOString(), 100_000);
});

/** Units of work an instance re-ran after a serialization conflict (fleetdesk_store_conflicts{kind="retried"}). */
async function retriedUnits(httpPort: number): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const m = /^fleetdesk_store_conflicts\{kind="retried"\} (\d+)$/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) used so far by a process; 0 once it is gone. */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds of PostgreSQL: the postmaster and every backend it forked. */
function postgresCpu(dir: string): number {
  const master = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let sum = cpuOf(master);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(fields[1]) === master) sum += (Number(fields[11]) + Number(fields[12])) / TICKS;
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

interface Cpu {
  servers: number;
  postgres: number;
  broker: number;
}

async function processed(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*)::text AS n FROM processed_messages')).rows[0]!.n);
  } finally {
    await c.end();
  }
}

async function tickets(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>("SELECT count(*)::text AS n FROM records WHERE collection = 'tickets'")).rows[0]!.n);
  } finally {
    await c.end();
  }
}

/**
 * Publishes `messages` and waits until `handled()` (message ids in the database, or accepted
 * messages of the embedded instance) reaches `target`: seconds (null on timeout) and the CPU
 * seconds each part used meanwhile.
 */
async function phase(
  client: mqtt.MqttClient,
  handled: () => Promise<number>,
  messages: WireMessage[],
  target: number,
  cpu: () => Cpu,
  statements: () => Promise<number>,
  wal: () => Promise<bigint>,
): Promise<{ seconds: number | null; cpu: Cpu; statements: number; walBytes: number }> {
  const sentBefore = await statements();
  const walBefore = await wal();
  const before = cpu();
  const t0 = performance.now();
  await publishAll(client, messages, { inFlight: 500, timeoutMs: PHASE_TIMEOUT_MS });
  let seconds: number | null = null;
  for (;;) {
    if ((await handled()) >= target) {
      seconds = (performance.now() - t0) / 1000;
      break;
    }
    if (performance.now() - t0 > PHASE_TIMEOUT_MS) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const after = cpu();
  return {
    seconds,
    cpu: { servers: after.servers - before.servers, postgres: after.postgres - before.postgres, broker: after.broker - before.broker },
    statements: (await statements()) - sentBefore,
    walBytes: Number((await wal()) - walBefore),
  };
}

/** The cluster's WAL position in bytes (0 for the embedded store, which has none). */
async function walPosition(url: string | undefined): Promise<bigint> {
  if (url === undefined) return 0n;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ lsn: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn");
    return BigInt(r.rows[0]!.lsn.split('.')[0]!);
  } finally {
    await c.end();
  }
}

/**
 * Serialization failures, deadlocks and lock timeouts in PostgreSQL's log (ERROR, DETAIL, STATEMENT lines), counted by reason and
 * by the statement's first words: what instances conflicted on.
 */
function serializationFailures(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  const lines = log.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/ERROR: +(could not serialize access|deadlock detected|canceling statement due to lock timeout|could not obtain lock)/.test(lines[i]!)) continue;
    let reason = lines[i]!.replace(/^.*ERROR: +/, '');
    let statement = '';
    for (let j = i + 1; j < Math.min(lines.length, i + 4); j++) {
      const l = lines[j]!;
      if (/DETAIL: /.test(l)) reason = l.replace(/^.*DETAIL: +/, '');
      else if (/STATEMENT: /.test(l))
        statement = l
          .replace(/^.*STATEMENT: +/, '')
          .replace(/\$\d+/g, '$')
          .slice(0, 70);
      else if (/ERROR: /.test(l)) break;
    }
    const key = `${reason} | ${statement}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Updates of `records` and how many of them were HOT (stayed on their page, no new index entry). */
async function updateStats(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("SET stats_fetch_consistency = 'none'");
    const r = await c.query<{ upd: string; hot: string }>(
      "SELECT n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot FROM pg_stat_user_tables WHERE relname = 'records'",
    );
    return `${r.rows[0]?.upd} updates, ${r.rows[0]?.hot} HOT`;
  } finally {
    await c.end();
  }
}

interface Row {
  /** 0: one instance on the embedded store. */
  instances: number;
  dispatch: Dispatch;
  telemetryPerSecond: number | null;
  /** CPU seconds per 1000 telemetry messages: server instances / PostgreSQL / Mosquitto. */
  telemetryCpu: Cpu;
  faultsPerSecond: number | null;
  faultsCpu: Cpu;
  ticketsOpened: number | null;
  conflictRetries: number | null;
  /** PostgreSQL statements per telemetry message / per fault (null on the embedded store). */
  statementsPerTelemetry: number | null;
  statementsPerFault: number | null;
  /** Bytes of WAL per telemetry message / per fault (null on the embedded store). */
  walPerTelemetry: number | null;
  walPerFault: number | null;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const tmp = makeTempDir('cluster-bench');
const rows: Row[] = [];
try {
  for (const { instances: n, dispatch } of RUNS) {
    // A fresh PostgreSQL per run: its log is this run's, and its CPU counts only this run's backends.
    // The log names the records behind each conflict (the parameters of the failed statement).
    const postgres = await startPostgres({
      durable: values.durable,
      settings: ['log_parameter_max_length_on_error = 200', ...values['postgres-setting']],
      outputBytes: 16 * 1024 * 1024,
    });
    const url = n === 0 ? undefined : await postgres.newDatabase(`bench${n}`);
    // A fresh broker per run: the sessions of the previous run's instances would keep taking their
    // share of the shared subscription (Mosquitto deals to absent members too; docs/scale-out.md).
    const mosquitto = await startMosquitto({ extraConfig: ['max_queued_messages 0'] });
    const common = { dir: tmp.path, postgresUrl: url, mqttUrl: mosquitto.url, extraYaml: FAST_CONTRACT_YAML, receiveMaximum: 500 };
    const partition = (k: number) => (dispatch === 'partitioned' ? { partition: { count: n, index: k - 1 } } : {});
    const instances: ServerInstance[] = [await startInstance({ ...common, id: `b${n}-1`, ...partition(1) })];
    for (let k = 2; k <= n; k++) instances.push(await startInstance({ ...common, id: `b${n}-${k}`, ...partition(k) }));
    const handled = url === undefined ? async () => (await metricOf(instances[0]!.httpPort, 'fleetdesk_messages_accepted_total')) ?? 0 : () => processed(url);
    await new Promise((r) => setTimeout(r, 1000));
    const client = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `bench-publisher-${n}` });
    try {
      const cpu = (): Cpu => ({
        servers: instances.reduce((sum, i) => sum + cpuOf(i.process.child.pid!), 0),
        postgres: postgresCpu(postgres.dir),
        broker: cpuOf(mosquitto.child.pid!),
      });
      const per1000 = (c: Cpu, n: number): Cpu => ({
        servers: round2((c.servers * 1000) / n),
        postgres: round2((c.postgres * 1000) / n),
        broker: round2((c.broker * 1000) / n),
      });
      const statements = async () =>
        (await Promise.all(instances.map((i) => metricOf(i.httpPort, 'fleetdesk_store_statements')))).reduce<number>((s, v) => s + (v ?? 0), 0);
      const wal = () => walPosition(url);
      await phase(client, handled, warmup, DEVICES, cpu, statements, wal);
      const t = await phase(client, handled, telemetry, DEVICES + TELEMETRY, cpu, statements, wal);
      const f = await phase(client, handled, faults, DEVICES + TELEMETRY + DEVICES, cpu, statements, wal);
      const tSeconds = t.seconds;
      const fSeconds = f.seconds;
      const retries = await Promise.all(instances.map((i) => retriedUnits(i.httpPort)));
      rows.push({
        instances: n,
        dispatch,
        telemetryPerSecond: tSeconds === null ? null : Math.round(TELEMETRY / tSeconds),
        telemetryCpu: per1000(t.cpu, TELEMETRY),
        faultsPerSecond: fSeconds === null ? null : Math.round((DEVICES / fSeconds) * 10) / 10,
        faultsCpu: per1000(f.cpu, DEVICES),
        ticketsOpened: url === undefined ? null : await tickets(url),
        conflictRetries: retries.every((r) => r === undefined) ? null : retries.reduce<number>((s, r) => s + (r ?? 0), 0),
        statementsPerTelemetry: url === undefined ? null : round2(t.statements / TELEMETRY),
        statementsPerFault: url === undefined ? null : round2(f.statements / DEVICES),
        walPerTelemetry: url === undefined ? null : Math.round(t.walBytes / TELEMETRY),
        walPerFault: url === undefined ? null : Math.round(f.walBytes / DEVICES),
      });
      console.log(JSON.stringify(rows.at(-1)));
    } finally {
      await client.endAsync(true);
      for (const i of instances) await i.process.stop();
      await mosquitto.stop();
      if (url !== undefined) console.log(`  records: ${await updateStats(url)}`);
      if (values['postgres-log']) writeFileSync(`${values['postgres-log']}-${n}-${dispatch}.log`, postgres.output());
      for (const [what, count] of [...serializationFailures(postgres.output())].sort((a, b) => b[1] - a[1])) console.log(`  ${count} × ${what}`);
      await postgres.stop();
    }
  }
} finally {
  tmp.remove();
}

console.log(
  `\n${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}; ${DEVICES} devices, ${TELEMETRY} telemetry messages${values['moving-levels'] ? ' (levels moving)' : ''}, ${DEVICES} faults (one ticket each); PostgreSQL ${values.durable ? 'durable (fsync, full-page writes)' : 'test settings (no fsync, no full-page writes)'}`,
);
console.log(
  '| instances | dispatch | telemetry msg/s | CPU s / 1000 telemetry (servers / PostgreSQL / Mosquitto) | faults → tickets /s | CPU s / 1000 faults (servers / PostgreSQL / Mosquitto) | tickets | store conflict retries | statements per telemetry msg / per fault | WAL bytes per telemetry msg / per fault |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const f = (v: number | null) => (v === null ? `timeout (${PHASE_TIMEOUT_MS / 1000} s)` : String(v));
  const c = (x: Cpu) => `${x.servers} / ${x.postgres} / ${x.broker}`;
  console.log(
    `| ${r.instances === 0 ? 'embedded store' : r.instances} | ${r.instances === 0 ? '–' : r.dispatch} | ${f(r.telemetryPerSecond)} | ${c(r.telemetryCpu)} | ${f(r.faultsPerSecond)} | ${c(r.faultsCpu)} | ${r.ticketsOpened ?? 'n/a'} | ${r.conflictRetries ?? 'n/a'} | ${r.statementsPerTelemetry ?? 'n/a'} / ${r.statementsPerFault ?? 'n/a'} | ${r.walPerTelemetry ?? 'n/a'} / ${r.walPerFault ?? 'n/a'} |`,
  );
}
const embedded = rows.find((r) => r.instances === 0);
if (embedded) {
  // Ratios of this run: CPU (servers + PostgreSQL) per message or fault, against the embedded store's server CPU.
  for (const r of rows.filter((x) => x.instances > 0)) {
    const ratio = (pg: Cpu, own: Cpu) => round2((pg.servers + pg.postgres) / own.servers);
    console.log(
      `${r.instances} instance(s), ${r.dispatch}: telemetry ${ratio(r.telemetryCpu, embedded.telemetryCpu)}× the embedded store's CPU per message; faults ${ratio(r.faultsCpu, embedded.faultsCpu)}× per fault`,
    );
  }
}
