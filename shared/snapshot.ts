/**
 * The normalised device snapshot: what one poll of one printer says, whatever the protocol.
 * SNMP and IPP normalisers both produce this shape; the agent diffs consecutive snapshots and
 * the server stores the latest one per device.
 */
import { z } from 'zod';
import { FaultCodeSchema, FaultSeverity } from './faults.js';
import { COUNTER_KEY_PATTERN, CounterProvenance } from './counters.js';

const shortText = z.string().max(512);
const longText = z.string().max(4096);

export const DeviceStatus = z.enum(['idle', 'printing', 'warmup', 'warning', 'down', 'unknown', 'unreachable']);
export type DeviceStatus = z.infer<typeof DeviceStatus>;

export const Protocol = z.enum(['snmp', 'ipp']);
export type Protocol = z.infer<typeof Protocol>;

export const Identity = z.strictObject({
  vendor: shortText.optional(),
  model: shortText.optional(),
  serial: shortText.optional(),
  sysName: shortText.optional(),
  sysDescr: longText.optional(),
  sysObjectId: z
    .string()
    .regex(/^\d+(\.\d+)*$/)
    .max(256)
    .optional(),
  location: shortText.optional(),
  mac: z
    .string()
    .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)
    .optional(),
  uuid: shortText.optional(),
  firmware: shortText.optional(),
});
export type Identity = z.infer<typeof Identity>;

/** Where a fault was read from: lets a technician find the evidence on the device. */
export const FaultSource = z.enum(['hrErrorState', 'prtAlert', 'supply', 'ippStateReason', 'ippAlert', 'agent']);
export type FaultSource = z.infer<typeof FaultSource>;

export const Subunit = z.strictObject({
  /** Printer-MIB alert group or IPP group keyword, e.g. "markerSupplies", "mediaPath". */
  group: z.string().max(64).optional(),
  index: z.number().int().optional(),
  name: shortText.optional(),
});
export type Subunit = z.infer<typeof Subunit>;

export const Fault = z.strictObject({
  code: FaultCodeSchema,
  severity: FaultSeverity,
  source: FaultSource,
  message: longText,
  subunit: Subunit.optional(),
  /** The device's own code or keyword (alert code, IPP keyword, bit name), kept verbatim. */
  rawCode: shortText.optional(),
});
export type Fault = z.infer<typeof Fault>;

export const SupplyKind = z.enum(['toner', 'ink', 'drum', 'waste', 'fuser', 'developer', 'transfer', 'maintenance', 'staples', 'printhead', 'other']);
export type SupplyKind = z.infer<typeof SupplyKind>;

export const SupplyState = z.enum(['ok', 'low', 'empty', 'someRemaining', 'unknown', 'nearFull', 'full']);
export type SupplyState = z.infer<typeof SupplyState>;

export const Supply = z.strictObject({
  index: z.number().int(),
  name: shortText,
  kind: SupplyKind,
  color: z.string().max(64).nullable(),
  /** Remaining (consumables) or filled (receptacles) percentage; null when the device gives no real percentage. */
  levelPercent: z.number().min(0).max(100).nullable(),
  state: SupplyState,
  /** Part number or description as the device gives it, for ordering. */
  partNumber: shortText.optional(),
  raw: z.strictObject({
    level: z.number().int().nullable(),
    max: z.number().int().nullable(),
    unit: z.union([z.number().int(), z.string().max(64)]).nullable(),
    class: z.union([z.number().int(), z.string().max(64)]).nullable(),
    type: z.union([z.number().int(), z.string().max(64)]).nullable(),
  }),
});
export type Supply = z.infer<typeof Supply>;

export const InputTray = z.strictObject({
  index: z.number().int(),
  name: shortText,
  media: shortText.nullable(),
  levelPercent: z.number().min(0).max(100).nullable(),
  state: z.enum(['ok', 'low', 'empty', 'someRemaining', 'unknown']),
});
export type InputTray = z.infer<typeof InputTray>;

const MAX_COUNTERS = 64;

/**
 * Page counters: `total` is the device's lifetime impressions; other keys per function, colour,
 * size and sides where known (the key grammar is shared/counters.ts).
 */
export const Counters = z
  .record(z.string().regex(COUNTER_KEY_PATTERN), z.number().int().nonnegative())
  .refine((c) => Object.keys(c).length <= MAX_COUNTERS, { message: `at most ${MAX_COUNTERS} counters` })
  // z.toJSONSchema does not export refinements: state the same limit for JSON Schema consumers
  // (the compiled wire validators of shared/wire/compiledValidators.ts, OpenAPI).
  .meta({ maxProperties: MAX_COUNTERS });
export type Counters = z.infer<typeof Counters>;

export const DeviceSnapshot = z.strictObject({
  /** How the agent reached the device: host[:port] for SNMP, or the printer URI for IPP. */
  address: z.string().min(1).max(512),
  protocols: z.array(Protocol).min(1).max(2),
  collectedAt: z.iso.datetime({ offset: true }),
  identity: Identity,
  status: DeviceStatus,
  faults: z.array(Fault).max(256),
  supplies: z.array(Supply).max(128),
  inputs: z.array(InputTray).max(64).default([]),
  counters: Counters,
  /** Where each counter was read and how far to trust it; absent from older agents. */
  counterProvenance: CounterProvenance.optional(),
});
export type DeviceSnapshot = z.infer<typeof DeviceSnapshot>;
/** What a normaliser may construct before defaults are applied. */
export type DeviceSnapshotInput = z.input<typeof DeviceSnapshot>;
