/**
 * The meter ledger of one device (pure step function over plain JSON records): each reading is
 * compared with the device's previous one, counter by counter (meterUsage.ts), and the usage is
 * added to the period of the previous reading, so a period's usage is what happened between its
 * opening snapshot and the next period's, resets and wraps included. The first reading at or after
 * a cut-off becomes the new period's opening snapshot. The identity the reading carries is checked
 * against the device's: a different MAC and sysName under the same key is two devices sharing a
 * serial (flagged, nothing billed across it). Firmware changes are in the device history
 * (server/history), not here.
 */
import type { CounterOrigin } from '../../shared/counters.js';
import type { BillingSettings } from './billingPeriod.js';
import { periodOf } from './billingPeriod.js';
import { counterStep, type UsageFlagKind } from './meterUsage.js';

export interface MeterReading {
  readonly at: number;
  readonly counters: Readonly<Record<string, number>>;
  /** "agent:<tenant>/<agentId>" or "manual:<token name>". */
  readonly source: string;
  /** Per counter key, where the agent read it and how exact it is (absent for manual readings). */
  readonly origins?: Readonly<Record<string, CounterOrigin>>;
  readonly identity: { readonly serial?: string; readonly mac?: string; readonly sysName?: string };
}

export interface MeterFlag {
  readonly at: number;
  readonly flag: UsageFlagKind;
  readonly key?: string;
  readonly detail: string;
}

export interface MeterDeviceEvent {
  readonly at: number;
  readonly kind: 'identityConflict' | 'deviceSwap' | 'missingMeter' | 'meterBack';
  readonly detail: string;
  readonly from?: string;
  readonly to?: string;
}

export interface MeterDevice {
  readonly deviceKey: string;
  readonly customerId: string;
  readonly serial?: string;
  readonly mac?: string;
  readonly sysName?: string;
  readonly last?: { readonly at: number; readonly counters: Readonly<Record<string, number>> };
  /** Newest first is not kept: oldest first, bounded. */
  readonly events: readonly MeterDeviceEvent[];
  /** The missing-meter alert raised for this device and not yet cleared by a reading (missingMeterAlert.ts). */
  readonly missingMeter?: { readonly id: string; readonly raisedAt: number };
}

/** A reading kept as a period's opening snapshot. */
export interface MeterSnapshot {
  readonly at: number;
  readonly counters: Readonly<Record<string, number>>;
  readonly source: string;
  readonly origins?: Readonly<Record<string, CounterOrigin>>;
}

export interface MeterPeriod {
  readonly deviceKey: string;
  readonly customerId: string;
  readonly period: string;
  readonly opening?: MeterSnapshot;
  readonly usage: Readonly<Record<string, number>>;
  readonly flags: readonly MeterFlag[];
  readonly confirmation?: { readonly by: string; readonly at: number; readonly note?: string };
}

/** A fleet device as the ledger knows it: the one device key (fleet state's), its customer and serial. */
export interface FleetDeviceRef {
  readonly key: string;
  readonly customerId: string;
  readonly identity: { readonly serial?: string };
}

/** A fleet device that never sent a meter reading: in the ledger with no reading, so its missing meter is seen. */
export function unreadDevice(d: FleetDeviceRef): MeterDevice {
  return { deviceKey: d.key, customerId: d.customerId, ...(d.identity.serial !== undefined ? { serial: d.identity.serial } : {}), events: [] };
}

/**
 * The devices the ledger answers for: its own records, and every device of the fleet that never
 * reported a meter (unreadDevice): a device without counters must not drop out of a bill silently.
 * Records of devices since removed from the fleet stay (their history is still billed).
 */
export function ledgerDevices(ledger: Iterable<MeterDevice>, fleet: Iterable<FleetDeviceRef>): MeterDevice[] {
  const out = [...ledger];
  const known = new Set(out.map((d) => d.deviceKey));
  for (const d of fleet) if (!known.has(d.key)) out.push(unreadDevice(d));
  return out;
}

export const MAX_DEVICE_EVENTS = 200;
const MAX_FLAGS = 100;

