/**
 * Ingest throughput end to end: Mosquitto → FleetDesk server (external-broker mode, a separate
 * process: decode, validate, dedup, fleet state, durable commit before PUBACK) versus a bare
 * `mosquitto_sub` receiving the same stream from the same broker in the same run.
 *
 * The stream is shaped like agents' traffic (see makeStream: ~89 % telemetry, ~9 % full
 * snapshots, ~2 % events of which a third raise a fault that opens a ticket). Both consumers
 * subscribe with QoS 1; mosquitto_sub prints every payload to /dev/null.
 *
 * So that the publisher's speed does not limit the figure, both consumers first register
 * persistent sessions, the whole stream is then published and queued by Mosquitto, and each
 * consumer's drain rate is measured one after the other so that they do not compete for the 2
 * cores: a first mosquitto_sub session, then the server, then a second mosquitto_sub session; the
 * server's rate is compared with the mean of the two mosquitto_sub rates, so that a change of load
 * during the run weighs on both sides. The server's CPU time during the drain gives a rate per CPU second,
 * which is less sensitive to other load on the machine.
 *
 *   npx tsx bench/ingestThroughput.ts [--messages 60000] [--devices 200]
 *
 * Bounded: a fixed message count and a hard time limit (90 s); every process is stopped at the end.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { deviceTopic, serverSubscriptions, statusTopic } from '../shared/wire/topics.js';
import { encodeMessage } from '../shared/wire/codec.js';
import type { WireMessage } from '../shared/wire/messages.js';
import { randomUUID } from 'node:crypto';
import { freeTcpPort, startMosquitto, startPeer, tcpAnswers } from '../test/harness/peers.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '60000' }, devices: { type: 'string', default: '200' } } });
const M = Number(values.messages);
const DEVICES = Number(values.devices);
const AGENTS = 10;
const HARD_LIMIT_MS = 90_000;
const repoRoot = join(import.meta.dirname, '..');

/**
 * The stream as agents send it: per device poll a device.telemetry; a device.state (full snapshot)
 * on a device's first poll and then as a periodic refresh every 10th poll (~9 % of messages); now
 * and then a device.event (~2 %: a jam raised and later cleared, which opens and updates a ticket
 * on the server, and supply changes). Agents' birth messages (agent.status) lead the stream.
 */
