/**
 * DeviceState → IPP Get-Printer-Attributes printer attributes (RFC 8011, PWG 5100.9 alerts,
 * PWG 5100.13 supplies, PWG 5100.22 page counters, CUPS marker-*), as plain values ready for the `ipp` package's serializer.
 * Derived from the same state and fault list as the SNMP view.
 */
import { ENUMS } from '../../mibs/oids.generated.js';
import type { DeviceState, SimSupply } from './deviceModel.js';
import { deviceHealth, LOW_PERCENT, supplyPercent } from './deviceFaults.js';
import type { TrackedFault } from './faultHistory.js';
import { pageCounter, sheetCounter } from './pageCounters.js';
import { reportedLevel } from './snmpView.js';
import { colourHex } from './supplyKinds.js';

export interface IppRenderContext {
  /** The printer URI clients use, e.g. ipp://127.0.0.1:8631/ipp/print/dev-0001. */
  readonly printerUri: string;
  /** Seconds since the simulator started (printer-up-time; at least 1). */
  readonly upTimeSeconds: number;
  /** sysUpTime at start in hundredths of a second, so alert times match the SNMP view. */
  readonly uptimeAtStart: number;
}

export type IppAttributes = Record<string, string | number | boolean | readonly (string | number)[] | Record<string, unknown>>;

function label(table: Record<string, number>, value: number | null, fallback: string): string {
  if (value === null) return fallback;
  for (const [name, v] of Object.entries(table)) if (v === value) return name;
  return String(value);
}

