/**
 * What one SNMP collection read, before any interpretation: instance OID -> typed value.
 * The collector produces it, the normaliser (agent/normalise/snmpSnapshot.ts) turns it into a
 * DeviceSnapshot, `fleetdesk probe --raw` prints it. Plain JSON data: octet strings are kept as
 * hex so nothing is lost to a premature charset guess.
 */

export type SnmpValue =
  | { readonly type: 'integer' | 'counter32' | 'gauge32' | 'timeticks'; readonly value: number }
  /** Decimal string: Counter64 values may exceed 2^53. */
  | { readonly type: 'counter64'; readonly value: string }
  /** OCTET STRING / Opaque as lower-case hex. */
  | { readonly type: 'octets' | 'opaque'; readonly hex: string }
  | { readonly type: 'oid' | 'ipAddress'; readonly value: string }
  | { readonly type: 'null' };

export interface RawSnmp {
  /** host:port ([host]:port for IPv6) the device was polled at: the snapshot's address. */
  readonly address: string;
  /** When the collection finished (ISO 8601, collection clock): the snapshot's collectedAt. */
  readonly collectedAt: string;
  /** SNMP version that answered. */
  readonly version: '1' | '2c' | '3';
  /** Instance OID (dotted, no leading dot) -> value, for everything that was read. */
  readonly values: Readonly<Record<string, SnmpValue>>;
  /**
   * How the prtAlertTable rows in `values` were obtained: walked now, reused from the previous
   * collection because prtAlertCriticalEvents/prtAlertAllEvents did not change, or not read.
   */
  readonly alertTable: 'walked' | 'reused' | 'notRead';
  /**
   * When (epoch ms, collection clock) the alert rows in `values` were last walked from the device;
   * bounds how long reused rows may be carried forward. Absent when the alert table was not read.
   */
  readonly alertTableWalkedAt?: number;
  /**
   * Rows each walked column returned (column OID -> count). The next collection sizes its
   * GETBULK max-repetitions from it so that most walks finish in one request.
   */
  readonly shape?: Readonly<Record<string, number>>;
  /** Requests sent and wall time spent, for logs and benchmarks. */
  readonly requests: number;
  readonly durationMs: number;
}

/**
 * Numeric comparison of dotted OIDs: -1, 0, 1 (1.3.6.1.10 sorts after 1.3.6.1.9). Walks both
 * strings once without splitting them: walks compare every returned OID, so this is hot.
 */
export function compareOids(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la && j < lb) {
    // One arc of each: skip leading zeros, then the longer digit run is the larger number.
    while (i < la - 1 && a.charCodeAt(i) === 48 && a.charCodeAt(i + 1) !== 46) i++;
    while (j < lb - 1 && b.charCodeAt(j) === 48 && b.charCodeAt(j + 1) !== 46) j++;
    let ei = i;
    while (ei < la && a.charCodeAt(ei) !== 46) ei++;
    let ej = j;
    while (ej < lb && b.charCodeAt(ej) !== 46) ej++;
    if (ei - i !== ej - j) return ei - i < ej - j ? -1 : 1;
    for (let k = 0; k < ei - i; k++) {
      const x = a.charCodeAt(i + k);
      const y = b.charCodeAt(j + k);
      if (x !== y) return x < y ? -1 : 1;
    }
    i = ei + 1;
    j = ej + 1;
  }
  const doneA = i >= la;
  const doneB = j >= lb;
  return doneA && doneB ? 0 : doneA ? -1 : 1;
}

/** True when `oid` lies strictly below `prefix` in the tree. */
export function isUnder(oid: string, prefix: string): boolean {
  return oid.length > prefix.length && oid.charCodeAt(prefix.length) === 46 && oid.startsWith(prefix);
}

type Rows = Array<[suffix: string, value: SnmpValue]>;

/**
 * Column lookups on a frozen value map (what collectSnmp returns) are answered from an index
 * built on first use: the normaliser asks for ~40 columns per snapshot, and scanning and
 * sorting the whole map for each was a measurable share of a poll's CPU. Maps that can still
 * change (not frozen) are scanned every time.
 */
const columnCache = new WeakMap<object, { keys: string[] | null; columns: Map<string, Rows> }>();

/**
 * Freezes `values` and records rows the caller already has per column (column OID -> rows in
 * OID order, exactly the values under that OID), so lookups of those columns cost nothing.
 */
export function freezeWithColumns<T extends Record<string, SnmpValue>>(values: T, columns: ReadonlyMap<string, Rows>): Readonly<T> {
  Object.freeze(values);
  columnCache.set(values, { keys: null, columns: new Map(columns) });
  return values;
}

/** Rows of a table column: instance suffix (after the column OID) -> value, in OID order. */
export function column(values: Readonly<Record<string, SnmpValue>>, columnOid: string): Array<[suffix: string, value: SnmpValue]> {
  if (!Object.isFrozen(values)) return scanColumn(values, Object.keys(values), columnOid);
  let index = columnCache.get(values);
  if (!index) {
    index = { keys: null, columns: new Map() };
    columnCache.set(values, index);
  }
  let rows = index.columns.get(columnOid);
  if (!rows) {
    index.keys ??= Object.keys(values);
    rows = scanColumn(values, index.keys, columnOid);
    index.columns.set(columnOid, rows);
  }
  // A copy: callers may sort or edit what they get.
  return rows.slice();
}

function scanColumn(values: Readonly<Record<string, SnmpValue>>, keys: readonly string[], columnOid: string): Rows {
  const rows: Rows = [];
  let sorted = true;
  for (const oid of keys) {
    if (!isUnder(oid, columnOid)) continue;
    const suffix = oid.slice(columnOid.length + 1);
    if (sorted && rows.length > 0 && compareOids(rows[rows.length - 1]![0], suffix) > 0) sorted = false;
    rows.push([suffix, values[oid]!]);
  }
  // Walks insert rows in OID order already; sort only when they are not.
  return sorted ? rows : rows.sort((a, b) => compareOids(a[0], b[0]));
}
