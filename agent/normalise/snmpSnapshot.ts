/**
 * Raw SNMP values -> DeviceSnapshot. Pure: no I/O, no clock (the collection time is passed in).
 *
 * Interface (stable; the agent runtime and `fleetdesk probe` call it after collectSnmp):
 *   normaliseSnmp(raw.values, { address: raw.address, collectedAt: raw.collectedAt, thresholds? }) -> DeviceSnapshot
 * `values` is RawSnmp['values'] (instance OID -> typed value) from agent/collect/snmp, which
 * reads and never interprets; this module interprets and never reads.
 *
 * Wrong types never throw: a column holding the wrong ASN.1 type is treated as absent, so one
 * broken object costs that value only. What is read and how each value is interpreted is
 * documented in docs/agent.md ("SNMP: what is read and how it is interpreted").
 */
import { FAULTS } from '../../shared/faults.js';
import type { Counters, DeviceSnapshot, DeviceStatus, Fault, Identity, InputTray, Supply } from '../../shared/snapshot.js';
import { ENUMS, OID, type OidName } from '../../mibs/oids.generated.js';
import { column, type SnmpValue } from '../collect/snmp/raw.js';
import { classifyAlert, inkjetMarkerFault, partName } from './alerts.js';
import { bytesFromHex, decodeDeviceText, decodeDeviceTextHex } from './deviceText.js';
import { foldFaults } from './faultSet.js';
import { errorStateFaults, type MarkerFamily } from './errorState.js';
import { isReceptacle } from '../../shared/supplies.js';
import { assessSupply, DEFAULT_SUPPLY_THRESHOLDS, supplyColor, supplyFaultCode, supplyKind, type SupplyThresholds } from './supplies.js';
import { quirksFor, vendorFromSysObjectId, type Vendor, type VendorQuirks } from './vendorQuirks.js';
import { counterProfilesFor } from './counterProfiles.js';
import { cleanFirmware, firmwareProfileFor } from './firmwareProfiles.js';
import {
  assembleCounters,
  checkCounterValue,
  deriveColourTotals,
  type CounterProblem,
  type CounterProvenance,
  type CounterReading,
} from '../../shared/counters.js';

export type SnmpValues = Readonly<Record<string, SnmpValue>>;

export interface SnmpNormaliseOptions {
  /** host[:port] the device was polled at. */
  readonly address: string;
  /** ISO 8601 time of the collection (injected, never read from a clock here). */
  readonly collectedAt: string;
  readonly thresholds?: SupplyThresholds;
}

// ---- typed access to raw values; the wrong type reads as absent -------------------------------

function intOf(v: SnmpValue | undefined): number | null {
  if (!v) return null;
  switch (v.type) {
    case 'integer':
    case 'counter32':
    case 'gauge32':
    case 'timeticks':
      return Number.isFinite(v.value) ? v.value : null;
    case 'counter64': {
      const n = Number(v.value);
      return Number.isSafeInteger(n) ? n : null;
    }
    default:
      return null;
  }
}

function textOf(v: SnmpValue | undefined, hexEncodedText = true): string | null {
  if (!v || v.type !== 'octets') return null;
  const t = decodeDeviceTextHex(v.hex, { hexEncodedText });
  return t === '' ? null : t;
}

/** Text with line structure kept (vendor repairs need the newline), NULs cut. */
function rawTextOf(v: SnmpValue | undefined): string | null {
  if (!v || v.type !== 'octets') return null;
  const bytes = bytesFromHex(v.hex);
  const nul = bytes.indexOf(0);
  const text = new TextDecoder('utf-8').decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
  return text.includes('\n') ? text : null;
}

function oidOf(v: SnmpValue | undefined): string | null {
  return v && v.type === 'oid' && /^\d+(\.\d+)*$/.test(v.value) ? v.value : null;
}

function bytesOf(v: SnmpValue | undefined): Uint8Array | null {
  return v && v.type === 'octets' ? bytesFromHex(v.hex) : null;
}

const scalar = (values: SnmpValues, name: OidName): SnmpValue | undefined => values[`${OID[name]}.0`];

/** Table column as a Map keyed by instance suffix ("1.2" = hrDeviceIndex 1, row 2). */
function col(values: SnmpValues, name: OidName): Map<string, SnmpValue> {
  return new Map(column(values, OID[name]));
}

function lastIndex(suffix: string): number {
  const n = Number(suffix.split('.').pop());
  return Number.isSafeInteger(n) ? n : 0;
}

