/**
 * The meter export as a CSV file, written as UTF-8 bytes straight from the device periods of the
 * export (exportDevicePeriods), not from row objects: a year of a large fleet is 720,000 rows and
 * 14 million cells, and building a row object, a string per cell and then encoding the document
 * cost more than the 2 s a vendor waits for it. The bytes are those csvDocument writes for
 * meterExportRows' rows through meterCsvRow (a test compares the two on varied data): the cells
 * a device's period shares are escaped and encoded once for it, the few distinct texts (counter
 * keys, sources, confidences, flags) once per export, whole numbers are written as digits.
 * Chunks of about `chunkBytes` are yielded for streaming, the first starting with the header.
 */
import { csvCell, type CsvDialect } from '../api/csv.js';
import {
  billingWeights,
  counterUsage,
  exportDevicePeriods,
  METER_CSV_HEADER,
  rowFlags,
  valueOrigin,
  type MeterExportInput,
  type ValueOrigin,
} from './meterExport.js';

const SEMICOLON = 0x3b;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
/** A bound on each cache of encoded texts: distinct texts are few, but nothing in the data bounds them. */
const CACHE_LIMIT = 10_000;

/**
 * A growing byte buffer for one chunk. The writer makes room once per row (`room`, the row's
 * pieces and a bound on its numbers), then copies the pieces and writes the numbers unchecked.
 */
class ChunkBytes {
  buf: Buffer;
  off = 0;

  constructor(private readonly size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(grown, 0, 0, this.off);
    this.buf = grown;
  }

  put(b: Uint8Array): void {
    const n = b.length;
    const buf = this.buf;
    let off = this.off;
    // A loop beats a native copy for the short pieces most cells are.
    if (n < 24) for (let i = 0; i < n; i++) buf[off++] = b[i]!;
    else {
      buf.set(b, off);
      off += n;
    }
    this.off = off;
  }

  /** A number cell (at most NUMBER_BYTES): whole non-negative numbers as digits, others as csvCell writes them. */
  num(n: number | null | undefined, dialect: CsvDialect): void {
    if (n === null || n === undefined) return;
    if (!(n >= 0 && n <= 0x7fffffff && (n | 0) === n)) {
      this.put(Buffer.from(csvCell(n, dialect), 'utf8'));
      return;
    }
    let len = 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) len++;
    const buf = this.buf;
    let i = this.off + len;
    this.off = i;
    do {
      buf[--i] = 0x30 + (n % 10);
      n = (n / 10) | 0;
    } while (n > 0);
  }

  byte(c: number): void {
    this.buf[this.off++] = c;
  }

  /** The chunk so far; the next one starts in a fresh buffer (the stream may still hold this one). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.off);
    this.buf = Buffer.allocUnsafe(this.size);
    this.off = 0;
    return out;
  }
}

/** Room for one number cell: the longest a double prints (e.g. -1.2345678901234567e-300) and then some. */
const NUMBER_BYTES = 32;
/** Delimiters, line end and the five number cells of a row. */
const ROW_FIXED_BYTES = 24 + 5 * NUMBER_BYTES;

