import { describe, expect, it } from 'vitest';
import { BerError, decodeOid, encodeOidContent, encodeValue, parseOid, readInteger, readTlv, TAG, type SnmpValue } from '../../../agent/simulator/ber.js';
import { buildMibTable, type MibRow } from '../../../agent/simulator/mibTable.js';
import { respond, type CommunityTarget, type RespondOutcome } from '../../../agent/simulator/snmpResponder.js';
import { decodeResponse, request, type RequestSpec } from './snmpPackets.js';

const str = (s: string): SnmpValue => ({ type: 'OctetString', value: Buffer.from(s) });
const int = (n: number): SnmpValue => ({ type: 'Integer', value: n });

let upTime = 100;
const ROWS: MibRow[] = [
  ['1.3.6.1.2.1.1.1.0', str('Test printer')],
  ['1.3.6.1.2.1.1.3.0', { type: 'TimeTicks', value: 100 }, () => ({ type: 'TimeTicks', value: upTime })],
  ['1.3.6.1.2.1.1.5.0', str('dev-0001')],
  ['1.3.6.1.2.1.31.1.1.1.6.1', { type: 'Counter64', value: 12345678901234n }],
  ['1.3.6.1.2.1.43.11.1.1.9.1.1', int(54)],
  ['1.3.6.1.2.1.43.11.1.1.9.1.2', int(-3)],
  ['1.3.6.1.2.1.43.11.1.1.9.1.10', int(7)],
  // Out of order and duplicated on purpose: the table sorts and keeps the first.
  ['1.3.6.1.2.1.1.2.0', { type: 'OID', value: '1.3.6.1.4.1.11.2.3.9.1' }],
  ['1.3.6.1.2.1.1.5.0', str('duplicate, ignored')],
];
const table = buildMibTable(ROWS);
const resolver = (community: string): CommunityTarget => (community === 'dev' ? table : community === 'quiet' ? 'silent' : undefined);

function ask(spec: Omit<RequestSpec, 'community'> & { community?: string }) {
  const out = respond(request({ community: 'dev', ...spec }), resolver);
  if (out.kind !== 'response') throw new Error(`expected a response, got drop ${out.reason}: ${out.detail}`);
  return decodeResponse(out.packet);
}

describe('BER primitives', () => {
  it('round-trips integers at every length boundary', () => {
    for (const n of [0, 1, 127, 128, 255, 256, 32767, 32768, -1, -128, -129, -32768, -32769, 2147483647, -2147483648]) {
      const buf = encodeValue(int(n));
      expect(readInteger(buf, readTlv(buf, 0, buf.length), 'n')).toBe(n);
    }
  });

  it('round-trips OIDs with multi-byte and 32-bit sub-identifiers', () => {
    for (const oid of ['1.3.6.1.2.1.1.1.0', '1.3.6.1.4.1.18334.1.1.1.2.1.100', '2.999.3', '1.3.6.1.4294967295.128.16384']) {
      const content = encodeOidContent(parseOid(oid));
      expect(decodeOid(content, 0, content.length).join('.')).toBe(oid);
    }
  });

  it('rejects truncated, indefinite and overlong lengths', () => {
    expect(() => readTlv(Buffer.from([0x30, 0x05, 0x02]), 0, 3)).toThrow(BerError);
    expect(() => readTlv(Buffer.from([0x30, 0x80, 0x00, 0x00]), 0, 4)).toThrow(/indefinite/);
    expect(() => readTlv(Buffer.from([0x30, 0x85, 1, 1, 1, 1, 1]), 0, 7)).toThrow(/larger than any datagram/);
    expect(() => decodeOid(Buffer.from([0x2b, 0x86]), 0, 2)).toThrow(/ends inside/);
  });

  it('encodes unsigned types without a sign problem', () => {
    const c = encodeValue({ type: 'Counter32', value: 4294967295 });
    expect([...c]).toEqual([0x41, 5, 0, 0xff, 0xff, 0xff, 0xff]);
    const c64 = encodeValue({ type: 'Counter64', value: 2n ** 64n - 1n });
    expect(c64.length).toBe(2 + 9);
  });
});

