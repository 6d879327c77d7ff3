/**
 * MQTT topic tree, version 1.
 *
 *   fleetdesk/v1/<tenant>/<agentId>/status                     agent birth / last will (retained, QoS 1)
 *   fleetdesk/v1/<tenant>/<agentId>/devices/<deviceId>/state   device snapshot         (retained, QoS 1)
 *   fleetdesk/v1/<tenant>/<agentId>/devices/<deviceId>/events  device events           (QoS 1)
 *   fleetdesk/v1/<tenant>/<agentId>/devices/<deviceId>/telemetry levels and counters   (QoS 1)
 *   fleetdesk/v1/<tenant>/<agentId>/commands                   server -> agent         (QoS 1)
 *
 * Identifiers are restricted so that they can never contain MQTT wildcards or separators.
 */
export const TOPIC_ROOT = 'fleetdesk/v1';

/** tenant, agent and device identifiers: lower-case-friendly, no '/', '+', '#', '$'. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export type TopicKind = 'status' | 'state' | 'events' | 'telemetry' | 'commands';

export type ParsedTopic =
  | { kind: 'status'; tenant: string; agentId: string }
  | { kind: 'commands'; tenant: string; agentId: string }
  | { kind: 'state' | 'events' | 'telemetry'; tenant: string; agentId: string; deviceId: string };

export interface TopicPolicy {
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
}

/** QoS and retain flag per topic kind: the single source for publishers and docs. */
export const TOPIC_POLICY: Readonly<Record<TopicKind, TopicPolicy>> = {
  status: { qos: 1, retain: true },
  state: { qos: 1, retain: true },
  events: { qos: 1, retain: false },
  telemetry: { qos: 1, retain: false },
  commands: { qos: 1, retain: false },
};

function checkId(what: string, value: string): void {
  if (!ID_PATTERN.test(value)) {
    throw new Error(`invalid ${what} ${JSON.stringify(value)}: expected 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit`);
  }
}

export function statusTopic(tenant: string, agentId: string): string {
  checkId('tenant', tenant);
  checkId('agent id', agentId);
  return `${TOPIC_ROOT}/${tenant}/${agentId}/status`;
}

export function commandsTopic(tenant: string, agentId: string): string {
  checkId('tenant', tenant);
  checkId('agent id', agentId);
  return `${TOPIC_ROOT}/${tenant}/${agentId}/commands`;
}

export function deviceTopic(tenant: string, agentId: string, deviceId: string, kind: 'state' | 'events' | 'telemetry'): string {
  checkId('tenant', tenant);
  checkId('agent id', agentId);
  checkId('device id', deviceId);
  return `${TOPIC_ROOT}/${tenant}/${agentId}/devices/${deviceId}/${kind}`;
}

/**
 * Agent partitions (`broker.external.partition`): the stream split by agent over `count` partitions,
 * for brokers that deal a shared subscription round-robin (Mosquitto), so that one agent's messages
 * are applied by one instance. MQTT filters cannot hash, so every partition subscribes to the whole
 * tree under its own share group and applies only its agents' messages (the others are acknowledged
 * unread: each of them is applied by the partition that owns it, which has its own copy).
 */
export interface AgentPartition {
  readonly count: number;
  /** This instance's partition, 0 … count-1. */
  readonly index: number;
}

/**
 * Subscription filters the server uses; `group` selects a shared subscription ($share/group/...).
 * With a partition, the group is per partition and names the count: instances of one partition share
 * it, and while a partition count changes the old and new layouts are separate groups, each applying
 * every message once (the second copy is a duplicate), so nothing falls between two layouts.
 */
export function serverSubscriptions(group?: string, partition?: AgentPartition): string[] {
  const filters = [`${TOPIC_ROOT}/+/+/status`, `${TOPIC_ROOT}/+/+/devices/+/+`];
  if (partition && !group) throw new Error('an agent partition needs a shared-subscription group');
  const share = partition ? `${group}-p${partition.index}-of-${partition.count}` : group;
  return share ? filters.map((f) => `$share/${share}/${f}`) : filters;
}

/**
 * The partition (0 … count-1) that applies a message on `topic`: FNV-1a (32 bit) of its
 * `<tenant>/<agentId>` segments, modulo count; stable across versions and processes (every instance
 * must agree). A topic without those segments is hashed whole, so exactly one partition still gets it
 * (and rejects it).
 */
export function partitionOfTopic(topic: string, count: number): number {
  const tenantEnd = topic.startsWith(`${TOPIC_ROOT}/`) ? topic.indexOf('/', TOPIC_ROOT.length + 1) : -1;
  const agentEnd = tenantEnd < 0 ? -1 : topic.indexOf('/', tenantEnd + 1);
  const from = agentEnd < 0 ? 0 : TOPIC_ROOT.length + 1;
  const to = agentEnd < 0 ? topic.length : agentEnd;
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    hash ^= topic.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}

/** Parses a topic of the v1 tree; returns an error string naming what is wrong. */
export function parseTopic(topic: string): { ok: true; topic: ParsedTopic } | { ok: false; error: string } {
  if (topic.length > 1024) return { ok: false, error: 'topic longer than 1024 characters' };
  const parts = topic.split('/');
  if (parts[0] !== 'fleetdesk' || parts[1] !== 'v1') {
    return { ok: false, error: `topic ${JSON.stringify(topic)} is not under ${TOPIC_ROOT}/` };
  }
  const [, , tenant, agentId, ...rest] = parts;
  if (tenant === undefined || !ID_PATTERN.test(tenant)) return { ok: false, error: `topic ${JSON.stringify(topic)}: invalid tenant segment` };
  if (agentId === undefined || !ID_PATTERN.test(agentId)) return { ok: false, error: `topic ${JSON.stringify(topic)}: invalid agent id segment` };
  if (rest.length === 1 && (rest[0] === 'status' || rest[0] === 'commands')) {
    return { ok: true, topic: { kind: rest[0], tenant, agentId } };
  }
  if (rest.length === 3 && rest[0] === 'devices') {
    const [, deviceId, kind] = rest;
    if (deviceId === undefined || !ID_PATTERN.test(deviceId)) return { ok: false, error: `topic ${JSON.stringify(topic)}: invalid device id segment` };
    if (kind === 'state' || kind === 'events' || kind === 'telemetry') {
      return { ok: true, topic: { kind, tenant, agentId, deviceId } };
    }
    return { ok: false, error: `topic ${JSON.stringify(topic)}: unknown device topic kind ${JSON.stringify(kind)}` };
  }
  return { ok: false, error: `topic ${JSON.stringify(topic)}: unknown topic layout` };
}
