/**
 * The IPP wire format (RFC 8010): the Get-Printer-Attributes request and a bounds-checked decoder
 * for the response.
 *
 * The request is encoded by the `ipp` package (2.0.1). Its response parser is not used: on the
 * corpus captures it prints to the console for every out-of-band value (`unknown`, `no-value`) and
 * returns `undefined` for them, decodes dateTime a month late with a bogus zone, folds
 * language-tagged strings into one string with a hidden separator, overwrites repeated attribute
 * names, throws RangeError or silently shortens strings on truncated input, and lets an attribute
 * named `__proto__` replace an object prototype. The decoder below keeps every value's tag, checks
 * every length against the buffer, and bounds counts and nesting, so hostile input gives an
 * `IppDecodeError` naming the offset and what was wrong.
 */
import { withConsoleCaptured } from './ippConsole.js';
import ippPackage from 'ipp';

export const IPP_TAG = {
  operationAttributes: 0x01,
  jobAttributes: 0x02,
  endOfAttributes: 0x03,
  printerAttributes: 0x04,
  unsupportedAttributes: 0x05,
  unsupported: 0x10,
  default: 0x11,
  unknown: 0x12,
  noValue: 0x13,
  notSettable: 0x15,
  deleteAttribute: 0x16,
  adminDefine: 0x17,
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  textWithoutLanguage: 0x41,
  nameWithoutLanguage: 0x42,
  keyword: 0x44,
  uri: 0x45,
  uriScheme: 0x46,
  charset: 0x47,
  naturalLanguage: 0x48,
  mimeMediaType: 0x49,
  memberAttrName: 0x4a,
  extension: 0x7f,
} as const;

const GROUP_NAMES: Readonly<Record<number, string>> = {
  0x01: 'operation',
  0x02: 'job',
  0x04: 'printer',
  0x05: 'unsupported',
  0x06: 'subscription',
  0x07: 'event-notification',
  0x08: 'resource',
  0x09: 'document',
  0x0a: 'system',
};

export type OutOfBand = 'unsupported' | 'default' | 'unknown' | 'no-value' | 'not-settable' | 'delete-attribute' | 'admin-define';

const OUT_OF_BAND: Readonly<Record<number, OutOfBand>> = {
  0x10: 'unsupported',
  0x11: 'default',
  0x12: 'unknown',
  0x13: 'no-value',
  0x15: 'not-settable',
  0x16: 'delete-attribute',
  0x17: 'admin-define',
};

/** One decoded value; `tag` is the wire value tag, kept so the normaliser can tell keyword from text. */
export type IppValue =
  | { readonly kind: 'integer'; readonly tag: number; readonly value: number }
  | { readonly kind: 'boolean'; readonly tag: number; readonly value: boolean }
  | { readonly kind: 'string'; readonly tag: number; readonly value: string; readonly language?: string }
  | { readonly kind: 'outOfBand'; readonly tag: number; readonly value: OutOfBand }
  | { readonly kind: 'range'; readonly tag: number; readonly lower: number; readonly upper: number }
  | { readonly kind: 'resolution'; readonly tag: number; readonly x: number; readonly y: number; readonly units: 'dpi' | 'dpcm' | number }
  | { readonly kind: 'dateTime'; readonly tag: number; readonly value: string }
  | { readonly kind: 'collection'; readonly tag: number; readonly members: readonly IppAttribute[] }
  /** A value tag this decoder does not know: kept as hex, never guessed at. */
  | { readonly kind: 'opaque'; readonly tag: number; readonly hex: string };

export interface IppAttribute {
  readonly name: string;
  readonly values: readonly IppValue[];
}

export interface IppGroup {
  readonly tag: number;
  /** operation, printer, unsupported, … or `group-0xNN` for unregistered delimiters. */
  readonly name: string;
  readonly attributes: readonly IppAttribute[];
}

export interface IppResponse {
  readonly version: string;
  readonly statusCode: number;
  /** RFC 8011 status keyword, or `0xNNNN` when unregistered. */
  readonly status: string;
  readonly requestId: number;
  readonly groups: readonly IppGroup[];
}

export interface DecodeLimits {
  /** Attributes plus collection members, over the whole message. */
  readonly maxAttributes: number;
  readonly maxValuesPerAttribute: number;
  readonly maxCollectionDepth: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxAttributes: 20_000, maxValuesPerAttribute: 4_096, maxCollectionDepth: 8 };