const clip = (s: string, n = 512) => (s.length > n ? s.slice(0, n) : s);

// ---- identity ------------------------------------------------------------------------------------

function printerDeviceIndex(values: SnmpValues): string | null {
  const types = col(values, 'hrDeviceType');
  for (const [suffix, v] of types) if (oidOf(v) === OID.hrDevicePrinter) return suffix;
  // No type column: the first row any printer-related column has.
  for (const name of ['hrPrinterStatus', 'hrPrinterDetectedErrorState', 'hrDeviceDescr', 'hrDeviceStatus'] as const) {
    const first = col(values, name).keys().next();
    if (!first.done) return first.value;
  }
  return null;
}

function macAddress(values: SnmpValues): string | undefined {
  const types = col(values, 'ifType');
  const ethernet = ENUMS.IANAifType.ethernetCsmacd;
  const candidates = [...col(values, 'ifPhysAddress')].sort(([a], [b]) => {
    const ea = intOf(types.get(a)) === ethernet ? 0 : 1;
    const eb = intOf(types.get(b)) === ethernet ? 0 : 1;
    return ea - eb;
  });
  for (const [, v] of candidates) {
    const bytes = bytesOf(v);
    if (!bytes || bytes.length !== 6) continue;
    if (bytes.every((b) => b === 0) || bytes.every((b) => b === 0xff)) continue;
    return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
  }
  return undefined;
}

function serialNumber(values: SnmpValues, quirks: VendorQuirks, sysDescr: string | null): string | undefined {
  for (const [, v] of col(values, 'prtGeneralSerialNumber')) {
    const s = textOf(v, false);
    if (s) return clip(quirks.cleanSerial(s));
  }
  for (const name of quirks.serialOids) {
    const v = values[`${OID[name]}.${quirks.serialInstance(name)}`];
    const bytes = bytesOf(v);
    if (!bytes) continue;
    // Keep leading control bytes for cleanSerial to see (HP's binary prefix); cut at NUL.
    const nul = bytes.indexOf(0, 2);
    const s = quirks.cleanSerial(new TextDecoder('latin1').decode(nul >= 0 ? bytes.subarray(0, nul) : bytes));
    // eslint-disable-next-line no-control-regex
    const clean = s.replace(/[\u0000-\u001f\u007f]/g, '').trim();
    if (clean) return clip(clean);
  }
  const fromDescr = sysDescr ? quirks.serialFromSysDescr(sysDescr) : null;
  return fromDescr ? clip(fromDescr) : undefined;
}

/** The vendor's firmware object (firmwareProfiles.ts); the Printer-MIB has none. */
function firmwareVersion(values: SnmpValues, vendor: Vendor | null): string | undefined {
  const profile = firmwareProfileFor(vendor?.id);
  if (!profile) return undefined;
  const text = textOf(values[`${OID[profile.object]}.${profile.instance}`], false);
  const version = text === null ? null : cleanFirmware(profile, text);
  return version === null ? undefined : clip(version);
}

// ---- supplies, inputs, alerts --------------------------------------------------------------------

function supplies(values: SnmpValues, quirks: VendorQuirks, thresholds: SupplyThresholds): Supply[] {
  const cls = col(values, 'prtMarkerSuppliesClass');
  const type = col(values, 'prtMarkerSuppliesType');
  const desc = col(values, 'prtMarkerSuppliesDescription');
  const unit = col(values, 'prtMarkerSuppliesSupplyUnit');
  const max = col(values, 'prtMarkerSuppliesMaxCapacity');
  const level = col(values, 'prtMarkerSuppliesLevel');
  const colorantIdx = col(values, 'prtMarkerSuppliesColorantIndex');
  const colorants = col(values, 'prtMarkerColorantValue');
  const suffixes = [...new Set([...cls.keys(), ...type.keys(), ...desc.keys(), ...max.keys(), ...level.keys()])];
  suffixes.sort((a, b) => lastIndex(a) - lastIndex(b));

  return suffixes.slice(0, 128).map((suffix) => {
    const index = lastIndex(suffix);
    const descText = rawTextOf(desc.get(suffix)) ?? textOf(desc.get(suffix));
    const cleaned = descText ? quirks.supplyDescription(descText) : null;
    const name = cleaned ? decodeDeviceText(new TextEncoder().encode(cleaned.name), { hexEncodedText: false }) : '';
    const raw = {
      level: intOf(level.get(suffix)),
      max: intOf(max.get(suffix)),
      unit: intOf(unit.get(suffix)),
      class: intOf(cls.get(suffix)),
      type: intOf(type.get(suffix)),
    };
    const kind = supplyKind(raw.type, name || null);
    const receptacle = isReceptacle(raw.class, kind);
    const corrected = quirks.supplyReading({ level: raw.level, max: raw.max, unit: raw.unit });
    const { levelPercent, state } = assessSupply({ level: corrected.level, max: corrected.max, receptacle, precision: corrected.precision }, thresholds);
    const hrDev = suffix.split('.')[0];
    const cIdx = intOf(colorantIdx.get(suffix));
    const colorant = cIdx !== null && cIdx > 0 ? textOf(colorants.get(`${hrDev}.${cIdx}`)) : null;
    return {
      index,
      name: clip(name || `${kind} ${index}`),
      kind,
      color: supplyColor(name, colorant),
      levelPercent,
      state,
      ...(cleaned?.partNumber ? { partNumber: clip(cleaned.partNumber) } : {}),
      raw,
    };
  });
}

