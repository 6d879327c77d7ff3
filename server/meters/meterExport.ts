/**
 * The meter export of one billing period (pure): per device and counter, the opening snapshot
 * (first reading at or after the period's cut-off), the closing one (the next period's opening),
 * the usage in between (resets and wraps accounted for, absurd jumps left out), the billed units
 * (large impressions weighted), the flags a vendor must look at before invoicing, and whether the
 * customer confirmed the reading. A device with no closing snapshot after its period ended is
 * flagged "missingMeter": its usage so far is shown, never extrapolated.
 */
import type { CsvCell } from '../api/csv.js';
import { periodBounds, periodOf, type BillingSettings } from './billingPeriod.js';
import type { MeterDevice, MeterPeriod } from './meterLedger.js';
import { billingWeight } from './meterUsage.js';

export interface MeterDeviceInfo {
  readonly deviceKey: string;
  readonly customerId: string;
  readonly serial?: string;
  readonly model?: string;
  readonly siteId?: string;
}

export interface MeterExportRow {
  readonly customerId: string;
  readonly deviceKey: string;
  readonly serial: string | null;
  readonly model: string | null;
  readonly period: string;
  readonly counter: string;
  readonly openingAt: string | null;
  readonly opening: number | null;
  readonly openingSource: string | null;
  readonly closingAt: string | null;
  readonly closing: number | null;
  readonly usage: number | null;
  readonly weight: number | null;
  readonly billedUnits: number | null;
  readonly flags: string[];
  readonly confirmedBy: string | null;
}

export interface MeterExportInput {
  readonly period: string;
  /** Period records of `period`, and of the next period (closing snapshots), by device key. */
  readonly current: ReadonlyMap<string, MeterPeriod>;
  readonly next: ReadonlyMap<string, MeterPeriod>;
  readonly devices: ReadonlyMap<string, MeterDeviceInfo>;
  readonly settingsFor: (customerId: string) => BillingSettings;
  /** Whether the period has ended (its closing cut-off is past) at export time. */
  readonly periodEnded: (customerId: string) => boolean;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function meterExportRows(input: MeterExportInput): MeterExportRow[] {
  const rows: MeterExportRow[] = [];
  const keys = [...input.current.keys()].sort();
  for (const deviceKey of keys) {
    const p = input.current.get(deviceKey)!;
    const closing = input.next.get(deviceKey)?.opening;
    const info = input.devices.get(deviceKey);
    const settings = input.settingsFor(p.customerId);
    const deviceFlags = [...new Set(p.flags.filter((f) => f.key === undefined).map((f) => f.flag))];
    if (!closing && input.periodEnded(p.customerId)) deviceFlags.push('missingMeter');
    const counterKeys = [...new Set([...Object.keys(p.opening?.counters ?? {}), ...Object.keys(p.usage), ...Object.keys(closing?.counters ?? {})])].sort();
    for (const counter of counterKeys) {
      const weight = billingWeight(counter, settings.largeWeight);
      const usage = p.usage[counter] ?? (p.opening?.counters[counter] !== undefined && closing?.counters[counter] !== undefined ? 0 : null);
      const flags = [...deviceFlags, ...new Set(p.flags.filter((f) => f.key === counter).map((f) => f.flag))];
      rows.push({
        customerId: p.customerId,
        deviceKey,
        serial: info?.serial ?? null,
        model: info?.model ?? null,
        period: p.period,
        counter,
        openingAt: iso(p.opening?.at),
        opening: p.opening?.counters[counter] ?? null,
        openingSource: p.opening?.source ?? null,
        closingAt: iso(closing?.at),
        closing: closing?.counters[counter] ?? null,
        usage,
        weight,
        billedUnits: usage !== null && weight !== null ? usage * weight : null,
        flags,
        confirmedBy: p.confirmation?.by ?? null,
      });
    }
  }
  return rows;
}

export const METER_CSV_HEADER = [
  'customer',
  'device',
  'serial',
  'model',
  'period',
  'counter',
  'opening_at',
  'opening',
  'opening_source',
  'closing_at',
  'closing',
  'usage',
  'weight',
  'billed_units',
  'flags',
  'confirmed_by',
] as const;

export function meterCsvRow(r: MeterExportRow): CsvCell[] {
  return [
    r.customerId,
    r.deviceKey,
    r.serial,
    r.model,
    r.period,
    r.counter,
    r.openingAt,
    r.opening,
    r.openingSource,
    r.closingAt,
    r.closing,
    r.usage,
    r.weight,
    r.billedUnits,
    r.flags.join(' '),
    r.confirmedBy,
  ];
}

export interface MissingMeter {
  readonly deviceKey: string;
  readonly customerId: string;
  readonly serial: string | null;
  readonly lastReadingAt: number | null;
  readonly cutoff: number;
  readonly silentDays: number;
}

const DAY = 86_400_000;

/**
 * Devices that will miss the coming cut-off's meter reading: within the customer's
 * `missingMeterDays` before it, silent for at least as long. Oldest reading first.
 */
export function missingMeters(
  devices: Iterable<Pick<MeterDevice, 'deviceKey' | 'customerId' | 'serial' | 'last'>>,
  now: number,
  settingsFor: (customerId: string) => BillingSettings,
): MissingMeter[] {
  const out: MissingMeter[] = [];
  for (const d of devices) {
    const s = settingsFor(d.customerId);
    const cutoff = periodBounds(periodOf(now, s), s).end;
    const window = s.missingMeterDays * DAY;
    const last = d.last?.at;
    if (now < cutoff - window || (last !== undefined && now - last < window)) continue;
    out.push({
      deviceKey: d.deviceKey,
      customerId: d.customerId,
      serial: d.serial ?? null,
      lastReadingAt: last ?? null,
      cutoff,
      silentDays: last !== undefined ? Math.floor((now - last) / DAY) : 0,
    });
  }
  return out.sort((a, b) => (a.lastReadingAt ?? 0) - (b.lastReadingAt ?? 0) || a.deviceKey.localeCompare(b.deviceKey));
}