describe('SNMP responder: GET', () => {
  it('answers known OIDs in v2c and echoes version, community and request id', () => {
    const r = ask({ pdu: 'get', oids: ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.2.0'], requestId: -7 });
    expect(r).toMatchObject({ version: 1, community: 'dev', pduTag: TAG.response, requestId: -7, errorStatus: 0, errorIndex: 0 });
    expect(r.varbinds.map((v) => [v.oid, v.value])).toEqual([
      ['1.3.6.1.2.1.1.5.0', 'dev-0001'],
      ['1.3.6.1.2.1.1.2.0', '1.3.6.1.4.1.11.2.3.9.1'],
    ]);
  });

  it('gives v2c exceptions: noSuchInstance for a missing instance of a known object, noSuchObject otherwise', () => {
    const r = ask({ pdu: 'get', oids: ['1.3.6.1.2.1.43.11.1.1.9.1.3', '1.3.6.1.2.1.99.1.0'] });
    expect(r.errorStatus).toBe(0);
    expect(r.varbinds.map((v) => [v.oid, v.tag])).toEqual([
      ['1.3.6.1.2.1.43.11.1.1.9.1.3', TAG.noSuchInstance],
      ['1.3.6.1.2.1.99.1.0', TAG.noSuchObject],
    ]);
  });

  it('answers v1 noSuchName with the failing varbind index, echoing the request varbinds', () => {
    const r = ask({ version: 0, pdu: 'get', oids: ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.99.0'] });
    expect(r.errorStatus).toBe(2);
    expect(r.errorIndex).toBe(2);
    expect(r.varbinds.map((v) => [v.oid, v.tag])).toEqual([
      ['1.3.6.1.2.1.1.5.0', TAG.null],
      ['1.3.6.1.2.1.99.0', TAG.null],
    ]);
  });

  it('hides Counter64 from v1 but serves it in v2c', () => {
    expect(ask({ version: 0, pdu: 'get', oids: ['1.3.6.1.2.1.31.1.1.1.6.1'] }).errorStatus).toBe(2);
    expect(ask({ pdu: 'get', oids: ['1.3.6.1.2.1.31.1.1.1.6.1'] }).varbinds[0]!.value).toBe(12345678901234n);
  });

  it('reads live values when asked (sysUpTime moves on)', () => {
    upTime = 500;
    expect(ask({ pdu: 'get', oids: ['1.3.6.1.2.1.1.3.0'] }).varbinds[0]!.value).toBe(500);
    upTime = 900;
    expect(ask({ pdu: 'get', oids: ['1.3.6.1.2.1.1.3.0'] }).varbinds[0]!.value).toBe(900);
  });

  it('keeps the first value of a duplicated OID', () => {
    expect(ask({ pdu: 'get', oids: ['1.3.6.1.2.1.1.5.0'] }).varbinds[0]!.value).toBe('dev-0001');
  });
});

describe('SNMP responder: GETNEXT and GETBULK', () => {
  it('walks in lexicographic OID order (10 after 2) and ends with endOfMibView', () => {
    const seen: string[] = [];
    let oid = '1.3.6.1.2.1.43';
    for (let i = 0; i < 20; i++) {
      const vb = ask({ pdu: 'getnext', oids: [oid] }).varbinds[0]!;
      if (vb.tag === TAG.endOfMibView) break;
      seen.push(vb.oid);
      oid = vb.oid;
    }
    expect(seen).toEqual(['1.3.6.1.2.1.43.11.1.1.9.1.1', '1.3.6.1.2.1.43.11.1.1.9.1.2', '1.3.6.1.2.1.43.11.1.1.9.1.10']);
  });

  it('GETNEXT from an OID between rows lands on the next row', () => {
    expect(ask({ pdu: 'getnext', oids: ['1.3.6.1.2.1.1.4'] }).varbinds[0]!.oid).toBe('1.3.6.1.2.1.1.5.0');
  });

  it('v1 GETNEXT skips Counter64 rows and reports the end of the MIB as noSuchName', () => {
    expect(ask({ version: 0, pdu: 'getnext', oids: ['1.3.6.1.2.1.1.5.0'] }).varbinds[0]!.oid).toBe('1.3.6.1.2.1.43.11.1.1.9.1.1');
    const end = ask({ version: 0, pdu: 'getnext', oids: ['1.3.6.1.2.1.43.11.1.1.9.1.10'] });
    expect([end.errorStatus, end.errorIndex]).toEqual([2, 1]);
  });

  it('GETBULK serves non-repeaters once and repeaters max-repetitions times, then endOfMibView under the last name', () => {
    const r = ask({ pdu: 'getbulk', nonRepeaters: 1, maxRepetitions: 3, oids: ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.43.11.1.1.9.1.1'] });
    expect(r.varbinds.map((v) => [v.oid, v.tag])).toEqual([
      ['1.3.6.1.2.1.1.2.0', TAG.oid],
      ['1.3.6.1.2.1.43.11.1.1.9.1.2', TAG.integer],
      ['1.3.6.1.2.1.43.11.1.1.9.1.10', TAG.integer],
      ['1.3.6.1.2.1.43.11.1.1.9.1.10', TAG.endOfMibView],
    ]);
  });

  it('GETBULK stops early when every repeater has ended', () => {
    const r = ask({ pdu: 'getbulk', maxRepetitions: 1000, oids: ['1.3.6.1.2.1.43.11.1.1.9.1.2'] });
    expect(r.varbinds.map((v) => v.tag)).toEqual([TAG.integer, TAG.endOfMibView]);
  });

  it('GETBULK with a huge max-repetitions stays within the response size limit', () => {
    const rows: MibRow[] = Array.from({ length: 5000 }, (_, i) => [`1.3.6.1.4.1.99999.1.${i + 1}`, str('x'.repeat(40))]);
    const big = buildMibTable(rows);
    const out = respond(request({ community: 'big', pdu: 'getbulk', maxRepetitions: 2147483647, oids: ['1.3.6.1.4.1.99999'] }), () => big, {
      maxResponseBytes: 1400,
      maxBulkVarbinds: 2000,
    });
    expect(out.kind).toBe('response');
    if (out.kind !== 'response') return;
    expect(out.packet.length).toBeLessThanOrEqual(1400);
    const r = decodeResponse(out.packet);
    expect(r.errorStatus).toBe(0);
    expect(r.varbinds.length).toBeGreaterThan(10);
    expect(r.varbinds[0]!.oid).toBe('1.3.6.1.4.1.99999.1.1');
  });

  it('answers a GET too large for the limit with tooBig and no varbinds (v2c)', () => {
    const rows: MibRow[] = [['1.3.6.1.4.1.99999.1.1', str('y'.repeat(2000))]];
    const out = respond(request({ community: 'big', pdu: 'get', oids: ['1.3.6.1.4.1.99999.1.1'] }), () => buildMibTable(rows), {
      maxResponseBytes: 1400,
      maxBulkVarbinds: 10,
    });
    if (out.kind !== 'response') throw new Error('expected response');
    const r = decodeResponse(out.packet);
    expect([r.errorStatus, r.varbinds.length]).toEqual([1, 0]);
  });
});

describe('SNMP responder: refusals and drops', () => {
  it('refuses SET: notWritable in v2c, noSuchName in v1', () => {
    expect(ask({ pdu: 'set', oids: ['1.3.6.1.2.1.1.5.0'] })).toMatchObject({ errorStatus: 17, errorIndex: 1 });
    expect(ask({ version: 0, pdu: 'set', oids: ['1.3.6.1.2.1.1.5.0'] })).toMatchObject({ errorStatus: 2, errorIndex: 1 });
  });

  it('drops unknown communities, silent devices, SNMPv3 and GETBULK in v1', () => {
    const reason = (o: RespondOutcome) => (o.kind === 'drop' ? o.reason : 'response');
    expect(reason(respond(request({ community: 'nobody', pdu: 'get', oids: ['1.3.6.1.2.1.1.5.0'] }), resolver))).toBe('unknownCommunity');
    expect(reason(respond(request({ community: 'quiet', pdu: 'get', oids: ['1.3.6.1.2.1.1.5.0'] }), resolver))).toBe('silent');
    expect(reason(respond(request({ version: 3, community: 'dev', pdu: 'get', oids: ['1.3.6.1.2.1.1.5.0'] }), resolver))).toBe('unsupportedVersion');
    expect(reason(respond(request({ version: 0, community: 'dev', pdu: 'getbulk', oids: ['1.3.6.1.2.1.1.5.0'] }), resolver))).toBe('malformed');
  });

  it('never throws on truncated, bit-flipped or random datagrams', () => {
    const good = request({ community: 'dev', pdu: 'getbulk', maxRepetitions: 5, oids: ['1.3.6.1.2.1.1', '1.3.6.1.2.1.43'] });
    // Deterministic PRNG so a failure can be replayed.
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const outcomes = new Map<string, number>();
    const note = (o: RespondOutcome) =>
      outcomes.set(o.kind === 'drop' ? o.reason : 'response', (outcomes.get(o.kind === 'drop' ? o.reason : 'response') ?? 0) + 1);
    for (let cut = 0; cut < good.length; cut++) note(respond(good.subarray(0, cut), resolver));
    for (let i = 0; i < 3000; i++) {
      const mutated = Buffer.from(good);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) mutated[Math.floor(rand() * mutated.length)] = Math.floor(rand() * 256);
      note(respond(mutated, resolver));
    }
    for (let i = 0; i < 500; i++) note(respond(Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256))), resolver));
    // Every truncation of the valid packet is malformed; the fuzzing produced both kinds.
    expect(outcomes.get('malformed')).toBeGreaterThanOrEqual(good.length);
    expect(outcomes.get('response') ?? 0).toBeGreaterThan(0);
  });
});

describe('MIB table', () => {
  it('finds the entry after any OID by binary search', () => {
    const t = buildMibTable(ROWS);
    expect(t.entries[t.indexAfter(parseOid('1.3.6.1.2.1.1.3.0'))]!.dotted).toBe('1.3.6.1.2.1.1.5.0');
    expect(t.indexAfter(parseOid('1.3.6.1.2.1.43.11.1.1.9.1.10'))).toBe(t.entries.length);
    expect(t.entries[t.indexAfter(parseOid('0.0'))]!.dotted).toBe('1.3.6.1.2.1.1.1.0');
  });
});
