/**
 * Ingest throughput end to end: Mosquitto → FleetDesk server (external-broker mode, a separate
 * process: decode, validate, dedup, fleet state, durable commit before PUBACK) versus a bare
 * `mosquitto_sub` receiving the same stream from the same broker in the same run.
 *
 * So that the publisher's speed does not limit the figure, both consumers first register
 * persistent sessions, the whole stream is then published and queued by Mosquitto, and each
 * consumer's drain rate is measured (mosquitto_sub first, then the server, so that they do not
 * compete for the 2 cores). The server's CPU time during the drain gives a rate per CPU second,
 * which is less sensitive to other load on the machine.
 *
 *   npx tsx bench/ingestThroughput.ts [--messages 60000] [--devices 200]
 *
 * Bounded: a fixed message count and a hard time limit (90 s); every process is stopped at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { deviceTopic } from '../shared/wire/topics.js';
import { encodeMessage } from '../shared/wire/codec.js';
import type { WireMessage } from '../shared/wire/messages.js';
import { randomUUID } from 'node:crypto';
import { freeTcpPort, startMosquitto, startPeer, tcpAnswers } from '../test/harness/peers.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '60000' }, devices: { type: 'string', default: '200' } } });
const M = Number(values.messages);
const DEVICES = Number(values.devices);
const HARD_LIMIT_MS = 90_000;
const repoRoot = join(import.meta.dirname, '..');

function makeStream(): { topic: string; payload: Buffer }[] {
  const start = Date.parse('2026-01-05T08:00:00Z');
  const out: { topic: string; payload: Buffer }[] = [];
  for (let i = 0; i < M; i++) {
    const d = `p${i % DEVICES}`;
    const ts = new Date(start + i * 10).toISOString();
    const env = { v: 1 as const, id: randomUUID(), ts, tenant: 'acme', agentId: `a${i % 10}` };
    let msg: WireMessage;
    if (i % 10 === 0) {
      msg = {
        ...env,
        type: 'device.state',
        deviceId: d,
        seq: i,
        snapshot: {
          address: `192.0.2.${i % DEVICES}`,
          protocols: ['snmp'],
          collectedAt: ts,
          identity: { vendor: 'HP', model: 'LaserJet M404', serial: `SN${i % DEVICES}` },
          status: 'idle',
          faults: [],
          supplies: [{ index: 1, name: 'Black Toner', kind: 'toner', color: 'black', levelPercent: 50, state: 'ok', raw: { level: 50, max: 100, unit: 19, class: 3, type: 3 } }],
          inputs: [],
          counters: { total: i },
        },
      };
    } else {
      msg = { ...env, type: 'device.telemetry', deviceId: d, seq: i, status: 'idle', supplies: [{ index: 1, kind: 'toner', color: 'black', levelPercent: 50, state: 'ok' }], counters: { total: i } };
    }
    const kind = msg.type === 'device.state' ? 'state' : 'telemetry';
    out.push({ topic: deviceTopic(msg.tenant, msg.agentId, d, kind), payload: encodeMessage(msg) });
  }
  return out;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

const work = mkdtempSync(join(tmpdir(), 'fleetdesk-bench-ingest-'));
const broker = await startMosquitto({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0', 'max_queued_bytes 0'] });
const brokerPort = broker.url.split(':').pop()!;
const httpPort = await freeTcpPort();
const config = join(work, 'server.yaml');
// No shareGroup here: the stream is queued in the server's persistent session before it starts.
writeFileSync(config, [`dataDir: ${work}/data`, 'broker:', '  external:', `    url: ${broker.url}`, '    clientId: bench-server', `    receiveMaximum: ${process.env.BENCH_RECEIVE_MAXIMUM ?? 8192}`, 'http:', `  port: ${httpPort}`, ''].join('\n'));

async function runServer() {
  return startPeer({
    name: 'fleetdesk-server',
    program: 'node',
    debPackage: 'nodejs',
    // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server process.
    args: [...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), join(repoRoot, 'bin/fleetdesk.mjs'), 'server', '--config', config],
    port: httpPort,
    env: { FLEETDESK_LOG_LEVEL: 'warn' },
    ready: async () => (await tcpAnswers(httpPort)) && (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status === 200, () => false)),
    timeoutMs: 60_000,
  });
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

const subBase = ['-h', '127.0.0.1', '-p', brokerPort, '-t', 'fleetdesk/v1/#', '-q', '1', '-V', 'mqttv5', '-c', '-i', 'bench-sub', '-x', '3600'];
let server = await runServer();
let sub: ReturnType<typeof spawn> | undefined;
try {
  // 1. Both consumers register persistent sessions, then go away.
  await server.stop();
  await new Promise<void>((resolve) => spawn('mosquitto_sub', [...subBase, '-E'], { stdio: 'ignore' }).on('exit', () => resolve()));
  // 2. The whole stream is published and queued by Mosquitto for both sessions.
  const stream = makeStream();
  const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clean: true });
  let next = 0;
  let inflight = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('publisher exceeded the time limit')), HARD_LIMIT_MS);
    const pump = () => {
      while (inflight < 2000 && next < stream.length) {
        const m = stream[next++]!;
        inflight++;
        pub.publish(m.topic, m.payload, { qos: 1 }, () => {
          inflight--;
          if (next >= stream.length && inflight === 0) {
            clearTimeout(timer);
            resolve();
          } else pump();
        });
      }
    };
    pump();
  });
  await pub.endAsync();

  // 3. mosquitto_sub drains its queue: time from its first byte to its exit after M messages.
  let subFirst = 0;
  let subCpu = 0;
  const subSeconds = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mosquitto_sub exceeded the time limit')), HARD_LIMIT_MS);
    // /usr/bin/time reports mosquitto_sub's own CPU time on stderr.
    sub = spawn('/usr/bin/time', ['-f', 'cpu %U %S', 'mosquitto_sub', ...subBase, '-C', String(M), '-F', '%m'], { stdio: ['ignore', 'pipe', 'pipe'] });
    sub.stdout!.on('data', () => {
      if (!subFirst) subFirst = performance.now();
    });
    sub.stderr!.on('data', (chunk: Buffer) => {
      const m = /cpu ([\d.]+) ([\d.]+)/.exec(chunk.toString());
      if (m) subCpu = Number(m[1]) + Number(m[2]);
    });
    let exitedAt = 0;
    sub.on('exit', () => {
      exitedAt = performance.now();
    });
    // 'close' comes after stderr is drained, so /usr/bin/time's line has been read.
    sub.on('close', () => {
      clearTimeout(timer);
      resolve(((exitedAt || performance.now()) - subFirst) / 1000);
    });
  });

  // 4. The server drains its queue: from its first accepted message to the last (sampled every 20 ms).
  server = await runServer();
  const pid = server.child.pid!;
  let first = 0;
  let firstCpu = 0;
  let firstCount = 0;
  let last = 0;
  let lastCpu = 0;
  const deadline = Date.now() + HARD_LIMIT_MS;
  for (;;) {
    const n = await metric(httpPort, 'fleetdesk_messages_accepted_total');
    if (n > 0 && !first) {
      first = performance.now();
      firstCpu = cpuSeconds(pid);
      firstCount = n;
    }
    if (n >= M) {
      last = performance.now();
      lastCpu = cpuSeconds(pid);
      break;
    }
    if (Date.now() > deadline) throw new Error(`server accepted only ${n}/${M} within the time limit`);
    // Every /metrics request costs the server ~1 ms of CPU: poll every 20 ms only around the start
    // and the expected end, less often in between (half the time the rest should take, ≤ 200 ms).
    let wait = 20;
    if (first && n > firstCount) {
      const perMs = (n - firstCount) / (performance.now() - first);
      wait = Math.max(20, Math.min(200, (M - n) / perMs / 2));
    }
    await new Promise((r) => setTimeout(r, wait));
  }
  const drained = M - firstCount;
  const serverSeconds = (last - first) / 1000;
  const commits = await metric(httpPort, 'fleetdesk_store_commit_seconds_count');
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    JSON.stringify(
      {
        messages: M,
        devices: DEVICES,
        mosquittoSubRate: Math.round(M / subSeconds),
        mosquittoSubCpuSeconds: subCpu,
        serverRate: Math.round(drained / serverSeconds),
        serverToMosquittoSub: Number((drained / serverSeconds / (M / subSeconds)).toFixed(2)),
        serverCpuSeconds: Number((lastCpu - firstCpu).toFixed(2)),
        serverRatePerCpuSecond: Math.round(drained / Math.max(0.01, lastCpu - firstCpu)),
        durableCommits: commits,
        messagesPerCommit: Math.round(M / Math.max(1, commits)),
        loadAverage: load,
      },
      null,
      2,
    ),
  );
} finally {
  sub?.kill('SIGKILL');
  await server.stop();
  await broker.stop();
  rmSync(work, { recursive: true, force: true });
}
