/**
 * Fault → ticket latency (issue 14): how long after a printer jams the ticket is visible in the
 * HTTP API, when the printer sends a trap and when it does not (the agent only polls).
 *
 *   npx tsx bench/trapLatency.ts [--interval 5] [--trials 5]
 *
 * Everything is the shipped product on loopback, in one process: the server (embedded broker,
 * tickets, API), the device simulator answering SNMP, and an agent polling it every `--interval`
 * seconds with its trap receiver on. The simulator's scenario jams one device at a time; for the
 * trap trials the bench sends a real SNMPv2c printerV2Alert trap (net-snmp) to the agent the
 * moment the jam begins, for the polled trials it sends nothing. The ticket is looked for in
 * GET /api/v1/tickets every 20 ms with the admin token.
 *
 * Bounded: 2 × trials devices, a fixed timeline (3 intervals + 3 s per trial), a hard limit.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import snmp from 'net-snmp';
import { AgentConfig } from '../agent/agentConfig.js';
import { AgentRuntime } from '../agent/runtime/agentRuntime.js';
import { ProtocolCollector } from '../agent/runtime/protocolCollector.js';
import { syntheticId } from '../agent/simulator/deviceCatalog.js';
import { startSimulator, type ScenarioChange } from '../agent/simulator/simulator.js';
import { trapService } from '../agent/traps/trapListener.js';
import { OID } from '../mibs/oids.generated.js';
import { adminTokenFile } from '../server/auth/apiTokens.js';
import { createAgentToken } from '../server/broker/credentials.js';
import { ServerConfig } from '../server/serverConfig.js';
import { startServerApp } from '../server/serverApp.js';
import { systemClock } from '../shared/clock.js';
import { createLogger } from '../shared/logging.js';
import { freeTcpPort, freeUdpPort } from '../test/harness/peers.js';

const { values } = parseArgs({ options: { interval: { type: 'string', default: '5' }, trials: { type: 'string', default: '5' } } });
const INTERVAL_S = Number(values.interval);
const TRIALS = Number(values.trials);
if (!(INTERVAL_S >= 1 && INTERVAL_S <= 60) || !(TRIALS >= 1 && TRIALS <= 20)) throw new Error('--interval must be 1..60 s and --trials 1..20');
const START_S = 12; // start-up and first polls before the first jam
const GAP_S = 3 * INTERVAL_S + 3; // one jam at a time: its ticket is in before the next jam
const HOLD_S = 2 * INTERVAL_S + 3;
const HARD_LIMIT_MS = (START_S + 2 * TRIALS * GAP_S + 60) * 1000;
const TENANT = 'bench';
const AGENT = 'site1';

const hardStop = setTimeout(() => {
  process.stderr.write('bench: hard time limit reached\n');
  process.exit(3);
}, HARD_LIMIT_MS);

const devices = Array.from({ length: 2 * TRIALS }, (_, i) => syntheticId(i + 1));
const trapped = new Set(devices.slice(0, TRIALS));
const scenario = {
  name: 'one-jam-at-a-time',
  events: devices.map((id, i) => ({
    action: 'raise' as const,
    condition: 'jammed' as const,
    devices: { ids: [id] },
    at: `${START_S + i * GAP_S}s`,
    until: `${START_S + i * GAP_S + HOLD_S}s`,
  })),
};

const log = createLogger({ name: 'bench', level: 'warn', format: 'json' });
const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-trap-bench-'));
const trapPort = await freeUdpPort();
const jamStarted = new Map<string, number>();

async function sendTrap(): Promise<void> {
  const session = snmp.createSession('127.0.0.1', 'public', { trapPort, version: snmp.Version2c });
  await new Promise<void>((resolve, reject) => session.trap(OID.printerV2Alert, [], (err: Error | null) => (session.close(), err ? reject(err) : resolve())));
}

const simulator = await startSimulator({
  devices: devices.length,
  models: ['hp-color-laser'],
  scenario,
  ippPort: false,
  logger: log,
  onChange: (c: ScenarioChange) => {
    if (!c.what.startsWith('raised: ') || !c.what.includes('jam') || jamStarted.has(c.deviceId)) return;
    jamStarted.set(c.deviceId, performance.now());
    if (trapped.has(c.deviceId)) void sendTrap();
  },
});
const serverConfig = ServerConfig.parse({
  dataDir: join(dir, 'server'),
  broker: { embedded: { host: '127.0.0.1', port: await freeTcpPort() } },
  http: { host: '127.0.0.1', port: await freeTcpPort() },
  fleet: {
    customers: { c1: { name: 'Bench customer', contract: 'device-vendor', tenants: [TENANT] } },
    sites: { s1: { name: 'Bench site', customer: 'c1', agents: [`${TENANT}/${AGENT}`] } },
  },
  tickets: { defaultContract: 'device-vendor' },
});
const app = await startServerApp(serverConfig, log);
const token = await createAgentToken(app.server.repo, { tenant: TENANT, agentId: AGENT }, new Date());
const agentConfig = AgentConfig.parse({
  tenant: TENANT,
  agentId: AGENT,
  broker: { url: `mqtt://127.0.0.1:${app.server.mqttPort}`, username: `${TENANT}/${AGENT}`, password: token },
  devices: simulator.devices.map((d) => ({ id: d.id, address: `snmp://${d.community}@127.0.0.1:${d.snmpPort}` })),
  polling: { interval: `${INTERVAL_S}s` },
  traps: { enabled: true, listen: `127.0.0.1:${trapPort}` },
  outbox: { dir: join(dir, 'outbox') },
  health: { listen: '127.0.0.1:0' },
});
const agent = await AgentRuntime.start({
  config: agentConfig,
  collector: new ProtocolCollector(agentConfig, systemClock),
  log,
  version: 'bench',
  services: [trapService],
});
const admin = readFileSync(adminTokenFile(serverConfig.dataDir), 'utf8').trim();
const api = `http://127.0.0.1:${app.server.httpPort}/api/v1/tickets?limit=200`;

/** Watches the API until a jam ticket appears that was not there before; ms after `since`. */
async function ticketLatency(seen: Set<string>, since: number, limitMs: number): Promise<number | null> {
  while (performance.now() - since < limitMs) {
    const res = await fetch(api, { headers: { authorization: `Bearer ${admin}` } });
    const body = (await res.json()) as { items: { id: string; faultCodes: string[] }[] };
    const fresh = body.items.find((t) => !seen.has(t.id) && t.faultCodes.includes('jam'));
    if (fresh) {
      seen.add(fresh.id);
      return performance.now() - since;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

const results: Record<'trap' | 'polled', number[]> = { trap: [], polled: [] };
const seen = new Set<string>();
try {
  for (const id of devices) {
    while (!jamStarted.has(id)) await new Promise((r) => setTimeout(r, 5));
    const ms = await ticketLatency(seen, jamStarted.get(id)!, (3 * INTERVAL_S + 2) * 1000);
    const mode = trapped.has(id) ? 'trap' : 'polled';
    if (ms === null) throw new Error(`${mode} trial on ${id}: no ticket within ${3 * INTERVAL_S + 2} s`);
    results[mode].push(ms);
    process.stdout.write(`${mode.padEnd(6)} ${id}: ticket in the API ${(ms / 1000).toFixed(2)} s after the jam\n`);
  }
} finally {
  await agent.stop();
  await app.close();
  await simulator.stop();
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(hardStop);
}

const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${(q(0.5) / 1000).toFixed(2)} s, min ${(s[0]! / 1000).toFixed(2)} s, max ${(s.at(-1)! / 1000).toFixed(2)} s (${s.length} trials)`;
};
process.stdout.write(`\npoll interval ${INTERVAL_S} s, raiseAfter 2 (default)\n`);
process.stdout.write(`jam + trap → ticket in API: ${summary(results.trap)}\n`);
process.stdout.write(`jam, polled only → ticket in API: ${summary(results.polled)}\n`);
