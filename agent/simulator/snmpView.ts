/**
 * DeviceState → SNMP rows (OID → typed value): system group, HOST-RESOURCES hrDevice/hrPrinter,
 * Printer-MIB general, cover, input, marker, supplies, colorants and alert tables.
 *
 * For a recording, the recorded rows are the base. The model only overwrites the values that can
 * change (levels, error state, statuses, counters, cover status) and only adds rows for things a
 * scenario introduced (an error state, alert rows), so an unchanged recording is served as recorded.
 */
import { counterProfilesFor } from '../normalise/counterProfiles.js';
import { firmwareProfileFor } from '../normalise/firmwareProfiles.js';
import { vendorFromSysObjectId } from '../normalise/vendorQuirks.js';
import { ENUMS, HR_PRINTER_ERROR_BITS, OID } from '../../mibs/oids.generated.js';
import type { SnmpValue } from './ber.js';
import type { ConditionName, DeviceState, SimSupply } from './deviceModel.js';
import { deviceHealth } from './deviceFaults.js';

import type { TrackedFault } from './faultHistory.js';
import type { MibRow } from './mibTable.js';
import { pageCounter } from './pageCounters.js';

export interface SnmpRenderContext {
  /** sysUpTime at the simulator's start, in hundredths of a second. */
  readonly uptimeAtStart: number;
  /** ms since the simulator started, read when sysUpTime is asked for. */
  readonly elapsedMs: () => number;
  /** prtAlertAllEvents / prtAlertCriticalEvents so far. */
  readonly alertEvents: { readonly all: number; readonly critical: number };
}

const int = (value: number): SnmpValue => ({ type: 'Integer', value });
const str = (value: string): SnmpValue => ({ type: 'OctetString', value: Buffer.from(value, 'utf8') });
const counter = (value: number): SnmpValue => ({ type: 'Counter32', value: value >>> 0 });

/** hrPrinterDetectedErrorState octets for a set of bits (at least `minOctets`, RFC 2790 bit order). */
export function errorStateOctets(bits: ReadonlySet<string>, minOctets: number): Buffer {
  let highest = -1;
  HR_PRINTER_ERROR_BITS.forEach((name, bit) => {
    if (bits.has(name)) highest = bit;
  });
  const out = Buffer.alloc(Math.max(minOctets, highest >= 0 ? (highest >> 3) + 1 : 0));
  HR_PRINTER_ERROR_BITS.forEach((name, bit) => {
    if (bits.has(name)) out[bit >> 3]! |= 0x80 >> (bit & 7);
  });
  return out;
}

/** The level as the device reports it over SNMP (vendor quirks applied). */
export function reportedLevel(state: DeviceState, supply: SimSupply): number {
  if (state.quirks.ricohLevels && !supply.receptacle && supply.family === 'toner' && supply.level >= 0) {
    // Ricoh: -3 ("some remaining") for anything above empty, -100 when empty.
    return supply.level === 0 ? -100 : -3;
  }
  return supply.level;
}

const SEVERITY = {
  critical: ENUMS.PrtAlertSeverityLevelTC.critical,
  warning: ENUMS.PrtAlertSeverityLevelTC.warning,
  report: ENUMS.PrtAlertSeverityLevelTC.other,
} as const;

function alertCode(label: string): number {
  const codes = ENUMS.PrtAlertCodeTC as Record<string, number>;
  const code = codes[label];
  if (code === undefined) throw new Error(`simulator fault uses unknown PrtAlertCodeTC label ${label}`);
  return code;
}

/** The vendor counter table rows of the model, as agent/normalise/counterProfiles.ts reads them. */
export function vendorCounterRows(state: DeviceState): Array<[oid: string, value: number]> {
  if (!state.counterShares) return [];
  const rows: Array<[string, number]> = [];
  for (const profile of counterProfilesFor(vendorFromSysObjectId(state.identity.sysObjectId)?.id)) {
    for (const [instance, key] of Object.entries(profile.rows)) {
      const value = pageCounter(state, key);
      if (value !== undefined) rows.push([`${OID[profile.object]}.${instance}`, value]);
    }
  }
  return rows;
}

function uptimeAt(ctx: SnmpRenderContext, ms: number): number {
  return (ctx.uptimeAtStart + Math.floor(ms / 10)) >>> 0;
}

