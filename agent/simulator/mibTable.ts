/**
 * One device's SNMP view: OID → typed value, sorted for GETNEXT/GETBULK, with each varbind
 * encoded once when the view is rendered so that answering is mostly copying bytes.
 */
import { compareOids, encodeOidContent, encodeValue, encodeVarbind, parseOid, tlv, TAG, type SnmpValue } from './ber.js';

export interface MibEntry {
  readonly oid: readonly number[];
  readonly dotted: string;
  readonly value: SnmpValue;
  /** The OID as a TLV, as sent on the wire. */
  readonly oidTlv: Buffer;
  /** SEQUENCE { OID, value } as sent on the wire. */
  readonly varbind: Buffer;
  /** Values that change continuously (sysUpTime) are encoded when asked for. */
  readonly live?: () => Buffer;
  /** Counter64 cannot be sent in SNMPv1 (RFC 2576 §4.2.2): v1 walks skip it. */
  readonly v1Visible: boolean;
}

export interface MibTable {
  readonly entries: readonly MibEntry[];
  /** Index of the entry whose encoded OID content equals `key` (bytes as latin1), or -1. */
  indexOfKey(key: string): number;
  /** Index of the first entry after `oid`, or entries.length. */
  indexAfter(oid: readonly number[]): number;
}

/** OID, value and, for continuously changing values, a function giving the current value. */
export type MibRow = readonly [oid: string, value: SnmpValue, live?: () => SnmpValue];

/** Builds the table; the first value wins when an OID appears twice (recordings have duplicates). */
export function buildMibTable(rows: Iterable<MibRow>): MibTable {
  const seen = new Set<string>();
  const parsed: { oid: number[]; dotted: string; value: SnmpValue; live?: () => SnmpValue }[] = [];
  for (const [dotted, value, live] of rows) {
    const oid = parseOid(dotted);
    const canonical = oid.join('.');
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    parsed.push({ oid, dotted: canonical, value, live });
  }
  parsed.sort((a, b) => compareOids(a.oid, b.oid));
  const byKey = new Map<string, number>();
  const entries: MibEntry[] = parsed.map((p, i) => {
    const content = encodeOidContent(p.oid);
    byKey.set(content.toString('latin1'), i);
    const oidTlv = tlv(TAG.oid, content);
    const live = p.live;
    return {
      ...(live ? { live: () => encodeVarbind(oidTlv, encodeValue(live())) } : {}),
      oidTlv,
      oid: p.oid,
      dotted: p.dotted,
      value: p.value,
      varbind: encodeVarbind(oidTlv, encodeValue(p.value)),
      v1Visible: p.value.type !== 'Counter64',
    };
  });
  return {
    entries,
    indexOfKey: (key) => byKey.get(key) ?? -1,
    indexAfter: (oid) => {
      let lo = 0;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareOids(entries[mid]!.oid, oid) <= 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}
