import { describe, expect, it } from 'vitest';
import { effectiveStatus, identityKey, type AgentRecord, type DeviceRecord } from '../../../server/fleet/fleetModel.js';
import { applyAgentStatus, applyDeviceEvent, applyDeviceState, applyTelemetry, staleAgents } from '../../../server/fleet/fleetState.js';
import type { DeviceEventMessage } from '../../../shared/wire/messages.js';
import { env, fault, raisedMsg, stateMsg, statusMsg, telemetryMsg } from './wireFixtures.js';

const place = { key: 'acme/sn:sn-1', customerId: 'acme', siteId: 'hq' };
const NOW = '2026-01-05T08:00:30.000Z';

function unreachable(since: string): DeviceEventMessage {
  return {
    ...env('acme', 'a1', since),
    type: 'device.event',
    deviceId: 'p1',
    seq: 9,
    event: { kind: 'device.unreachable', since, consecutiveFailures: 3, lastError: 'timeout' },
  };
}
function reachable(since: string): DeviceEventMessage {
  return { ...env('acme', 'a1', since), type: 'device.event', deviceId: 'p1', seq: 10, event: { kind: 'device.reachable', since } };
}

describe('fleet state transitions', () => {
  it('takes faults and reachability from confirmed events only, never from a snapshot', () => {
    const raised = applyDeviceEvent(undefined, raisedMsg('acme', 'a1', 'p1', fault('jam'), '2026-01-05T08:00:00Z'), place, NOW).device;
    const snap = applyDeviceState(
      raised,
      stateMsg('acme', 'a1', 'p1', { status: 'unreachable', faults: [fault('toner.low', 'warning')], collectedAt: '2026-01-05T08:05:00Z' }),
      place,
      NOW,
    ).device;
    expect(snap.faults.map((f) => [f.code, f.firstSeen])).toEqual([['jam', '2026-01-05T08:00:00Z']]);
    expect(snap.reachable).toBe(true);
    expect(snap.status).toBe('unreachable');
  });

  it('a recovery flips reachability whatever order snapshots and events arrive in', () => {
    const dev = applyDeviceState(undefined, stateMsg('acme', 'a1', 'p1'), place, NOW).device;
    const down = applyDeviceEvent(dev, unreachable('2026-01-05T08:01:00Z'), place, NOW).device;
    // The device's next snapshot (answering again) arrives before the device.reachable event.
    const snap = applyDeviceState(down, stateMsg('acme', 'a1', 'p1', { collectedAt: '2026-01-05T08:04:00Z' }), place, NOW).device;
    expect(snap.reachable).toBe(false);
    const up = applyDeviceEvent(snap, reachable('2026-01-05T08:03:00Z'), place, NOW);
    expect(up.changes).toEqual([{ kind: 'reachable', since: '2026-01-05T08:03:00Z' }]);
    // The outage delivered late, after its recovery, changes nothing.
    const late = applyDeviceEvent(up.device, unreachable('2026-01-05T08:01:00Z'), place, NOW);
    expect(late).toMatchObject({ stale: true, changes: [] });
    expect(late.device.reachable).toBe(true);
    // A new outage after the recovery counts.
    expect(applyDeviceEvent(up.device, unreachable('2026-01-05T08:09:00Z'), place, NOW).changes).toMatchObject([{ kind: 'unreachable' }]);
  });

  it('merges telemetry levels into known supplies and counters, and ignores older telemetry', () => {
    const dev = applyDeviceState(undefined, stateMsg('acme', 'a1', 'p1', { collectedAt: '2026-01-05T08:00:00Z' }), place, NOW).device;
    const later = '2026-01-05T08:10:30.000Z';
    const t = applyTelemetry(dev, telemetryMsg('acme', 'a1', 'p1', 1500, '2026-01-05T08:10:00Z'), place, later);
    expect(t.device.supplies[0]).toMatchObject({ name: 'Black Toner', levelPercent: 39, state: 'ok' });
    expect(t.device.counters).toEqual({ total: 1500 });
    expect(applyTelemetry(t.device, telemetryMsg('acme', 'a1', 'p1', 1400, '2026-01-05T08:09:00Z'), place, later).stale).toBe(true);
  });

  it('reports unreachable and reachable once each, not on every repeat', () => {
    const dev = applyDeviceState(undefined, stateMsg('acme', 'a1', 'p1'), place, NOW).device;
    const down = applyDeviceEvent(dev, unreachable('2026-01-05T08:01:00Z'), place, NOW);
    expect(down.changes).toMatchObject([{ kind: 'unreachable', consecutiveFailures: 3 }]);
    const again = applyDeviceEvent(down.device, unreachable('2026-01-05T08:02:00Z'), place, NOW);
    expect(again.changes).toEqual([]);
    expect(again.device.unreachableSince).toBe('2026-01-05T08:01:00Z');
    const up = applyDeviceEvent(again.device, reachable('2026-01-05T08:03:00Z'), place, NOW);
    expect(up.changes).toEqual([{ kind: 'reachable', since: '2026-01-05T08:03:00Z' }]);
    expect(up.device.unreachableSince).toBeUndefined();
    expect(applyDeviceEvent(up.device, reachable('2026-01-05T08:04:00Z'), place, NOW).changes).toEqual([]);
  });

  it('replaces a re-raised fault instead of listing it twice', () => {
    const dev = applyDeviceEvent(undefined, raisedMsg('acme', 'a1', 'p1', fault('jam')), place, NOW).device;
    const twice = applyDeviceEvent(dev, raisedMsg('acme', 'a1', 'p1', fault('jam'), '2026-01-05T08:02:00Z'), place, NOW);
    expect(twice.device.faults).toHaveLength(1);
    expect(twice.device.faults[0]!.firstSeen).toBe('2026-01-05T08:01:00Z');
  });

  it('flips agent state only on a change, and finds silent agents', () => {
    const on = applyAgentStatus(undefined, statusMsg('acme', 'a1', 'online'), { customerId: 'acme', siteId: 'hq' }, NOW);
    expect(on.flipped).toBe('online');
    const again = applyAgentStatus(
      on.agent,
      statusMsg('acme', 'a1', 'online', '2026-01-05T08:00:10Z'),
      { customerId: 'acme', siteId: 'hq' },
      '2026-01-05T08:00:40.000Z',
    );
    expect(again.flipped).toBeUndefined();
    expect(again.agent.since).toBe(NOW);
    const agents: AgentRecord[] = [again.agent, { ...again.agent, key: 'acme/a2', agentId: 'a2', state: 'offline' }];
    const nowMs = Date.parse('2026-01-05T08:10:00Z');
    expect(staleAgents(agents, () => undefined, nowMs, 5 * 60_000).map((a) => a.key)).toEqual(['acme/a1']);
    expect(staleAgents(agents, () => nowMs - 1000, nowMs, 5 * 60_000)).toEqual([]);
  });

  it("applies the will its connection's birth named, though the will was made before the birth", () => {
    const hq = { customerId: 'acme', siteId: 'hq' };
    // The agent makes the will at 08:00:00 (CONNECT), then publishes the birth at 08:00:01 naming it.
    const will = statusMsg('acme', 'a1', 'offline', '2026-01-05T08:00:00Z');
    const birth = { ...statusMsg('acme', 'a1', 'online', '2026-01-05T08:00:01Z'), willId: will.id };
    const on = applyAgentStatus(undefined, birth, hq, '2026-01-05T08:00:01.000Z');
    const crashed = applyAgentStatus(on.agent, will, hq, '2026-01-05T08:05:00.000Z');
    expect(crashed.stale).toBe(false);
    expect(crashed.flipped).toBe('offline');
    expect(crashed.agent.stateReason).toBe('will');
    // A will of an older connection (not the one the birth named) is still stale by its ts.
    const oldWill = statusMsg('acme', 'a1', 'offline', '2026-01-05T07:59:00Z');
    expect(applyAgentStatus(on.agent, oldWill, hq, '2026-01-05T08:05:00.000Z').stale).toBe(true);
    // The ordering mark keeps the birth's newer ts: a late shutdown from before the birth stays stale.
    expect(crashed.agent.statusTs).toBe('2026-01-05T08:00:01Z');
  });

  it('derives what to show: unknown when the agent is offline, unreachable, else the reported status', () => {
    const dev: DeviceRecord = applyDeviceState(undefined, stateMsg('acme', 'a1', 'p1'), place, NOW).device;
    const agent = applyAgentStatus(undefined, statusMsg('acme', 'a1', 'online'), { customerId: 'acme', siteId: 'hq' }, NOW).agent;
    expect(effectiveStatus(dev, agent)).toBe('idle');
    expect(effectiveStatus(dev, { ...agent, state: 'offline' })).toBe('unknown');
    expect(effectiveStatus(dev, undefined)).toBe('unknown');
    expect(effectiveStatus({ ...dev, reachable: false }, agent)).toBe('unreachable');
  });

  it('keys devices by serial, then UUID, then MAC, ignoring placeholder serials', () => {
    expect(identityKey('acme', { serial: ' CNB123 ', uuid: 'x' })).toBe('acme/sn:cnb123');
    expect(identityKey('acme', { serial: '0000', uuid: 'urn:uuid:ABC-1' })).toBe('acme/uuid:abc-1');
    expect(identityKey('acme', { serial: 'unknown', mac: '00:11:22:33:44:55' })).toBe('acme/mac:00:11:22:33:44:55');
    expect(identityKey('acme', { model: 'M404' })).toBeUndefined();
  });
});
