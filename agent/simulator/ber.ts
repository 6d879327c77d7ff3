/**
 * The small subset of BER (X.690) that an SNMP v1/v2c responder needs: reading a request
 * without copying, and writing typed values and varbinds. Kept lean on purpose: the simulator
 * must answer tens of thousands of requests per second on one core, and net-snmp's encoder
 * (asn1-ber, not exported by net-snmp) allocates per field.
 *
 * Every reader bounds-checks against the end of its enclosing element and throws BerError, so a
 * malformed datagram is rejected without reading outside the buffer.
 */

export class BerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BerError';
  }
}

export const TAG = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
  ipAddress: 0x40,
  counter32: 0x41,
  gauge32: 0x42,
  timeTicks: 0x43,
  opaque: 0x44,
  counter64: 0x46,
  noSuchObject: 0x80,
  noSuchInstance: 0x81,
  endOfMibView: 0x82,
  getRequest: 0xa0,
  getNextRequest: 0xa1,
  response: 0xa2,
  setRequest: 0xa3,
  trapV1: 0xa4,
  getBulkRequest: 0xa5,
  informRequest: 0xa6,
  trapV2: 0xa7,
  report: 0xa8,
} as const;

/** A typed SNMP value, as stored in the simulator's tables. */
export type SnmpValue =
  | { readonly type: 'Integer'; readonly value: number }
  | { readonly type: 'OctetString'; readonly value: Buffer }
  | { readonly type: 'Null' }
  | { readonly type: 'OID'; readonly value: string }
  | { readonly type: 'IpAddress'; readonly value: string }
  | { readonly type: 'Counter32'; readonly value: number }
  | { readonly type: 'Gauge32'; readonly value: number }
  | { readonly type: 'TimeTicks'; readonly value: number }
  | { readonly type: 'Opaque'; readonly value: Buffer }
  | { readonly type: 'Counter64'; readonly value: bigint };

export type SnmpValueType = SnmpValue['type'];

/** One TLV found while reading: tag, where its content starts and ends. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
  /** Offset of the first byte after this element. */
  readonly next: number;
}

/** Reads the TLV at `offset`, which must end no later than `limit`. Definite lengths only. */
export function readTlv(buf: Buffer, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new BerError(`truncated element at byte ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new BerError(`multi-byte tag at byte ${offset} is not used by SNMP`);
  let lenByte = buf[offset + 1]!;
  let pos = offset + 2;
  let length: number;
  if (lenByte < 0x80) {
    length = lenByte;
  } else {
    lenByte &= 0x7f;
    if (lenByte === 0) throw new BerError(`indefinite length at byte ${offset} is not allowed in SNMP`);
    if (lenByte > 3) throw new BerError(`length of ${lenByte} octets at byte ${offset} is larger than any datagram`);
    if (pos + lenByte > limit) throw new BerError(`truncated length at byte ${offset}`);
    length = 0;
    for (let i = 0; i < lenByte; i++) length = length * 256 + buf[pos + i]!;
    pos += lenByte;
  }
  const end = pos + length;
  if (end > limit) throw new BerError(`element at byte ${offset} claims ${length} bytes but only ${limit - pos} remain`);
  return { tag, start: pos, end, next: end };
}

export function expectTlv(buf: Buffer, offset: number, limit: number, tag: number, what: string): Tlv {
  const tlv = readTlv(buf, offset, limit);
  if (tlv.tag !== tag) throw new BerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)} at byte ${offset}`);
  return tlv;
}

/** Signed INTEGER content (at most 4 octets: SNMP integers are 32-bit). */
export function readInteger(buf: Buffer, tlv: Tlv, what: string): number {
  const len = tlv.end - tlv.start;
  if (len < 1 || len > 5) throw new BerError(`${what}: INTEGER of ${len} octets`);
  let value = (buf[tlv.start]! & 0x80) !== 0 ? -1 : 0;
  for (let i = tlv.start; i < tlv.end; i++) value = value * 256 + buf[i]!;
  if (value < -2147483648 || value > 4294967295) throw new BerError(`${what}: INTEGER out of 32-bit range`);
  return value;
}

/** OID content → sub-identifiers. */
export function decodeOid(buf: Buffer, start: number, end: number): number[] {
  if (end <= start) throw new BerError('empty OBJECT IDENTIFIER');
  const out: number[] = [];
  let acc = 0;
  let inSub = false;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (!inSub && b === 0x80) throw new BerError('OBJECT IDENTIFIER sub-identifier with a leading 0x80');
    acc = acc * 128 + (b & 0x7f);
    if (acc > 0xffffffff) throw new BerError('OBJECT IDENTIFIER sub-identifier larger than 32 bits');
    if (b & 0x80) {
      inSub = true;
      continue;
    }
    if (out.length === 0) {
      // The first octet packs the first two arcs.
      if (acc < 40) out.push(0, acc);
      else if (acc < 80) out.push(1, acc - 40);
      else out.push(2, acc - 80);
    } else {
      out.push(acc);
    }
    acc = 0;
    inSub = false;
  }
  if (inSub) throw new BerError('OBJECT IDENTIFIER ends inside a sub-identifier');
  return out;
}

