/**
 * SNMP collection of one printer: read what the normaliser needs, bounded in time, requests and
 * memory, and hand back the raw values. Collection reads and does not interpret: the caller
 * turns the values into a snapshot with agent/normalise/snmpSnapshot.ts (collect → normalise, as
 * for IPP).
 *
 * Interface (stable; the agent runtime and `fleetdesk probe` call it):
 *
 *   collectSnmp(target: SnmpTarget, previous?: RawSnmp, options?: CollectOptions) -> Promise<RawSnmp>
 *     target   = { host, port, credential (agentConfig SnmpCredential: v1/v2c community or v3
 *                user/level/auth/priv), timeoutMs (per attempt), retries, maxInFlight }
 *     previous = the `raw` (or `retainForNextPoll(raw)`) of this device's previous successful
 *                collection. Its alert rows are reused (raw.alertTable = 'reused') instead of
 *                walking prtAlertTable again when ALL of these hold (see alertRowsUnchanged):
 *                prtAlertCriticalEvents/prtAlertAllEvents are unchanged (they count alerts
 *                ADDED only, so alone they miss a removed alert: a cleared jam would stay
 *                raised); hrPrinterDetectedErrorState, hrPrinterStatus and hrDeviceStatus are
 *                unchanged; the prtAlertSeverityLevel column, walked on every poll inside the
 *                same GETBULK as everything else (a few varbinds), has the same rows (a removed
 *                alert removes its row); and the rows were walked at most `alertReuseMaxAgeMs`
 *                ago. Its `shape` (rows per column) sizes the GETBULKs.
 *     options  = { clock, budgetMs (30 s), maxValuesPerWalk (2000), maxRepetitions (20),
 *                  alertReuseMaxAgeMs (10 min), requirePrinter (true),
 *                  openTransport (tests), transport (an open session to reuse; not closed) }
 *     Rejects with SnmpCollectError (code: noResponse | authFailure | malformedResponse |
 *     requestFailed | walkNotIncreasing | walkTooLong | timeBudget | badCredential | notAPrinter)
 *     naming the device; never with a secret in the message. Never throws synchronously.
 *
 *   findSnmpCredential(host, port, credentials, { timeoutMs, retries })
 *     -> Promise<CredentialProbe>: tries each credential in order with one GET of
 *     sysObjectID.0/sysDescr.0 and returns the first that answers (for discovery), or the
 *     reason each one failed.
 */
import { systemClock, type Clock } from '../../../shared/clock.js';
import type { SnmpCredential } from '../../agentConfig.js';
import { OID, READ, type OidName } from '../../../mibs/oids.generated.js';
import { vendorFromSysObjectId } from '../../normalise/vendorQuirks.js';
import { counterInstances, counterWalks, type CounterWalk } from '../../normalise/counterProfiles.js';
import { firmwareWalks } from '../../normalise/firmwareProfiles.js';
import { printerEvidence } from './printerEvidence.js';
import { column, freezeWithColumns, type RawSnmp, type SnmpValue } from './raw.js';
import { describeEndpoint, openSession, type SnmpEndpoint, type SnmpTransport, type Varbind } from './session.js';
import { SnmpCollectError } from './snmpErrors.js';
import { walkColumns, type WalkLimits } from './walk.js';

export { SnmpCollectError } from './snmpErrors.js';
export type { SnmpErrorCode } from './snmpErrors.js';

export type SnmpTarget = SnmpEndpoint;

export interface CollectOptions {
  readonly clock?: Clock;
  /** Whole collection, ms (default 30 000). */
  readonly budgetMs?: number;
  /** Most values one walk may return (default 2000). */
  readonly maxValuesPerWalk?: number;
  /** GETBULK max-repetitions (default 20). */
  readonly maxRepetitions?: number;
  /** Reject with code 'notAPrinter' when the device shows no printer objects (default true). */
  readonly requirePrinter?: boolean;
  /** How long alert rows may be reused without walking the alert table (default 10 min). */
  readonly alertReuseMaxAgeMs?: number;
  /** Replaces the network (tests). */
  readonly openTransport?: (endpoint: SnmpEndpoint) => SnmpTransport;
  /** An open session to this target to use (and leave open) instead of opening one. */
  readonly transport?: SnmpTransport;
  /** Walk the vendor's page-counter tables (agent/normalise/counterProfiles.ts; default true). */
  readonly vendorCounters?: boolean;
}

