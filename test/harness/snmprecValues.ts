/**
 * Reads snmpsim `.snmprec` text (OID|TYPE|VALUE lines) into the collector's raw value map, so
 * normaliser tests can use recordings and hand-written fixtures in the same format.
 * Types: 2 Integer, 4 OctetString, 4x hex OctetString, 5 Null, 6 OID, 64/64x IpAddress,
 * 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64. Later lines win (duplicates in recordings).
 */
import type { SnmpValue } from '../../agent/collect/snmp/raw.js';

export function valuesFromSnmprec(text: string): Record<string, SnmpValue> {
  const values: Record<string, SnmpValue> = {};
  for (const [n, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const first = line.indexOf('|');
    const second = line.indexOf('|', first + 1);
    if (first < 0 || second < 0) throw new Error(`snmprec line ${n + 1}: expected OID|TYPE|VALUE, found "${line.slice(0, 80)}"`);
    const oid = line.slice(0, first).replace(/^\./, '');
    const type = line.slice(first + 1, second);
    const value = line.slice(second + 1);
    values[oid] = parseValue(type, value, n + 1);
  }
  return values;
}

function parseValue(type: string, value: string, line: number): SnmpValue {
  switch (type) {
    case '2':
      return { type: 'integer', value: Number(value) };
    case '4':
      return { type: 'octets', hex: Buffer.from(value, 'utf8').toString('hex') };
    case '4x':
      return { type: 'octets', hex: value.toLowerCase() };
    case '5':
      return { type: 'null' };
    case '6':
      return { type: 'oid', value };
    case '64':
      return { type: 'ipAddress', value };
    case '64x':
      return { type: 'ipAddress', value: [...Buffer.from(value, 'hex')].join('.') };
    case '65':
      return { type: 'counter32', value: Number(value) };
    case '66':
      return { type: 'gauge32', value: Number(value) };
    case '67':
      return { type: 'timeticks', value: Number(value) };
    case '70':
      return { type: 'counter64', value };
    default:
      throw new Error(`snmprec line ${line}: unsupported type "${type}"`);
  }
}