export function parseOid(dotted: string): number[] {
  const text = dotted.startsWith('.') ? dotted.slice(1) : dotted;
  if (!/^\d+(\.\d+)+$/.test(text)) throw new Error(`not a dotted OID: ${JSON.stringify(dotted)}`);
  const arcs = text.split('.').map(Number);
  if (arcs.some((a) => a > 0xffffffff)) throw new Error(`OID ${dotted} has a sub-identifier larger than 32 bits`);
  if (arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! >= 40)) throw new Error(`OID ${dotted} has invalid first arcs`);
  return arcs;
}

export function compareOids(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------- encoding

export function lengthOfLength(len: number): number {
  return len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 4;
}

export function writeLength(buf: Buffer, pos: number, len: number): number {
  if (len < 0x80) {
    buf[pos] = len;
    return pos + 1;
  }
  if (len < 0x100) {
    buf[pos] = 0x81;
    buf[pos + 1] = len;
    return pos + 2;
  }
  if (len < 0x10000) {
    buf[pos] = 0x82;
    buf[pos + 1] = len >> 8;
    buf[pos + 2] = len & 0xff;
    return pos + 3;
  }
  buf[pos] = 0x83;
  buf[pos + 1] = (len >> 16) & 0xff;
  buf[pos + 2] = (len >> 8) & 0xff;
  buf[pos + 3] = len & 0xff;
  return pos + 4;
}

export function tlv(tag: number, content: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + lengthOfLength(content.length) + content.length);
  out[0] = tag;
  const pos = writeLength(out, 1, content.length);
  content.copy(out, pos);
  return out;
}

/** Minimal two's-complement content for a signed integer. */
function signedContent(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  for (;;) {
    const byte = v & 0xff;
    bytes.unshift(byte);
    v = Math.floor(v / 256);
    if ((v === 0 && (byte & 0x80) === 0) || (v === -1 && (byte & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

/** Minimal content for an unsigned integer (Counter32, Gauge32, TimeTicks, Counter64). */
function unsignedContent(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

export function encodeOidContent(arcs: readonly number[]): Buffer {
  if (arcs.length < 2) throw new Error('an OID needs at least two arcs');
  const bytes: number[] = [];
  const pushSub = (sub: number) => {
    const group: number[] = [sub & 0x7f];
    let v = Math.floor(sub / 128);
    while (v > 0) {
      group.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(...group);
  };
  pushSub(arcs[0]! * 40 + arcs[1]!);
  for (let i = 2; i < arcs.length; i++) pushSub(arcs[i]!);
  return Buffer.from(bytes);
}

export function encodeValue(value: SnmpValue): Buffer {
  switch (value.type) {
    case 'Integer':
      return tlv(TAG.integer, signedContent(value.value));
    case 'OctetString':
      return tlv(TAG.octetString, value.value);
    case 'Null':
      return Buffer.from([TAG.null, 0]);
    case 'OID':
      return tlv(TAG.oid, encodeOidContent(parseOid(value.value)));
    case 'IpAddress':
      return tlv(TAG.ipAddress, Buffer.from(value.value.split('.').map(Number)));
    case 'Counter32':
      return tlv(TAG.counter32, unsignedContent(BigInt(value.value >>> 0)));
    case 'Gauge32':
      return tlv(TAG.gauge32, unsignedContent(BigInt(value.value >>> 0)));
    case 'TimeTicks':
      return tlv(TAG.timeTicks, unsignedContent(BigInt(value.value >>> 0)));
    case 'Opaque':
      return tlv(TAG.opaque, value.value);
    case 'Counter64':
      return tlv(TAG.counter64, unsignedContent(BigInt.asUintN(64, value.value)));
  }
}

/** SEQUENCE { OID, value } ready to be copied into responses. */
export function encodeVarbind(oidTlv: Buffer, valueTlv: Buffer): Buffer {
  const len = oidTlv.length + valueTlv.length;
  const out = Buffer.allocUnsafe(1 + lengthOfLength(len) + len);
  out[0] = TAG.sequence;
  let pos = writeLength(out, 1, len);
  pos += oidTlv.copy(out, pos);
  valueTlv.copy(out, pos);
  return out;
}
