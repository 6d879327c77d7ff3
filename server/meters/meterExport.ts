/**
 * The meter export of a range of billing periods (pure): per period, device and counter, the
 * opening snapshot (first reading at or after the period's cut-off), the closing one (the next
 * period's opening), the usage in between (resets and wraps accounted for, absurd jumps left out),
 * the billed units (large impressions weighted), the flags a vendor must look at before invoicing,
 * and whether the customer confirmed the reading. Each counter value says where it came from and
 * how far to trust it (valueOrigin). A device with no closing snapshot after its period ended is
 * flagged "missingMeter": its usage so far is shown, never extrapolated.
 *
 * The period records are indexed by device once for the whole range (a year's export reads the
 * store once, not once per period), and rows are produced lazily so the CSV can be streamed.
 */
import type { CounterConfidence } from '../../shared/counters.js';
import type { CsvCell } from '../api/csv.js';
import { nextPeriod, periodBounds, periodOf, type BillingSettings } from './billingPeriod.js';
import type { MeterDevice, MeterPeriod, MeterSnapshot } from './meterLedger.js';
import { billingWeight } from './meterUsage.js';

export interface MeterDeviceInfo {
  readonly deviceKey: string;
  readonly customerId: string;
  readonly serial?: string;
  readonly model?: string;
  readonly siteId?: string;
  /** When the fleet first saw it (ms): it is listed in the periods that end after that. */
  readonly firstSeen?: number;
}

export interface MeterExportRow {
  readonly customerId: string;
  readonly deviceKey: string;
  readonly serial: string | null;
  readonly model: string | null;
  readonly period: string;
  /** null: a device with no reading in the period (flag noReading). */
  readonly counter: string | null;
  readonly openingAt: string | null;
  readonly opening: number | null;
  readonly openingSource: string | null;
  readonly openingCounterSource: string | null;
  readonly openingConfidence: CounterConfidence | null;
  readonly closingAt: string | null;
  readonly closing: number | null;
  readonly closingCounterSource: string | null;
  readonly closingConfidence: CounterConfidence | null;
  readonly usage: number | null;
  readonly weight: number | null;
  readonly billedUnits: number | null;
  readonly flags: string[];
  readonly confirmedBy: string | null;
}

/** The most periods one export covers (three years). */
export const MAX_EXPORT_PERIODS = 36;

/** The periods from `from` to `to`, both included; null when `to` is before `from` or the range is too long. */
export function periodRange(from: string, to: string): string[] | null {
  const out = [from];
  while (out[out.length - 1]! < to) {
    if (out.length >= MAX_EXPORT_PERIODS) return null;
    out.push(nextPeriod(out[out.length - 1]!));
  }
  return out[out.length - 1] === to ? out : null;
}

export interface MeterExportInput {
  /** Consecutive periods, oldest first (periodRange). */
  readonly periods: readonly string[];
  /** Period records of the device, by device key and period (indexPeriodRecords). */
  readonly records: ReadonlyMap<string, ReadonlyMap<string, MeterPeriod>>;
  /** The fleet in scope: each device is exported, with a reading or flagged noReading. */
  readonly devices: ReadonlyMap<string, MeterDeviceInfo>;
  readonly settingsFor: (customerId: string) => BillingSettings;
  /** Export time: a period whose closing cut-off is past has ended. */
  readonly now: number;
}

/**
 * The records of `periods` and of the period after the last one (closing snapshots), by device
 * and period: one pass over the store's records for the whole range.
 */
export function indexPeriodRecords(
  records: Iterable<MeterPeriod>,
  periods: readonly string[],
  keep: (r: MeterPeriod) => boolean = () => true,
): Map<string, Map<string, MeterPeriod>> {
  const wanted = new Set(periods);
  if (periods.length > 0) wanted.add(nextPeriod(periods[periods.length - 1]!));
  const out = new Map<string, Map<string, MeterPeriod>>();
  for (const r of records) {
    if (!wanted.has(r.period) || !keep(r)) continue;
    let byPeriod = out.get(r.deviceKey);
    if (!byPeriod) out.set(r.deviceKey, (byPeriod = new Map<string, MeterPeriod>()));
    byPeriod.set(r.period, r);
  }
  return out;
}

/** Where a counter value came from, and how far to trust it. */
export interface ValueOrigin {
  /** "Printer-MIB prtMarkerLifeCount.1.1", "IPP printer-impressions-completed", "vendor hpPageCounters.5.0", "derived total-mono", "manual", "customer-confirmed manual", "agent": source not recorded. */
  readonly source: string;
  /** null: not recorded (a reading stored before sources were kept). */
  readonly confidence: CounterConfidence | null;
}

