/**
 * The wired runtime with a fake collector, a manual clock and no broker (connection refused on
 * a loopback port): polls → change detection → outbox, across a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfig } from '../../../agent/agentConfig.js';
import type { Collector, CollectResult } from '../../../agent/runtime/collector.js';
import { AgentRuntime } from '../../../agent/runtime/agentRuntime.js';
import type { PollTarget } from '../../../agent/runtime/targets.js';
import { createLogger } from '../../../shared/logging.js';
import type { DeviceSnapshot, Fault } from '../../../shared/snapshot.js';
import type { DeviceEventMessage } from '../../../shared/wire/messages.js';
import { ManualClock } from '../../harness/manualClock.js';
import { freeTcpPort, freeUdpPort, makeTempDir, waitUntil } from '../../harness/peers.js';
import snmp from 'net-snmp';
import { startTrapListener } from '../../../agent/traps/trapListener.js';

const jam: Fault = { code: 'jam', severity: 'critical', source: 'prtAlert', message: 'Jam' };

class FakeCollector implements Collector {
  faults: Fault[] = [];
  mode: 'ok' | 'fail' | 'garbage' = 'ok';
  calls = 0;
  constructor(private readonly clock: ManualClock) {}
  collect(target: PollTarget): Promise<CollectResult> {
    this.calls++;
    if (this.mode === 'fail') return Promise.resolve({ ok: false, error: 'request timed out' });
    if (this.mode === 'garbage') return Promise.resolve({ ok: true, snapshot: { address: '' } as unknown as DeviceSnapshot });
    return Promise.resolve({
      ok: true,
      snapshot: {
        address: target.address,
        protocols: ['snmp'],
        collectedAt: new Date(this.clock.now()).toISOString(),
        identity: { serial: 'SN1' },
        status: 'idle',
        faults: this.faults,
        supplies: [],
        inputs: [],
        counters: { total: 1 },
      },
    });
  }
}

const dirs: { remove: () => void }[] = [];
const runtimes: AgentRuntime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.stop();
  for (const d of dirs.splice(0)) d.remove();
});

async function setup(dir: string, clock: ManualClock, collector: Collector): Promise<AgentRuntime> {
  const deadPort = await freeTcpPort();
  const config = AgentConfig.parse({
    tenant: 't1',
    agentId: 'a1',
    broker: { url: `mqtt://127.0.0.1:${deadPort}` },
    devices: [{ address: '127.0.0.1:16101', id: 'd1' }],
    polling: { interval: '60s', jitter: 0, unreachableAfter: 2 },
    outbox: { dir },
    reporting: { reconnectMin: '10s', reconnectMax: '10s' },
  });
  const rt = await AgentRuntime.start({
    config,
    collector,
    clock,
    log: createLogger({ name: 't', level: 'silent', format: 'json' }),
    version: 't',
    healthListen: '127.0.0.1:0',
  });
  runtimes.push(rt);
  return rt;
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
async function minutes(clock: ManualClock, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.advance(60_000);
    await flush();
  }
}

function queuedEvents(rt: AgentRuntime): DeviceEventMessage[] {
  const out: DeviceEventMessage[] = [];
  for (let i = 0; i < 1000; i++) {
    const r = rt.outbox.next();
    if (!r) break;
    if (r.lane === 'events') out.push(r.message as unknown as DeviceEventMessage);
  }
  rt.outbox.rewind();
  return out;
}

describe('AgentRuntime (fake collector, no broker)', () => {
  it('turns polls into ordered, numbered events in the outbox, and remembers across a restart', async () => {
    const tmp = makeTempDir('runtime');
    dirs.push(tmp);
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const fake = new FakeCollector(clock);
    let rt = await setup(tmp.path, clock, fake);
    await flush();
    clock.advance(0);
    await flush();
    fake.faults = [jam];
    await minutes(clock, 2);
    let events = queuedEvents(rt);
    expect(events.map((e) => e.event.kind)).toEqual(['fault.raised']);
    expect(events[0]).toMatchObject({ type: 'device.event', tenant: 't1', agentId: 'a1', deviceId: 'd1' });
    const raisedSeq = events[0]!.seq;

    // Restart (clean stop): the raised jam is not raised again, and numbering continues.
    await rt.stop();
    runtimes.pop();
    rt = await setup(tmp.path, clock, fake);
    await minutes(clock, 3);
    expect(queuedEvents(rt).map((e) => e.event.kind)).toEqual(['fault.raised']);
    fake.faults = [];
    await minutes(clock, 2);
    events = queuedEvents(rt);
    expect(events.map((e) => e.event.kind)).toEqual(['fault.raised', 'fault.cleared']);
    expect(events[1]!.seq).toBeGreaterThan(raisedSeq);
  });

  it('treats garbage answers as failed polls with a clear reason, and reports unreachable', async () => {
    const tmp = makeTempDir('runtime');
    dirs.push(tmp);
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const fake = new FakeCollector(clock);
    fake.mode = 'garbage';
    const rt = await setup(tmp.path, clock, fake);
    await flush();
    clock.advance(0);
    await flush();
    await minutes(clock, 2);
    const events = queuedEvents(rt);
    expect(events.map((e) => e.event.kind)).toEqual(['device.unreachable']);
    const e = events[0]!.event;
    expect(e.kind === 'device.unreachable' && e.lastError).toMatch(/^device answered with data the agent cannot use: /);
    expect(rt.metrics()).toMatch(/^fleetdesk_agent_invalid_snapshots_total [2-9]$/m);
    expect(rt.health()).toMatchObject({ ok: true, devices: 1, unreachable: 1, broker: { connected: false } });
  });

  it('a trap from a polled address triggers a poll at once, and that poll confirms the fault it sees', async () => {
    const tmp = makeTempDir('runtime');
    dirs.push(tmp);
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const fake = new FakeCollector(clock);
    const rt = await setup(tmp.path, clock, fake);
    await flush();
    clock.advance(0);
    await flush();
    await minutes(clock, 1);
    const before = fake.calls;
    // The jam appears, the device sends a trap: with raiseAfter 2 a regular poll would only note it.
    fake.faults = [jam];
    const port = await freeUdpPort();
    const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
    const traps = startTrapListener(rt, `127.0.0.1:${port}`, quiet);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const session = snmp.createSession('127.0.0.1', 'public', { trapPort: port, version: snmp.Version2c });
      await new Promise<void>((resolve, reject) => session.trap(snmp.TrapType.LinkUp, (err: Error | null) => (session.close(), err ? reject(err) : resolve())));
      await waitUntil(() => fake.calls > before, 'the poll triggered by the trap', 5000);
      expect(fake.calls).toBe(before + 1); // the clock did not move: only the trap can have caused it
      await waitUntil(() => queuedEvents(rt).length > 0, 'the event of the trap poll', 5000);
      expect(queuedEvents(rt).map((e) => e.event.kind)).toEqual(['fault.raised']);
      expect(rt.metrics()).toMatch(/^fleetdesk_agent_traps_total 1$/m);
    } finally {
      await traps.stop();
    }
  });
});
