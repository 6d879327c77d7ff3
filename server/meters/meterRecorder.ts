/**
 * The shell of the meters: subscribed to the fleet bus's device updates, it runs inside the
 * ingest transaction (a reading and its meter commit together) and applies readings to the
 * ledger (meterLedger.ts). Not every poll: a reading is applied when it is the first of a new
 * billing period (the opening snapshot), when a counter went down since the previous reading
 * (a reset must be seen at once, or the pages before it are lost), or `minGapMs` after the last
 * one applied. A device seen at an address another device held is a swap: an event on both,
 * and the histories stay apart (they are different device keys).
 *
 * Storage (Repository collections): meterDevices (per device: identity, last reading,
 * events), meterPeriods ("<deviceKey>|<YYYY-MM>": opening snapshot, usage, flags,
 * confirmation), meterAddresses ("<tenant>|<address>": who is there), meterAlerts
 * ("<deviceKey>|<YYYY-MM>": missing-meter alerts, missingMeterWatch.ts; a reading clears one here).
 */
import type { Logger } from '../../shared/logging.js';
import type { Counters } from '../../shared/snapshot.js';
import type { DeviceUpdate, FleetEventBus, PendingDeviceUpdate } from '../events/fleetEvents.js';
import type { DeviceRecord } from '../fleet/fleetModel.js';
import type { RecordRef, Repository, Transaction } from '../storage/repository.js';
import { periodBounds, periodOf, type BillingSettings } from './billingPeriod.js';
import { applyReading, MAX_DEVICE_EVENTS, type MeterDevice, type MeterPeriod, type MeterReading } from './meterLedger.js';
import { clearAlert, type MissingMeterAlert } from './missingMeterAlert.js';

export const METER_COLLECTIONS = {
  devices: 'meterDevices',
  periods: 'meterPeriods',
  addresses: 'meterAddresses',
  alerts: 'meterAlerts',
} as const;

export const periodRecordId = (deviceKey: string, period: string): string => `${deviceKey}|${period}`;

interface AddressRecord {
  readonly deviceKey: string;
  readonly since: number;
}

export interface MeterRecorderOptions {
  readonly billingOf: (customerId: string) => BillingSettings;
  readonly logger?: Logger;
  /** Least time between two applied readings of one device, unless a period starts or a counter went down. */
  readonly minGapMs?: number;
}

const HOUR = 3_600_000;

export class MeterRecorder {
  /** Last reading applied per device (ms, agent clock): skips reading the record between readings. Bounded. */
  private readonly applied = new Map<string, number>();
  /** The period last looked up per customer: most readings fall in it, and luxon is ~10 µs a call. */
  private readonly periods = new Map<string, { readonly settings: BillingSettings; readonly period: string; readonly start: number; readonly end: number }>();
  readonly stats = { applied: 0, skipped: 0, swaps: 0 };

  constructor(private readonly o: MeterRecorderOptions) {}

  attach(bus: FleetEventBus): () => void {
    const undeclare = bus.declareUpdateReads({ first: (u) => this.readsOf(u), then: (u, tx) => this.followingReadsOf(u, tx) });
    const unsubscribe = bus.subscribeDeviceUpdates((u, tx) => this.record(u, tx));
    return () => {
      undeclare();
      unsubscribe();
    };
  }

  /**
   * What `apply` will read for a device message, from the message and the stored record: nothing
   * when the reading will be skipped, else the device's ledger, the reading's period and its address.
   */
  readsOf(u: PendingDeviceUpdate): RecordRef[] {
    const reading = this.readingOf(u);
    if (!reading) return [];
    const out: RecordRef[] = [
      [METER_COLLECTIONS.devices, u.deviceKey],
      [METER_COLLECTIONS.periods, periodRecordId(u.deviceKey, periodOf(reading.at, reading.settings))],
    ];
    if (reading.address !== undefined) out.push([METER_COLLECTIONS.addresses, `${reading.tenant}|${reading.address}`]);
    return out;
  }

