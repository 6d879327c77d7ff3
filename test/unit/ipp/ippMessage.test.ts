import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_DECODE_LIMITS,
  IppDecodeError,
  decodeIppResponse,
  encodeGetPrinterAttributes,
  printerAttributes,
  unsupportedAttributes,
  type IppValue,
} from '../../../agent/collect/ipp/ippMessage.js';
import { CORPUS_DIR } from '../../harness/repo.js';
import { attr, collection, header, operationGroup, prng, response, u16, v } from './ippWire.js';

const IPP_DIR = resolve(CORPUS_DIR, 'ipp');
export const CAPTURES = [
  'python-ipp/get-printer-attributes-brother-mfcj5320dw.bin',
  'python-ipp/get-printer-attributes-epsonxp6000.bin',
  'python-ipp/get-printer-attributes-hp6830.bin',
  'python-ipp/get-printer-attributes-kyocera-ecosys-m2540dn-001.bin',
  'ipp-client-kotlin/Xerox_B210_Printer/001-Get-Printer-Attributes.res',
  'ipp-client-kotlin/Xerox_B210_Printer/printer-stopped-media-jam.res',
  'ipp-client-kotlin/Xerox_B210_Printer/printer-stopped-toner-empty.res',
  'ipp-client-kotlin/CUPS_HP_LaserJet_100_color_MFP_M175/Get-Printer-Attributes.ipp',
];
const capture = (name: string) => readFileSync(resolve(IPP_DIR, name));
const attrsOf = (name: string) => printerAttributes(decodeIppResponse(capture(name))).attributes;