/** The meter export of `input` as CSV chunks (UTF-8 with the byte-order mark, CRLF lines). */
export function* meterCsvBytes(input: MeterExportInput, dialect: CsvDialect, chunkBytes = 256 * 1024): Generator<Buffer> {
  const delimiter = dialect === 'pl' ? SEMICOLON : COMMA;
  const d = dialect === 'pl' ? ';' : ',';
  const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
  // Escaped and encoded text cells; the empty cell (null) is no bytes.
  const texts = new Map<string, Uint8Array>();
  const text = (s: string | null | undefined): Uint8Array => {
    if (s === null || s === undefined || s === '') return EMPTY;
    let out = texts.get(s);
    if (out === undefined) {
      out = enc(csvCell(s, dialect));
      if (texts.size < CACHE_LIMIT) texts.set(s, out);
    }
    return out;
  };
  // "source<d>confidence" of a value origin (valueOrigin hands out one object per distinct origin).
  const origins = new Map<ValueOrigin, Uint8Array>();
  const originCells = (o: ValueOrigin): Uint8Array => {
    let out = origins.get(o);
    if (out === undefined) {
      out = enc(`${csvCell(o.source, dialect)}${d}${csvCell(o.confidence, dialect)}`);
      if (origins.size < CACHE_LIMIT) origins.set(o, out);
    }
    return out;
  };
  const seen = new Map<string, ValueOrigin>();
  const weightOf = billingWeights();
  const out = new ChunkBytes(chunkBytes);
  const header = enc(`\uFEFF${METER_CSV_HEADER.map((h) => csvCell(h, dialect)).join(d)}\r\n`);
  out.room(header.length);
  out.put(header);

  // Per device: "customer<d>device<d>serial<d>model<d>", and the timestamps, which the next period repeats.
  const heads = new Map<string, { customerId: string; bytes: Uint8Array }>();
  // Timestamps: a period's openings are the previous period's closings, so two periods are kept.
  let stamps = new Map<number, Uint8Array>();
  let previousStamps = new Map<number, Uint8Array>();
  const stamp = (at: number | undefined): Uint8Array => {
    if (at === undefined) return EMPTY;
    let s = stamps.get(at);
    if (s === undefined) {
      s = previousStamps.get(at) ?? enc(new Date(at).toISOString());
      stamps.set(at, s);
    }
    return s;
  };
  let period = '';
  let periodCell = EMPTY;
  for (const dp of exportDevicePeriods(input)) {
    if (dp.period !== period) {
      period = dp.period;
      periodCell = enc(`${csvCell(period, dialect)}${d}`);
      previousStamps = stamps;
      stamps = new Map<number, Uint8Array>();
    }
    let head = heads.get(dp.deviceKey);
    if (head === undefined || head.customerId !== dp.customerId) {
      const info = dp.info;
      head = {
        customerId: dp.customerId,
        bytes: enc(
          `${csvCell(dp.customerId, dialect)}${d}${csvCell(dp.deviceKey, dialect)}${d}${csvCell(info?.serial, dialect)}${d}${csvCell(info?.model, dialect)}${d}`,
        ),
      };
      heads.set(dp.deviceKey, head);
    }
    const { opening, closing } = dp;
    if (dp.record === undefined) {
      // A device with no reading in the period: one row, no counter, flagged.
      const flags = text(dp.deviceFlags.join(' '));
      out.room(head.bytes.length + periodCell.length + flags.length + ROW_FIXED_BYTES);
      out.put(head.bytes);
      out.put(periodCell);
      for (let i = 0; i < 13; i++) out.byte(delimiter);
      out.put(flags);
      out.byte(delimiter);
      out.byte(CR);
      out.byte(LF);
    } else {
      const openingAt = stamp(opening?.at);
      const openingSource = text(opening?.source);
      const closingAt = stamp(closing?.at);
      const confirmedBy = text(dp.record.confirmation?.by);
      const shared = head.bytes.length + periodCell.length + openingAt.length + openingSource.length + closingAt.length + confirmedBy.length + ROW_FIXED_BYTES;
      for (const counter of dp.counters) {
        const openingValue = opening?.counters[counter];
        const closingValue = closing?.counters[counter];
        const usage = counterUsage(dp, counter);
        const weight = weightOf(counter, dp.largeWeight);
        const counterCell = text(counter);
        const openingOrigin = openingValue !== undefined ? originCells(valueOrigin(opening!, counter, dp.openingConfirmed, seen)) : EMPTY;
        const closingOrigin = closingValue !== undefined ? originCells(valueOrigin(closing!, counter, dp.closingConfirmed, seen)) : EMPTY;
        const flagList = rowFlags(dp, counter);
        const flags = flagList.length === 0 ? EMPTY : text(flagList.length === 1 ? flagList[0]! : flagList.join(' '));
        out.room(shared + counterCell.length + openingOrigin.length + closingOrigin.length + flags.length);
        out.put(head.bytes);
        out.put(periodCell);
        out.put(counterCell);
        out.byte(delimiter);
        out.put(openingAt);
        out.byte(delimiter);
        out.num(openingValue, dialect);
        out.byte(delimiter);
        out.put(openingSource);
        out.byte(delimiter);
        if (openingOrigin === EMPTY) out.byte(delimiter);
        else out.put(openingOrigin);
        out.byte(delimiter);
        out.put(closingAt);
        out.byte(delimiter);
        out.num(closingValue, dialect);
        out.byte(delimiter);
        if (closingOrigin === EMPTY) out.byte(delimiter);
        else out.put(closingOrigin);
        out.byte(delimiter);
        out.num(usage, dialect);
        out.byte(delimiter);
        out.num(weight, dialect);
        out.byte(delimiter);
        out.num(usage !== null && weight !== null ? usage * weight : null, dialect);
        out.byte(delimiter);
        out.put(flags);
        out.byte(delimiter);
        out.put(confirmedBy);
        out.byte(CR);
        out.byte(LF);
      }
    }
    if (out.off >= chunkBytes) yield out.take();
  }
  if (out.off > 0) yield out.take();
}

const EMPTY: Uint8Array = new Uint8Array(0);
