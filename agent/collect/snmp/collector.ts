/**
 * SNMP collection of one printer: read what the normaliser needs, bounded in time, requests and
 * memory, and hand back the raw values plus the normalised snapshot.
 *
 * Interface (stable; the agent runtime and `fleetdesk probe` call it):
 *
 *   collectSnmp(target: SnmpTarget, previous?: RawSnmp, options?: CollectOptions)
 *     -> Promise<{ raw: RawSnmp; snapshot: DeviceSnapshot }>
 *     target   = { host, port, credential (agentConfig SnmpCredential: v1/v2c community or v3
 *                user/level/auth/priv), timeoutMs (per attempt), retries, maxInFlight }
 *     previous = the `raw` of this device's previous successful collection: when its
 *                prtAlertCriticalEvents/prtAlertAllEvents equal the current ones, the alert
 *                table is not walked again and its rows are reused (raw.alertTable = 'reused').
 *     options  = { clock, budgetMs (30 s), maxValuesPerWalk (2000), maxRepetitions (20),
 *                  thresholds, requirePrinter (true), openTransport (tests) }
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
import type { DeviceSnapshot } from '../../../shared/snapshot.js';
import type { SnmpCredential } from '../../agentConfig.js';
import { OID, type OidName } from '../../../mibs/oids.generated.js';
import { normaliseSnmp, printerEvidence } from '../../normalise/snmpSnapshot.js';
import { quirksFor, vendorFromSysObjectId } from '../../normalise/vendorQuirks.js';
import type { SupplyThresholds } from '../../normalise/supplies.js';
import { column, isUnder, type RawSnmp, type SnmpValue } from './raw.js';
import { describeEndpoint, openSession, type SnmpEndpoint, type SnmpTransport, type Varbind } from './session.js';
import { SnmpCollectError } from './snmpErrors.js';
import { walkSubtree, type WalkLimits } from './walk.js';

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
  readonly thresholds?: SupplyThresholds;
  /** Reject with code 'notAPrinter' when the device shows no printer objects (default true). */
  readonly requirePrinter?: boolean;
  /** Replaces the network (tests). */
  readonly openTransport?: (endpoint: SnmpEndpoint) => SnmpTransport;
}

export interface SnmpCollection {
  readonly raw: RawSnmp;
  readonly snapshot: DeviceSnapshot;
}

/** Scalars read with GET (".0" appended). */
const SYSTEM: readonly OidName[] = ['sysDescr', 'sysObjectID', 'sysUpTime', 'sysContact', 'sysName', 'sysLocation'];

/** Vendor serial fallbacks: scalars at .0, Kyocera's table column at .1. */
const VENDOR_SERIALS: readonly string[] = [`${OID.hpSerialNumber}.0`, `${OID.brotherSerialNumber}.0`, `${OID.ricohSerialNumber}.0`, `${OID.kyoceraSerialNumber}.1`];

/** Subtrees walked on every poll (columns, or whole entries where most columns are used). */
const WALKS: readonly OidName[] = [
  'hrDeviceType',
  'hrDeviceDescr',
  'hrDeviceStatus',
  'hrPrinterEntry',
  'prtGeneralPrinterName',
  'prtGeneralSerialNumber',
  'prtAlertCriticalEvents',
  'prtAlertAllEvents',
  'prtMarkerCounterUnit',
  'prtMarkerLifeCount',
  'prtMarkerPowerOnCount',
  'prtMarkerSuppliesEntry',
  'prtMarkerColorantValue',
  'prtInputMaxCapacity',
  'prtInputCurrentLevel',
  'prtInputMediaName',
  'prtInputName',
  'prtInputDescription',
  'ifType',
  'ifPhysAddress',
];

export async function collectSnmp(target: SnmpTarget, previous?: RawSnmp, options: CollectOptions = {}): Promise<SnmpCollection> {
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
  const t = (options.openTransport ?? openSession)(target);
  try {
    const values: Record<string, SnmpValue> = {};
    const put = (vbs: Varbind[]) => {
      for (const vb of vbs) if ('value' in vb) values[vb.oid] = vb.value;
    };

    // 1. The system group: also the "does it answer at all" check.
    put(await getTolerant(t, SYSTEM.map((n) => `${OID[n]}.0`)));

    // 2. Tables, bounded by the session's in-flight limit, plus the vendor's own subtrees.
    const sysObjectId = values[`${OID.sysObjectID}.0`];
    const sysDescr = values[`${OID.sysDescr}.0`];
    const vendor = vendorFromSysObjectId(
      sysObjectId?.type === 'oid' ? sysObjectId.value : null,
      sysDescr?.type === 'octets' ? Buffer.from(sysDescr.hex, 'hex').toString('latin1') : null,
    );
    const walks = [...WALKS, ...quirksFor(vendor).extraWalks];
    const walked = await Promise.all(walks.map((name) => walkSubtree(t, OID[name], limits, name)));
    for (const rows of walked) for (const [oid, v] of rows) values[oid] = v;

    // 3. Vendor serial numbers, only when the standard one is missing.
    if (column(values, OID.prtGeneralSerialNumber).every(([, v]) => v.type !== 'octets' || v.hex === '')) {
      put(await getTolerant(t, VENDOR_SERIALS));
    }

    // 4. The alert table, unless the alert counters say nothing changed since `previous`.
    let alertTable: RawSnmp['alertTable'] = 'walked';
    if (previous && alertCountersUnchanged(previous.values, values)) {
      for (const [oid, v] of Object.entries(previous.values)) if (isUnder(oid, OID.prtAlertEntry)) values[oid] = v;
      alertTable = 'reused';
    } else {
      for (const [oid, v] of await walkSubtree(t, OID.prtAlertEntry, limits, 'prtAlertTable')) values[oid] = v;
    }

    if (options.requirePrinter ?? true) {
      const evidence = printerEvidence(values);
      if (!evidence.isPrinter) throw new SnmpCollectError('notAPrinter', `${where}: answers SNMP but is not a printer: ${evidence.reason}`);
    }

    const finished = clock.now();
    const raw: RawSnmp = { version: t.version, values, alertTable, requests: t.requests, durationMs: finished - started };
    const snapshot = normaliseSnmp(values, {
      address: `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`,
      collectedAt: new Date(finished).toISOString(),
      ...(options.thresholds ? { thresholds: options.thresholds } : {}),
    });
    return { raw, snapshot };
  } finally {
    t.close();
  }
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

function alertCountersUnchanged(before: Readonly<Record<string, SnmpValue>>, now: Readonly<Record<string, SnmpValue>>): boolean {
  for (const name of ['prtAlertCriticalEvents', 'prtAlertAllEvents'] as const) {
    const a = column(before, OID[name]);
    const b = column(now, OID[name]);
    if (b.length === 0 || JSON.stringify(a) !== JSON.stringify(b)) return false;
  }
  return true;
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