/** Every row the model can render, indexed by hrDeviceIndex `hr`. */
function modelRows(state: DeviceState, faults: readonly TrackedFault[], ctx: SnmpRenderContext, hr: number): MibRow[] {
  const id = state.identity;
  const rows: MibRow[] = [];
  const add = (oid: string, value: SnmpValue) => rows.push([oid, value]);
  const health = deviceHealth(faults);

  add(`${OID.sysDescr}.0`, str(id.sysDescr));
  add(`${OID.sysObjectID}.0`, { type: 'OID', value: id.sysObjectId });
  rows.push([`${OID.sysUpTime}.0`, { type: 'TimeTicks', value: ctx.uptimeAtStart }, () => ({ type: 'TimeTicks', value: uptimeAt(ctx, ctx.elapsedMs()) })]);
  add(`${OID.sysContact}.0`, str(id.sysContact));
  add(`${OID.sysName}.0`, str(id.sysName));
  add(`${OID.sysLocation}.0`, str(id.sysLocation));
  if (id.mac) {
    add(`${OID.ifType}.1`, int(ENUMS.IANAifType.ethernetCsmacd));
    add(`${OID.ifPhysAddress}.1`, { type: 'OctetString', value: Buffer.from(id.mac.replace(/:/g, ''), 'hex') });
  }

  const D = ENUMS.hrDeviceStatus;
  add(`${OID.hrDeviceType}.${hr}`, { type: 'OID', value: OID.hrDevicePrinter });
  add(`${OID.hrDeviceDescr}.${hr}`, str(`${id.manufacturer} ${id.model}`));
  add(`${OID.hrDeviceStatus}.${hr}`, int(health === 'down' ? D.down : health === 'warning' ? D.warning : D.running));
  add(`${OID.hrDeviceErrors}.${hr}`, counter(0));
  const P = ENUMS.hrPrinterStatus;
  add(`${OID.hrPrinterStatus}.${hr}`, int(state.mode === 'printing' ? P.printing : state.mode === 'warmup' ? P.warmup : P.idle));
  const bits = new Set<string>();
  for (const f of faults) if (f.bit) bits.add(f.bit);
  add(`${OID.hrPrinterDetectedErrorState}.${hr}`, { type: 'OctetString', value: errorStateOctets(bits, state.recording?.errorStateOctets ?? 2) });

  add(`${OID.prtGeneralPrinterName}.${hr}`, str(`${id.manufacturer} ${id.model}`));
  add(`${OID.prtGeneralSerialNumber}.${hr}`, str(id.serial));
  // The firmware version where the model's vendor keeps it (agent/normalise/firmwareProfiles.ts).
  const firmware = firmwareProfileFor(vendorFromSysObjectId(id.sysObjectId)?.id);
  if (firmware && id.firmware) add(`${OID[firmware.object]}.${firmware.instance}`, str(id.firmware));
  add(`${OID.prtAlertCriticalEvents}.${hr}`, counter(ctx.alertEvents.critical));
  add(`${OID.prtAlertAllEvents}.${hr}`, counter(ctx.alertEvents.all));

  const C = ENUMS.PrtCoverStatusTC;
  add(`${OID.prtCoverDescription}.${hr}.1`, str('Front Cover'));
  add(`${OID.prtCoverStatus}.${hr}.1`, int(state.conditions.has('doorOpen') ? C.coverOpen : C.coverClosed));

  for (const t of state.trays) {
    const k = `${hr}.${t.index}`;
    add(`${OID.prtInputType}.${k}`, int(ENUMS.PrtInputTypeTC.sheetFeedAutoRemovableTray));
    add(`${OID.prtInputCapacityUnit}.${k}`, int(ENUMS.PrtCapacityUnitTC.sheets));
    add(`${OID.prtInputMaxCapacity}.${k}`, int(t.max));
    add(`${OID.prtInputCurrentLevel}.${k}`, int(t.level));
    add(`${OID.prtInputStatus}.${k}`, int(0));
    add(`${OID.prtInputMediaName}.${k}`, str(t.mediaName));
    add(`${OID.prtInputName}.${k}`, str(t.name));
  }

  add(`${OID.prtMarkerCounterUnit}.${hr}.1`, int(ENUMS.PrtMarkerCounterUnitTC.impressions));
  add(`${OID.prtMarkerLifeCount}.${hr}.1`, counter(state.pageCount));
  for (const [oid, value] of vendorCounterRows(state)) add(oid, counter(value));

  const colorants: string[] = [];
  for (const s of state.supplies) {
    const k = `${hr}.${s.index}`;
    let colorantIndex = 0;
    if (s.color && !s.receptacle) {
      colorantIndex = colorants.indexOf(s.color) + 1 || colorants.push(s.color);
    }
    add(`${OID.prtMarkerSuppliesMarkerIndex}.${k}`, int(1));
    add(`${OID.prtMarkerSuppliesColorantIndex}.${k}`, int(colorantIndex));
    if (s.class !== null) add(`${OID.prtMarkerSuppliesClass}.${k}`, int(s.class));
    if (s.type !== null) add(`${OID.prtMarkerSuppliesType}.${k}`, int(s.type));
    add(`${OID.prtMarkerSuppliesDescription}.${k}`, str(s.description));
    if (s.unit !== null) add(`${OID.prtMarkerSuppliesSupplyUnit}.${k}`, int(s.unit));
    add(`${OID.prtMarkerSuppliesMaxCapacity}.${k}`, int(s.max));
    add(`${OID.prtMarkerSuppliesLevel}.${k}`, int(reportedLevel(state, s)));
  }
  colorants.forEach((c, i) => add(`${OID.prtMarkerColorantValue}.${hr}.${i + 1}`, str(c)));

  const G = ENUMS.PrtAlertGroupTC;
  const TR = ENUMS.PrtAlertTrainingLevelTC;
  for (const f of faults) {
    const k = `${hr}.${f.alertIndex}`;
    add(`${OID.prtAlertSeverityLevel}.${k}`, int(SEVERITY[f.severity]));
    add(`${OID.prtAlertTrainingLevel}.${k}`, int(TR[f.training]));
    add(`${OID.prtAlertGroup}.${k}`, int(G[f.alertGroup]));
    add(`${OID.prtAlertGroupIndex}.${k}`, int(f.alertGroupIndex));
    add(`${OID.prtAlertLocation}.${k}`, int(0));
    add(`${OID.prtAlertCode}.${k}`, int(alertCode(f.alertCode)));
    add(`${OID.prtAlertDescription}.${k}`, str(f.description));
    add(`${OID.prtAlertTime}.${k}`, { type: 'TimeTicks', value: uptimeAt(ctx, f.since) });
  }
  return rows;
}

