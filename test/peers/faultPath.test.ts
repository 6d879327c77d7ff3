/**
 * One fault, one path, end to end with real programs: snmpsimd serves a real HP Color LaserJet
 * recording whose supply levels are writable (snmpsim's `writecache` variation, driven by
 * `snmpset` from Debian `snmp`); the agent runtime polls it and reports over a real Mosquitto to
 * the server (ingest, fleet state, tickets on the server.yaml ticket windows). Real clocks: the
 * windows are short (quiet period 2 s, agent offline grace 4 s).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConfig } from '../../agent/agentConfig.js';
import { AgentRuntime } from '../../agent/runtime/agentRuntime.js';
import { ProtocolCollector } from '../../agent/runtime/protocolCollector.js';
import { systemClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/logging.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServerApp, type ServerApp } from '../../server/serverApp.js';
import { StoredTicketRepository } from '../../server/tickets/ticketRepository.js';
import type { Ticket } from '../../server/tickets/ticket.js';
import { makeTempDir, requireProgram, startMosquitto, startSnmpsim, waitUntil, type MosquittoPeer, type SnmpsimPeer } from '../harness/peers.js';

const RECORDING = resolve(import.meta.dirname, '../../../shared/corpus/snmprec/jetdirect_m252dw.snmprec');
/** prtMarkerSuppliesLevel.1.<index> of the recording: 1 black, 2 cyan, 3 magenta, 4 yellow. */
const LEVEL = '1.3.6.1.2.1.43.11.1.1.9.1';
const QUIET_MS = 2_000;
const GRACE_MS = 4_000;
const WAIT_MS = 20_000;