  /**
   * What follows from the records of `readsOf` once they are fetched: the period of the last reading
   * when it is another one, the missing-meter alert the reading clears, and the ledger of a device
   * that held the address before (a swap).
   */
  async followingReadsOf(u: PendingDeviceUpdate, tx: Transaction): Promise<RecordRef[]> {
    const reading = this.readingOf(u);
    if (!reading) return [];
    const out: RecordRef[] = [];
    const device = await tx.get<MeterDevice>(METER_COLLECTIONS.devices, u.deviceKey);
    if (device?.last) {
      const lastPeriod = periodOf(device.last.at, reading.settings);
      if (lastPeriod !== periodOf(reading.at, reading.settings)) out.push([METER_COLLECTIONS.periods, periodRecordId(u.deviceKey, lastPeriod)]);
    }
    if (device?.missingMeter) out.push([METER_COLLECTIONS.alerts, device.missingMeter.id]);
    if (reading.address !== undefined) {
      const held = await tx.get<AddressRecord>(METER_COLLECTIONS.addresses, `${reading.tenant}|${reading.address}`);
      if (held && held.deviceKey !== u.deviceKey) out.push([METER_COLLECTIONS.devices, held.deviceKey]);
    }
    return out;
  }

  /** The reading a pending message will apply (as `record` decides), or undefined when it will be skipped. */
  private readingOf(u: PendingDeviceUpdate): { at: number; settings: BillingSettings; tenant: string; address: string | undefined } | undefined {
    const msg = u.message;
    if (msg.type === 'device.event') return undefined;
    const [counters, collectedAt, address] =
      msg.type === 'device.telemetry' ? [msg.counters, msg.ts, u.previous?.address] : [msg.snapshot.counters, msg.snapshot.collectedAt, msg.snapshot.address];
    if (Object.keys(counters).length === 0) return undefined;
    const at = Date.parse(collectedAt);
    if (!Number.isFinite(at)) return undefined;
    const settings = this.o.billingOf(u.customerId);
    if (!this.due(u.deviceKey, u.customerId, settings, counters, u.previous?.counters, at)) return undefined;
    return { at, settings, tenant: msg.tenant, address };
  }

  async record(u: DeviceUpdate, tx: Transaction): Promise<void> {
    const d = u.device;
    if (d.counters === u.previous?.counters || Object.keys(d.counters).length === 0 || d.collectedAt === undefined) return;
    const at = Date.parse(d.collectedAt);
    if (!Number.isFinite(at)) return;
    const settings = this.o.billingOf(d.customerId);
    if (!this.due(d.key, d.customerId, settings, d.counters, u.previous?.counters, at)) {
      this.stats.skipped += 1;
      return;
    }
    const reading: MeterReading = {
      at,
      counters: d.counters,
      source: `agent:${d.tenant}/${d.agentId}`,
      ...(d.counterOrigins !== undefined ? { origins: d.counterOrigins } : {}),
      identity: identityOf(d),
    };
    await this.apply(tx, d, reading, settings);
  }

  /** A reading typed in by a technician: the same ledger; false when it is older than the last one. */
  async recordManual(repo: Repository, device: DeviceRecord, reading: MeterReading): Promise<boolean> {
    return repo.transaction((tx) => this.apply(tx, device, reading, this.o.billingOf(device.customerId)));
  }