export class IppDecodeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`malformed IPP message at byte ${offset}: ${message}`);
    this.name = 'IppDecodeError';
  }
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 as the protocol says; a device that sends Latin-1 anyway still gets read, not rejected. */
function decodeText(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

function hex(n: number, width = 2): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new IppDecodeError(`truncated: ${what} needs ${n} byte(s), ${this.buf.length - this.pos} left`, this.pos);
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.pos++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  peek(): number | undefined {
    return this.buf[this.pos];
  }
}

function decodeValue(tag: number, body: Buffer, at: number, name: string): IppValue {
  const oob = OUT_OF_BAND[tag];
  if (oob !== undefined) return { kind: 'outOfBand', tag, value: oob };
  const wrongLength = (expected: string): never => {
    throw new IppDecodeError(`attribute '${name}': ${tagName(tag)} value must be ${expected} bytes, found ${body.length}`, at);
  };
  switch (tag) {
    case IPP_TAG.integer:
    case IPP_TAG.enum:
      if (body.length !== 4) wrongLength('4');
      return { kind: 'integer', tag, value: body.readInt32BE(0) };
    case IPP_TAG.boolean:
      if (body.length !== 1) wrongLength('1');
      return { kind: 'boolean', tag, value: body[0] !== 0 };
    case IPP_TAG.rangeOfInteger:
      if (body.length !== 8) wrongLength('8');
      return { kind: 'range', tag, lower: body.readInt32BE(0), upper: body.readInt32BE(4) };
    case IPP_TAG.resolution: {
      if (body.length !== 9) wrongLength('9');
      const u = body.readUInt8(8);
      return { kind: 'resolution', tag, x: body.readInt32BE(0), y: body.readInt32BE(4), units: u === 3 ? 'dpi' : u === 4 ? 'dpcm' : u };
    }
    case IPP_TAG.dateTime: {
      // RFC 2579 DateAndTime: year(2) month day hour min sec decisecond sign tzHours tzMinutes
      if (body.length !== 11) wrongLength('11');
      const pad = (n: number, w = 2) => String(n).padStart(w, '0');
      const sign = String.fromCharCode(body.readUInt8(8));
      const iso =
        `${pad(body.readUInt16BE(0), 4)}-${pad(body.readUInt8(2))}-${pad(body.readUInt8(3))}` +
        `T${pad(body.readUInt8(4))}:${pad(body.readUInt8(5))}:${pad(body.readUInt8(6))}.${body.readUInt8(7)}` +
        `${sign === '-' ? '-' : '+'}${pad(body.readUInt8(9))}:${pad(body.readUInt8(10))}`;
      return { kind: 'dateTime', tag, value: iso };
    }
    case IPP_TAG.textWithLanguage:
    case IPP_TAG.nameWithLanguage: {
      const r = new Reader(body);
      try {
        const language = r.bytes(r.u16('language length'), 'language').toString('latin1');
        const value = decodeText(r.bytes(r.u16('text length'), 'text'));
        if (r.pos !== body.length) throw new IppDecodeError(`${body.length - r.pos} stray byte(s)`, r.pos);
        return { kind: 'string', tag, value, language };
      } catch (err) {
        if (err instanceof IppDecodeError) {
          throw new IppDecodeError(`attribute '${name}': bad ${tagName(tag)} value (${err.message.replace(/^.*?: /, '')})`, at);
        }
        throw err;
      }
    }
    case IPP_TAG.textWithoutLanguage:
    case IPP_TAG.nameWithoutLanguage:
    case IPP_TAG.octetString:
      return { kind: 'string', tag, value: decodeText(body) };
    case IPP_TAG.keyword:
    case IPP_TAG.uri:
    case IPP_TAG.uriScheme:
    case IPP_TAG.charset:
    case IPP_TAG.naturalLanguage:
    case IPP_TAG.mimeMediaType:
      return { kind: 'string', tag, value: decodeText(body) };
    default:
      return { kind: 'opaque', tag, hex: body.subarray(0, 256).toString('hex') };
  }
}

export function tagName(tag: number): string {
  for (const [k, v] of Object.entries(IPP_TAG)) if (v === tag) return k;
  return hex(tag);
}

interface Budget {
  attributes: number;
}

function checkValueTag(tag: number, at: number): void {
  // 0x00-0x0F are group delimiters; a value tag must not be one of them.
  if (tag <= 0x0f) throw new IppDecodeError(`expected a value tag, found delimiter ${hex(tag)}`, at);
}