const data = makeTempDir('fault-path');
let snmpsim: SnmpsimPeer;
let broker: MosquittoPeer;
let app: ServerApp;
let tickets: StoredTicketRepository;
let agent: AgentRuntime | undefined;
let agentConfig: AgentConfig;
const log = createLogger({ name: 'fault-path', level: (process.env.TEST_LOG as 'debug') ?? 'silent', format: 'json' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setLevel(index: number, percent: number): void {
  execFileSync(
    requireProgram('snmpset', 'snmp'),
    ['-v2c', '-c', 'printer', '-t', '2', '-r', '1', `127.0.0.1:${snmpsim.port}`, `${LEVEL}.${index}`, 'i', String(percent)],
    { stdio: 'pipe' },
  );
}

async function startAgent(): Promise<AgentRuntime> {
  agent = await AgentRuntime.start({
    config: agentConfig,
    collector: new ProtocolCollector(agentConfig, systemClock),
    log,
    version: 'test',
    healthListen: '127.0.0.1:0',
  });
  return agent;
}

const deviceTickets = async (): Promise<Ticket[]> => (await tickets.active()).filter((t) => t.kind === 'device');
const faultsOf = (t: Ticket) => t.faults.map((f) => [f.code, f.subunit?.index ?? null, f.active]);

beforeAll(async () => {
  const dir = join(data.path, 'snmprec');
  execFileSync('mkdir', ['-p', dir]);
  // The four supply levels become writable; everything else is the recording as captured.
  const writable = readFileSync(RECORDING, 'utf8').replace(/^(1\.3\.6\.1\.2\.1\.43\.11\.1\.1\.9\.1\.[1-4])\|2\|(\d+)$/gm, '$1|2:writecache|value=$2');
  writeFileSync(join(dir, 'printer.snmprec'), writable);
  if (process.getuid?.() === 0) chmodSync(data.path, 0o755);
  snmpsim = await startSnmpsim(dir);
  broker = await startMosquitto();
  const config = ServerConfig.parse({
    dataDir: join(data.path, 'server'),
    http: { port: 0 },
    broker: { external: { url: broker.url } },
    ingest: { agentStaleAfter: '1h' },
    fleet: {
      customers: { acme: { name: 'ACME sp. z o.o.', contract: 'device-vendor', contact: { name: 'Anna Nowak' }, tenants: ['acme'] } },
      sites: { waw: { name: 'Warszawa HQ', customer: 'acme', agents: ['acme/agent-1'] } },
    },
    tickets: { quietPeriod: `${QUIET_MS}ms`, agentOfflineGrace: `${GRACE_MS}ms` },
  });
  app = await startServerApp(config, log, { env: {} });
  tickets = new StoredTicketRepository(app.server.repo);
  agentConfig = AgentConfig.parse({
    tenant: 'acme',
    agentId: 'agent-1',
    broker: { url: broker.url, clientId: `fault-path-${process.pid}` },
    snmp: { credentials: [{ version: '2c', community: 'printer' }], timeout: '300ms', retries: 0 },
    ipp: { enabled: false },
    devices: [{ id: 'm252', address: `snmp://printer@127.0.0.1:${snmpsim.port}` }],
    polling: { interval: '500ms', jitter: 0, timeout: '1s', unreachableAfter: 2, maxBackoff: '1s' },
    reporting: { reconnectMin: '100ms', reconnectMax: '500ms' },
    outbox: { dir: join(data.path, 'outbox'), telemetryFsync: '100ms' },
    health: { listen: '127.0.0.1:0' },
    log: { level: 'silent', format: 'json' },
  });
  await startAgent();
  await waitUntil(async () => (await app.server.repo.list('devices')).length === 1, 'the printer in fleet state', WAIT_MS);
}, 120_000);

afterAll(async () => {
  snmpsim?.child.kill('SIGCONT');
  await agent?.stop();
  await app?.close();
  await broker?.stop();
  await snmpsim?.stop();
  data.remove();
});

describe('fault path: printer → agent → server → tickets, real programs', () => {
  it('two cartridges empty, one refilled: the other keeps the ticket open; both refilled: resolved by device', async () => {
    expect(await deviceTickets()).toEqual([]);
    setLevel(2, 0);
    setLevel(3, 0);
    await waitUntil(
      async () => (await deviceTickets()).some((t) => t.faults.filter((f) => f.active).length === 2),
      'one ticket holding both empty cartridges',
      WAIT_MS,
    );
    let [ticket] = await deviceTickets();
    expect(await deviceTickets()).toHaveLength(1);
    expect(ticket!.faults.map((f) => [f.code, f.subunit?.group, f.subunit?.index, f.subunit?.name])).toEqual(
      expect.arrayContaining([
        ['toner.empty', 'markerSupplies', 2, 'Cyan Cartridge HP CF401X'],
        ['toner.empty', 'markerSupplies', 3, 'Magenta Cartridge HP CF403X'],
      ]),
    );

    setLevel(2, 100);
    await waitUntil(async () => (await tickets.get(ticket!.id))!.faults.some((f) => f.subunit?.index === 2 && !f.active), 'cyan cleared', WAIT_MS);
    // Well past the quiet period: magenta is still empty, so the ticket stays open.
    await sleep(2 * QUIET_MS);
    ticket = (await tickets.get(ticket!.id))!;
    expect(ticket.status).toBe('new');
    expect(faultsOf(ticket)).toEqual(expect.arrayContaining([['toner.empty', 3, true]]));

    setLevel(3, 100);
    await waitUntil(async () => (await tickets.get(ticket.id))?.status === 'resolved', 'resolved by device after the quiet period', WAIT_MS);
    expect((await tickets.get(ticket.id))!.resolution).toBe('byDevice');
  }, 90_000);

  it('an agent stopped cleanly and started again within the grace opens no ticket', async () => {
    await agent!.stop();
    await waitUntil(async () => (await tickets.plannedStops()).length === 1, 'the server to hold the clean stop', WAIT_MS);
    await startAgent();
    await waitUntil(async () => (await tickets.plannedStops()).length === 0, 'the agent back online', WAIT_MS);
    await sleep(GRACE_MS + 1_000);
    expect((await tickets.active()).filter((t) => t.kind === 'site')).toEqual([]);
  }, 60_000);

  it('a device unreachable and back several times: every unreachable ticket resolves', async () => {
    const unreachable = async () => (await tickets.active()).filter((t) => t.faults.some((f) => f.code === 'device.unreachable'));
    for (let round = 1; round <= 3; round++) {
      // A frozen snmpsimd answers nothing: polls time out.
      snmpsim.child.kill('SIGSTOP');
      await waitUntil(
        async () => (await unreachable()).some((t) => t.status !== 'resolved' && t.faults.some((f) => f.code === 'device.unreachable' && f.active)),
        `unreachable ticket, round ${round}`,
        WAIT_MS,
      );
      snmpsim.child.kill('SIGCONT');
      await waitUntil(
        async () => (await unreachable()).every((t) => t.faults.every((f) => f.code !== 'device.unreachable' || !f.active)),
        `device back, round ${round}`,
        WAIT_MS,
      );
    }
    await waitUntil(async () => (await unreachable()).every((t) => t.status === 'resolved'), 'every unreachable ticket resolved', WAIT_MS);
    const all = await unreachable();
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((t) => t.resolution === 'byDevice')).toBe(true);
    const devices = await app.server.repo.list<{ reachable: boolean }>('devices');
    expect(devices.map((d) => d.reachable)).toEqual([true]);
  }, 120_000);
});