/**
 * What every poll reads is generated from the MIB table (mibs/oidTable.ts read roles, `npm run
 * mibs`): the system scalars at ".0" (GETBULK non-repeaters on v2c/v3, a GET on v1), the columns
 * walked on every poll and the prtAlertTable columns. Tables are walked column by column (not as
 * whole entries) so that each walk ends where its column ends.
 */
const SYSTEM: readonly string[] = READ.system.map((n) => `${OID[n]}.0`);
const COLUMNS: readonly OidName[] = READ.poll;
/** prtAlertTable columns (prtAlertIndex is not-accessible). */
const ALERT_COLUMNS: readonly OidName[] = READ.alert;

/** Vendor serial fallbacks: scalars at .0, Kyocera's table column at .1. */
const VENDOR_SERIALS: readonly string[] = [
  `${OID.hpSerialNumber}.0`,
  `${OID.brotherSerialNumber}.0`,
  `${OID.ricohSerialNumber}.0`,
  `${OID.kyoceraSerialNumber}.1`,
];

/** The alert column read on every poll: a removed alert removes its row here too. */
const ALERT_PROBE: OidName = 'prtAlertSeverityLevel';

/** Objects that must be unchanged, with the alert counters and the probe column, to reuse alert rows. */
const ALERT_COUNTERS: readonly OidName[] = ['prtAlertCriticalEvents', 'prtAlertAllEvents'];
const STATUS_COLUMNS: readonly OidName[] = ['hrPrinterDetectedErrorState', 'hrPrinterStatus', 'hrDeviceStatus'];

/** Default bound on how long alert rows may be carried forward without a walk. */
export const ALERT_REUSE_MAX_AGE_MS = 10 * 60_000;

