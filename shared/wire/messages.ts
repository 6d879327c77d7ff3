/**
 * Wire messages, schema version 1. One schema per message type; each gives runtime validation
 * and the TypeScript type. Every message carries:
 *   v       schema version (the server rejects versions it does not know)
 *   id      unique message id (UUID): QoS 1 is at-least-once, the server drops repeats by id
 *   ts      the agent's clock when the message was made (ISO 8601 with offset)
 *   tenant, agentId   must match the topic and the authenticated MQTT client
 */
import { z } from 'zod';
import { FaultCodeSchema } from '../faults.js';
import { DeviceSnapshot, DeviceStatus, Fault, Identity, SupplyKind, SupplyState, Subunit, Counters } from '../snapshot.js';
import { ID_PATTERN } from './topics.js';

export const SCHEMA_VERSION = 1 as const;
/** Largest payload accepted on any topic; a full snapshot of a big MFP is ~20 KiB. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

const Id = z.string().regex(ID_PATTERN, 'expected 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit');
const Instant = z.iso.datetime({ offset: true });

const envelope = {
  v: z.literal(SCHEMA_VERSION),
  id: z.uuid(),
  ts: Instant,
  tenant: Id,
  agentId: Id,
};

/** Birth (online, published on connect) and last will (offline, set at connect time). Retained. */
export const AgentStatusMessage = z.strictObject({
  ...envelope,
  type: z.literal('agent.status'),
  state: z.enum(['online', 'offline']),
  /** 'birth' on connect, 'will' when the broker published the last will, 'shutdown' on a clean stop. */
  reason: z.enum(['birth', 'will', 'shutdown']),
  agentVersion: z.string().max(64),
  startedAt: Instant,
  hostname: z.string().max(255).optional(),
  devices: z.number().int().nonnegative().optional(),
  outboxDepth: z.number().int().nonnegative().optional(),
  /**
   * Birth only: the id of the last will registered with this connection. The will is made before
   * the connection (so before the birth), and its `ts` is older than the birth's: the server
   * applies the will whose id the newest birth names, whatever its `ts`.
   */
  willId: z.uuid().optional(),
});
export type AgentStatusMessage = z.infer<typeof AgentStatusMessage>;

/** Latest snapshot of one device. Retained, so a (re)starting server sees the whole fleet at once. */
export const DeviceStateMessage = z.strictObject({
  ...envelope,
  type: z.literal('device.state'),
  deviceId: Id,
  /** Per-device sequence number shared with events: orders messages of one device. */
  seq: z.number().int().nonnegative(),
  snapshot: DeviceSnapshot,
});
export type DeviceStateMessage = z.infer<typeof DeviceStateMessage>;

const FaultRef = z.strictObject({
  code: FaultCodeSchema,
  subunit: Subunit.optional(),
  rawCode: z.string().max(512).optional(),
});

export const DeviceEvent = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('fault.raised'),
    fault: Fault,
    /** When the agent first saw the fault (before hysteresis confirmed it). */
    firstSeen: Instant,
  }),
  z.strictObject({
    kind: z.literal('fault.cleared'),
    fault: FaultRef,
    firstSeen: Instant,
    clearedAt: Instant,
  }),
  z.strictObject({
    kind: z.literal('supply.changed'),
    supply: z.strictObject({
      index: z.number().int(),
      name: z.string().max(512),
      kind: SupplyKind,
      color: z.string().max(64).nullable(),
      levelPercent: z.number().min(0).max(100).nullable(),
    }),
    from: SupplyState,
    to: SupplyState,
    /** The level jumped up: a new cartridge was fitted. */
    replaced: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('device.unreachable'),
    since: Instant,
    consecutiveFailures: z.number().int().positive(),
    lastError: z.string().max(1024),
  }),
  z.strictObject({
    kind: z.literal('device.reachable'),
    since: Instant,
  }),
  z.strictObject({
    kind: z.literal('identity.changed'),
    from: Identity,
    to: Identity,
  }),
]);
export type DeviceEvent = z.infer<typeof DeviceEvent>;
export type DeviceEventKind = DeviceEvent['kind'];

export const DeviceEventMessage = z.strictObject({
  ...envelope,
  type: z.literal('device.event'),
  deviceId: Id,
  seq: z.number().int().nonnegative(),
  event: DeviceEvent,
});
export type DeviceEventMessage = z.infer<typeof DeviceEventMessage>;

/** Periodic levels and counters, for history charts and forecasting. */
export const DeviceTelemetryMessage = z.strictObject({
  ...envelope,
  type: z.literal('device.telemetry'),
  deviceId: Id,
  seq: z.number().int().nonnegative(),
  status: DeviceStatus,
  supplies: z
    .array(
      z.strictObject({
        index: z.number().int(),
        kind: SupplyKind,
        color: z.string().max(64).nullable(),
        levelPercent: z.number().min(0).max(100).nullable(),
        state: SupplyState,
      }),
    )
    .max(128),
  counters: Counters,
});
export type DeviceTelemetryMessage = z.infer<typeof DeviceTelemetryMessage>;

/** Server -> agent requests. */
export const AgentCommandMessage = z.strictObject({
  ...envelope,
  type: z.literal('agent.command'),
  command: z.discriminatedUnion('name', [z.strictObject({ name: z.literal('poll'), deviceId: Id }), z.strictObject({ name: z.literal('discover') })]),
});
export type AgentCommandMessage = z.infer<typeof AgentCommandMessage>;

export const WireMessage = z.discriminatedUnion('type', [
  AgentStatusMessage,
  DeviceStateMessage,
  DeviceEventMessage,
  DeviceTelemetryMessage,
  AgentCommandMessage,
]);
export type WireMessage = z.infer<typeof WireMessage>;
export type WireMessageType = WireMessage['type'];

/** Which message type may appear on which topic kind. */
export const TYPE_FOR_TOPIC = {
  status: 'agent.status',
  state: 'device.state',
  events: 'device.event',
  telemetry: 'device.telemetry',
  commands: 'agent.command',
} as const satisfies Record<string, WireMessageType>;