function inputs(values: SnmpValues, thresholds: SupplyThresholds): InputTray[] {
  const name = col(values, 'prtInputName');
  const descr = col(values, 'prtInputDescription');
  const media = col(values, 'prtInputMediaName');
  const max = col(values, 'prtInputMaxCapacity');
  const level = col(values, 'prtInputCurrentLevel');
  const suffixes = [...new Set([...name.keys(), ...descr.keys(), ...max.keys(), ...level.keys()])].sort((a, b) => lastIndex(a) - lastIndex(b));
  return suffixes.slice(0, 64).map((suffix) => {
    const index = lastIndex(suffix);
    const l = intOf(level.get(suffix));
    const m = intOf(max.get(suffix));
    let levelPercent: number | null = null;
    let state: InputTray['state'];
    if (l === null || l === -2 || l === -1 || l < -3) state = 'unknown';
    else if (l === -3) state = 'someRemaining';
    else if (l === 0) state = 'empty';
    else if (m !== null && m > 0 && l <= m) {
      levelPercent = Math.round((l / m) * 1000) / 10;
      state = levelPercent <= thresholds.lowPercent ? 'low' : 'ok';
    } else state = 'someRemaining';
    return {
      index,
      name: clip(textOf(name.get(suffix)) ?? textOf(descr.get(suffix)) ?? `Input ${index}`),
      media: (() => {
        const t = textOf(media.get(suffix));
        return t ? clip(t) : null;
      })(),
      levelPercent,
      state,
    };
  });
}

function alertFaults(values: SnmpValues, supplyList: Supply[], trays: InputTray[]): Fault[] {
  const code = col(values, 'prtAlertCode');
  const group = col(values, 'prtAlertGroup');
  const groupIndex = col(values, 'prtAlertGroupIndex');
  const severity = col(values, 'prtAlertSeverityLevel');
  const training = col(values, 'prtAlertTrainingLevel');
  const location = col(values, 'prtAlertLocation');
  const description = col(values, 'prtAlertDescription');
  const suffixes = [...new Set([...code.keys(), ...severity.keys(), ...description.keys()])].sort((a, b) => lastIndex(a) - lastIndex(b));
  const inkjet = supplyList.some((s) => s.kind === 'ink' || s.kind === 'printhead');
  const faults: Fault[] = [];
  for (const suffix of suffixes) {
    const g = intOf(group.get(suffix));
    const gi = intOf(groupIndex.get(suffix));
    const subunitName = partName(g, gi, { supplies: supplyList, inputs: trays });
    const fault = classifyAlert({
      code: intOf(code.get(suffix)),
      group: g,
      groupIndex: gi !== null && gi >= 0 ? gi : null,
      severity: intOf(severity.get(suffix)),
      training: intOf(training.get(suffix)),
      location: intOf(location.get(suffix)),
      description: textOf(description.get(suffix)),
      subunitName,
      source: 'prtAlert',
    });
    if (!fault) continue;
    const located = g === ENUMS.PrtAlertGroupTC.markerColorant && gi !== null ? onColorantSupply(fault, gi, values, supplyList) : fault;
    faults.push(inkjet ? inkjetMarkerFault(located) : located);
  }
  return faults;
}