/** The address a snapshot names for this target: host:port, [host]:port for IPv6. */
export function snmpAddress(target: Pick<SnmpTarget, 'host' | 'port'>): string {
  return `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
}

export async function collectSnmp(target: SnmpTarget, previous?: RawSnmp, options: CollectOptions = {}): Promise<RawSnmp> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const where = describeEndpoint(target);
  const limits: WalkLimits = {
    maxValues: options.maxValuesPerWalk ?? 2000,
    maxRepetitions: options.maxRepetitions ?? 20,
    deadline: started + (options.budgetMs ?? 30_000),
    clock,
    where,
  };
  const t = options.transport ?? (options.openTransport ?? openSession)(target);
  const requestsBefore = t.requests;
  try {
    const values: Record<string, SnmpValue> = {};
    // Rows per walked column (suffix -> value), kept for lookups here and in the normaliser.
    const columns = new Map<string, Array<[string, SnmpValue]>>();
    const before = previous?.shape ?? {};
    const counts = new Map<string, number>();
    const walk = async (subtrees: ReadonlyArray<OidName | CounterWalk>, scalars: readonly string[] = []) => {
      const specs = subtrees.map((w) => {
        const [root, label] = typeof w === 'string' ? [OID[w], w] : [w.root, w.label];
        return { root, label, expectedRows: before[root] };
      });
      const got = await walkColumns(t, specs, limits, scalars);
      for (const oid of scalars) {
        const v = got.scalars.get(oid);
        if (v) values[oid] = v;
      }
      for (const [root, rows] of got.rows) {
        counts.set(root, rows.length);
        const suffixed: Array<[string, SnmpValue]> = [];
        for (const [oid, v] of rows) {
          values[oid] = v;
          suffixed.push([oid.slice(root.length + 1), v]);
        }
        columns.set(root, suffixed);
      }
    };

    // Alert rows of the previous poll young enough to be reused, if the checks below agree.
    const reusable =
      previous?.alertTableWalkedAt !== undefined && started - previous.alertTableWalkedAt <= (options.alertReuseMaxAgeMs ?? ALERT_REUSE_MAX_AGE_MS)
        ? previous
        : undefined;
    const vendorOf = (v: Readonly<Record<string, SnmpValue>>) => {
      const sysObjectId = v[`${OID.sysObjectID}.0`];
      const sysDescr = v[`${OID.sysDescr}.0`];
      return vendorFromSysObjectId(
        sysObjectId?.type === 'oid' ? sysObjectId.value : null,
        sysDescr?.type === 'octets' ? Buffer.from(sysDescr.hex, 'hex').toString('latin1') : null,
      );
    };
    const counterVendor = (v: Readonly<Record<string, SnmpValue>>) => (options.vendorCounters === false ? undefined : vendorOf(v)?.id);
    // The vendor's page counters ride along in the first request when the vendor is known from
    // the last poll (the retained sysObjectID): on v2c/v3 the profile's instances as
    // non-repeaters (a varbind each, never a request of their own), on v1 its branches as walks.
    // Its firmware object rides along the same way, as a walk.
    const knownVendor = previous ? counterVendor(previous.values) : undefined;
    const knownFirmwareVendor = previous ? vendorOf(previous.values)?.id : undefined;
    const counterScalars = knownVendor && t.version !== '1' ? counterInstances(knownVendor) : [];
    const counterBranches = knownVendor && t.version === '1' ? counterWalks(knownVendor) : [];
    const firmwareBefore = firmwareWalks(knownFirmwareVendor);

    // 1. Everything in as few requests as the agent allows: the system group (also the "does it
    //    answer at all" check), every column, and the alert table or just its probe column.
    const firstColumns = [...COLUMNS, ...(reusable ? [ALERT_PROBE] : ALERT_COLUMNS), ...counterBranches, ...firmwareBefore];
    if (t.version === '1') {
      for (const vb of await getTolerant(t, SYSTEM)) if ('value' in vb) values[vb.oid] = vb.value;
      await walk(firstColumns);
    } else {
      await walk(firstColumns, [...SYSTEM, ...counterScalars]);
    }

    // 2. What the first answers call for: this vendor's counter branches when it was not known
    //    (first poll, another device at the address), and the rest of the alert table unless its
    //    rows can be reused.
    const vendorNow = counterVendor(values);
    const later: Array<OidName | CounterWalk> = vendorNow && vendorNow !== knownVendor ? [...counterWalks(vendorNow)] : [];
    const firmwareVendorNow = vendorOf(values)?.id;
    if (firmwareVendorNow !== knownFirmwareVendor) later.push(...firmwareWalks(firmwareVendorNow));
    let alertTable: RawSnmp['alertTable'] = 'walked';
    if (reusable && alertRowsUnchanged(reusable.values, columnView(columns))) {
      for (const name of ALERT_COLUMNS) {
        if (name === ALERT_PROBE) continue;
        const rows = column(reusable.values, OID[name]);
        for (const [suffix, v] of rows) values[`${OID[name]}.${suffix}`] = v;
        columns.set(OID[name], rows);
      }
      alertTable = 'reused';
    } else if (reusable) {
      later.push(...ALERT_COLUMNS.filter((name) => name !== ALERT_PROBE));
    }
    if (later.length > 0) await walk(later);

    // 3. Vendor serial numbers, only when the standard one is missing.
    if ((columns.get(OID.prtGeneralSerialNumber) ?? []).every(([, v]) => v.type !== 'octets' || v.hex === '')) {
      for (const vb of await getTolerant(t, VENDOR_SERIALS)) if ('value' in vb) values[vb.oid] = vb.value;
    }

    if (options.requirePrinter ?? true) {
      const evidence = printerEvidence(values);
      if (!evidence.isPrinter) throw new SnmpCollectError('notAPrinter', `${where}: answers SNMP but is not a printer: ${evidence.reason}`);
    }

    const finished = clock.now();
    // Frozen, with its columns indexed: the normaliser looks up ~40 of them.
    freezeWithColumns(values, columns);
    return {
      address: snmpAddress(target),
      collectedAt: new Date(finished).toISOString(),
      version: t.version,
      values,
      alertTable,
      alertTableWalkedAt: alertTable === 'reused' ? reusable!.alertTableWalkedAt! : started,
      shape: nextShape(before, counts),
      requests: t.requests - requestsBefore,
      durationMs: finished - started,
    };
  } finally {
    if (!options.transport) t.close();
  }
}

/**
 * What of a collection the next one needs (`previous`): the alert rows, the objects that
 * decide whether they can be reused, sysObjectID (the vendor's extra walks) and the shape.
 * Supplies, counters and identity are read again anyway; keeping only this holds an agent at
 * a few KB per device.
 */
export function retainForNextPoll(raw: RawSnmp): RawSnmp {
  const values: Record<string, SnmpValue> = {};
  for (const name of [...ALERT_COLUMNS, ...ALERT_COUNTERS, ...STATUS_COLUMNS]) {
    for (const [suffix, v] of column(raw.values, OID[name])) values[`${OID[name]}.${suffix}`] = v;
  }
  const sysObjectId = raw.values[`${OID.sysObjectID}.0`];
  if (sysObjectId) values[`${OID.sysObjectID}.0`] = sysObjectId;
  // Not frozen, so not indexed: a dozen values are scanned faster than an index is kept per device.
  return { ...raw, values };
}

/**
 * Rows per column for the next poll: the previous shape object itself when nothing changed (the
 * usual case), else a new one. Devices of one model have the same shape and an agent keeps one
 * per device, so identical shapes are shared (bounded: past MAX_SHAPES distinct ones, each
 * device keeps its own).
 */
const MAX_SHAPES = 512;
const shapes = new Map<string, Readonly<Record<string, number>>>();
function nextShape(before: Readonly<Record<string, number>>, counts: ReadonlyMap<string, number>): Readonly<Record<string, number>> {
  let same = true;
  for (const [root, n] of counts) {
    if (before[root] !== n) {
      same = false;
      break;
    }
  }
  if (same) return before;
  const shape: Record<string, number> = { ...before };
  for (const [root, n] of counts) shape[root] = n;
  const key = JSON.stringify(shape);
  const known = shapes.get(key);
  if (known) return known;
  Object.freeze(shape);
  if (shapes.size < MAX_SHAPES) shapes.set(key, shape);
  return shape;
}

/** The alert-decision columns of this collection as a value map (what alertRowsUnchanged reads). */
function columnView(columns: ReadonlyMap<string, Array<[string, SnmpValue]>>): Readonly<Record<string, SnmpValue>> {
  const view: Record<string, SnmpValue> = {};
  const picked = new Map<string, Array<[string, SnmpValue]>>();
  for (const name of [...ALERT_COUNTERS, ...STATUS_COLUMNS, ALERT_PROBE]) {
    const rows = columns.get(OID[name]) ?? [];
    for (const [suffix, v] of rows) view[`${OID[name]}.${suffix}`] = v;
    picked.set(OID[name], rows);
  }
  return freezeWithColumns(view, picked);
}

/**
 * Whether alert rows read earlier still describe the device (pure; `before` is the earlier
 * collection's values, `now` this one's, which hold the counters, status columns and the probe
 * column but not the rest of the alert table). The counters alone are not enough: they count
 * alerts added, so a removed alert leaves them unchanged; a removed alert does remove its row
 * from every alert column, the probe column included, and usually changes the status objects.
 */
export function alertRowsUnchanged(before: Readonly<Record<string, SnmpValue>>, now: Readonly<Record<string, SnmpValue>>): boolean {
  for (const name of ALERT_COUNTERS) if (column(now, OID[name]).length === 0) return false;
  return [...ALERT_COUNTERS, ...STATUS_COLUMNS, ALERT_PROBE].every((name) => sameRows(column(before, OID[name]), column(now, OID[name])));
}

function sameRows(a: ReadonlyArray<[string, SnmpValue]>, b: ReadonlyArray<[string, SnmpValue]>): boolean {
  return a.length === b.length && a.every(([suffix, v], i) => b[i]![0] === suffix && sameValue(v, b[i]![1]));
}

function sameValue(a: SnmpValue, b: SnmpValue): boolean {
  if (a.type !== b.type) return false;
  if ('hex' in a) return 'hex' in b && a.hex === b.hex;
  if ('value' in a) return 'value' in b && a.value === b.value;
  return true;
}

/**
 * GET that survives missing objects: v2c/v3 mark them noSuchObject; SNMPv1 fails the whole
 * request with noSuchName, so on v1 the objects are asked for one at a time.
 */
async function getTolerant(t: SnmpTransport, oids: readonly string[]): Promise<Varbind[]> {
  try {
    return await t.get(oids);
  } catch (err) {
    if (!(err instanceof SnmpCollectError) || err.code !== 'requestFailed' || t.version !== '1') throw err;
    const out: Varbind[] = [];
    for (const oid of oids) {
      try {
        out.push(...(await t.get([oid])));
      } catch (inner) {
        if (!(inner instanceof SnmpCollectError) || inner.code !== 'requestFailed') throw inner;
      }
    }
    return out;
  }
}

export interface CredentialProbe {
  /** The first credential that answered, or null. */
  readonly credential: SnmpCredential | null;
  readonly index: number | null;
  readonly sysObjectId: string | null;
  readonly sysDescr: string | null;
  /** Why each credential tried before (or instead of) the winner failed; no secrets. */
  readonly failures: ReadonlyArray<{ index: number; version: SnmpCredential['version']; code: string; message: string }>;
}

export async function findSnmpCredential(
  host: string,
  port: number,
  credentials: readonly SnmpCredential[],
  options: { timeoutMs: number; retries: number; openTransport?: (endpoint: SnmpEndpoint) => SnmpTransport },
): Promise<CredentialProbe> {
  const failures: Array<{ index: number; version: SnmpCredential['version']; code: string; message: string }> = [];
  for (const [index, credential] of credentials.entries()) {
    let t: SnmpTransport | null = null;
    try {
      t = (options.openTransport ?? openSession)({ host, port, credential, timeoutMs: options.timeoutMs, retries: options.retries, maxInFlight: 1 });
      const vbs = await t.get([`${OID.sysObjectID}.0`, `${OID.sysDescr}.0`]);
      const byOid = new Map(vbs.map((vb) => [vb.oid, vb]));
      const obj = byOid.get(`${OID.sysObjectID}.0`);
      const descr = byOid.get(`${OID.sysDescr}.0`);
      return {
        credential,
        index,
        sysObjectId: obj && 'value' in obj && obj.value.type === 'oid' ? obj.value.value : null,
        sysDescr: descr && 'value' in descr && descr.value.type === 'octets' ? Buffer.from(descr.value.hex, 'hex').toString('utf8') : null,
        failures,
      };
    } catch (err) {
      const e = err instanceof SnmpCollectError ? err : new SnmpCollectError('malformedResponse', (err as Error).message);
      // SNMPv1 agents fail the whole GET with noSuchName when sysObjectID is missing: it answered.
      if (e.code === 'requestFailed') return { credential, index, sysObjectId: null, sysDescr: null, failures };
      failures.push({ index, version: credential.version, code: e.code, message: e.message });
    } finally {
      t?.close();
    }
  }
  return { credential: null, index: null, sysObjectId: null, sysDescr: null, failures };
}
