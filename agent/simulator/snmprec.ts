/**
 * snmpsim recordings (`OID|TYPE|VALUE`, one line per OID) → typed SNMP values.
 *
 * Type codes are BER tags in decimal (2 Integer, 4 OctetString, 5 Null, 6 OID, 64 IpAddress,
 * 65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70 Counter64); an `x` suffix means the value
 * is hex. Lines we cannot use (snmpsim variation modules, bad numbers) are reported with their
 * line number and skipped, so one bad line never loses the rest of the recording.
 */
import { parseOid, type SnmpValue } from './ber.js';
import type { MibRow } from './mibTable.js';

export interface SnmprecProblem {
  readonly line: number;
  readonly message: string;
}

export interface Snmprec {
  readonly rows: MibRow[];
  readonly problems: SnmprecProblem[];
}

function hexBytes(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error(`invalid hex ${JSON.stringify(text.slice(0, 40))}`);
  return Buffer.from(clean, 'hex');
}

function integer(text: string, min: number, max: number, what: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new Error(`${what} expects an integer, found ${JSON.stringify(text.slice(0, 40))}`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new Error(`${what} ${n} is outside ${min}..${max}`);
  return n;
}

function decodeValue(typeCode: string, raw: string): SnmpValue {
  const hex = typeCode.endsWith('x');
  const tag = hex ? typeCode.slice(0, -1) : typeCode;
  const bytes = () => (hex ? hexBytes(raw) : Buffer.from(raw, 'utf8'));
  const text = () => (hex ? hexBytes(raw).toString('latin1') : raw);
  switch (tag) {
    case '2':
      return { type: 'Integer', value: integer(text(), -2147483648, 2147483647, 'Integer') };
    case '4':
      return { type: 'OctetString', value: bytes() };
    case '5':
      return { type: 'Null' };
    case '6': {
      const oid = text().trim();
      parseOid(oid);
      return { type: 'OID', value: oid.startsWith('.') ? oid.slice(1) : oid };
    }
    case '64': {
      if (hex) {
        const b = hexBytes(raw);
        if (b.length !== 4) throw new Error(`IpAddress needs 4 octets, found ${b.length}`);
        return { type: 'IpAddress', value: [...b].join('.') };
      }
      const parts = raw.trim().split('.');
      if (parts.length !== 4 || parts.some((p) => !/^\d+$/.test(p) || Number(p) > 255)) throw new Error(`invalid IpAddress ${JSON.stringify(raw)}`);
      return { type: 'IpAddress', value: raw.trim() };
    }
    case '65':
      return { type: 'Counter32', value: integer(text(), 0, 4294967295, 'Counter32') };
    case '66':
      return { type: 'Gauge32', value: integer(text(), 0, 4294967295, 'Gauge32') };
    case '67':
      return { type: 'TimeTicks', value: integer(text(), 0, 4294967295, 'TimeTicks') };
    case '68':
      return { type: 'Opaque', value: bytes() };
    case '70': {
      const t = text().trim();
      if (!/^\d+$/.test(t) || BigInt(t) > 0xffffffffffffffffn) throw new Error(`Counter64 expects 0..2^64-1, found ${JSON.stringify(t.slice(0, 40))}`);
      return { type: 'Counter64', value: BigInt(t) };
    }
    default:
      throw new Error(`unsupported type code ${JSON.stringify(typeCode)}${typeCode.includes(':') ? ' (snmpsim variation modules are not simulated)' : ''}`);
  }
}

export function parseSnmprec(text: string): Snmprec {
  const rows: MibRow[] = [];
  const problems: SnmprecProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const first = line.indexOf('|');
    const second = first < 0 ? -1 : line.indexOf('|', first + 1);
    if (first < 0 || second < 0) {
      problems.push({ line: i + 1, message: 'expected OID|TYPE|VALUE' });
      continue;
    }
    const oid = line.slice(0, first).trim();
    try {
      parseOid(oid);
      rows.push([oid.startsWith('.') ? oid.slice(1) : oid, decodeValue(line.slice(first + 1, second).trim(), line.slice(second + 1))]);
    } catch (err) {
      problems.push({ line: i + 1, message: `${oid}: ${(err as Error).message}` });
    }
  }
  return { rows, problems };
}