/**
 * The origin of one counter value of a snapshot. A technician's reading of the panel is an
 * estimate until the customer confirms that period's reading; the agent's values carry the
 * source the agent read them from (shared/counters.ts CounterSource).
 */
export function valueOrigin(snapshot: MeterSnapshot, key: string, confirmed: boolean, seen?: Map<string, ValueOrigin>): ValueOrigin {
  if (snapshot.source.startsWith('manual:')) return confirmed ? CONFIRMED_MANUAL : MANUAL;
  const origin = snapshot.origins?.[key];
  if (!origin) return NOT_RECORDED;
  const known = seen?.get(origin.source);
  if (known?.confidence === origin.confidence) return known;
  const out: ValueOrigin = { source: sourceLabel(origin.source), confidence: origin.confidence };
  if (seen && seen.size < 10_000) seen.set(origin.source, out);
  return out;
}

const MANUAL: ValueOrigin = { source: 'manual', confidence: 'estimated' };
const CONFIRMED_MANUAL: ValueOrigin = { source: 'customer-confirmed manual', confidence: 'exact' };
const NOT_RECORDED: ValueOrigin = { source: 'agent', confidence: null };

function sourceLabel(source: string): string {
  if (source.startsWith('derived:')) return `derived ${source.slice('derived:'.length)}`;
  if (source.startsWith('prtMarker')) return `Printer-MIB ${source}`;
  if (source.startsWith('printer-')) return `IPP ${source}`;
  // Anything else is a vendor profile's table (agent/normalise/counterProfiles.ts names its object).
  return `vendor ${source}`;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * One device's period in an export: what its counter rows share. `record` undefined: the device
 * is in the fleet but sent no reading in the period (or never): one "noReading" row, no counters.
 */
export interface ExportedDevicePeriod {
  readonly period: string;
  readonly deviceKey: string;
  readonly customerId: string;
  readonly info: MeterDeviceInfo | undefined;
  readonly record: MeterPeriod | undefined;
  readonly opening: MeterSnapshot | undefined;
  /** The next period's opening snapshot. */
  readonly closing: MeterSnapshot | undefined;
  readonly openingConfirmed: boolean;
  readonly closingConfirmed: boolean;
  /** Flags of the device's period (not of one counter), missingMeter included. */
  readonly deviceFlags: readonly string[];
  /** The counter keys of its rows, in key order (none for a device with no record). */
  readonly counters: readonly string[];
  readonly largeWeight: number;
}

/**
 * The device periods of an export, period by period (oldest first), devices in key order. Every
 * device of `input.devices` (the fleet in scope) appears in each period that has begun and ends
 * after the fleet first saw it, with or without a reading: a device that never sent a counter must not drop out
 * of a bill silently. A device with records but no fleet record (removed since) appears too.
 */
export function* exportDevicePeriods(input: MeterExportInput): Generator<ExportedDevicePeriod> {
  const keys = [...new Set([...input.records.keys(), ...input.devices.keys()])].sort();
  // A period's bounds per customer settings: a cut-off costs a luxon call (~10 µs).
  const bounds = new Map<BillingSettings, { start: number; end: number }>();
  for (const period of input.periods) {
    const next = nextPeriod(period);
    bounds.clear();
    for (const deviceKey of keys) {
      const byPeriod = input.records.get(deviceKey);
      const p = byPeriod?.get(period);
      const info = input.devices.get(deviceKey);
      const customerId = p?.customerId ?? info!.customerId;
      const settings = input.settingsFor(customerId);
      let b = bounds.get(settings);
      if (b === undefined) bounds.set(settings, (b = periodBounds(period, settings)));
      if (!p) {
        // Not before the fleet saw it, nor for a period that has not begun.
        if ((info!.firstSeen !== undefined && info!.firstSeen >= b.end) || input.now < b.start) continue;
        yield {
          period,
          deviceKey,
          customerId,
          info,
          record: undefined,
          opening: undefined,
          closing: undefined,
          openingConfirmed: false,
          closingConfirmed: false,
          deviceFlags: NO_READING,
          counters: NO_COUNTERS,
          largeWeight: settings.largeWeight,
        };
        continue;
      }
      const following = byPeriod!.get(next);
      const closing = following?.opening;
      const deviceFlags = p.flags.length === 0 ? [] : [...new Set(p.flags.filter((f) => f.key === undefined).map((f) => f.flag))];
      if (!closing && input.now >= b.end) deviceFlags.push('missingMeter');
      const opening = p.opening;
      yield {
        period,
        deviceKey,
        customerId,
        info,
        record: p,
        opening,
        closing,
        openingConfirmed: p.confirmation !== undefined,
        closingConfirmed: following?.confirmation !== undefined,
        deviceFlags,
        counters: counterKeysOf(opening, p, closing),
        largeWeight: settings.largeWeight,
      };
    }
  }
}

/** The counter keys of a device's period: the opening's, then any only counted or only in the closing, in key order. */
function counterKeysOf(opening: MeterSnapshot | undefined, p: MeterPeriod, closing: MeterSnapshot | undefined): string[] {
  // Object.keys and a short array beat a Set over for-in: this runs once per device and period.
  const keys = opening ? Object.keys(opening.counters) : [];
  for (const k of Object.keys(p.usage)) if (!keys.includes(k)) keys.push(k);
  if (closing) for (const k of Object.keys(closing.counters)) if (!keys.includes(k)) keys.push(k);
  return keys.sort();
}

const NO_READING: readonly string[] = ['noReading'];
const NO_COUNTERS: readonly string[] = [];

/** A counter's usage in the period; 0 when both snapshots hold it and nothing was counted; null: nothing billable. */
export function counterUsage(dp: ExportedDevicePeriod, counter: string): number | null {
  const used = dp.record?.usage[counter];
  if (used !== undefined) return used;
  return dp.opening?.counters[counter] !== undefined && dp.closing?.counters[counter] !== undefined ? 0 : null;
}

/** The row's flags: the device period's, then the counter's own (each once). */
export function rowFlags(dp: ExportedDevicePeriod, counter: string | null): readonly string[] {
  const all = dp.record?.flags;
  if (counter === null || !all || all.length === 0) return dp.deviceFlags;
  const own = [...new Set(all.filter((f) => f.key === counter).map((f) => f.flag))];
  return own.length === 0 ? dp.deviceFlags : [...dp.deviceFlags, ...own];
}

/** Billing weight per customer weight and counter key, worked out once per export. */
export function billingWeights(): (counter: string, largeWeight: number) => number | null {
  const weights = new Map<number, Map<string, number | null>>();
  return (counter, largeWeight) => {
    let byKey = weights.get(largeWeight);
    if (!byKey) weights.set(largeWeight, (byKey = new Map<string, number | null>()));
    let w = byKey.get(counter);
    if (w === undefined) byKey.set(counter, (w = billingWeight(counter, largeWeight)));
    return w;
  };
}

/** Rows period by period (oldest first), devices in key order, counters in key order. */
export function* meterExportRows(input: MeterExportInput): Generator<MeterExportRow> {
  const weightOf = billingWeights();
  // The few distinct origins, made once per export rather than once per row.
  const seen = new Map<string, ValueOrigin>();
  for (const dp of exportDevicePeriods(input)) {
    const { opening, closing } = dp;
    const serial = dp.info?.serial ?? null;
    const model = dp.info?.model ?? null;
    const openingAt = iso(opening?.at);
    const openingSource = opening?.source ?? null;
    const closingAt = iso(closing?.at);
    const confirmedBy = dp.record?.confirmation?.by ?? null;
    if (dp.record === undefined) {
      yield {
        customerId: dp.customerId,
        deviceKey: dp.deviceKey,
        serial,
        model,
        period: dp.period,
        counter: null,
        openingAt: null,
        opening: null,
        openingSource: null,
        openingCounterSource: null,
        openingConfidence: null,
        closingAt: null,
        closing: null,
        closingCounterSource: null,
        closingConfidence: null,
        usage: null,
        weight: null,
        billedUnits: null,
        flags: [...dp.deviceFlags],
        confirmedBy: null,
      };
      continue;
    }
    for (const counter of dp.counters) {
      const weight = weightOf(counter, dp.largeWeight);
      const openingValue = opening?.counters[counter];
      const closingValue = closing?.counters[counter];
      const usage = counterUsage(dp, counter);
      const openingOrigin = openingValue !== undefined ? valueOrigin(opening!, counter, dp.openingConfirmed, seen) : null;
      const closingOrigin = closingValue !== undefined ? valueOrigin(closing!, counter, dp.closingConfirmed, seen) : null;
      // One literal in field order (not a spread of the device's fields): the rows of a year are millions.
      yield {
        customerId: dp.customerId,
        deviceKey: dp.deviceKey,
        serial,
        model,
        period: dp.period,
        counter,
        openingAt,
        opening: openingValue ?? null,
        openingSource,
        openingCounterSource: openingOrigin?.source ?? null,
        openingConfidence: openingOrigin?.confidence ?? null,
        closingAt,
        closing: closingValue ?? null,
        closingCounterSource: closingOrigin?.source ?? null,
        closingConfidence: closingOrigin?.confidence ?? null,
        usage,
        weight,
        billedUnits: usage !== null && weight !== null ? usage * weight : null,
        flags: [...rowFlags(dp, counter)],
        confirmedBy,
      };
    }
  }
}

/**
 * The JSON export ({ from, to, rows }) as UTF-8 chunks of about `chunkBytes`: a year of a large
 * fleet is over 300 MB of JSON, near V8's longest string, so it is streamed like the CSV rather
 * than built and serialised whole. The text is JSON.stringify's of meterExportRows' rows (the
 * API's MeterRow, key for key; a test compares them), written from the device periods without a
 * row object, the texts a device's period shares and the few distinct ones quoted once.
 */
export function* meterJsonChunks(input: MeterExportInput, from: string, to: string, chunkBytes = 256 * 1024): Generator<Buffer> {
  const quoted = new Map<string, string>();
  const js = (s: string | null | undefined): string => {
    if (s === null || s === undefined) return 'null';
    let out = quoted.get(s);
    if (out === undefined) {
      out = JSON.stringify(s);
      if (quoted.size < 10_000) quoted.set(s, out);
    }
    return out;
  };
  const num = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? 'null' : String(n));
  const flagList = (flags: readonly string[]): string => (flags.length === 0 ? '[]' : `[${flags.map(js).join(',')}]`);
  const weightOf = billingWeights();
  const seen = new Map<string, ValueOrigin>();
  let out = `{"from":${JSON.stringify(from)},"to":${JSON.stringify(to)},"rows":[`;
  let sep = '';
  for (const dp of exportDevicePeriods(input)) {
    const { opening, closing } = dp;
    const head = `{"customerId":${js(dp.customerId)},"deviceKey":${js(dp.deviceKey)},"serial":${js(dp.info?.serial)},"model":${js(dp.info?.model)},"period":${js(dp.period)},"counter":`;
    if (dp.record === undefined) {
      out += `${sep}${head}null,"openingAt":null,"opening":null,"openingSource":null,"openingCounterSource":null,"openingConfidence":null,"closingAt":null,"closing":null,"closingCounterSource":null,"closingConfidence":null,"usage":null,"weight":null,"billedUnits":null,"flags":${flagList(dp.deviceFlags)},"confirmedBy":null}`;
      sep = ',';
    } else {
      const openingAt = opening ? `"${new Date(opening.at).toISOString()}"` : 'null';
      const openingSource = js(opening?.source);
      const closingAt = closing ? `"${new Date(closing.at).toISOString()}"` : 'null';
      const confirmedBy = js(dp.record.confirmation?.by);
      for (const counter of dp.counters) {
        const openingValue = opening?.counters[counter];
        const closingValue = closing?.counters[counter];
        const usage = counterUsage(dp, counter);
        const weight = weightOf(counter, dp.largeWeight);
        const oo = openingValue !== undefined ? valueOrigin(opening!, counter, dp.openingConfirmed, seen) : null;
        const co = closingValue !== undefined ? valueOrigin(closing!, counter, dp.closingConfirmed, seen) : null;
        out += `${sep}${head}${js(counter)},"openingAt":${openingAt},"opening":${num(openingValue)},"openingSource":${openingSource},"openingCounterSource":${js(oo?.source)},"openingConfidence":${js(oo?.confidence)},"closingAt":${closingAt},"closing":${num(closingValue)},"closingCounterSource":${js(co?.source)},"closingConfidence":${js(co?.confidence)},"usage":${num(usage)},"weight":${num(weight)},"billedUnits":${num(usage !== null && weight !== null ? usage * weight : null)},"flags":${flagList(rowFlags(dp, counter))},"confirmedBy":${confirmedBy}}`;
        sep = ',';
      }
    }
    if (out.length >= chunkBytes) {
      yield Buffer.from(out, 'utf8');
      out = '';
    }
  }
  yield Buffer.from(`${out}]}`, 'utf8');
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
  'opening_counter_source',
  'opening_confidence',
  'closing_at',
  'closing',
  'closing_counter_source',
  'closing_confidence',
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
    r.openingCounterSource,
    r.openingConfidence,
    r.closingAt,
    r.closing,
    r.closingCounterSource,
    r.closingConfidence,
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
  /** No meter reading ever: a device whose counters were never read (or that has none). */
  readonly neverReported: boolean;
  readonly cutoff: number;
  /** Days since the last reading; 0 when there never was one. */
  readonly silentDays: number;
}

const DAY = 86_400_000;

/**
 * Devices that will miss the coming cut-off's meter reading: within the customer's
 * `missingMeterDays` before it, silent for at least as long, or never read (ledgerDevices gives
 * the fleet's devices that never reported one). Never read first, then oldest reading first.
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
      neverReported: last === undefined,
      cutoff,
      silentDays: last !== undefined ? Math.floor((now - last) / DAY) : 0,
    });
  }
  return out.sort((a, b) => (a.lastReadingAt ?? 0) - (b.lastReadingAt ?? 0) || a.deviceKey.localeCompare(b.deviceKey));
}