function makeStream(): { topic: string; payload: Buffer }[] {
  const start = Date.parse('2026-01-05T08:00:00Z');
  const out: { topic: string; payload: Buffer }[] = [];
  const push = (msg: WireMessage) => {
    if (msg.type === 'agent.status') {
      out.push({ topic: statusTopic(msg.tenant, msg.agentId), payload: encodeMessage(msg) });
      return;
    }
    if (msg.type === 'agent.command') throw new Error('agents do not send commands');
    const kind = msg.type === 'device.state' ? 'state' : msg.type === 'device.event' ? 'events' : 'telemetry';
    out.push({ topic: deviceTopic(msg.tenant, msg.agentId, msg.deviceId, kind), payload: encodeMessage(msg) });
  };
  const startedAt = new Date(start - 60_000).toISOString();
  for (let a = 0; a < AGENTS && out.length < M; a++) {
    push({
      v: 1,
      id: randomUUID(),
      ts: startedAt,
      tenant: 'acme',
      agentId: `a${a}`,
      type: 'agent.status',
      state: 'online',
      reason: 'birth',
      agentVersion: '1.0.0',
      startedAt,
      hostname: `site-${a}`,
      devices: DEVICES / AGENTS,
    });
  }
  const paperJam = {
    code: 'jam',
    severity: 'critical',
    source: 'prtAlert',
    message: 'Paper jam in tray 2',
    subunit: { group: 'mediaPath', index: 2 },
    rawCode: '8',
  } as const;
  const eventsOf = new Array<number>(DEVICES).fill(0);
  const jammed = new Array<boolean>(DEVICES).fill(false);
  // One poll of one device per step, round-robin over the devices (device n belongs to agent n mod AGENTS).
  for (let poll = 0; out.length < M; poll++) {
    const n = poll % DEVICES;
    const cycle = Math.floor(poll / DEVICES);
    const d = `p${n}`;
    const ts = new Date(start + poll * 10).toISOString();
    const env = () => ({ v: 1 as const, id: randomUUID(), ts, tenant: 'acme', agentId: `a${n % AGENTS}` });
    const seq = cycle * 3;
    // A toner level drops by a percent every few polls (agents report levels in whole percent).
    const level = 90 - (Math.floor(cycle / 5) % 80);
    if ((cycle * 7 + n) % 50 === 0) {
      // Events rotate per device: a jam raised, the jam cleared, a supply change.
      const round = (eventsOf[n] = (eventsOf[n] ?? 0) + 1) % 3;
      if (round === 0) {
        push({
          ...env(),
          type: 'device.event',
          deviceId: d,
          seq,
          event: {
            kind: 'supply.changed',
            supply: { index: 1, name: 'Black Toner', kind: 'toner', color: 'black', levelPercent: level },
            from: 'ok',
            to: 'low',
            replaced: false,
          },
        });
      } else if (round === 1) {
        jammed[n] = true;
        push({ ...env(), type: 'device.event', deviceId: d, seq, event: { kind: 'fault.raised', fault: paperJam, firstSeen: ts } });
      } else {
        jammed[n] = false;
        push({
          ...env(),
          type: 'device.event',
          deviceId: d,
          seq,
          event: { kind: 'fault.cleared', fault: { code: paperJam.code, subunit: paperJam.subunit, rawCode: paperJam.rawCode }, firstSeen: ts, clearedAt: ts },
        });
      }
    }
    if ((cycle + n) % 10 === 0 || cycle === 0) {
      // The first poll of every device, then a periodic refresh.
      push({
        ...env(),
        type: 'device.state',
        deviceId: d,
        seq: seq + 1,
        snapshot: {
          address: `192.0.2.${n % 250}`,
          protocols: ['snmp'],
          collectedAt: ts,
          identity: { vendor: 'HP', model: 'LaserJet M404', serial: `SN${n}` },
          status: jammed[n] ? 'down' : 'idle',
          faults: jammed[n] ? [paperJam] : [],
          supplies: [
            {
              index: 1,
              name: 'Black Toner',
              kind: 'toner',
              color: 'black',
              levelPercent: level,
              state: 'ok',
              raw: { level, max: 100, unit: 19, class: 3, type: 3 },
            },
          ],
          inputs: [],
          counters: { total: poll },
        },
      });
    }
    if (out.length < M) {
      push({
        ...env(),
        type: 'device.telemetry',
        deviceId: d,
        seq: seq + 2,
        status: jammed[n] ? 'down' : 'idle',
        supplies: [{ index: 1, kind: 'toner', color: 'black', levelPercent: level, state: 'ok' }],
        counters: { total: poll },
      });
    }
  }
  out.length = M;
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
writeFileSync(
  config,
  [
    `dataDir: ${work}/data`,
    'broker:',
    '  external:',
    `    url: ${broker.url}`,
    '    clientId: bench-server',
    `    receiveMaximum: ${process.env.BENCH_RECEIVE_MAXIMUM ?? 8192}`,
    'http:',
    `  port: ${httpPort}`,
    '',
  ].join('\n'),
);

async function runServer() {
  return startPeer({
    name: 'fleetdesk-server',
    program: 'node',
    debPackage: 'nodejs',
    // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server process.
    args: [...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), join(repoRoot, 'bin/fleetdesk.mjs'), 'server', '--config', config],
    port: httpPort,
    env: { FLEETDESK_LOG_LEVEL: 'warn' },
    ready: async () =>
      (await tcpAnswers(httpPort)) &&
      (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      )),
    timeoutMs: 60_000,
  });
}

/** The pid of a child process of `parent` (0 while there is none). */
function childOf(parent: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(fields[1]) === parent) return Number(entry);
    } catch {
      // the process went away while listing
    }
  }
  return 0;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

/**
 * One mosquitto_sub session drains its queue, printing each payload to /dev/null: the time from its
 * first message to its exit after M messages, and its CPU time. The first message is seen in
 * /proc/<pid>/io: before it, mosquitto_sub has written only CONNECT and SUBSCRIBE (< 200 bytes);
 * each message adds its payload (written to /dev/null) and a PUBACK. Polled every millisecond
 * until then only.
 */