  private async apply(tx: Transaction, d: DeviceRecord, reading: MeterReading, settings: BillingSettings): Promise<boolean> {
    const device = await tx.get<MeterDevice>(METER_COLLECTIONS.devices, d.key);
    const period = periodOf(reading.at, settings);
    const lastPeriod = device?.last ? periodOf(device.last.at, settings) : undefined;
    const current = await tx.get<MeterPeriod>(METER_COLLECTIONS.periods, periodRecordId(d.key, period));
    const previous =
      lastPeriod === undefined
        ? undefined
        : lastPeriod === period
          ? current
          : await tx.get<MeterPeriod>(METER_COLLECTIONS.periods, periodRecordId(d.key, lastPeriod));
    const out = applyReading({ device, previousPeriod: previous, currentPeriod: current, deviceKey: d.key, customerId: d.customerId, reading, settings });
    if (!out) return false;
    let next = out.device;
    const alerted = device?.missingMeter;
    if (alerted) {
      // The reading the missing-meter alert waited for (missingMeterAlert.ts).
      const cleared = clearAlert({ ...next, missingMeter: alerted }, await tx.get<MissingMeterAlert>(METER_COLLECTIONS.alerts, alerted.id), reading.at);
      next = cleared.device;
      if (cleared.alert) await tx.put(METER_COLLECTIONS.alerts, cleared.alert.id, cleared.alert);
    }
    if (d.address !== undefined) next = await this.checkAddress(tx, d, next, reading.at);
    await tx.put(METER_COLLECTIONS.devices, d.key, next);
    for (const p of out.periods) await tx.put(METER_COLLECTIONS.periods, periodRecordId(d.key, p.period), p);
    this.note(d.key, reading.at);
    this.stats.applied += 1;
    return true;
  }

  /** A different device where this one is now: a swap (new device at the same address), recorded on both. */
  private async checkAddress(tx: Transaction, d: DeviceRecord, device: MeterDevice, at: number): Promise<MeterDevice> {
    const id = `${d.tenant}|${d.address}`;
    const held = await tx.get<AddressRecord>(METER_COLLECTIONS.addresses, id);
    if (held?.deviceKey === d.key) return device;
    await tx.put(METER_COLLECTIONS.addresses, id, { deviceKey: d.key, since: at } satisfies AddressRecord);
    if (!held) return device;
    this.stats.swaps += 1;
    const old = await tx.get<MeterDevice>(METER_COLLECTIONS.devices, held.deviceKey);
    if (old) {
      const event = { at, kind: 'deviceSwap' as const, detail: `replaced at ${d.address} by ${d.key}`, to: d.key };
      await tx.put(METER_COLLECTIONS.devices, held.deviceKey, { ...old, events: [...old.events, event].slice(-MAX_DEVICE_EVENTS) });
    }
    const event = {
      at,
      kind: 'deviceSwap' as const,
      detail: `took ${d.address} over from ${held.deviceKey}; its meter history stays with it`,
      from: held.deviceKey,
    };
    return { ...device, events: [...device.events, event].slice(-MAX_DEVICE_EVENTS) };
  }

  /** A reading is applied when it opens a period, a counter went down, or `minGapMs` passed since the last one. */
  private due(key: string, customerId: string, settings: BillingSettings, counters: Counters, previous: Counters | undefined, at: number): boolean {
    const last = this.applied.get(key);
    if (last === undefined || at - last >= (this.o.minGapMs ?? HOUR)) return true;
    const wentDown = Object.entries(counters).some(([k, v]) => (previous?.[k] ?? -1) > v);
    return wentDown || !this.samePeriod(customerId, settings, last, at);
  }

  private samePeriod(customerId: string, settings: BillingSettings, a: number, b: number): boolean {
    let p = this.periods.get(customerId);
    if (!p || p.settings !== settings || b < p.start || b >= p.end) {
      const period = periodOf(b, settings);
      p = { settings, period, ...periodBounds(period, settings) };
      if (this.periods.size >= 10_000) this.periods.clear();
      this.periods.set(customerId, p);
    }
    return a >= p.start && a < p.end;
  }

  private note(key: string, at: number): void {
    if (this.applied.size >= 50_000 && !this.applied.has(key)) this.applied.clear();
    this.applied.set(key, at);
  }
}

function identityOf(d: DeviceRecord): MeterReading['identity'] {
  const i = d.identity;
  return {
    ...(i.serial !== undefined ? { serial: i.serial } : {}),
    ...(i.mac !== undefined ? { mac: i.mac } : {}),
    ...(i.sysName !== undefined ? { sysName: i.sysName } : {}),
  };
}
