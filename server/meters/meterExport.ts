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
import { csvCell, type CsvCell, type CsvDialect } from '../api/csv.js';
import { nextPeriod, periodBounds, periodOf, type BillingSettings } from './billingPeriod.js';
import type { MeterDevice, MeterPeriod, MeterSnapshot } from './meterLedger.js';
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
const NO_FLAGS: readonly string[] = [];

/** Rows period by period (oldest first), devices in key order, counters in key order. */
export function* meterExportRows(input: MeterExportInput): Generator<MeterExportRow> {
  const keys = [...input.records.keys()].sort();
  // Billing weight per customer weight and counter key, worked out once.
  const weights = new Map<number, Map<string, number | null>>();
  const weightOf = (counter: string, largeWeight: number): number | null => {
    let byKey = weights.get(largeWeight);
    if (!byKey) weights.set(largeWeight, (byKey = new Map<string, number | null>()));
    let w = byKey.get(counter);
    if (w === undefined) byKey.set(counter, (w = billingWeight(counter, largeWeight)));
    return w;
  };
  // The few distinct origins, made once per export rather than once per row.
  const seen = new Map<string, ValueOrigin>();
  // Whether a period has ended, per customer settings: a cut-off costs a luxon call (~10 µs).
  const ended = new Map<BillingSettings, boolean>();
  for (const period of input.periods) {
    const next = nextPeriod(period);
    ended.clear();
    for (const deviceKey of keys) {
      const byPeriod = input.records.get(deviceKey)!;
      const p = byPeriod.get(period);
      if (!p) continue;
      const following = byPeriod.get(next);
      const closing = following?.opening;
      const info = input.devices.get(deviceKey);
      const settings = input.settingsFor(p.customerId);
      const deviceFlags = p.flags.length === 0 ? [] : [...new Set(p.flags.filter((f) => f.key === undefined).map((f) => f.flag))];
      let periodEnded = ended.get(settings);
      if (periodEnded === undefined) ended.set(settings, (periodEnded = input.now >= periodBounds(period, settings).end));
      if (!closing && periodEnded) deviceFlags.push('missingMeter');
      const opening = p.opening;
      const confirmed = p.confirmation !== undefined;
      const closingConfirmed = following?.confirmation !== undefined;
      const counterKeys = new Set<string>();
      if (opening) for (const k in opening.counters) counterKeys.add(k);
      for (const k in p.usage) counterKeys.add(k);
      if (closing) for (const k in closing.counters) counterKeys.add(k);
      const serial = info?.serial ?? null;
      const model = info?.model ?? null;
      const openingAt = iso(opening?.at);
      const openingSource = opening?.source ?? null;
      const closingAt = iso(closing?.at);
      const confirmedBy = p.confirmation?.by ?? null;
      for (const counter of [...counterKeys].sort()) {
        const weight = weightOf(counter, settings.largeWeight);
        const openingValue = opening?.counters[counter];
        const closingValue = closing?.counters[counter];
        const usage = p.usage[counter] ?? (openingValue !== undefined && closingValue !== undefined ? 0 : null);
        const counterFlags = p.flags.length === 0 ? NO_FLAGS : [...new Set(p.flags.filter((f) => f.key === counter).map((f) => f.flag))];
        const openingOrigin = openingValue !== undefined ? valueOrigin(opening!, counter, confirmed, seen) : null;
        const closingOrigin = closingValue !== undefined ? valueOrigin(closing!, counter, closingConfirmed, seen) : null;
        // One literal in field order (not a spread of the device's fields): the rows of a year are millions.
        yield {
          customerId: p.customerId,
          deviceKey,
          serial,
          model,
          period,
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
          flags: deviceFlags.length === 0 && counterFlags.length === 0 ? [] : [...deviceFlags, ...counterFlags],
          confirmedBy,
        };
      }
    }
  }
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

/**
 * The CSV document in chunks of `linesPerChunk` lines (the header first, byte-order mark and
 * all, as csvDocument writes it): a year of a large fleet is streamed, not built as one string.
 * The cells follow meterCsvRow (a test compares the two); written out field by field because this
 * loop runs once per cell of 10,000 devices × 12 periods × their counters.
 */
export function* meterCsvChunks(rows: Iterable<MeterExportRow>, dialect: CsvDialect, linesPerChunk = 2000): Generator<string> {
  const d = dialect === 'pl' ? ';' : ',';
  // The text cells (counter, sources, confidences, flags) take few values: each is escaped once.
  const texts = new Map<string, string>();
  const text = (c: string | null): string => {
    if (c === null) return '';
    let out = texts.get(c);
    if (out === undefined) {
      out = csvCell(c, dialect);
      if (texts.size < 10_000) texts.set(c, out);
    }
    return out;
  };
  const num = (n: number | null): string => (n === null ? '' : Number.isSafeInteger(n) ? String(n) : csvCell(n, dialect));
  let out = `\uFEFF${METER_CSV_HEADER.map((h) => csvCell(h, dialect)).join(d)}\r\n`;
  let lines = 0;
  // The cells that are the same for every counter of a device's period are escaped once for it.
  let device: MeterExportRow | undefined;
  let head = '';
  let openingAt = '';
  let openingSource = '';
  let closingAt = '';
  let confirmedBy = '';
  for (const r of rows) {
    if (device === undefined || r.deviceKey !== device.deviceKey || r.period !== device.period) {
      device = r;
      head = `${csvCell(r.customerId, dialect)}${d}${csvCell(r.deviceKey, dialect)}${d}${csvCell(r.serial, dialect)}${d}${csvCell(r.model, dialect)}${d}${csvCell(r.period, dialect)}${d}`;
      openingAt = csvCell(r.openingAt, dialect);
      openingSource = csvCell(r.openingSource, dialect);
      closingAt = csvCell(r.closingAt, dialect);
      confirmedBy = csvCell(r.confirmedBy, dialect);
    }
    out +=
      head +
      text(r.counter) +
      d +
      openingAt +
      d +
      num(r.opening) +
      d +
      openingSource +
      d +
      text(r.openingCounterSource) +
      d +
      text(r.openingConfidence) +
      d +
      closingAt +
      d +
      num(r.closing) +
      d +
      text(r.closingCounterSource) +
      d +
      text(r.closingConfidence) +
      d +
      num(r.usage) +
      d +
      num(r.weight) +
      d +
      num(r.billedUnits) +
      d +
      text(r.flags.length === 0 ? '' : r.flags.length === 1 ? r.flags[0]! : r.flags.join(' ')) +
      d +
      confirmedBy +
      '\r\n';
    if (++lines >= linesPerChunk) {
      yield out;
      out = '';
      lines = 0;
    }
  }
  if (out.length > 0) yield out;
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
