/**
 * Pure transitions of fleet records: (previous record, accepted wire message, facts) → next record
 * plus what happened (for domain events). No I/O, no clock: `now` is passed in.
 *
 * Ordering: QoS 1 and the agent's outbox may deliver an older snapshot after a newer one; a
 * snapshot or telemetry whose `collectedAt`/`ts` is older than what the device already shows is
 * ignored (`stale`). Events (fault raised/cleared, reachability) are always applied: each is a fact,
 * except an outage (device.unreachable) older than the recovery already applied.
 * Timestamps are bounded by the clock-skew window first (clockSkew.ts), so none can freeze a device.
 */
import type { AgentStatusMessage, DeviceEventMessage, DeviceStateMessage, DeviceTelemetryMessage } from '../../shared/wire/messages.js';
import { sameFault } from '../../shared/faultIdentity.js';
import type { Identity } from '../../shared/snapshot.js';
import type { ActiveFault, AgentRecord, DeviceRecord } from './fleetModel.js';
import { olderThanStored } from './clockSkew.js';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export interface Placement {
  readonly key: string;
  readonly customerId: string;
  readonly siteId: string;
}

export type DeviceChange =
  | { kind: 'faultRaised'; fault: ActiveFault }
  | { kind: 'faultCleared'; code: ActiveFault['code']; subunit: ActiveFault['subunit']; rawCode: string | undefined; firstSeen: string; clearedAt: string }
  | { kind: 'unreachable'; since: string; consecutiveFailures: number; lastError: string }
  | { kind: 'reachable'; since: string };

export interface DeviceTransition {
  readonly device: DeviceRecord;
  readonly changes: DeviceChange[];
  /** True when the message was older than the device's state and changed nothing. */
  readonly stale: boolean;
}

function baseDevice(
  prev: DeviceRecord | undefined,
  place: Placement,
  tenant: string,
  agentId: string,
  deviceId: string,
  now: string,
  identity: Identity,
): DeviceRecord {
  if (prev) {
    return { ...prev, key: place.key, customerId: place.customerId, siteId: place.siteId, agentId, agentDeviceId: deviceId, lastSeen: now };
  }
  return {
    key: place.key,
    tenant,
    customerId: place.customerId,
    siteId: place.siteId,
    agentId,
    agentDeviceId: deviceId,
    identity,
    status: 'unknown',
    reachable: true,
    faults: [],
    supplies: [],
    inputs: [],
    counters: {},
    firstSeen: now,
    lastSeen: now,
  };
}

export function applyDeviceState(prev: DeviceRecord | undefined, msg: DeviceStateMessage, place: Placement, now: string): DeviceTransition {
  const snap = msg.snapshot;
  if (prev?.collectedAt !== undefined && olderThanStored(snap.collectedAt, prev.collectedAt, now)) {
    return { device: { ...prev, lastSeen: now }, changes: [], stale: true };
  }
  const base = baseDevice(prev, place, msg.tenant, msg.agentId, msg.deviceId, now, snap.identity);
  // `reachable` and `faults` are not taken from the snapshot: they follow the agent's confirmed
  // events (device.reachable/unreachable, fault.raised/cleared), the very facts tickets follow, so
  // the fleet view and the ticket queue cannot disagree, and a snapshot that arrives before the
  // event cannot swallow the change the event carries.
  const device: DeviceRecord = {
    ...base,
    identity: { ...base.identity, ...snap.identity },
    address: snap.address,
    protocols: snap.protocols,
    status: snap.status,
    supplies: snap.supplies,
    inputs: snap.inputs,
    counters: snap.counters,
    counterOrigins: snap.counterProvenance?.origins ?? {},
    collectedAt: snap.collectedAt,
  };
  return { device, changes: [], stale: false };
}

