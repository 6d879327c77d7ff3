/**
 * The real thing end to end: `./bin/fleetdesk.mjs agent --config …` (real SNMP collector) polling
 * the project simulator, reporting to a real Mosquitto. The broker goes away while a jam is
 * raised and cleared on the devices, and the agent is killed -9 in the middle of the outage.
 * Every event must arrive exactly once after de-duplication by id, in order per device.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startSimulator } from '../../agent/simulator/simulator.js';
import { createLogger } from '../../shared/logging.js';
import type { DeviceEventMessage } from '../../shared/wire/messages.js';
import { makeTempDir, waitUntil } from '../harness/peers.js';
import { agentYaml, RestartableBroker, Subscriber } from './agentFixtures/brokerRig.js';

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

function spawnAgent(configPath: string): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bin/run.ts'), 'agent', '--config', configPath], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: () => string };
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-16000)));
  child.stderr?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-16000)));
  child.output = () => out;
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function key(e: DeviceEventMessage): string {
  const ev = e.event;
  if (ev.kind === 'fault.raised' || ev.kind === 'fault.cleared')
    return `${ev.fault.code}|${ev.fault.subunit?.group ?? ''}|${ev.fault.subunit?.index ?? ''}|${ev.firstSeen}`;
  return ev.kind;
}

it('reports a jam raised and cleared during a broker outage with an agent crash in between, exactly once', async () => {
  const sim = await startSimulator({
    devices: 3,
    models: ['hp-laserjet'],
    ippPort: false,
    scenario: { name: 'jam-window', events: [{ action: 'raise', condition: 'jammed', at: '4s', until: '10s' }] },
    logger: createLogger({ name: 'sim', level: 'silent', format: 'json' }),
  }).catch(async () =>
    // Model names may differ between simulator versions: fall back to the default catalogue.
    startSimulator({
      devices: 3,
      ippPort: false,
      scenario: { name: 'jam-window', events: [{ action: 'raise', condition: 'jammed', at: '4s', until: '10s' }] },
      logger: createLogger({ name: 'sim', level: 'silent', format: 'json' }),
    }),
  );
  cleanups.push(() => sim.stop());
  const tmp = makeTempDir('agent-sim');
  cleanups.push(() => tmp.remove());
  const broker = await RestartableBroker.create();
  cleanups.push(() => broker.dispose());
  await broker.start();
  const sub = await Subscriber.connect(broker.url, 'fleetdesk/v1/t1/a1/#');
  cleanups.push(() => sub.close());
  const configPath = join(tmp.path, 'agent.yaml');
  const devices = sim.devices.map((d) => ({ id: d.id, address: `snmp://${d.community}@127.0.0.1:${sim.snmpPort}` }));
  writeFileSync(configPath, agentYaml({ brokerUrl: broker.url, outboxDir: join(tmp.path, 'outbox'), devices }).replace('interval: 200ms', 'interval: 500ms'));

  let agent = spawnAgent(configPath);
  await waitUntil(() => sub.unique('device.state').length >= 3, `the state of all three devices`, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${agent.output()}`);
  });
  await broker.stop();
  await waitUntil(() => sim.deviceState(sim.devices[0]!.id)!.faults.length > 0, 'the simulated jam', 15_000);
  await sleep(2500); // several polls: the jam is confirmed and queued
  await kill9(agent);
  agent = spawnAgent(configPath);
  await waitUntil(() => sim.deviceState(sim.devices[0]!.id)!.faults.length === 0, 'the jam to clear', 15_000);
  await sleep(3000); // the clear is confirmed and queued
  await broker.start();

  await waitUntil(
    () => sub.unique('device.event').filter((e) => e.event.kind === 'fault.cleared').length >= 3,
    'raised and cleared events of all devices',
    30_000,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}\nreceived: ${JSON.stringify(sub.unique('device.event').map((e) => [e.deviceId, key(e), e.event.kind]))}\n${agent.output()}`,
    );
  });
  await sleep(1000);
  const events = sub.unique('device.event');
  for (const d of sim.devices) {
    const mine = events.filter((e) => e.deviceId === d.id);
    // In order, and nothing reported twice under different ids.
    expect(mine.map((e) => e.seq)).toEqual([...mine.map((e) => e.seq)].sort((a, b) => a - b));
    const raised = mine.filter((e) => e.event.kind === 'fault.raised').map(key);
    const cleared = mine.filter((e) => e.event.kind === 'fault.cleared').map(key);
    expect(new Set(raised).size).toBe(raised.length);
    expect([...cleared].sort()).toEqual([...raised].sort());
    expect(raised.some((k) => k.startsWith('jam|'))).toBe(true);
    expect(mine.filter((e) => e.event.kind === 'device.unreachable')).toEqual([]);
    const firstClear = mine.findIndex((e) => e.event.kind === 'fault.cleared');
    const lastRaise = mine.map((e) => e.event.kind).lastIndexOf('fault.raised');
    expect(lastRaise).toBeLessThan(firstClear);
  }
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  expect(agent.exitCode).toBe(0);
  await waitUntil(() => sub.unique('agent.status').some((s) => s.state === 'offline' && s.reason === 'shutdown'), 'the shutdown status');
});