/**
 * A supply condition alerted on a colorant (group markerColorant, index = prtMarkerColorantIndex)
 * is about the cartridge of that colorant when exactly one toner or ink supply uses it
 * (prtMarkerSuppliesColorantIndex): the fault then sits on that supply, where the level reading
 * puts the same condition, and the two are one fault.
 */
function onColorantSupply(fault: Fault, colorant: number, values: SnmpValues, supplyList: Supply[]): Fault {
  if (FAULTS[fault.code].category !== 'supply') return fault;
  const users = [...col(values, 'prtMarkerSuppliesColorantIndex')].filter(([, v]) => intOf(v) === colorant).map(([suffix]) => lastIndex(suffix));
  const consumables = supplyList.filter((s) => users.includes(s.index) && (s.kind === 'toner' || s.kind === 'ink'));
  if (consumables.length !== 1) return fault;
  const supply = consumables[0]!;
  return { ...fault, subunit: { group: 'markerSupplies', index: supply.index, name: supply.name } };
}

function supplyFaults(list: Supply[]): Fault[] {
  const faults: Fault[] = [];
  for (const s of list) {
    const code = supplyFaultCode(s.kind, s.state);
    if (!code) continue;
    const level = s.levelPercent !== null ? `${s.levelPercent} %` : s.state;
    faults.push({
      code,
      severity: FAULTS[code].severity,
      source: 'supply',
      message: clip(`${FAULTS[code].label.en}: ${s.name} (${level})`, 4096),
      subunit: { group: 'markerSupplies', index: s.index, name: s.name },
      rawCode: `${s.raw.level ?? 'absent'}/${s.raw.max ?? 'absent'}`,
    });
  }
  return faults;
}

// ---- status and counters -------------------------------------------------------------------------

function deviceStatus(faults: Fault[], hrDeviceStatus: number | null, hrPrinterStatus: number | null): DeviceStatus {
  const d = ENUMS.hrDeviceStatus;
  const p = ENUMS.hrPrinterStatus;
  // The device's own word (error bits, alerts, hrDeviceStatus) decides "down"; a supply level
  // read as empty is a critical fault but does not by itself prove the printer has stopped.
  if (faults.some((f) => f.source !== 'supply' && f.severity === 'critical' && FAULTS[f.code].stopsPrinting)) return 'down';
  if (hrDeviceStatus === d.down) return 'down';
  if (hrPrinterStatus === p.printing) return 'printing';
  if (hrPrinterStatus === p.warmup) return 'warmup';
  if (faults.some((f) => f.severity !== 'info') || hrDeviceStatus === d.warning) return 'warning';
  if (hrPrinterStatus === p.idle) return 'idle';
  if (hrDeviceStatus === d.running) return 'idle';
  return 'unknown';
}

/** A counter value as read: a number, or the raw value a problem report shows. */
function counterValue(v: SnmpValue): unknown {
  if (v.type === 'octets') return Buffer.from(v.hex, 'hex').toString('latin1');
  if (v.type === 'counter64') return BigInt(v.value) <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : BigInt(v.value);
  return 'value' in v ? v.value : v.type;
}

/**
 * Page counters with their origin: prtMarkerLifeCount (the first marker is the device's
 * impressions total), prtMarkerPowerOnCount, the vendor's counter rows (counterProfiles.ts), and
 * colour totals derived from those. A value that is not a non-negative integer is reported as a
 * problem and left out, so nothing is billed from it.
 */
function counters(values: SnmpValues, vendor: Vendor | null, monochromeDevice: boolean): { counters: Counters; provenance: CounterProvenance } {
  const readings: CounterReading[] = [];
  const problems: CounterProblem[] = [];
  const read = (key: string, source: string, v: SnmpValue | undefined) => {
    if (!v) return;
    const checked = checkCounterValue(counterValue(v));
    if (checked.ok) readings.push({ key, value: checked.value, origin: { source, confidence: 'exact' } });
    else problems.push({ source, problem: checked.problem, raw: checked.raw });
  };
  const life = [...col(values, 'prtMarkerLifeCount')];
  const units = col(values, 'prtMarkerCounterUnit');
  const u = ENUMS.PrtMarkerCounterUnitTC;
  life.slice(0, 16).forEach(([suffix, v], i) => {
    const unit = intOf(units.get(suffix));
    const pages = unit === null || unit === u.impressions || unit === u.sheets;
    const unitName = Object.entries(u).find(([, x]) => x === unit)?.[0] ?? 'units';
    const key = pages ? (i === 0 ? 'total' : `marker${lastIndex(suffix)}`) : `marker${lastIndex(suffix)}.${unitName}`;
    read(key, `prtMarkerLifeCount.${suffix}`, v);
  });
  const power = [...col(values, 'prtMarkerPowerOnCount')][0];
  if (power) read('sincePowerOn', `prtMarkerPowerOnCount.${power[0]}`, power[1]);
  for (const profile of counterProfilesFor(vendor?.id)) {
    const rows = col(values, profile.object);
    if (rows.size === 0) problems.push({ source: profile.object, problem: 'missingTable' });
    for (const [instance, key] of Object.entries(profile.rows)) read(key, `${profile.object}.${instance}`, rows.get(instance));
  }
  const assembled = assembleCounters(deriveColourTotals(readings, monochromeDevice), problems);
  return { counters: assembled.counters, provenance: assembled.provenance };
}

