/**
 * Test-side builder of raw IPP messages, byte by byte, so hostile tests can produce exactly the
 * malformation they mean (wrong tags, bad lengths, truncation) without going through any encoder
 * under test.
 */
export type WireValue = { tag: number; body: Buffer };

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export const v = {
  int: (n: number): WireValue => ({ tag: 0x21, body: i32(n) }),
  enum: (n: number): WireValue => ({ tag: 0x23, body: i32(n) }),
  bool: (b: boolean): WireValue => ({ tag: 0x22, body: Buffer.from([b ? 1 : 0]) }),
  keyword: (s: string): WireValue => ({ tag: 0x44, body: Buffer.from(s, 'utf8') }),
  text: (s: string): WireValue => ({ tag: 0x41, body: Buffer.from(s, 'utf8') }),
  name: (s: string): WireValue => ({ tag: 0x42, body: Buffer.from(s, 'utf8') }),
  uri: (s: string): WireValue => ({ tag: 0x45, body: Buffer.from(s, 'utf8') }),
  octets: (s: string): WireValue => ({ tag: 0x30, body: Buffer.from(s, 'utf8') }),
  textLang: (lang: string, s: string): WireValue => {
    const l = Buffer.from(lang, 'latin1');
    const t = Buffer.from(s, 'utf8');
    return { tag: 0x35, body: Buffer.concat([u16(l.length), l, u16(t.length), t]) };
  },
  oob: (tag: number): WireValue => ({ tag, body: Buffer.alloc(0) }),
  raw: (tag: number, body: Buffer): WireValue => ({ tag, body }),
};

/** One attribute: first value carries the name, additional values an empty name. */
export function attr(name: string, ...values: WireValue[]): Buffer {
  const parts: Buffer[] = [];
  values.forEach((val, i) => {
    const n = i === 0 ? Buffer.from(name, 'utf8') : Buffer.alloc(0);
    parts.push(Buffer.from([val.tag]), u16(n.length), n, u16(val.body.length), val.body);
  });
  return Buffer.concat(parts);
}

/** A collection value as the bytes following the attribute's begCollection value. */
export function collection(name: string, members: [string, WireValue[]][]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x34]), u16(name.length), Buffer.from(name), u16(0)];
  for (const [member, vals] of members) {
    parts.push(Buffer.from([0x4a]), u16(0), u16(member.length), Buffer.from(member));
    for (const val of vals) parts.push(Buffer.from([val.tag]), u16(0), u16(val.body.length), val.body);
  }
  parts.push(Buffer.from([0x37]), u16(0), u16(0));
  return Buffer.concat(parts);
}

export function header(status = 0x0000, requestId = 1, version: [number, number] = [2, 0]): Buffer {
  return Buffer.concat([Buffer.from(version), u16(status), i32(requestId)]);
}

export const operationGroup = Buffer.concat([
  Buffer.from([0x01]),
  attr('attributes-charset', { tag: 0x47, body: Buffer.from('utf-8') }),
  attr('attributes-natural-language', { tag: 0x48, body: Buffer.from('en') }),
]);

/** A complete response: header, operation group, one printer group with `printerAttrs`, end tag. */
export function response(printerAttrs: Buffer[], status = 0x0000): Buffer {
  return Buffer.concat([header(status), operationGroup, Buffer.from([0x04]), ...printerAttrs, Buffer.from([0x03])]);
}

/** Deterministic PRNG for bounded fuzzing. */
export { seededRandom as prng } from '../../harness/seededRandom.js';