/** Reads a value tag; the extension form (0x7F + 4-byte tag) is accepted for completeness. */
function readValueTag(r: Reader): number {
  const at = r.pos;
  let tag = r.u8('value tag');
  if (tag === IPP_TAG.extension) {
    tag = r.i32('extended value tag');
    if (tag < 0 || tag > 0x7fffffff) throw new IppDecodeError(`bad extended tag`, at);
  }
  checkValueTag(tag, at);
  return tag;
}

function readCollection(r: Reader, name: string, depth: number, limits: DecodeLimits, budget: Budget): IppAttribute[] {
  if (depth > limits.maxCollectionDepth) {
    throw new IppDecodeError(`attribute '${name}': collections nested deeper than ${limits.maxCollectionDepth}`, r.pos);
  }
  const members: IppAttribute[] = [];
  for (;;) {
    const at = r.pos;
    const tag = readValueTag(r);
    const nameLength = r.u16('member name length');
    r.bytes(nameLength, 'member name');
    const valueLength = r.u16('member value length');
    const body = r.bytes(valueLength, 'member value');
    if (tag === IPP_TAG.endCollection) return members;
    if (tag === IPP_TAG.memberAttrName) {
      if (valueLength === 0) throw new IppDecodeError(`collection '${name}': empty member name`, at);
      const memberName = decodeText(body);
      if (++budget.attributes > limits.maxAttributes) throw new IppDecodeError(`more than ${limits.maxAttributes} attributes`, at);
      const values = readValues(r, `${name}.${memberName}`, depth, limits, budget, true);
      members.push({ name: memberName, values });
      continue;
    }
    throw new IppDecodeError(`collection '${name}': expected memberAttrName or endCollection, found ${tagName(tag)}`, at);
  }
}

function valueOf(r: Reader, tag: number, body: Buffer, at: number, name: string, depth: number, limits: DecodeLimits, budget: Budget): IppValue {
  if (tag === IPP_TAG.begCollection) {
    return { kind: 'collection', tag, members: readCollection(r, name, depth + 1, limits, budget) };
  }
  if (tag === IPP_TAG.endCollection || tag === IPP_TAG.memberAttrName) {
    throw new IppDecodeError(`attribute '${name}': ${tagName(tag)} outside a collection`, at);
  }
  return decodeValue(tag, body, at, name);
}

/**
 * Reads the first value (tag already consumed by the caller for top-level attributes, or read here
 * for collection members) and every additional value: a following value with an empty name.
 */
function readValues(r: Reader, name: string, depth: number, limits: DecodeLimits, budget: Budget, readFirstTag: boolean, firstTag?: number): IppValue[] {
  const values: IppValue[] = [];
  let tag: number;
  let at = r.pos;
  if (readFirstTag) {
    tag = readValueTag(r);
    const nameLength = r.u16('member value name length');
    if (nameLength !== 0) throw new IppDecodeError(`collection member '${name}': value must have an empty name`, at);
  } else {
    tag = firstTag ?? 0;
  }
  for (;;) {
    const length = r.u16('value length');
    const body = r.bytes(length, `value of '${name}'`);
    values.push(valueOf(r, tag, body, at, name, depth, limits, budget));
    if (values.length > limits.maxValuesPerAttribute) throw new IppDecodeError(`attribute '${name}': more than ${limits.maxValuesPerAttribute} values`, at);
    // Another value of the same attribute: a value tag followed by a zero name length.
    const next = r.peek();
    if (next === undefined || next <= 0x0f || next === IPP_TAG.memberAttrName || next === IPP_TAG.endCollection) return values;
    const nameLenOffset = next === IPP_TAG.extension ? 5 : 1;
    if (r.pos + nameLenOffset + 2 > r.buf.length || r.buf.readUInt16BE(r.pos + nameLenOffset) !== 0) return values;
    at = r.pos;
    tag = readValueTag(r);
    r.u16('additional value name length');
  }
}