/** Columns of a recording the model may overwrite: the ones that change while a device runs. */
const LIVE_PREFIXES = [
  OID.sysUpTime,
  OID.hrDeviceStatus,
  OID.hrPrinterStatus,
  OID.hrPrinterDetectedErrorState,
  OID.prtAlertCriticalEvents,
  OID.prtAlertAllEvents,
  OID.prtCoverStatus,
  OID.prtMarkerLifeCount,
  OID.prtMarkerSuppliesLevel,
].map((p) => `${p}.`);

export function renderSnmpRows(state: DeviceState, faults: readonly TrackedFault[], ctx: SnmpRenderContext): MibRow[] {
  const rec = state.recording;
  if (!rec) return modelRows(state, faults, ctx, 1);

  const model = modelRows(state, faults, ctx, rec.hrDeviceIndex);
  const recorded = new Map<string, MibRow>();
  for (const row of rec.rows) if (!recorded.has(row[0])) recorded.set(row[0], row);
  // Alert rows for faults the recording itself shows (its error bits) were not recorded: leave them out.
  const recordedAlertKeys = new Set(
    faults.filter((f) => f.key.startsWith('condition:') && rec.conditions.has(f.key.slice(10) as ConditionName)).map((f) => f.alertIndex),
  );
  const anyFault = faults.length > 0;
  const scenarioAlerts = faults.some((f) => !recordedAlertKeys.has(f.alertIndex));
  const initialHealth = deviceHealth(faults);
  for (const row of model) {
    const oid = row[0];
    const rec0 = recorded.get(oid);
    if (rec0) {
      if (!LIVE_PREFIXES.some((p) => oid.startsWith(p))) continue;
      if (oid.startsWith(`${OID.sysUpTime}.`)) {
        const base = rec0[1].type === 'TimeTicks' ? rec0[1].value : 0;
        recorded.set(oid, [oid, rec0[1], () => ({ type: 'TimeTicks', value: (base + Math.floor(ctx.elapsedMs() / 10)) >>> 0 })]);
      } else if (oid.startsWith(`${OID.hrDeviceStatus}.`)) {
        // The recorded status stands unless the model's faults make it worse.
        const recordedStatus = rec.hrDeviceStatus ?? ENUMS.hrDeviceStatus.running;
        const derived = row[1].type === 'Integer' ? row[1].value : recordedStatus;
        recorded.set(oid, [oid, int(initialHealth === 'ok' ? recordedStatus : Math.max(recordedStatus, derived))]);
      } else if (oid.startsWith(`${OID.hrPrinterStatus}.`)) {
        const P = ENUMS.hrPrinterStatus;
        const recordedMode = rec.hrPrinterStatus === P.printing ? 'printing' : rec.hrPrinterStatus === P.warmup ? 'warmup' : 'idle';
        if (state.mode !== recordedMode) recorded.set(oid, row);
      } else {
        recorded.set(oid, row);
      }
      continue;
    }
    // Rows the recording lacks: add only what a scenario introduced.
    const isAlertRow = oid.startsWith(`${OID.prtAlertEntry}.`) && !recordedAlertKeys.has(Number(oid.split('.').at(-1)));
    const isErrorState = oid.startsWith(`${OID.hrPrinterDetectedErrorState}.`) && anyFault;
    const isAlertCounter = (oid.startsWith(`${OID.prtAlertAllEvents}.`) || oid.startsWith(`${OID.prtAlertCriticalEvents}.`)) && scenarioAlerts;
    const isCover = oid.startsWith(`${OID.prtCoverStatus}.`) && state.conditions.has('doorOpen');
    if (isAlertRow || isErrorState || isAlertCounter || isCover) recorded.set(oid, row);
  }
  return [...recorded.values()];
}
