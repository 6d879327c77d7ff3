/**
 * A deliberately small, scriptable SNMP v1/v2c agent on a loopback UDP port, for hostile-input
 * tests: the test decides exactly which bytes go back (valid answers with looping or backwards
 * OIDs, wrong ASN.1 types, truncated BER, garbage). Only what those tests need: GET, GETNEXT and
 * GETBULK requests in, GetResponse out.
 */
import { createSocket, type Socket } from 'node:dgram';
import { LOOPBACK } from './peers.js';

export type BerValue =
  | { type: 'integer'; value: number }
  | { type: 'octets'; value: Buffer | string }
  | { type: 'oid'; value: string }
  | { type: 'counter32' | 'gauge32' | 'timeticks'; value: number }
  | { type: 'null' | 'noSuchObject' | 'noSuchInstance' | 'endOfMibView' };

export interface BerVarbind {
  oid: string;
  value: BerValue;
}

export interface SnmpRequest {
  version: number;
  community: string;
  pdu: 'get' | 'getNext' | 'getBulk';
  requestId: number;
  maxRepetitions: number;
  /** GETBULK: how many leading OIDs are non-repeaters (0 for other PDUs). */
  nonRepeaters: number;
  oids: string[];
  /** UDP port the request came from (tells one client socket from another). */
  sourcePort?: number;
}

/** Returns the varbinds to answer with, raw bytes to send instead, or null to stay silent. */
export type Responder = (req: SnmpRequest) => BerVarbind[] | Buffer | null;

// ---- encoding ----

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>= 8;
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

function intBody(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v !== 0 && v !== -1);
  if (n >= 0 && bytes[0]! & 0x80) bytes.unshift(0);
  if (n < 0 && !(bytes[0]! & 0x80)) bytes.unshift(0xff);
  return Buffer.from(bytes);
}

function uintBody(n: number): Buffer {
  const b = intBody(n);
  return b;
}

function oidBody(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      chunk.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...chunk);
  }
  return Buffer.from(out);
}

function encodeValue(v: BerValue): Buffer {
  switch (v.type) {
    case 'integer':
      return tlv(0x02, intBody(v.value));
    case 'octets':
      return tlv(0x04, Buffer.isBuffer(v.value) ? v.value : Buffer.from(v.value, 'utf8'));
    case 'oid':
      return tlv(0x06, oidBody(v.value));
    case 'counter32':
      return tlv(0x41, uintBody(v.value));
    case 'gauge32':
      return tlv(0x42, uintBody(v.value));
    case 'timeticks':
      return tlv(0x43, uintBody(v.value));
    case 'null':
      return tlv(0x05, Buffer.alloc(0));
    case 'noSuchObject':
      return tlv(0x80, Buffer.alloc(0));
    case 'noSuchInstance':
      return tlv(0x81, Buffer.alloc(0));
    case 'endOfMibView':
      return tlv(0x82, Buffer.alloc(0));
  }
}

export function encodeResponse(req: Pick<SnmpRequest, 'version' | 'community' | 'requestId'>, varbinds: BerVarbind[]): Buffer {
  const vbs = tlv(0x30, Buffer.concat(varbinds.map((vb) => tlv(0x30, Buffer.concat([tlv(0x06, oidBody(vb.oid)), encodeValue(vb.value)])))));
  const pdu = tlv(0xa2, Buffer.concat([tlv(0x02, intBody(req.requestId)), tlv(0x02, intBody(0)), tlv(0x02, intBody(0)), vbs]));
  return tlv(0x30, Buffer.concat([tlv(0x02, intBody(req.version)), tlv(0x04, Buffer.from(req.community, 'latin1')), pdu]));
}

// ---- decoding (requests only) ----

function readTlv(buf: Buffer, at: number): { tag: number; start: number; end: number } {
  const tag = buf[at]!;
  let l = buf[at + 1]!;
  let start = at + 2;
  if (l & 0x80) {
    const n = l & 0x7f;
    l = 0;
    for (let i = 0; i < n; i++) l = l * 256 + buf[start + i]!;
    start += n;
  }
  return { tag, start, end: start + l };
}

function readInt(buf: Buffer, t: { start: number; end: number }): number {
  let v = buf[t.start]! & 0x80 ? -1 : 0;
  for (let i = t.start; i < t.end; i++) v = v * 256 + buf[i]!;
  return v;
}

function readOid(buf: Buffer, t: { start: number; end: number }): string {
  const first = buf[t.start]!;
  const parts = [Math.floor(first / 40), first % 40];
  let v = 0;
  for (let i = t.start + 1; i < t.end; i++) {
    v = v * 128 + (buf[i]! & 0x7f);
    if (!(buf[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

export function decodeRequest(buf: Buffer): SnmpRequest {
  const msg = readTlv(buf, 0);
  const ver = readTlv(buf, msg.start);
  const com = readTlv(buf, ver.end);
  const pdu = readTlv(buf, com.end);
  const rid = readTlv(buf, pdu.start);
  const f2 = readTlv(buf, rid.end);
  const f3 = readTlv(buf, f2.end);
  const list = readTlv(buf, f3.end);
  const oids: string[] = [];
  for (let at = list.start; at < list.end;) {
    const vb = readTlv(buf, at);
    oids.push(readOid(buf, readTlv(buf, vb.start)));
    at = vb.end;
  }
  const kind = pdu.tag === 0xa0 ? 'get' : pdu.tag === 0xa1 ? 'getNext' : 'getBulk';
  return {
    version: readInt(buf, ver),
    community: buf.subarray(com.start, com.end).toString('latin1'),
    pdu: kind,
    requestId: readInt(buf, rid),
    maxRepetitions: kind === 'getBulk' ? readInt(buf, f3) : 1,
    nonRepeaters: kind === 'getBulk' ? readInt(buf, f2) : 0,
    oids,
  };
}

export interface BerAgent {
  readonly port: number;
  /** Requests received so far. */
  readonly requests: number;
  close(): Promise<void>;
}

export function startBerAgent(respond: Responder): Promise<BerAgent> {
  return new Promise((resolve, reject) => {
    const socket: Socket = createSocket('udp4');
    let requests = 0;
    socket.on('message', (msg, rinfo) => {
      requests++;
      let req: SnmpRequest;
      try {
        req = { ...decodeRequest(msg), sourcePort: rinfo.port };
      } catch {
        return;
      }
      const answer = respond(req);
      if (answer === null) return;
      socket.send(Buffer.isBuffer(answer) ? answer : encodeResponse(req, answer), rinfo.port, rinfo.address);
    });
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, () => {
      resolve({
        port: socket.address().port,
        get requests() {
          return requests;
        },
        close: () => new Promise<void>((r) => socket.close(() => r())),
      });
    });
  });
}
