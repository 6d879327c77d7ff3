/**
 * The agent against a real Mosquitto: broker outages, agent crashes (kill -9) during an outage,
 * hostile devices, an unreachable broker at start and a full disk. The subscriber must see every
 * event exactly once after de-duplication by id, in order per device.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../agent/agentConfig.js';
import { AgentRuntime } from '../../agent/runtime/agentRuntime.js';
import { createLogger } from '../../shared/logging.js';
import type { DeviceEventMessage } from '../../shared/wire/messages.js';
import { makeTempDir, waitUntil } from '../harness/peers.js';
import { agentYaml, eventsByDevice, RestartableBroker, Subscriber } from './agentFixtures/brokerRig.js';
import { ScriptedCollector, writeScript, type Script } from './agentFixtures/scriptedCollector.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch {
      // keep cleaning
    }
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FILTER = 'fleetdesk/v1/t1/a1/#';

async function subscribe(url: string): Promise<Subscriber> {
  const sub = await Subscriber.connect(url, FILTER);
  cleanups.push(() => sub.close());
  return sub;
}

async function rig(devices: { id: string; address: string }[], script: Script) {
  const r = await rigWithoutSubscriber(devices, script);
  return { ...r, sub: await subscribe(r.broker.url) };
}

/** The broker runs, but nobody has subscribed yet (a FleetDesk server that has never connected to it). */
async function rigWithoutSubscriber(devices: { id: string; address: string }[], script: Script) {
  const tmp = makeTempDir('agent-peer');
  cleanups.push(() => tmp.remove());
  const broker = await RestartableBroker.create();
  cleanups.push(() => broker.dispose());
  await broker.start();
  const scriptPath = join(tmp.path, 'script.json');
  writeScript(scriptPath, script);
  const configPath = join(tmp.path, 'agent.yaml');
  writeFileSync(configPath, agentYaml({ brokerUrl: broker.url, outboxDir: join(tmp.path, 'outbox'), devices }));
  return { tmp, broker, scriptPath, configPath };
}

async function startInProcess(configPath: string, scriptPath: string): Promise<AgentRuntime> {
  const config = loadAgentConfig(configPath);
  const log = createLogger({ name: 'agent', level: 'silent', format: 'json' });
  const rt = await AgentRuntime.start({ config, collector: new ScriptedCollector(scriptPath), log, version: 'test' });
  cleanups.push(() => rt.stop());
  return rt;
}

function spawnAgent(configPath: string, scriptPath: string): ChildProcess {
  // One process (node --import tsx), so that SIGKILL hits the agent itself.
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/peers/agentFixtures/scriptedAgent.ts'), configPath, scriptPath], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-8000)));
  child.stderr?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-8000)));
  (child as ChildProcess & { output: () => string }).output = () => out;
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Each device's events arrive in seq order (after de-duplication by id). */
function expectOrderedPerDevice(events: DeviceEventMessage[]): void {
  const last = new Map<string, number>();
  for (const e of events) {
    expect(e.seq, `seq of ${e.deviceId} must increase`).toBeGreaterThan(last.get(e.deviceId) ?? -1);
    last.set(e.deviceId, e.seq);
  }
}

const healthy: Script = { devices: { d1: { toner: 80 }, d2: { toner: 50 } } };
const twoDevices = [
  { id: 'd1', address: '127.0.0.1:20001' },
  { id: 'd2', address: '127.0.0.1:20002' },
];
const expected = { d1: ['fault.raised:jam', 'fault.cleared:jam'], d2: ['supply.changed:ok->low'] };