export function emptyPeriod(deviceKey: string, customerId: string, period: string): MeterPeriod {
  return { deviceKey, customerId, period, usage: {}, flags: [] };
}

export interface LedgerInput {
  readonly device: MeterDevice | undefined;
  /** The period record of the previous reading (usage goes there). */
  readonly previousPeriod: MeterPeriod | undefined;
  /** The period record of this reading (its opening snapshot, when it has none yet). */
  readonly currentPeriod: MeterPeriod | undefined;
  readonly deviceKey: string;
  readonly customerId: string;
  readonly reading: MeterReading;
  readonly settings: BillingSettings;
}

export interface LedgerOutput {
  readonly device: MeterDevice;
  /** Period records to write (one or two). */
  readonly periods: readonly MeterPeriod[];
}

const addFlag = (flags: readonly MeterFlag[], f: MeterFlag): MeterFlag[] => [...flags, f].slice(-MAX_FLAGS);

export function applyReading(input: LedgerInput): LedgerOutput | null {
  const { reading, settings } = input;
  const prev = input.device;
  // A reading older than the last one (an outbox replay) changes nothing.
  if (prev?.last && reading.at <= prev.last.at) return null;
  const events: MeterDeviceEvent[] = [...(prev?.events ?? [])];
  const id = reading.identity;

  const conflict =
    prev !== undefined &&
    prev.mac !== undefined &&
    id.mac !== undefined &&
    prev.mac !== id.mac &&
    (prev.sysName === undefined || id.sysName === undefined || prev.sysName !== id.sysName);
  if (conflict) {
    events.push({
      at: reading.at,
      kind: 'identityConflict',
      detail: `serial ${id.serial ?? '(none)'} reported by MAC ${id.mac} after MAC ${prev.mac}: two devices share it, or the device was swapped`,
      from: prev.mac,
      to: id.mac,
    });
  }

  const period = periodOf(reading.at, settings);
  const periods = new Map<string, MeterPeriod>();
  const last = prev?.last;
  if (last) {
    const lastPeriod = periodOf(last.at, settings);
    let p = input.previousPeriod ?? emptyPeriod(input.deviceKey, input.customerId, lastPeriod);
    if (conflict) {
      p = { ...p, flags: addFlag(p.flags, { at: reading.at, flag: 'identityConflict', detail: `MAC ${prev.mac} → ${id.mac}: no usage across the change` }) };
    } else {
      const usage: Record<string, number> = { ...p.usage };
      let flags = p.flags;
      for (const [key, value] of Object.entries(reading.counters)) {
        const before = last.counters[key];
        if (before === undefined) continue;
        const step = counterStep({ value: before, at: last.at }, { value, at: reading.at }, settings.maxPagesPerDay);
        if (step.usage !== null) usage[key] = (usage[key] ?? 0) + step.usage;
        if (step.flag) flags = addFlag(flags, { at: reading.at, flag: step.flag, key, detail: `${key}: ${before} → ${value}` });
      }
      p = { ...p, usage, flags };
    }
    periods.set(lastPeriod, p);
  }
  const current = periods.get(period) ?? input.currentPeriod ?? emptyPeriod(input.deviceKey, input.customerId, period);
  if (!current.opening) {
    const opening: MeterSnapshot = {
      at: reading.at,
      counters: reading.counters,
      source: reading.source,
      ...(reading.origins !== undefined ? { origins: reading.origins } : {}),
    };
    periods.set(period, { ...current, opening });
  }

  const device: MeterDevice = {
    deviceKey: input.deviceKey,
    customerId: input.customerId,
    ...(id.serial !== undefined ? { serial: id.serial } : prev?.serial !== undefined ? { serial: prev.serial } : {}),
    ...(id.mac !== undefined ? { mac: id.mac } : prev?.mac !== undefined ? { mac: prev.mac } : {}),
    ...(id.sysName !== undefined ? { sysName: id.sysName } : prev?.sysName !== undefined ? { sysName: prev.sysName } : {}),
    last: { at: reading.at, counters: reading.counters },
    events: events.slice(-MAX_DEVICE_EVENTS),
  };
  return { device, periods: [...periods.values()] };
}
