/**
 * On-disk record framing of outbox segment files (pure, no I/O).
 *
 *   u32 LE  length of the payload in bytes
 *   u32 LE  CRC-32 of the payload
 *   payload UTF-8 JSON {"topic": …, "message": …}
 *
 * A record is valid only if its length is plausible, the whole payload is present, the CRC
 * matches and the JSON parses; anything else is corruption. After corruption the scanner
 * resynchronises by looking for the next position where a valid record starts, so one bad
 * sector loses only the records it covers.
 */
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;
/** Generous bound on one record: a wire message is at most 256 KiB plus the topic. */
export const MAX_RECORD_BYTES = 300 * 1024;

export interface StoredMessage {
  readonly topic: string;
  readonly message: { readonly id: string; readonly deviceId?: string; readonly seq?: number } & Record<string, unknown>;
}

export function encodeRecord(item: StoredMessage): Buffer {
  const payload = Buffer.from(JSON.stringify({ topic: item.topic, message: item.message }), 'utf8');
  if (payload.length > MAX_RECORD_BYTES) {
    throw new Error(`outbox record for ${item.topic} is ${payload.length} bytes, more than the ${MAX_RECORD_BYTES}-byte limit`);
  }
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export interface ScannedRecord {
  readonly offset: number;
  readonly bytes: number;
  readonly item: StoredMessage;
}

export interface ScanResult {
  readonly records: ScannedRecord[];
  /** Byte ranges that held no valid record. Empty for a healthy file. */
  readonly badRanges: { start: number; end: number; reason: string }[];
}

function tryRecordAt(buf: Buffer, offset: number): { record: ScannedRecord } | { reason: string } {
  if (offset + HEADER_BYTES > buf.length) return { reason: `truncated header at byte ${offset}` };
  const length = buf.readUInt32LE(offset);
  if (length === 0 || length > MAX_RECORD_BYTES) return { reason: `implausible record length ${length} at byte ${offset}` };
  const end = offset + HEADER_BYTES + length;
  if (end > buf.length) return { reason: `record at byte ${offset} is cut short (${buf.length - offset - HEADER_BYTES} of ${length} bytes)` };
  const payload = buf.subarray(offset + HEADER_BYTES, end);
  if (crc32(payload) !== buf.readUInt32LE(offset + 4)) return { reason: `checksum mismatch in record at byte ${offset}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return { reason: `record at byte ${offset} is not JSON` };
  }
  const p = parsed as { topic?: unknown; message?: { id?: unknown } };
  if (typeof p.topic !== 'string' || typeof p.message !== 'object' || p.message === null || typeof p.message.id !== 'string') {
    return { reason: `record at byte ${offset} lacks topic or message id` };
  }
  return { record: { offset, bytes: HEADER_BYTES + length, item: parsed as StoredMessage } };
}

export function scanRecords(buf: Buffer): ScanResult {
  const records: ScannedRecord[] = [];
  const badRanges: ScanResult['badRanges'] = [];
  let offset = 0;
  while (offset < buf.length) {
    const r = tryRecordAt(buf, offset);
    if ('record' in r) {
      records.push(r.record);
      offset += r.record.bytes;
      continue;
    }
    // Resynchronise: the next offset at which a whole valid record starts.
    const start = offset;
    let next = offset + 1;
    while (next < buf.length && !('record' in tryRecordAt(buf, next))) next++;
    badRanges.push({ start, end: next, reason: r.reason });
    offset = next;
  }
  return { records, badRanges };
}