function expectDecodeError(buf: Buffer, pattern: RegExp, limits = DEFAULT_DECODE_LIMITS): IppDecodeError {
  let caught: unknown;
  try {
    decodeIppResponse(buf, limits);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(IppDecodeError);
  expect((caught as Error).message).toMatch(pattern);
  return caught as IppDecodeError;
}

afterEach(() => vi.restoreAllMocks());

describe('decodeIppResponse over the corpus captures', () => {
  it.each(CAPTURES)('%s decodes completely, with the printer group present', (name) => {
    const res = decodeIppResponse(capture(name));
    expect(res.statusCode).toBeLessThan(0x100);
    expect(printerAttributes(res).attributes.get('printer-state')?.values[0]).toMatchObject({ kind: 'integer' });
  });

  it('reads the version, status and request id of each header', () => {
    const kyocera = decodeIppResponse(capture(CAPTURES[3]!));
    expect(kyocera).toMatchObject({ version: '2.0', statusCode: 1, status: 'successful-ok-ignored-or-substituted-attributes', requestId: 47131 });
    expect(unsupportedAttributes(kyocera)).toEqual(['printer-type', 'printer-state-reason', 'device-uri', 'printer-is-shared']);
    expect(decodeIppResponse(capture(CAPTURES[5]!)).version).toBe('1.1');
  });

  it('keeps out-of-band values as such (unknown, no-value) instead of dropping them', () => {
    expect(attrsOf(CAPTURES[1]!).get('printer-geo-location')?.values).toEqual([{ kind: 'outOfBand', tag: 0x12, value: 'unknown' }]);
  });

  it('splits language-tagged strings into text and language (Brother marker-names)', () => {
    const names = attrsOf(CAPTURES[0]!).get('marker-names')?.values;
    expect(names).toEqual([
      { kind: 'string', tag: 0x36, value: 'M', language: 'en' },
      { kind: 'string', tag: 0x36, value: 'C', language: 'en' },
      { kind: 'string', tag: 0x36, value: 'Y', language: 'en' },
      { kind: 'string', tag: 0x36, value: 'BK', language: 'en' },
    ]);
  });

  it('decodes nested collections (media-col-default of the Brother)', () => {
    const col = attrsOf(CAPTURES[0]!).get('media-col-default')?.values[0];
    expect(col?.kind).toBe('collection');
    const members = (col as Extract<IppValue, { kind: 'collection' }>).members;
    expect(members.find((m) => m.name === 'media-type')?.values).toEqual([{ kind: 'string', tag: 0x44, value: 'stationery' }]);
    const size = members.find((m) => m.name === 'media-size')?.values[0] as Extract<IppValue, { kind: 'collection' }>;
    expect(size.members.map((m) => [m.name, m.values[0]])).toEqual([
      ['x-dimension', { kind: 'integer', tag: 0x21, value: 21000 }],
      ['y-dimension', { kind: 'integer', tag: 0x21, value: 29700 }],
    ]);
  });

  it('decodes dateTime as the listing shows it (the ipp package is a month late)', () => {
    expect(attrsOf(CAPTURES[7]!).get('printer-state-change-date-time')?.values[0]).toEqual({
      kind: 'dateTime',
      tag: 0x31,
      value: '2021-07-25T15:07:13.0+00:00',
    });
  });

  it('keeps every value of 1setOf attributes (27 alerts in the HP history buffer)', () => {
    const hp = attrsOf(CAPTURES[2]!);
    expect(hp.get('printer-alert')?.values).toHaveLength(27);
    expect(hp.get('printer-alert-description')?.values).toHaveLength(27);
  });
});

describe('decodeIppResponse against hostile input', () => {
  const xerox = capture(CAPTURES[5]!);

  it('throws IppDecodeError (never another error) for every truncation of a real capture', () => {
    let checked = 0;
    for (let len = 0; len < xerox.length; len += len < 400 ? 1 : 61) {
      expect(() => decodeIppResponse(xerox.subarray(0, len)), `prefix of ${len} bytes`).toThrow(IppDecodeError);
      checked++;
    }
    expect(checked).toBeGreaterThan(400);
  });

  it('names the offset and the missing part of a truncated message', () => {
    const err = expectDecodeError(xerox.subarray(0, 100), /truncated/);
    expect(err.offset).toBeGreaterThan(0);
    expect(err.offset).toBeLessThanOrEqual(100);
  });

  it('rejects a message without end-of-attributes-tag', () => {
    const full = response([attr('printer-state', v.enum(3))]);
    expectDecodeError(full.subarray(0, full.length - 1), /missing end-of-attributes-tag/);
  });

  it('rejects wrong tags: reserved delimiter, attribute before a group, stray endCollection, bad fixed lengths', () => {
    expectDecodeError(Buffer.concat([header(), Buffer.from([0x00, 0x03])]), /reserved delimiter/);
    expectDecodeError(Buffer.concat([header(), attr('printer-state', v.enum(3)), Buffer.from([0x03])]), /before any attribute group/);
    expectDecodeError(response([attr('x', v.raw(0x37, Buffer.alloc(0)))]), /endCollection outside a collection/);
    expectDecodeError(response([attr('printer-state', v.raw(0x23, Buffer.from([0, 3])))]), /enum value must be 4 bytes, found 2/);
    expectDecodeError(response([attr('b', v.raw(0x22, Buffer.from([1, 1])))]), /boolean value must be 1 bytes/);
    expectDecodeError(response([attr('t', v.raw(0x35, Buffer.from([0, 9, 0x65])))]), /bad textWithLanguage value/);
  });

  it('rejects an additional value (empty name) with no attribute before it', () => {
    const orphan = Buffer.concat([Buffer.from([0x44]), u16(0), u16(1), Buffer.from('x')]);
    expectDecodeError(
      Buffer.concat([header(), operationGroup, Buffer.from([0x04]), orphan, Buffer.from([0x03])]),
      /additional value without a preceding attribute/,
    );
  });

  it('rejects an IPP version it cannot speak (an HTML page is not an IPP message)', () => {
    expectDecodeError(Buffer.from('<html><body>Login</body></html>'), /unsupported IPP version/);
  });

  it('bounds value counts, attribute counts and collection depth', () => {
    const many = Array.from({ length: DEFAULT_DECODE_LIMITS.maxValuesPerAttribute + 1 }, (_, i) => v.int(i));
    expectDecodeError(response([attr('marker-levels', ...many)]), /more than 4096 values/);
    expectDecodeError(response([attr('a', v.int(1)), attr('b', v.int(2)), attr('c', v.int(3))]), /more than 4 attributes/, {
      ...DEFAULT_DECODE_LIMITS,
      maxAttributes: 4, // the operation group holds 2
    });
    let nested = Buffer.concat([Buffer.from([0x37]), u16(0), u16(0)]);
    for (let i = 0; i < 12; i++) {
      nested = Buffer.concat([
        Buffer.from([0x4a]),
        u16(0),
        u16(1),
        Buffer.from('m'),
        Buffer.from([0x34]),
        u16(0),
        u16(0),
        nested,
        Buffer.from([0x37]),
        u16(0),
        u16(0),
      ]);
    }
    const deep = Buffer.concat([Buffer.from([0x34]), u16(1), Buffer.from('c'), u16(0), nested]);
    expectDecodeError(response([deep]), /nested deeper than 8/);
  });

  it('takes a gigantic (64 KiB) value without trouble and keeps it whole', () => {
    const big = 'x'.repeat(65_535);
    const res = decodeIppResponse(response([attr('printer-info', v.text(big))]));
    expect(printerAttributes(res).attributes.get('printer-info')?.values[0]).toMatchObject({ value: big });
  });

  it('treats an attribute named __proto__ as data, not as an object prototype', () => {
    const res = decodeIppResponse(response([attr('__proto__', v.keyword('polluted')), attr('printer-state', v.enum(3))]));
    const { attributes } = printerAttributes(res);
    expect(attributes.get('__proto__')?.values[0]).toMatchObject({ value: 'polluted' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports repeated attribute names and keeps the first', () => {
    const { attributes, duplicates } = printerAttributes(decodeIppResponse(response([attr('printer-state', v.enum(3)), attr('printer-state', v.enum(5))])));
    expect(attributes.get('printer-state')?.values[0]).toMatchObject({ value: 3 });
    expect(duplicates).toEqual(['printer-state']);
  });

  it('keeps unregistered value tags as opaque hex instead of guessing', () => {
    const res = decodeIppResponse(response([attr('vendor-thing', v.raw(0x5f, Buffer.from([0xde, 0xad])))]));
    expect(printerAttributes(res).attributes.get('vendor-thing')?.values[0]).toEqual({ kind: 'opaque', tag: 0x5f, hex: 'dead' });
  });

  it('reads collections built by hand, including 1setOf members', () => {
    const col = collection('media-col', [
      ['media-type', [v.keyword('plain')]],
      ['media-source-feed', [v.int(1), v.int(2)]],
    ]);
    const value = printerAttributes(decodeIppResponse(response([col]))).attributes.get('media-col')?.values[0];
    expect(value).toEqual({
      kind: 'collection',
      tag: 0x34,
      members: [
        { name: 'media-type', values: [{ kind: 'string', tag: 0x44, value: 'plain' }] },
        {
          name: 'media-source-feed',
          values: [
            { kind: 'integer', tag: 0x21, value: 1 },
            { kind: 'integer', tag: 0x21, value: 2 },
          ],
        },
      ],
    });
  });

  it('survives 3000 seeded random corruptions of real captures: decoded or IppDecodeError, nothing else', () => {
    const rand = prng(4242);
    const sources = CAPTURES.map(capture);
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const src = sources[i % sources.length]!;
      const buf = Buffer.from(src);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      try {
        decodeIppResponse(buf);
      } catch (err) {
        expect(err).toBeInstanceOf(IppDecodeError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
  });
});

describe('encodeGetPrinterAttributes (the ipp package, wrapped)', () => {
  it('encodes a request that the decoder reads back with the requested attributes', () => {
    const buf = encodeGetPrinterAttributes({
      printerUri: 'ipp://127.0.0.1:631/ipp/print',
      requestId: 77,
      requestedAttributes: ['printer-state', 'marker-levels'],
    });
    // Header: version 2.0, operation 0x000B Get-Printer-Attributes, request id 77.
    expect([...buf.subarray(0, 8)]).toEqual([2, 0, 0, 0x0b, 0, 0, 0, 77]);
    const asMessage = decodeIppResponse(buf);
    const op = asMessage.groups[0]!;
    expect(op.attributes.map((a) => a.name)).toEqual([
      'attributes-charset',
      'attributes-natural-language',
      'printer-uri',
      'requesting-user-name',
      'requested-attributes',
    ]);
    expect(op.attributes[4]!.values.map((x) => (x.kind === 'string' ? x.value : null))).toEqual(['printer-state', 'marker-levels']);
  });

  it('turns the package throwing a bare string into an Error and lets nothing reach the console', () => {
    const log = vi.spyOn(console, 'log');
    const error = vi.spyOn(console, 'error');
    expect(() => encodeGetPrinterAttributes({ printerUri: 'ipp://x/ipp/print', requestId: 1, requestedAttributes: [null as unknown as string] })).toThrow(
      /cannot encode Get-Printer-Attributes for ipp:\/\/x\/ipp\/print/,
    );
    expect(log).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });
});
