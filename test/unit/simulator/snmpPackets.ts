/**
 * Test helpers: build SNMP v1/v2c request datagrams and decode responses, independently of the
 * responder's own code paths (only the primitive TLV reader/writer is shared).
 */
import { decodeOid, encodeOidContent, parseOid, readInteger, readTlv, TAG, tlv } from '../../../agent/simulator/ber.js';

function intTlv(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v !== 0 && v !== -1);
  if (n >= 0 && bytes[0]! & 0x80) bytes.unshift(0);
  if (n < 0 && !(bytes[0]! & 0x80)) bytes.unshift(0xff);
  return tlv(TAG.integer, Buffer.from(bytes));
}

export interface RequestSpec {
  version?: 0 | 1 | 3;
  community?: string;
  pdu: 'get' | 'getnext' | 'getbulk' | 'set';
  requestId?: number;
  oids: string[];
  nonRepeaters?: number;
  maxRepetitions?: number;
}

const PDU_TAG = { get: TAG.getRequest, getnext: TAG.getNextRequest, getbulk: TAG.getBulkRequest, set: TAG.setRequest } as const;

export function request(spec: RequestSpec): Buffer {
  const varbinds = spec.oids.map((o) => tlv(TAG.sequence, Buffer.concat([tlv(TAG.oid, encodeOidContent(parseOid(o))), Buffer.from([TAG.null, 0])])));
  const pdu = tlv(
    PDU_TAG[spec.pdu],
    Buffer.concat([
      intTlv(spec.requestId ?? 4242),
      intTlv(spec.nonRepeaters ?? 0),
      intTlv(spec.maxRepetitions ?? 0),
      tlv(TAG.sequence, Buffer.concat(varbinds)),
    ]),
  );
  return tlv(TAG.sequence, Buffer.concat([intTlv(spec.version ?? 1), tlv(TAG.octetString, Buffer.from(spec.community ?? 'public', 'latin1')), pdu]));
}

export interface DecodedVarbind {
  oid: string;
  /** BER tag of the value. */
  tag: number;
  /** Integer-like values as numbers, strings as latin1 text, OIDs dotted. */
  value: number | string | bigint | null;
  raw: Buffer;
}

export interface DecodedResponse {
  version: number;
  community: string;
  pduTag: number;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: DecodedVarbind[];
}

export function decodeResponse(buf: Buffer): DecodedResponse {
  const msg = readTlv(buf, 0, buf.length);
  const ver = readTlv(buf, msg.start, msg.end);
  const comm = readTlv(buf, ver.next, msg.end);
  const pdu = readTlv(buf, comm.next, msg.end);
  const rid = readTlv(buf, pdu.start, pdu.end);
  const es = readTlv(buf, rid.next, pdu.end);
  const ei = readTlv(buf, es.next, pdu.end);
  const list = readTlv(buf, ei.next, pdu.end);
  const varbinds: DecodedVarbind[] = [];
  let pos = list.start;
  while (pos < list.end) {
    const vb = readTlv(buf, pos, list.end);
    const oid = readTlv(buf, vb.start, vb.end);
    const val = readTlv(buf, oid.next, vb.end);
    const raw = buf.subarray(val.start, val.end);
    let value: DecodedVarbind['value'] = null;
    switch (val.tag) {
      case TAG.integer:
        value = readInteger(buf, val, 'value');
        break;
      case TAG.counter32:
      case TAG.gauge32:
      case TAG.timeTicks: {
        let n = 0;
        for (const b of raw) n = n * 256 + b;
        value = n;
        break;
      }
      case TAG.counter64: {
        let n = 0n;
        for (const b of raw) n = n * 256n + BigInt(b);
        value = n;
        break;
      }
      case TAG.octetString:
        value = raw.toString('latin1');
        break;
      case TAG.oid:
        value = decodeOid(buf, val.start, val.end).join('.');
        break;
      case TAG.ipAddress:
        value = [...raw].join('.');
        break;
      default:
        value = null;
    }
    varbinds.push({ oid: decodeOid(buf, oid.start, oid.end).join('.'), tag: val.tag, value, raw: Buffer.from(raw) });
    pos = vb.next;
  }
  return {
    version: readInteger(buf, ver, 'version'),
    community: buf.toString('latin1', comm.start, comm.end),
    pduTag: pdu.tag,
    requestId: readInteger(buf, rid, 'rid'),
    errorStatus: readInteger(buf, es, 'es'),
    errorIndex: readInteger(buf, ei, 'ei'),
    varbinds,
  };
}