describe('agent ↔ Mosquitto', () => {
  it('queues events while the broker is down and delivers each exactly once, in order, when it returns', async () => {
    const r = await rig(twoDevices, healthy);
    const rt = await startInProcess(r.configPath, r.scriptPath);
    const produced: string[] = [];
    const append = rt.outbox.append.bind(rt.outbox);
    rt.outbox.append = (lane, items) => {
      if (lane === 'events') produced.push(...items.map((i) => i.message.id));
      return append(lane, items);
    };
    await waitUntil(() => r.sub.unique('device.state').length >= 2, 'retained state of both devices');
    expect(r.sub.unique('agent.status')[0]).toMatchObject({ state: 'online', reason: 'birth' });

    await r.broker.stop();
    writeScript(r.scriptPath, { devices: { d1: { toner: 80, faults: ['jam'] }, d2: { toner: 50 } } });
    await waitUntil(() => rt.outbox.stats().byLane.events.records >= 1, 'the jam to be queued in the outbox', 10_000);
    writeScript(r.scriptPath, { devices: { d1: { toner: 80 }, d2: { toner: 5 } } });
    await waitUntil(() => rt.outbox.stats().byLane.events.records >= 3, 'clear and low toner to be queued', 10_000);
    expect(rt.publisher.stats().connected).toBe(false);

    await r.broker.start();
    await waitUntil(() => r.sub.unique('device.event').length >= 3, 'the queued events to arrive', 20_000);
    await sleep(500);
    const events = r.sub.unique('device.event');
    expect(eventsByDevice(events)).toEqual(expected);
    expect(events.map((e) => e.id).sort()).toEqual([...produced].sort());
    expectOrderedPerDevice(events);
    await waitUntil(() => rt.outbox.stats().byLane.events.records === 0, 'the outbox to empty');
  });

  it('keeps events the broker had no subscriber for (no server session yet) and delivers them once one subscribes', async () => {
    const r = await rigWithoutSubscriber(twoDevices, healthy);
    const rt = await startInProcess(r.configPath, r.scriptPath);
    // Mosquitto answers "no matching subscribers" (0x10) and keeps no copy: the telemetry must stay in the outbox.
    await waitUntil(() => rt.publisher.stats().waitingForSubscriberSince !== null, 'the agent to notice that nobody subscribes', 15_000);
    writeScript(r.scriptPath, { devices: { d1: { toner: 80, faults: ['jam'] }, d2: { toner: 50 } } });
    await waitUntil(() => rt.outbox.stats().byLane.events.records >= 1, 'the jam held in the outbox', 10_000);
    writeScript(r.scriptPath, { devices: { d1: { toner: 80 }, d2: { toner: 5 } } });
    await waitUntil(() => rt.outbox.stats().byLane.events.records >= 3, 'jam, clear and low toner held in the outbox', 15_000);
    expect(rt.publisher.stats()).toMatchObject({ connected: true });
    const health = JSON.parse((await httpGet(rt.healthPort!, '/healthz')).body) as { broker: { waitingForSubscriberSince: string | null } };
    expect(health.broker.waitingForSubscriberSince).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await httpGet(rt.healthPort!, '/metrics')).body).toMatch(/^fleetdesk_agent_broker_waiting_for_subscriber 1$/m);

    const sub = await subscribe(r.broker.url);
    await waitUntil(() => sub.unique('device.event').length >= 3, 'the held events to arrive', 20_000);
    await sleep(500);
    const events = sub.unique('device.event');
    expect(eventsByDevice(events)).toEqual(expected);
    expectOrderedPerDevice(events);
    await waitUntil(() => rt.outbox.stats().byLane.events.records === 0, 'the outbox to empty');
    expect(rt.publisher.stats().waitingForSubscriberSince).toBeNull();
    expect((await httpGet(rt.healthPort!, '/metrics')).body).toMatch(/^fleetdesk_agent_broker_waiting_for_subscriber 0$/m);
  });

  it('loses nothing when the agent is killed -9 during the outage and restarted', async () => {
    const r = await rig(twoDevices, healthy);
    let child = spawnAgent(r.configPath, r.scriptPath);
    await waitUntil(() => r.sub.unique('device.state').length >= 2, 'retained state of both devices', 30_000);
    await r.broker.stop();

    writeScript(r.scriptPath, { devices: { d1: { toner: 80, faults: ['jam'] }, d2: { toner: 50 } } });
    await sleep(1500); // ~7 polls: the jam is confirmed and written to the outbox
    await kill9(child);

    writeScript(r.scriptPath, { devices: { d1: { toner: 80 }, d2: { toner: 5 } } });
    child = spawnAgent(r.configPath, r.scriptPath);
    await sleep(4000); // start-up plus ~7 polls: clear and low toner confirmed
    await kill9(child);

    child = spawnAgent(r.configPath, r.scriptPath);
    await sleep(1500);
    await r.broker.start();
    await waitUntil(() => r.sub.unique('device.event').length >= 3, 'the queued events to arrive', 30_000);
    await sleep(1000);
    const events = r.sub.unique('device.event');
    expect(eventsByDevice(events), (child as ChildProcess & { output: () => string }).output()).toEqual(expected);
    expectOrderedPerDevice(events);
    // Sequence numbers never went backwards across the crashes, for any message type.
    const states = r.sub.unique('device.state').filter((s) => s.deviceId === 'd1');
    expect(states.at(-1)!.seq).toBeGreaterThan(events.find((e) => e.deviceId === 'd1')!.seq);
  });

  it('copes with hostile devices and a broker that is away at start', async () => {
    const script: Script = { devices: { d1: { faults: ['jam'] }, d2: { garbage: true }, d3: { hang: true } } };
    const r = await rig(
      [
        { id: 'd1', address: '127.0.0.1:20001' },
        { id: 'd2', address: '127.0.0.1:20002' },
        { id: 'd3', address: '127.0.0.1:20003' },
      ],
      script,
    );
    await r.broker.stop(); // the subscriber's session is kept in the broker's persistence
    const rt = await startInProcess(r.configPath, r.scriptPath);
    const port = rt.healthPort!;
    await waitUntil(() => rt.outbox.stats().byLane.events.records >= 3, 'events for all three devices', 15_000);
    const health = await httpGet(port, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ ok: true, broker: { connected: false }, devices: 3 });

    await r.broker.start();
    await waitUntil(() => r.sub.unique('device.event').length >= 3, 'the events to arrive', 20_000);
    const events = r.sub.unique('device.event');
    const byDevice = eventsByDevice(events);
    expect(byDevice.d1).toEqual(['fault.raised:jam']);
    expect(byDevice.d2).toEqual(['device.unreachable']);
    expect(byDevice.d3).toEqual(['device.unreachable']);
    const reason = (id: string) => {
      const e = events.find((x) => x.deviceId === id)!.event;
      return e.kind === 'device.unreachable' ? e.lastError : '';
    };
    expect(reason('d2')).toMatch(/data the agent cannot use: .*address/);
    expect(reason('d3')).toMatch(/no answer within 1000 ms/);
    const metrics = await httpGet(port, '/metrics');
    expect(metrics.body).toMatch(/^fleetdesk_agent_invalid_snapshots_total [1-9]\d*$/m);
    expect(metrics.body).toMatch(/^fleetdesk_agent_poll_timeouts_total [1-9]\d*$/m);
    expect(metrics.body).toMatch(/^fleetdesk_agent_broker_connected 1$/m);
    expect(metrics.body).toMatch(/^fleetdesk_agent_poll_duration_seconds_count \d+$/m);
  });

  it('reports a full disk, keeps delivering, and recovers (tmpfs; needs root to mount)', async () => {
    expect(process.getuid?.(), 'this test mounts a 512 KiB tmpfs and must run as root').toBe(0);
    const r = await rig([{ id: 'd1', address: '127.0.0.1:20001' }], { devices: { d1: {} } });
    const small = join(r.tmp.path, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', small]);
    cleanups.push(() => {
      execFileSync('umount', ['-l', small]);
    });
    writeFileSync(r.configPath, agentYaml({ brokerUrl: r.broker.url, outboxDir: join(small, 'outbox'), devices: [{ id: 'd1', address: '127.0.0.1:20001' }] }));
    const rt = await startInProcess(r.configPath, r.scriptPath);
    await waitUntil(() => r.sub.unique('device.state').length >= 1, 'the device state');
    await r.broker.stop();
    // Fill the file system to the last byte.
    const fd = openSync(join(small, 'filler'), 'w');
    try {
      const chunk = Buffer.alloc(16 * 1024);
      for (let i = 0; i < 64; i++) writeSync(fd, chunk);
    } catch {
      // ENOSPC: full
    } finally {
      closeSync(fd);
    }
    writeScript(r.scriptPath, { devices: { d1: { faults: ['jam'] } } });
    await waitUntil(async () => (await httpGet(rt.healthPort!, '/healthz')).status === 503, 'health to report the write failure', 10_000);
    const health = JSON.parse((await httpGet(rt.healthPort!, '/healthz')).body) as { outbox: { lastWriteError: string } };
    expect(health.outbox.lastWriteError).toMatch(/ENOSPC/);
    await r.broker.start();
    await waitUntil(() => r.sub.unique('device.event').length >= 1, 'the event held in memory to be delivered', 20_000);
    expect(eventsByDevice(r.sub.unique('device.event'))).toEqual({ d1: ['fault.raised:jam'] });
    // Space again: the outbox writes to disk again and health recovers.
    execFileSync('rm', ['-f', join(small, 'filler')]);
    writeScript(r.scriptPath, { devices: { d1: {} } });
    await waitUntil(async () => (await httpGet(rt.healthPort!, '/healthz')).status === 200, 'health to recover', 10_000);
    await waitUntil(() => eventsByDevice(r.sub.unique('device.event')).d1?.length === 2, 'the clear event', 10_000);
  });
});
