/**
 * Planned stops are not outages: `fleetdesk agent` (the real command, as systemd runs it) told to
 * stop by SIGTERM or SIGINT first delivers what its outbox holds, then publishes the retained
 * `agent.status` offline with reason `shutdown`, then disconnects cleanly, so Mosquitto does not
 * publish the last will. A kill -9 leaves the broker to publish the will (reason `will`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../agent/outbox/outbox.js';
import type { AgentStatusMessage } from '../../shared/wire/messages.js';
import { freeUdpPort, makeTempDir, waitUntil } from '../harness/peers.js';
import { RestartableBroker, Subscriber } from './agentFixtures/brokerRig.js';

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

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

/** Two devices on loopback ports where nothing answers: each poll fails, and device.unreachable follows. */
async function rig() {
  const tmp = makeTempDir('agent-shutdown');
  cleanups.push(() => tmp.remove());
  const broker = await RestartableBroker.create();
  cleanups.push(() => broker.dispose());
  await broker.start();
  const sub = await Subscriber.connect(broker.url, 'fleetdesk/v1/t1/a1/#');
  cleanups.push(() => sub.close());
  const outboxDir = join(tmp.path, 'outbox');
  const configPath = join(tmp.path, 'agent.yaml');
  const [p1, p2] = [await freeUdpPort(), await freeUdpPort()];
  writeFileSync(
    configPath,
    [
      'tenant: t1',
      'agentId: a1',
      'broker:',
      `  url: ${broker.url}`,
      `  clientId: agent-shutdown-${process.pid}-${Date.now()}`,
      '  keepaliveSeconds: 5',
      'devices:',
      `  - { id: d1, address: "127.0.0.1:${p1}" }`,
      `  - { id: d2, address: "127.0.0.1:${p2}" }`,
      'snmp: { timeout: 200ms, retries: 0 }',
      'polling: { interval: 200ms, jitter: 0.1, timeout: 1s, unreachableAfter: 2, maxBackoff: 1s }',
      'reporting: { reconnectMin: 100ms, reconnectMax: 300ms }',
      `outbox: { dir: "${outboxDir}", telemetryFsync: 100ms }`,
      'health: { listen: "127.0.0.1:0" }',
      'log: { level: warn, format: json }',
      '',
    ].join('\n'),
  );
  return { broker, sub, configPath, outboxDir };
}

const statuses = (sub: Subscriber): AgentStatusMessage[] => sub.unique('agent.status');

describe('agent stop and crash, against Mosquitto', () => {
  it('SIGTERM: the queued events reach the broker first, then offline/shutdown; no last will; a restart is born again', async () => {
    const r = await rig();
    // The broker is away while the devices fail: the unreachable events wait in the outbox.
    await r.broker.stop();
    let agent = spawnAgent(r.configPath);
    await new Promise((res) => setTimeout(res, 4000)); // start-up (tsx) and several failed polls
    await r.broker.start();
    await waitUntil(() => statuses(r.sub).some((s) => s.state === 'online'), 'the birth message after the broker returned', 20_000);
    agent.kill('SIGTERM');
    const exit = await exited(agent);
    expect(exit, agent.output()).toEqual({ code: 0, signal: null });
    await waitUntil(() => statuses(r.sub).some((s) => s.state === 'offline'), 'the offline status', 10_000);
    await new Promise((res) => setTimeout(res, 1000)); // a last will, if any, would arrive now

    const events = r.sub.unique('device.event');
    expect(events.map((e) => `${e.deviceId}:${e.event.kind}`).sort()).toEqual(['d1:device.unreachable', 'd2:device.unreachable']);
    // Everything the outbox held was delivered before the goodbye: it is empty on disk.
    const outbox = Outbox.open({ dir: r.outboxDir, maxBytes: 64 * 1024 * 1024 });
    try {
      expect(outbox.stats().byLane.events.records).toBe(0);
    } finally {
      outbox.close();
    }
    const offline = statuses(r.sub).filter((s) => s.state === 'offline');
    expect(offline.map((s) => s.reason)).toEqual(['shutdown']);
    const order = r.sub.received.map((x) => x.message).filter((m) => m.type === 'device.event' || (m.type === 'agent.status' && m.state === 'offline'));
    expect(order.at(-1)).toMatchObject({ type: 'agent.status', reason: 'shutdown' });

    agent = spawnAgent(r.configPath);
    await waitUntil(() => statuses(r.sub).filter((s) => s.state === 'online').length >= 2, 'a new birth after the restart', 20_000);
    agent.kill('SIGINT');
    expect((await exited(agent)).code).toBe(0);
    await waitUntil(() => statuses(r.sub).filter((s) => s.reason === 'shutdown').length >= 2, 'offline/shutdown after SIGINT', 10_000);
    expect(statuses(r.sub).some((s) => s.reason === 'will')).toBe(false);
  });

  it('kill -9: the broker publishes the last will, reason will', async () => {
    const r = await rig();
    const agent = spawnAgent(r.configPath);
    await waitUntil(() => statuses(r.sub).some((s) => s.state === 'online'), 'the birth message', 20_000);
    agent.kill('SIGKILL');
    await exited(agent);
    await waitUntil(() => statuses(r.sub).some((s) => s.state === 'offline'), 'the last will', 15_000);
    expect(
      statuses(r.sub)
        .filter((s) => s.state === 'offline')
        .map((s) => s.reason),
    ).toEqual(['will']);
  });
});
