/**
 * Login flood against the embedded broker (issue 16): honest agents publish QoS 1 telemetry at a
 * steady pace while 32 parallel clients keep logging in as a real agent with wrong passwords. The
 * figure is the honest agents' acknowledgement latency (publish → PUBACK) idle vs under the flood;
 * target: p95 under flood within 2× of idle. Also reported: the flood's attempts and how the broker
 * refused them, and how many log lines the server wrote meanwhile.
 *
 *   npx tsx bench/loginFlood.ts [--agents 4] [--rate 20] [--seconds 10] [--attackers 32]
 *
 * Against a `fleetdesk server` child process on loopback. Bounded: fixed phase durations, at most
 * 200,000 login attempts, a hard limit of 3 minutes; the server is stopped at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { withTokenStore } from '../server/auth/tokenStore.js';
import { createAgentToken } from '../server/broker/credentials.js';
import { ServerConfig } from '../server/serverConfig.js';
import { freeTcpPort, tcpAnswers, waitUntil } from '../test/harness/peers.js';
import { bytes, telemetryMsg, topicOf } from '../test/unit/server/wireFixtures.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '4' },
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    attackers: { type: 'string', default: '32' },
    // Internal: the flood runs in its own process, so its CPU does not slow the measuring event loop.
    'attack-port': { type: 'string' },
  },
});
const AGENTS = Number(values.agents);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const ATTACKERS = Number(values.attackers);
const MAX_ATTEMPTS = 200_000;
const HARD_LIMIT_MS = 3 * 60_000;
const repoRoot = join(import.meta.dirname, '..');

const hardStop = setTimeout(() => {
  process.stderr.write('bench: hard time limit reached\n');
  process.exit(3);
}, HARD_LIMIT_MS);

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Each honest agent publishes one telemetry message every 1000/RATE ms and records its PUBACK latency. */
async function honestPhase(agents: MqttClient[], seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    agents.map(async (client, a) => {
      let i = 0;
      while (performance.now() < until) {
        const m = telemetryMsg('acme', `agent-${a}`, 'p1', i++, new Date().toISOString(), i);
        const started = performance.now();
        await client.publishAsync(topicOf(m), bytes(m), { qos: 1 });
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 / RATE - (performance.now() - started))));
      }
    }),
  );
  return latencies.sort((x, y) => x - y);
}

/** ATTACKERS loops, each logging in as agent-0 with a wrong password again as soon as it is refused. */
function flood(mqttPort: number, until: number): Promise<number> {
  let attempts = 0;
  const loop = async (k: number): Promise<void> => {
    while (performance.now() < until && attempts < MAX_ATTEMPTS) {
      attempts += 1;
      await new Promise<void>((resolve) => {
        const c = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
          clientId: 'acme/agent-0',
          username: 'acme/agent-0',
          password: `guess-${k}-${attempts}`,
          reconnectPeriod: 0,
          connectTimeout: 10_000,
          protocolVersion: 4,
        });
        const done = () => {
          c.end(true);
          resolve();
        };
        c.once('error', done);
        c.once('close', done);
        c.once('connect', done);
      });
    }
  };
  return Promise.all(Array.from({ length: ATTACKERS }, (_, k) => loop(k))).then(() => attempts);
}

async function metricLines(httpPort: number, name: string): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name));
}

if (values['attack-port'] !== undefined) {
  process.stdout.write('ready\n');
  const attempts = await flood(Number(values['attack-port']), performance.now() + SECONDS * 1000);
  process.stdout.write(`${attempts}\n`);
  clearTimeout(hardStop);
  process.exit(0);
}

/**
 * The flood in a child process (this file again). `started` resolves once it is loaded and begins
 * (its start-up is not measured); `attempts` with its number of login attempts at the end.
 */
function floodProcess(port: number): { started: Promise<void>; attempts: Promise<number> } {
  const attacker = spawn(
    process.execPath,
    [...process.execArgv, import.meta.filename, '--attack-port', String(port), '--seconds', String(SECONDS), '--attackers', String(ATTACKERS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  let ready: () => void;
  const started = new Promise<void>((r) => (ready = r));
  attacker.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.startsWith('ready\n')) ready();
  });
  const attempts = new Promise<number>((resolve, reject) =>
    attacker.once('exit', (code) => (code === 0 ? resolve(Number(out.slice('ready\n'.length).trim())) : reject(new Error(`attacker exited with ${code}`)))),
  );
  return { started, attempts };
}

const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-login-flood-'));
const mqttPort = await freeTcpPort();
const httpPort = await freeTcpPort();
writeFileSync(
  join(dir, 'server.yaml'),
  [`dataDir: ${dir}/data`, 'broker:', '  embedded:', `    port: ${mqttPort}`, 'http:', `  port: ${httpPort}`, 'log:', '  format: json', ''].join('\n'),
);
// Issued into the store before the server opens it (one process per embedded store).
const tokens = await withTokenStore(ServerConfig.parse({ dataDir: join(dir, 'data') }), (repo) =>
  Promise.all(Array.from({ length: AGENTS }, (_, a) => createAgentToken(repo, { tenant: 'acme', agentId: `agent-${a}` }, new Date()))),
);
const child = spawn('node', [join(repoRoot, 'bin/fleetdesk.mjs'), 'server', '--config', join(dir, 'server.yaml')], {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, FLEETDESK_LOG_LEVEL: 'info' },
});
let logLines = 0;
child.stdout.on('data', (chunk: Buffer) => (logLines += chunk.toString('utf8').split('\n').length - 1));
child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
try {
  await waitUntil(() => tcpAnswers(httpPort), 'server', 30_000);
  const agents: MqttClient[] = [];
  for (const [a, password] of tokens.entries())
    agents.push(
      await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId: `acme/agent-${a}`,
        username: `acme/agent-${a}`,
        password,
        reconnectPeriod: 0,
        protocolVersion: 4,
      }),
    );
  await honestPhase(agents, 2); // warm-up
  const idle = await honestPhase(agents, SECONDS);
  const linesBefore = logLines;
  const attacker = floodProcess(mqttPort);
  await attacker.started;
  const loaded = await honestPhase(agents, SECONDS);
  const attempts = await attacker.attempts;
  const floodLines = logLines - linesBefore;
  const refused = await metricLines(httpPort, 'fleetdesk_broker_auth_failures_total');
  for (const c of agents) await c.endAsync(true);
  const row = (name: string, l: number[]) =>
    `| ${name} | ${l.length} | ${percentile(l, 50).toFixed(1)} | ${percentile(l, 95).toFixed(1)} | ${percentile(l, 99).toFixed(1)} |`;
  process.stdout.write(
    [
      `login flood: ${AGENTS} honest agents × ${RATE} msg/s, ${ATTACKERS} parallel wrong-password logins as acme/agent-0 for ${SECONDS} s`,
      '',
      '| phase | acks | p50 ms | p95 ms | p99 ms |',
      '|---|---|---|---|---|',
      row('idle', idle),
      row('under flood', loaded),
      '',
      `flood: ${attempts} login attempts (${(attempts / SECONDS).toFixed(0)}/s); server log lines during the flood: ${floodLines}`,
      `refusals: ${refused.join('; ') || 'none counted'}`,
      `p95 under flood / idle: ${(percentile(loaded, 95) / percentile(idle, 95)).toFixed(2)}× (target ≤ 2×)`,
      '',
    ].join('\n'),
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(hardStop);
}
