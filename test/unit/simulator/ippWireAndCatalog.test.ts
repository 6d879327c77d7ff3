import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ipp from 'ipp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildCatalog, CatalogError } from '../../../agent/simulator/deviceCatalog.js';
import { parseIppRequest, selectAttributes, serializeIppResponse } from '../../../agent/simulator/ippWire.js';

const tmp = mkdtempSync(join(tmpdir(), 'fleetdesk-catalog-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A Get-Printer-Attributes request with a no-value (0x13) operation attribute, written by hand. */
function requestWithNoValue(): Buffer {
  const attr = (tag: number, name: string, value: Buffer) => {
    const n = Buffer.from(name);
    const head = Buffer.alloc(5);
    head[0] = tag;
    head.writeUInt16BE(n.length, 1);
    return Buffer.concat([head.subarray(0, 3), n, Buffer.from([value.length >> 8, value.length & 0xff]), value]);
  };
  return Buffer.concat([
    Buffer.from([2, 0, 0, 0x0b, 0, 0, 0, 9, 0x01]),
    attr(0x47, 'attributes-charset', Buffer.from('utf-8')),
    attr(0x48, 'attributes-natural-language', Buffer.from('en')),
    attr(0x45, 'printer-uri', Buffer.from('ipp://127.0.0.1/ipp/print/dev-0001')),
    attr(0x13, 'job-name', Buffer.from('x')),
    Buffer.from([0x03]),
  ]);
}

describe('ipp package wrapper', () => {
  it('keeps the package console output off the terminal and hands it to the logger', () => {
    const log = vi.spyOn(console, 'log');
    const lines: string[] = [];
    const req = parseIppRequest(requestWithNoValue(), (l) => lines.push(l));
    expect(log).not.toHaveBeenCalled();
    log.mockRestore();
    expect(lines.join('\n')).toMatch(/spec is not clear/);
    expect(req).toMatchObject({
      operation: 'Get-Printer-Attributes',
      requestId: 9,
      printerUri: 'ipp://127.0.0.1/ipp/print/dev-0001',
      requestedAttributes: undefined,
    });
  });

  it('reports truncated requests as errors instead of throwing strings', () => {
    expect(() => parseIppRequest(Buffer.from([2, 0]), () => undefined)).toThrow(/too short/);
    expect(() => parseIppRequest(requestWithNoValue().subarray(0, 30), () => undefined)).toThrow(/malformed IPP request/);
  });

  it('encodes negative integers, marker-* and firmware attributes, which ipp 2.0.1 cannot on its own', () => {
    const buf = serializeIppResponse(
      {
        statusCode: 'successful-ok',
        requestId: 5,
        printerAttributes: {
          'marker-levels': [54, -3, -2],
          'marker-names': ['Black', 'Waste'],
          'marker-types': ['toner', 'waste-toner'],
          'printer-firmware-string-version': ['1.0'],
          'printer-state': 'idle',
        },
      },
      () => undefined,
    );
    const parsed = ipp.parse(buf) as unknown as Record<string, Record<string, unknown>>;
    expect(parsed['printer-attributes-tag']).toEqual({
      'marker-levels': [54, -3, -2],
      'marker-names': ['Black', 'Waste'],
      'marker-types': ['toner', 'waste-toner'],
      'printer-firmware-string-version': '1.0',
      'printer-state': 'idle',
    });
  });

  it('turns a serializer failure into an error naming the problem', () => {
    expect(() =>
      serializeIppResponse({ statusCode: 'successful-ok', requestId: 1, printerAttributes: { 'no-such-attribute-x': 'v' } }, () => undefined),
    ).toThrow(/cannot encode IPP response: Unknown attribute: no-such-attribute-x/);
  });

  it('selects requested attributes; "all" and group names give everything', () => {
    const all = { 'printer-state': 'idle', 'marker-levels': [1], 'printer-name': 'x' };
    expect(selectAttributes(all, ['printer-state', 'nope'])).toEqual({ 'printer-state': 'idle' });
    expect(selectAttributes(all, ['all', 'media-col-database'])).toBe(all);
    expect(selectAttributes(all, undefined)).toBe(all);
  });
});

describe('device catalog', () => {
  it('cycles synthetic devices through the chosen models', () => {
    const { entries } = buildCatalog({ devices: 5, models: ['ricoh-mfp', 'brother-laser'] });
    expect(entries.map((e) => [e.state.id, e.state.model])).toEqual([
      ['dev-0001', 'ricoh-mfp'],
      ['dev-0002', 'brother-laser'],
      ['dev-0003', 'ricoh-mfp'],
      ['dev-0004', 'brother-laser'],
      ['dev-0005', 'ricoh-mfp'],
    ]);
    expect(new Set(entries.map((e) => e.state.identity.serial)).size).toBe(5);
  });

  it('names the problem: unknown model, bad count, missing or empty folder', () => {
    expect(() => buildCatalog({ devices: 1, models: ['hp-laserjet'] })).toThrow(/unknown model "hp-laserjet": expected one of hp-color-laser/);
    expect(() => buildCatalog({ devices: -1 })).toThrow(CatalogError);
    expect(() => buildCatalog({ devices: 20_000 })).toThrow(/devices: expected an integer from 0 to 10000, found 20000/);
    expect(() => buildCatalog({ devices: 0, snmprecDir: join(tmp, 'missing') })).toThrow(/cannot read the snmprec folder .*missing/);
    expect(() => buildCatalog({ devices: 0, snmprecDir: tmp })).toThrow(/has no \.snmprec files/);
  });

  it('serves the usable part of a recording and warns about the rest, by file and line', () => {
    const dir = mkdtempSync(join(tmp, 'rec-'));
    writeFileSync(join(dir, 'lab.snmprec'), '1.3.6.1.2.1.1.1.0|4|Lab printer\n1.3.6.1.2.1.1.3.0|67|oops\n1.3.6.1.2.1.1.5.0|4|lab\n');
    writeFileSync(join(dir, 'empty.snmprec'), 'garbage\n');
    const { entries, warnings } = buildCatalog({ devices: 0, snmprecDir: dir });
    expect(entries.map((e) => e.state.id)).toEqual(['lab']);
    expect(warnings).toEqual([
      `${join(dir, 'empty.snmprec')}:1: expected OID|TYPE|VALUE`,
      `${join(dir, 'empty.snmprec')}: no usable rows, skipped`,
      `${join(dir, 'lab.snmprec')}:2: 1.3.6.1.2.1.1.3.0: TimeTicks expects an integer, found "oops"`,
    ]);
  });
});