/** IANA camelCase type name → CUPS/PWG marker-types keyword (tonerCartridge → toner-cartridge). */
function markerType(supply: SimSupply): string {
  const name = label(ENUMS.PrtMarkerSuppliesTypeTC, supply.type, 'unknown');
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * marker-levels value: a percentage (receptacles: how full, as CUPS reports them), or the
 * special values -2 (unknown) and -3 (unknown but not at capacity); -1 (unavailable).
 */
export function markerLevel(state: DeviceState, supply: SimSupply): number {
  const level = reportedLevel(state, supply);
  if (level === -100) return 0; // Ricoh's "empty" is not a valid IPP level
  if (level === -1) return -1;
  if (level === -3) return -3;
  const pct = supplyPercent({ level, max: supply.max });
  if (pct === null) return -2;
  const rounded = Math.round(pct);
  return supply.receptacle ? 100 - rounded : rounded;
}

/** PWG 5100.13 printer-supply value, mirroring the prtMarkerSuppliesTable row. */
export function printerSupplyValue(state: DeviceState, supply: SimSupply): string {
  const parts = [
    `index=${supply.index}`,
    `class=${label(ENUMS.PrtMarkerSuppliesClassTC, supply.class, 'unknown')}`,
    `type=${label(ENUMS.PrtMarkerSuppliesTypeTC, supply.type, 'unknown')}`,
    `unit=${label(ENUMS.PrtMarkerSuppliesSupplyUnitTC, supply.unit, 'unknown')}`,
    `maxcapacity=${supply.max}`,
    `level=${reportedLevel(state, supply)}`,
    `colorantname=${supply.color ?? 'unknown'}`,
  ];
  return `${parts.join(';')};`;
}

/** PWG 5100.9 printer-alert value for a fault. */
export function printerAlertValue(fault: TrackedFault, ctx: IppRenderContext): string {
  const severity = fault.severity === 'report' ? 'other' : fault.severity;
  const time = (ctx.uptimeAtStart + Math.floor(fault.since / 10)) >>> 0;
  return `code=${fault.alertCode};index=${fault.alertIndex};severity=${severity};training=${fault.training};group=${fault.alertGroup};groupindex=${fault.alertGroupIndex};location=0;time=${time};`;
}

/** PWG 5100.22 collection member → the counter key it reports (pageCounters.ts). */
const IMPRESSION_MEMBERS: ReadonlyArray<[member: string, key: string]> = [
  ['monochrome', 'mono'],
  ['monochrome-two-sided', 'mono.duplex'],
  ['full-color', 'color'],
  ['full-color-two-sided', 'color.duplex'],
];

/**
 * printer-impressions-completed(-col) and printer-media-sheets-completed(-col): the same counters
 * the SNMP view serves (prtMarkerLifeCount, the vendor table), so both protocols agree.
 */
export function ippPageCounters(state: DeviceState): IppAttributes {
  const attrs: IppAttributes = {
    'printer-impressions-completed': state.pageCount,
    'printer-media-sheets-completed': sheetCounter(state) ?? state.pageCount,
  };
  const impressions: Record<string, number> = {};
  for (const [member, key] of IMPRESSION_MEMBERS) {
    const value = pageCounter(state, key);
    if (value !== undefined) impressions[member] = value;
  }
  const sheets: Record<string, number> = {};
  for (const [member, colour] of [
    ['monochrome', 'mono'],
    ['full-color', 'color'],
  ] as const) {
    const value = sheetCounter(state, colour);
    if (value !== undefined) sheets[member] = value;
  }
  if (Object.keys(impressions).length > 0) attrs['printer-impressions-completed-col'] = impressions;
  if (Object.keys(sheets).length > 0) attrs['printer-media-sheets-completed-col'] = sheets;
  return attrs;
}

export function renderIppAttributes(state: DeviceState, faults: readonly TrackedFault[], ctx: IppRenderContext): IppAttributes {
  const id = state.identity;
  const health = deviceHealth(faults);
  const reasons = [...new Set(faults.map((f) => f.ippReason))];
  const makeAndModel = id.model.toLowerCase().startsWith(id.manufacturer.toLowerCase()) ? id.model : `${id.manufacturer} ${id.model}`;
  const deviceId =
    [`MFG:${id.manufacturer}`, `MDL:${id.model}`, ...(id.commandSet ? [`CMD:${id.commandSet}`] : []), ...(id.serial ? [`SN:${id.serial}`] : [])].join(';') +
    ';';
  const attrs: IppAttributes = {
    'printer-uri-supported': [ctx.printerUri],
    'uri-security-supported': ['none'],
    'uri-authentication-supported': ['none'],
    'printer-name': state.id,
    'printer-info': `${makeAndModel} (FleetDesk simulator)`,
    'printer-location': id.sysLocation,
    'printer-more-info': ctx.printerUri.replace(/^ipp:/, 'http:'),
    'printer-make-and-model': makeAndModel,
    'printer-device-id': deviceId,
    'printer-uuid': id.uuid,
    'printer-state': health === 'down' ? 'stopped' : state.mode === 'printing' ? 'processing' : 'idle',
    'printer-state-reasons': reasons.length > 0 ? reasons : ['none'],
    'printer-state-message': faults[0]?.description ?? (state.mode === 'printing' ? 'Printing' : 'Ready to print'),
    'printer-is-accepting-jobs': true,
    'queued-job-count': state.mode === 'printing' ? 1 : 0,
    'printer-up-time': Math.max(1, Math.floor(ctx.upTimeSeconds)),
    'charset-configured': 'utf-8',
    'charset-supported': ['utf-8'],
    'natural-language-configured': 'en',
    'generated-natural-language-supported': ['en'],
    'ipp-versions-supported': ['1.1', '2.0'],
    'operations-supported': ['Get-Printer-Attributes'],
    'document-format-default': 'application/octet-stream',
    'document-format-supported': ['application/octet-stream', 'application/pdf', 'image/pwg-raster'],
    'compression-supported': ['none'],
    'pdl-override-supported': 'not-attempted',
    'media-col-default': { 'media-size': { 'x-dimension': 21000, 'y-dimension': 29700 }, 'media-type': 'stationery' },
  };
  if (id.firmware) attrs['printer-firmware-string-version'] = [id.firmware];
  if (faults.length > 0) {
    attrs['printer-alert'] = faults.map((f) => printerAlertValue(f, ctx));
    attrs['printer-alert-description'] = faults.map((f) => f.description);
  }
  const supplies = state.supplies;
  if (supplies.length > 0) {
    attrs['marker-names'] = supplies.map((s) => s.description);
    attrs['marker-types'] = supplies.map(markerType);
    attrs['marker-colors'] = supplies.map((s) => colourHex(s.color));
    attrs['marker-levels'] = supplies.map((s) => markerLevel(state, s));
    attrs['marker-low-levels'] = supplies.map((s) => (s.receptacle ? 0 : LOW_PERCENT));
    attrs['marker-high-levels'] = supplies.map((s) => (s.receptacle ? 100 - LOW_PERCENT : 100));
    attrs['printer-supply'] = supplies.map((s) => printerSupplyValue(state, s));
    attrs['printer-supply-description'] = supplies.map((s) => s.description);
  }
  Object.assign(attrs, ippPageCounters(state));
  if (state.trays.length > 0) {
    attrs['printer-input-tray'] = state.trays.map(
      (t) => `type=sheetFeedAutoRemovableTray;mediafeed=0;mediaxfeed=0;maxcapacity=${t.max};level=${t.level};status=0;name=${t.name};`,
    );
  }
  return attrs;
}