// ---- the snapshot --------------------------------------------------------------------------------

export function normaliseSnmp(values: SnmpValues, options: SnmpNormaliseOptions): DeviceSnapshot {
  const thresholds = options.thresholds ?? DEFAULT_SUPPLY_THRESHOLDS;
  const sysDescr = textOf(scalar(values, 'sysDescr'));
  const sysObjectId = oidOf(scalar(values, 'sysObjectID'));
  const vendor = vendorFromSysObjectId(sysObjectId, sysDescr);
  const quirks = quirksFor(vendor);

  const printerIdx = printerDeviceIndex(values);
  const hrDeviceDescr = printerIdx ? textOf(col(values, 'hrDeviceDescr').get(printerIdx)) : null;
  const model = quirks.model({ sysDescr, hrDeviceDescr });
  const serial = serialNumber(values, quirks, sysDescr);
  const sysName = textOf(scalar(values, 'sysName'));
  const location = textOf(scalar(values, 'sysLocation'));
  const mac = macAddress(values);
  const firmware = firmwareVersion(values, vendor);
  const identity: Identity = {
    ...(vendor ? { vendor: vendor.name } : {}),
    ...(model ? { model: clip(model) } : {}),
    ...(serial ? { serial } : {}),
    ...(sysName ? { sysName: clip(sysName) } : {}),
    ...(sysDescr ? { sysDescr: clip(sysDescr, 4096) } : {}),
    ...(sysObjectId && sysObjectId.length <= 256 ? { sysObjectId } : {}),
    ...(location ? { location: clip(location) } : {}),
    ...(mac ? { mac } : {}),
    ...(firmware ? { firmware } : {}),
  };

  const supplyList = supplies(values, quirks, thresholds);
  const trays = inputs(values, thresholds);
  const family: MarkerFamily = supplyList.some((s) => s.kind === 'ink') && !supplyList.some((s) => s.kind === 'toner') ? 'ink' : 'toner';
  const errBytes = printerIdx ? bytesOf(col(values, 'hrPrinterDetectedErrorState').get(printerIdx)) : null;
  const faults = foldFaults([
    ...alertFaults(values, supplyList, trays),
    ...supplyFaults(supplyList),
    ...(errBytes ? errorStateFaults(errBytes, family) : []),
  ]).slice(0, 256);

  const hrDevStatus = printerIdx ? intOf(col(values, 'hrDeviceStatus').get(printerIdx)) : null;
  const hrPrtStatus = printerIdx ? intOf(col(values, 'hrPrinterStatus').get(printerIdx)) : null;

  // A device without a colour marker supply prints mono only: its total is its mono count.
  const markers = supplyList.filter((s) => (s.kind === 'toner' || s.kind === 'ink') && s.color !== null);
  const monochromeDevice = markers.length > 0 && markers.every((s) => /^(black|mono)/i.test(s.color ?? ''));
  const meter = counters(values, vendor, monochromeDevice);
  return {
    address: options.address,
    protocols: ['snmp'],
    collectedAt: options.collectedAt,
    identity,
    status: deviceStatus(faults, hrDevStatus, hrPrtStatus),
    faults,
    supplies: supplyList,
    inputs: trays,
    counters: meter.counters,
    // Nothing read, nothing wrong: no provenance (the shape of a device without counters is unchanged).
    ...(Object.keys(meter.counters).length > 0 || meter.provenance.problems.length > 0 ? { counterProvenance: meter.provenance } : {}),
  };
}