/** Decodes an IPP response body. Throws IppDecodeError (with the offset) on any malformation. */
export function decodeIppResponse(buf: Buffer, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): IppResponse {
  const r = new Reader(buf);
  const major = r.u8('version');
  const minor = r.u8('version');
  if (major < 1 || major > 2) throw new IppDecodeError(`unsupported IPP version ${major}.${minor} (not an IPP response?)`, 0);
  const statusCode = r.u16('status-code');
  const requestId = r.i32('request-id');
  const groups: IppGroup[] = [];
  const budget: Budget = { attributes: 0 };
  let current: { tag: number; name: string; attributes: IppAttribute[] } | undefined;
  for (;;) {
    const at = r.pos;
    const tag = r.u8('delimiter or value tag (missing end-of-attributes-tag)');
    if (tag === IPP_TAG.endOfAttributes) break;
    if (tag <= 0x0f) {
      if (tag === 0x00) throw new IppDecodeError(`reserved delimiter 0x00`, at);
      current = { tag, name: GROUP_NAMES[tag] ?? `group-${hex(tag)}`, attributes: [] };
      groups.push(current);
      continue;
    }
    if (current === undefined) throw new IppDecodeError(`attribute before any attribute group (tag ${hex(tag)})`, at);
    r.pos = at;
    const valueTag = readValueTag(r);
    const nameLength = r.u16('name length');
    if (nameLength === 0) throw new IppDecodeError(`additional value without a preceding attribute`, at);
    const name = decodeText(r.bytes(nameLength, 'attribute name'));
    if (++budget.attributes > limits.maxAttributes) throw new IppDecodeError(`more than ${limits.maxAttributes} attributes`, at);
    current.attributes.push({ name, values: readValues(r, name, 0, limits, budget, false, valueTag) });
  }
  return { version: `${major}.${minor}`, statusCode, status: statusName(statusCode), requestId, groups };
}

const statusLookup = (ippPackage.statusCodes as { lookup: (string | undefined)[] }).lookup;

export function statusName(code: number): string {
  return statusLookup[code] ?? hex(code, 4);
}

export const VERSION_NOT_SUPPORTED = 0x0503;

/** successful-ok and its variants (0x0000-0x00FF). */
export function isSuccessStatus(code: number): boolean {
  return code >= 0 && code <= 0xff;
}

/**
 * The printer attributes of a response as a name → attribute map. The first occurrence of a name
 * wins; a repeated name is reported, not silently merged.
 */
export function printerAttributes(response: IppResponse): { attributes: ReadonlyMap<string, IppAttribute>; duplicates: string[] } {
  const attributes = new Map<string, IppAttribute>();
  const duplicates: string[] = [];
  for (const group of response.groups) {
    if (group.tag !== IPP_TAG.printerAttributes) continue;
    for (const attr of group.attributes) {
      if (attributes.has(attr.name)) duplicates.push(attr.name);
      else attributes.set(attr.name, attr);
    }
  }
  return { attributes, duplicates };
}

/** Attribute names the unsupported-attributes group lists (the device did not understand them). */
export function unsupportedAttributes(response: IppResponse): string[] {
  const out: string[] = [];
  for (const group of response.groups) {
    if (group.tag !== IPP_TAG.unsupportedAttributes) continue;
    for (const attr of group.attributes) {
      if (attr.name === 'requested-attributes') {
        for (const v of attr.values) if (v.kind === 'string') out.push(v.value);
      } else {
        out.push(attr.name);
      }
    }
  }
  return out;
}

export interface GetPrinterAttributesRequest {
  readonly printerUri: string;
  readonly requestId: number;
  readonly requestedAttributes: readonly string[];
  readonly userName?: string;
  /** '2.0' unless the printer answered server-error-version-not-supported. */
  readonly version?: '2.0' | '1.1';
}

/**
 * Encodes a Get-Printer-Attributes request with the `ipp` package. The package throws bare strings
 * and may write to the console; both are contained here so nothing reaches the user's terminal.
 */
export function encodeGetPrinterAttributes(request: GetPrinterAttributesRequest): Buffer {
  const message = {
    version: request.version ?? '2.0',
    operation: 'Get-Printer-Attributes',
    id: request.requestId,
    'operation-attributes-tag': {
      'attributes-charset': 'utf-8',
      'attributes-natural-language': 'en',
      'printer-uri': request.printerUri,
      'requesting-user-name': request.userName ?? 'fleetdesk',
      'requested-attributes': [...request.requestedAttributes],
    },
  };
  const captured: string[] = [];
  try {
    const out = withConsoleCaptured(
      (line) => captured.push(line),
      () => ippPackage.serialize(message),
    );
    if (captured.length > 0) throw new Error(captured.join('; '));
    return out;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot encode Get-Printer-Attributes for ${request.printerUri}: ${reason}`);
  }
}
