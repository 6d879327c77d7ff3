/** Builders of valid wire messages for server tests (ids are deterministic per call order). */
import type { DeviceEventMessage, DeviceStateMessage, DeviceTelemetryMessage, AgentStatusMessage, WireMessage } from '../../../shared/wire/messages.js';
import { deviceTopic, statusTopic } from '../../../shared/wire/topics.js';
import type { Identity } from '../../../shared/snapshot.js';
import type { DeviceStatus, Fault } from '../../../shared/snapshot.js';

let counter = 0;
export function nextId(): string {
  counter += 1;
  const hex = counter.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

export function env(tenant: string, agentId: string, ts: string) {
  return { v: 1 as const, id: nextId(), ts, tenant, agentId };
}

export function statusMsg(
  tenant: string,
  agentId: string,
  state: 'online' | 'offline',
  ts = '2026-01-05T08:00:00Z',
  reason: 'birth' | 'will' | 'shutdown' = state === 'online' ? 'birth' : 'will',
): AgentStatusMessage {
  return { ...env(tenant, agentId, ts), type: 'agent.status', state, reason, agentVersion: '0.1.0', startedAt: '2026-01-05T07:59:00Z' };
}

export function stateMsg(
  tenant: string,
  agentId: string,
  deviceId: string,
  o: { identity?: Identity; faults?: Fault[]; address?: string; collectedAt?: string; seq?: number; status?: DeviceStatus } = {},
): DeviceStateMessage {
  const collectedAt = o.collectedAt ?? '2026-01-05T08:00:00Z';
  return {
    ...env(tenant, agentId, collectedAt),
    type: 'device.state',
    deviceId,
    seq: o.seq ?? 1,
    snapshot: {
      address: o.address ?? '192.0.2.10',
      protocols: ['snmp'],
      collectedAt,
      identity: o.identity ?? { vendor: 'HP', model: 'LaserJet M404', serial: 'SN-1' },
      status: o.status ?? (o.faults && o.faults.length > 0 ? 'down' : 'idle'),
      faults: o.faults ?? [],
      supplies: [
        {
          index: 1,
          name: 'Black Toner',
          kind: 'toner',
          color: 'black',
          levelPercent: 40,
          state: 'ok',
          raw: { level: 40, max: 100, unit: 19, class: 3, type: 3 },
        },
      ],
      inputs: [],
      counters: { total: 1000 },
    },
  };
}

export function fault(code: Fault['code'], severity: Fault['severity'] = 'critical'): Fault {
  return { code, severity, source: 'prtAlert', message: `${code} reported` };
}

export function raisedMsg(tenant: string, agentId: string, deviceId: string, f: Fault, ts = '2026-01-05T08:01:00Z', seq = 2): DeviceEventMessage {
  return { ...env(tenant, agentId, ts), type: 'device.event', deviceId, seq, event: { kind: 'fault.raised', fault: f, firstSeen: ts } };
}

export function clearedMsg(tenant: string, agentId: string, deviceId: string, code: Fault['code'], ts = '2026-01-05T08:05:00Z', seq = 3): DeviceEventMessage {
  return {
    ...env(tenant, agentId, ts),
    type: 'device.event',
    deviceId,
    seq,
    event: { kind: 'fault.cleared', fault: { code }, firstSeen: '2026-01-05T08:01:00Z', clearedAt: ts },
  };
}

export function telemetryMsg(tenant: string, agentId: string, deviceId: string, total: number, ts = '2026-01-05T08:02:00Z', seq = 4): DeviceTelemetryMessage {
  return {
    ...env(tenant, agentId, ts),
    type: 'device.telemetry',
    deviceId,
    seq,
    status: 'idle',
    supplies: [{ index: 1, kind: 'toner', color: 'black', levelPercent: 39, state: 'ok' }],
    counters: { total },
  };
}

export function topicOf(msg: WireMessage): string {
  if (msg.type === 'agent.status') return statusTopic(msg.tenant, msg.agentId);
  if (msg.type === 'agent.command') return `fleetdesk/v1/${msg.tenant}/${msg.agentId}/commands`;
  const kind = msg.type === 'device.state' ? 'state' : msg.type === 'device.event' ? 'events' : 'telemetry';
  return deviceTopic(msg.tenant, msg.agentId, msg.deviceId, kind);
}

export function bytes(msg: WireMessage): Buffer {
  return Buffer.from(JSON.stringify(msg));
}