export function applyTelemetry(prev: DeviceRecord | undefined, msg: DeviceTelemetryMessage, place: Placement, now: string): DeviceTransition {
  if (prev?.collectedAt !== undefined && olderThanStored(msg.ts, prev.collectedAt, now)) {
    return { device: { ...prev, lastSeen: now }, changes: [], stale: true };
  }
  // Telemetry arrives every poll for every device: the record is copied once (not once for the
  // placement and again for the values), and supplies whose level and state did not change are
  // shared with the previous record rather than copied.
  const known = prev?.supplies ?? [];
  let supplies = known;
  for (let i = 0; i < known.length; i++) {
    const s = known[i]!;
    const t = msg.supplies.find((x) => x.index === s.index);
    if (t && (t.levelPercent !== s.levelPercent || t.state !== s.state)) {
      if (supplies === known) supplies = known.slice();
      supplies[i] = { ...s, levelPercent: t.levelPercent, state: t.state };
    }
  }
  for (const t of msg.supplies) {
    if (!supplies.some((s) => s.index === t.index)) {
      if (supplies === known) supplies = known.slice();
      supplies.push({
        index: t.index,
        name: `${t.kind}${t.color ? ` ${t.color}` : ''}`,
        kind: t.kind,
        color: t.color,
        levelPercent: t.levelPercent,
        state: t.state,
        raw: { level: null, max: null, unit: null, class: null, type: null },
      });
    }
  }
  // A fresh copy filled in field by field: V8 copies a record this way faster than with a spread
  // followed by overrides. Nothing outside this function sees it before it is complete.
  const device: Writable<DeviceRecord> = prev ? { ...prev } : baseDevice(undefined, place, msg.tenant, msg.agentId, msg.deviceId, now, {});
  device.key = place.key;
  device.customerId = place.customerId;
  device.siteId = place.siteId;
  device.agentId = msg.agentId;
  device.agentDeviceId = msg.deviceId;
  device.lastSeen = now;
  device.status = msg.status;
  device.supplies = supplies;
  device.counters = prev ? { ...prev.counters, ...msg.counters } : msg.counters;
  device.collectedAt = msg.ts;
  return { device, changes: [], stale: false };
}

export function applyDeviceEvent(prev: DeviceRecord | undefined, msg: DeviceEventMessage, place: Placement, now: string): DeviceTransition {
  const e = msg.event;
  switch (e.kind) {
    case 'fault.raised': {
      const base = baseDevice(prev, place, msg.tenant, msg.agentId, msg.deviceId, now, {});
      const existing = base.faults.find((f) => sameFault(f, e.fault));
      const fault: ActiveFault = { ...e.fault, firstSeen: existing?.firstSeen ?? e.firstSeen };
      const faults = existing ? base.faults.map((f) => (f === existing ? fault : f)) : [...base.faults, fault];
      return { device: { ...base, faults }, changes: [{ kind: 'faultRaised', fault }], stale: false };
    }
    case 'fault.cleared': {
      const base = baseDevice(prev, place, msg.tenant, msg.agentId, msg.deviceId, now, {});
      const faults = base.faults.filter((f) => !sameFault(f, e.fault));
      return {
        device: { ...base, faults },
        changes: [
          { kind: 'faultCleared', code: e.fault.code, subunit: e.fault.subunit, rawCode: e.fault.rawCode, firstSeen: e.firstSeen, clearedAt: e.clearedAt },
        ],
        stale: false,
      };
    }
    case 'device.unreachable': {
      const base = baseDevice(prev, place, msg.tenant, msg.agentId, msg.deviceId, now, {});
      // QoS 1 and the outbox may deliver an outage after the recovery that ended it.
      if (base.reachableSince !== undefined && olderThanStored(e.since, base.reachableSince, now)) return { device: base, changes: [], stale: true };
      const device: DeviceRecord = { ...base, reachable: false, unreachableSince: base.unreachableSince ?? e.since, lastError: e.lastError };
      return {
        device,
        changes: base.reachable ? [{ kind: 'unreachable', since: e.since, consecutiveFailures: e.consecutiveFailures, lastError: e.lastError }] : [],
        stale: false,
      };
    }
    case 'device.reachable': {
      const base = baseDevice(prev, place, msg.tenant, msg.agentId, msg.deviceId, now, {});
      const { unreachableSince: _u, lastError: _l, ...rest } = base;
      return {
        device: { ...rest, reachable: true, reachableSince: e.since },
        changes: base.reachable ? [] : [{ kind: 'reachable', since: e.since }],
        stale: false,
      };
    }
    case 'identity.changed': {
      const base = baseDevice(prev, place, msg.tenant, msg.agentId, msg.deviceId, now, e.to);
      return { device: { ...base, identity: { ...base.identity, ...e.to } }, changes: [], stale: false };
    }
    case 'supply.changed': {
      const base = baseDevice(prev, place, msg.tenant, msg.agentId, msg.deviceId, now, {});
      const supplies = base.supplies.map((s) => (s.index === e.supply.index ? { ...s, levelPercent: e.supply.levelPercent, state: e.to } : s));
      return { device: { ...base, supplies }, changes: [], stale: false };
    }
  }
}