function drainMosquittoSub(id: string): Promise<{ seconds: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mosquitto_sub exceeded the time limit')), HARD_LIMIT_MS);
    const devNull = openSync('/dev/null', 'w');
    // /usr/bin/time reports mosquitto_sub's own CPU time on stderr.
    sub = spawn('/usr/bin/time', ['-f', 'cpu %U %S', 'mosquitto_sub', ...subBase(id), '-C', String(M), '-F', '%m'], { stdio: ['ignore', devNull, 'pipe'] });
    closeSync(devNull);
    const timePid = sub.pid!;
    let subPid = 0;
    let subFirst = 0;
    let exitedAt = 0;
    const watch = setInterval(() => {
      try {
        subPid ||= childOf(timePid);
        if (!subPid) return;
        const written = Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${subPid}/io`, 'utf8'))?.[1] ?? 0);
        if (written > 200) {
          subFirst = performance.now();
          clearInterval(watch);
        }
      } catch {
        // mosquitto_sub not started yet, or already gone
      }
    }, 1);
    let subErr = '';
    sub.stderr!.on('data', (chunk: Buffer) => {
      subErr += chunk.toString();
    });
    sub.on('exit', () => {
      exitedAt = performance.now();
    });
    // 'close' comes after stderr is drained, so /usr/bin/time's line has been read.
    sub.on('close', (code) => {
      clearTimeout(timer);
      const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(subErr);
      clearInterval(watch);
      if (code !== 0 || !subFirst) reject(new Error(`mosquitto_sub exited with ${code} (first message seen: ${subFirst > 0})`));
      else
        resolve({ seconds: ((exitedAt || performance.now()) - subFirst) / 1000, cpu: cpu ? Number((Number(cpu[1]) + Number(cpu[2])).toFixed(2)) : Number.NaN });
    });
  });
}

// The same topic filters as the server's subscription.
const subBase = (id: string) => [
  '-h',
  '127.0.0.1',
  '-p',
  brokerPort,
  ...serverSubscriptions().flatMap((t) => ['-t', t]),
  '-q',
  '1',
  '-V',
  'mqttv5',
  '-c',
  '-i',
  id,
  '-x',
  '3600',
];
// BENCH_REFERENCES=1: also drain with a bare mqtt.js client (acknowledge only; then decode + validate too).
const REFERENCES = process.env.BENCH_REFERENCES === '1' ? ['none', 'decode'] : [];

/** A reference consumer (bench/bareMqttSubscriber.ts) drains its session: seconds and CPU seconds. */
async function drainBare(work: string): Promise<{ seconds: number; cpuSeconds: number; messages: number }> {
  const child = spawn(
    'node',
    [
      '--import',
      'tsx',
      join(repoRoot, 'bench/bareMqttSubscriber.ts'),
      '--url',
      broker.url,
      '--client-id',
      `bench-bare-${work}`,
      '--messages',
      String(M),
      '--work',
      work,
      '--receive-maximum',
      String(process.env.BENCH_RECEIVE_MAXIMUM ?? 8192),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: repoRoot },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`bare subscriber (${work}) exited with ${code}`);
  return JSON.parse(out) as { seconds: number; cpuSeconds: number; messages: number };
}
let server = await runServer();
let sub: ReturnType<typeof spawn> | undefined;
try {
  // 1. The consumers register persistent sessions, then go away.
  await server.stop();
  // Two mosquitto_sub sessions: one drains before the server, one after, so that a change of load
  // on the shared machine during the run affects both sides alike (the mean rate is compared).
  for (const id of ['bench-sub-1', 'bench-sub-2', ...REFERENCES.map((w) => `bench-bare-${w}`)]) {
    await new Promise<void>((resolve) => spawn('mosquitto_sub', [...subBase(id), '-E'], { stdio: 'ignore' }).on('exit', () => resolve()));
  }
  // 2. The whole stream is published and queued by Mosquitto for all three sessions.
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

  // 3. The first mosquitto_sub session drains its queue.
  const sub1 = await drainMosquittoSub('bench-sub-1');
  const references: Record<string, { rate: number; cpuSeconds: number }> = {};
  for (const work of REFERENCES) {
    const r = await drainBare(work);
    references[`mqttjs-${work}`] = { rate: Math.round(r.messages / r.seconds), cpuSeconds: Number(r.cpuSeconds.toFixed(2)) };
  }

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
  const journalBytes = await metric(httpPort, 'fleetdesk_store_written_bytes_total');
  await server.stop();

  // 5. The second mosquitto_sub session drains its queue.
  const sub2 = await drainMosquittoSub('bench-sub-2');
  const subRate = (M / sub1.seconds + M / sub2.seconds) / 2;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    JSON.stringify(
      {
        messages: M,
        devices: DEVICES,
        mix: Object.fromEntries(['telemetry', 'state', 'events', 'status'].map((k) => [k, stream.filter((m) => m.topic.endsWith(`/${k}`)).length])),
        mosquittoSubRates: [Math.round(M / sub1.seconds), Math.round(M / sub2.seconds)],
        mosquittoSubRate: Math.round(subRate),
        mosquittoSubCpuSeconds: [sub1.cpu, sub2.cpu],
        ...(REFERENCES.length > 0 ? { references } : {}),
        serverRate: Math.round(drained / serverSeconds),
        serverToMosquittoSub: Number((drained / serverSeconds / subRate).toFixed(2)),
        serverCpuSeconds: Number((lastCpu - firstCpu).toFixed(2)),
        serverRatePerCpuSecond: Math.round(drained / Math.max(0.01, lastCpu - firstCpu)),
        durableCommits: commits,
        messagesPerCommit: Math.round(M / Math.max(1, commits)),
        journalBytesPerMessage: Math.round(journalBytes / M),
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
