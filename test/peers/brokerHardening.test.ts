/**
 * Hostile clients against the embedded broker, on loopback: a retained flood, a client-id takeover,
 * far-future timestamps, a login flood, a port in use and an anonymous broker on a network address.
 * The flood and the start failures run the real `fleetdesk server` process (RSS, exit codes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAgentToken } from '../../server/broker/credentials.js';
import { issueAgentToken } from '../harness/agentCredentials.js';
import type { AgentRecord, DeviceRecord } from '../../server/fleet/fleetModel.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { createLogger } from '../../shared/logging.js';
import { freeTcpPort, makeTempDir, startPeer, tcpAnswers, waitUntil, type PeerProcess } from '../harness/peers.js';
import { REPO_ROOT } from '../harness/repo.js';
import { bytes, stateMsg, statusMsg, telemetryMsg, topicOf } from '../unit/server/wireFixtures.js';

const temps: { remove: () => void }[] = [];
const clients: MqttClient[] = [];
let server: RunningServer | undefined;
let peer: PeerProcess | undefined;

afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  await server?.close();
  server = undefined;
  await peer?.stop();
  peer = undefined;
});
afterAll(() => {
  for (const t of temps) t.remove();
});

function tempDir(prefix: string): string {
  const t = makeTempDir(prefix);
  temps.push(t);
  return t.path;
}

async function startInProcess(dataDir: string, lines?: string[]): Promise<RunningServer> {
  const config = ServerConfig.parse({ dataDir, broker: { embedded: { port: 0 } }, http: { port: 0 } });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines?.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  server = await startServer(config, lines ? pino({ level: 'info' }, sink) : createLogger({ name: 'test', level: 'silent' }));
  return server;
}

function connect(port: number, options: IClientOptions): Promise<{ client: MqttClient; error?: Error }> {
  return new Promise((resolve) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4, ...options });
    clients.push(client);
    client.once('connect', () => resolve({ client }));
    client.once('error', (error) => resolve({ client, error }));
  });
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

function runServerCommand(configFile: string): { status: number | null; stderr: string } {
  const r = spawnSync('node', [join(REPO_ROOT, 'bin/fleetdesk.mjs'), 'server', '--config', configFile], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, FLEETDESK_LOG_LEVEL: 'error' },
  });
  return { status: r.status, stderr: r.stderr };
}

describe('retained messages', () => {
  it('keeps no rejected payload and stays within its budget: memory stays bounded under a flood of 2 MB retained publishes', async () => {
    const dir = tempDir('retained');
    const mqttPort = await freeTcpPort();
    const httpPort = await freeTcpPort();
    const configFile = join(dir, 'server.yaml');
    writeFileSync(
      configFile,
      [
        `dataDir: ${dir}/data`,
        'broker:',
        '  embedded:',
        `    port: ${mqttPort}`,
        '    allowAnonymous: true',
        '    retained:',
        '      maxMessages: 5',
        'http:',
        `  port: ${httpPort}`,
        '',
      ].join('\n'),
    );
    const token = await issueAgentToken(configFile, { tenant: 'acme', agentId: 'a1' });
    peer = await startPeer({
      name: 'fleetdesk-server',
      program: 'node',
      debPackage: 'nodejs',
      args: [join(REPO_ROOT, 'bin/fleetdesk.mjs'), 'server', '--config', configFile],
      port: httpPort,
      env: { FLEETDESK_LOG_LEVEL: 'error' },
      ready: () => tcpAnswers(httpPort),
      timeoutMs: 30_000,
    });
    const { client: agent } = await connect(mqttPort, { clientId: 'acme/a1', username: 'acme/a1', password: token });
    const before = rssBytes(peer.child.pid!);

    // 150 × 2 MB of junk, retained, each on its own topic: ingest rejects them (too large), so none is kept.
    const junk = Buffer.alloc(2 * 1024 * 1024, 0x61);
    for (let i = 0; i < 150; i++) await agent.publishAsync(`fleetdesk/v1/acme/a1/devices/junk${i}/state`, junk, { qos: 1, retain: true });
    // 8 valid retained snapshots: the budget (5) keeps the first five.
    for (let d = 0; d < 8; d++) {
      const m = stateMsg('acme', 'a1', `p${d}`, { identity: { serial: `SN-${d}` } });
      await agent.publishAsync(topicOf(m), bytes(m), { qos: 1, retain: true });
    }
    const after = rssBytes(peer.child.pid!);
    // 300 MB went through; without the fix all of it stayed in the broker's memory.
    expect(after - before).toBeLessThan(150 * 1024 * 1024);

    const { client: subscriber } = await connect(mqttPort, { clientId: 'watcher' });
    const retained: string[] = [];
    subscriber.on('message', (topic, _payload, packet) => {
      if (packet.retain) retained.push(topic);
    });
    await subscriber.subscribeAsync('fleetdesk/v1/#', { qos: 1 });
    await waitUntil(() => retained.length >= 5, 'the retained snapshots', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(retained.sort()).toEqual([0, 1, 2, 3, 4].map((d) => `fleetdesk/v1/acme/a1/devices/p${d}/state`));
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/fleetdesk_broker_retained_refused_total 3\b/);
    expect(metrics).toMatch(/fleetdesk_messages_rejected_total\{reason="too-large"\} 150\b/);
  });
});

describe('client id bound to the credential', () => {
  it("refuses another tenant's credential with an agent's client id and leaves that agent connected", async () => {
    const dir = tempDir('takeover');
    const s = await startInProcess(dir);
    const tokenA = await createAgentToken(s.repo, { tenant: 'acme', agentId: 'a1' }, new Date());
    const tokenB = await createAgentToken(s.repo, { tenant: 'other', agentId: 'b1' }, new Date());
    const victim = await connect(s.mqttPort!, { clientId: 'acme/a1', username: 'acme/a1', password: tokenA });
    expect(victim.error).toBeUndefined();
    let victimClosed = false;
    victim.client.on('close', () => (victimClosed = true));

    const thief = await connect(s.mqttPort!, { clientId: 'acme/a1', username: 'other/b1', password: tokenB });
    expect(thief.error?.message).toMatch(/Identifier rejected/i);
    expect(s.metrics.authFailures.get({ reason: 'client-id' })).toBe(1);
    // The victim's session is untouched: it still publishes and is acknowledged.
    const m = stateMsg('acme', 'a1', 'p1');
    await victim.client.publishAsync(topicOf(m), bytes(m), { qos: 1 });
    expect(victimClosed).toBe(false);
    // B with its own id is fine.
    expect((await connect(s.mqttPort!, { clientId: 'other/b1', username: 'other/b1', password: tokenB })).error).toBeUndefined();
  });
});

describe('far-future timestamps', () => {
  it('do not freeze a device or an agent: honest messages after one dated 9999-12-31 are applied', async () => {
    const dir = tempDir('future');
    const s = await startInProcess(dir);
    const token = await createAgentToken(s.repo, { tenant: 'acme', agentId: 'a1' }, new Date());
    const { client } = await connect(s.mqttPort!, { clientId: 'acme/a1', username: 'acme/a1', password: token });
    const now = () => new Date().toISOString();
    const send = async (m: Parameters<typeof topicOf>[0]) => client.publishAsync(topicOf(m), bytes(m), { qos: 1 });
    await send(stateMsg('acme', 'a1', 'p1', { collectedAt: now() }));
    await send(telemetryMsg('acme', 'a1', 'p1', 5000, '9999-12-31T23:59:59Z'));
    await send(statusMsg('acme', 'a1', 'online', '9999-12-31T23:59:59Z'));
    await send(telemetryMsg('acme', 'a1', 'p1', 5100, now()));
    await send(statusMsg('acme', 'a1', 'offline', now(), 'shutdown'));
    const device = (await s.repo.list<DeviceRecord>('devices'))[0]!;
    expect(device.counters.total).toBe(5100);
    expect(Date.parse(device.collectedAt!)).toBeLessThanOrEqual(Date.now());
    expect((await s.repo.get<AgentRecord>('agents', 'acme/a1'))?.state).toBe('offline');
    expect(s.metrics.stale.get({ type: 'device.telemetry' })).toBe(0);
  });
});

describe('login flood', () => {
  it('answers every wrong password alike, checks only a few, logs one summary line per window, and lets the real agent back in', async () => {
    const dir = tempDir('flood');
    const lines: string[] = [];
    const s = await startInProcess(dir, lines);
    const token = await createAgentToken(s.repo, { tenant: 'acme', agentId: 'a1' }, new Date());
    // The real agent is connected before the flood (its token is then known).
    const real = await connect(s.mqttPort!, { clientId: 'acme/a1', username: 'acme/a1', password: token });
    expect(real.error).toBeUndefined();

    const username = (i: number) => (i % 2 === 0 ? 'acme/a1' : `acme/nobody${i}`);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => connect(s.mqttPort!, { clientId: username(i), username: username(i), password: `guess-${i}` })),
    );
    expect(answers.map((a) => a.error?.message.replace(/^Connection refused: /, ''))).toEqual(Array.from({ length: 30 }, () => 'Bad username or password'));
    const checked = s.metrics.authFailures.get({ reason: 'bad-credentials' });
    const throttled = s.metrics.authFailures.get({ reason: 'throttled' });
    expect(checked + throttled).toBe(30);
    expect(checked).toBeLessThanOrEqual(10);
    // Sequential guesses after the flood hit the per-address limit.
    for (let i = 0; i < 12; i++) await connect(s.mqttPort!, { clientId: 'acme/a1', username: 'acme/a1', password: `again-${i}` });
    expect(s.metrics.authFailures.get({ reason: 'bad-credentials' })).toBeLessThanOrEqual(10);

    // The real agent reconnects with its token, unaffected by the throttle.
    await real.client.endAsync(true);
    expect((await connect(s.mqttPort!, { clientId: 'acme/a1', username: 'acme/a1', password: token })).error).toBeUndefined();

    await s.close();
    server = undefined;
    // One summary line per 10 s window (the test spans one or two windows, plus the last at close), never one per failure.
    const refusals = lines.map((l) => JSON.parse(l) as { msg: string; failures?: number }).filter((l) => /refused/i.test(l.msg));
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.length).toBeLessThanOrEqual(3);
    for (const r of refusals) expect(r.msg).toMatch(new RegExp(`^${r.failures} MQTT logins refused in the last 10 s \\(`));
    expect(refusals.reduce((sum, r) => sum + (r.failures ?? 0), 0)).toBe(42);
  });
});

describe('start failures exit non-zero with a message', () => {
  it('MQTT port in use', async () => {
    const dir = tempDir('port');
    const blocker: Server = createServer();
    const port = await freeTcpPort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const configFile = join(dir, 'server.yaml');
      writeFileSync(
        configFile,
        [`dataDir: ${dir}/data`, 'broker:', '  embedded:', `    port: ${port}`, 'http:', `  port: ${await freeTcpPort()}`, ''].join('\n'),
      );
      const r = runServerCommand(configFile);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`fleetdesk: cannot listen for MQTT on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('HTTP port in use', async () => {
    const dir = tempDir('port-http');
    const blocker: Server = createServer();
    const port = await freeTcpPort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const configFile = join(dir, 'server.yaml');
      writeFileSync(
        configFile,
        [`dataDir: ${dir}/data`, 'broker:', '  embedded:', `    port: ${await freeTcpPort()}`, 'http:', `  port: ${port}`, ''].join('\n'),
      );
      const r = runServerCommand(configFile);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`fleetdesk: cannot listen for HTTP on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('a TLS certificate file that cannot be read', () => {
    const dir = tempDir('tls');
    const configFile = join(dir, 'server.yaml');
    writeFileSync(
      configFile,
      [
        `dataDir: ${dir}/data`,
        'broker:',
        '  embedded:',
        '    port: 0',
        '    tls:',
        '      port: 0',
        `      cert: ${dir}/missing.crt`,
        `      key: ${dir}/missing.key`,
        'http:',
        '  port: 0',
        '',
      ].join('\n'),
    );
    const r = runServerCommand(configFile);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot read the TLS certificate file ${dir}/missing.crt: ENOENT`);
  });

  it('an anonymous broker on 0.0.0.0 is refused unless allowAnonymousOnNetwork is set', () => {
    const dir = tempDir('anon');
    const configFile = join(dir, 'server.yaml');
    writeFileSync(
      configFile,
      [`dataDir: ${dir}/data`, 'broker:', '  embedded:', '    host: 0.0.0.0', '    port: 0', '    allowAnonymous: true', 'http:', '  port: 0', ''].join('\n'),
    );
    const r = runServerCommand(configFile);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `${configFile}:6:21: broker.embedded.allowAnonymous: expected false on 0.0.0.0: anonymous access there lets anyone on the network publish as any agent`,
    );
  });
});