export interface AgentTransition {
  readonly agent: AgentRecord;
  /** 'online'/'offline' when the agent's state flipped, else undefined. */
  readonly flipped: 'online' | 'offline' | undefined;
  readonly stale: boolean;
}

export function applyAgentStatus(
  prev: AgentRecord | undefined,
  msg: AgentStatusMessage,
  place: { customerId: string; siteId: string },
  now: string,
): AgentTransition {
  // The will of the live connection was made before its birth, so its ts is older: the birth names
  // it, and that will is never stale. A will of an older connection stays stale by its ts.
  const currentWill = msg.reason === 'will' && prev?.willId === msg.id;
  if (!currentWill && prev?.statusTs !== undefined && olderThanStored(msg.ts, prev.statusTs, now)) {
    return { agent: { ...prev, lastSeen: now }, flipped: undefined, stale: true };
  }
  const state = msg.state;
  const agent: AgentRecord = {
    key: `${msg.tenant}/${msg.agentId}`,
    tenant: msg.tenant,
    agentId: msg.agentId,
    customerId: place.customerId,
    siteId: place.siteId,
    state,
    stateReason: msg.reason,
    since: prev && prev.state === state ? prev.since : now,
    lastSeen: now,
    // The newest ts stays the ordering mark (a current will's ts is older than its birth's).
    statusTs: prev?.statusTs !== undefined && currentWill && Date.parse(prev.statusTs) > Date.parse(msg.ts) ? prev.statusTs : msg.ts,
    ...(msg.reason === 'birth' && msg.willId !== undefined ? { willId: msg.willId } : {}),
    agentVersion: msg.agentVersion,
    startedAt: msg.startedAt,
    ...(msg.hostname !== undefined ? { hostname: msg.hostname } : {}),
    ...(msg.devices !== undefined ? { devices: msg.devices } : {}),
    ...(msg.outboxDepth !== undefined ? { outboxDepth: msg.outboxDepth } : {}),
  };
  const flipped = prev?.state === state ? undefined : state;
  return { agent, flipped, stale: false };
}

/** An agent that sent a device message while recorded offline is evidently back. */
export function touchAgent(
  prev: AgentRecord | undefined,
  tenant: string,
  agentId: string,
  place: { customerId: string; siteId: string },
  now: string,
): AgentTransition {
  if (prev && prev.state === 'online') return { agent: { ...prev, lastSeen: now }, flipped: undefined, stale: false };
  const agent: AgentRecord = {
    ...(prev ?? {}),
    key: `${tenant}/${agentId}`,
    tenant,
    agentId,
    customerId: place.customerId,
    siteId: place.siteId,
    state: 'online',
    stateReason: 'birth',
    since: now,
    lastSeen: now,
  };
  return { agent, flipped: 'online', stale: false };
}

/** Agents recorded online whose last message is older than `staleAfterMs` (pure). */
export function staleAgents(agents: readonly AgentRecord[], lastSeen: (key: string) => number | undefined, nowMs: number, staleAfterMs: number): AgentRecord[] {
  return agents.filter((a) => {
    if (a.state !== 'online') return false;
    // The later of this process's memory and the stored record: with several instances, another
    // one may have heard the agent (and persisted lastSeen) while this one heard nothing.
    const stored = Date.parse(a.lastSeen);
    const seen = Math.max(lastSeen(a.key) ?? stored, stored);
    return nowMs - seen > staleAfterMs;
  });
}
