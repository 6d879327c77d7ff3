/**
 * IPP supplies → snapshot supplies, with the same kinds, states and special values as SNMP
 * (agent/normalise/supplies.ts). Two sources:
 *   - printer-supply (PWG 5100.13): one `key=value;` string per supply in the RFC 3805 column
 *     vocabulary (class, type, unit, maxcapacity, level, colorantname), with printer-supply-description;
 *   - marker-* arrays (RFC 8011 / CUPS): names, types, colors, levels (percent; -1/-2/-3 special),
 *     low-levels (the device's own low threshold).
 * printer-supply is preferred (it says class and capacity); the marker arrays fill its gaps
 * (names, low thresholds) when both list the same number of supplies.
 */
import type { Supply } from '../../../shared/snapshot.js';
import { assessSupply, supplyColor, supplyKind, supplyTypeName, type SupplyThresholds } from '../supplies.js';
import { isReceptacle } from '../../../shared/supplies.js';
import type { VendorQuirks } from '../vendorQuirks.js';
import { ENUMS } from '../../../mibs/oids.generated.js';
import { cleanText } from '../deviceText.js';
import { integersOf, parseInteger, parseKeyValueList, stringsOf, type IppAttributes } from './ippAttributes.js';

/** marker-colors are sRGB hex; the four process colours get their names. */
const HEX_COLOURS: Readonly<Record<string, string>> = {
  '#000000': 'black',
  '#00ffff': 'cyan',
  '#ff00ff': 'magenta',
  '#ffff00': 'yellow',
};

function markerColour(hex: string | null | undefined): string | null {
  if (!hex) return null;
  const h = hex.trim().toLowerCase();
  if (h === '' || h === 'none') return null;
  return HEX_COLOURS[h] ?? (/^(#[0-9a-f]{6}){2,}$/.test(h) ? 'multi-colour' : h.slice(0, 64));
}

const UNITS: Readonly<Record<string, number>> = ENUMS.PrtMarkerSuppliesSupplyUnitTC;

function unitNumber(unit: string | undefined): number | null {
  if (unit === undefined) return null;
  const n = parseInteger(unit);
  if (n !== null) return n;
  const key = unit.replace(/-/g, '').toLowerCase();
  for (const [name, v] of Object.entries(UNITS)) if (name.toLowerCase() === key) return v;
  return null;
}

/** Receptacle orientation: RFC 3805 (level = remaining space) unless the device's own reasons contradict it. */
export type WasteOrientation = 'remainingSpace' | 'filled';

export interface IppSupplyOptions {
  readonly thresholds: SupplyThresholds;
  readonly quirks: VendorQuirks;
  /**
   * Whether the device itself says (printer-state-reasons) a waste receptacle is almost full/full.
   * Used to detect devices (CUPS's ippeveprinter among them) that report a receptacle's level as
   * the filled amount, against RFC 3805.
   */
  readonly wasteReportedFull: boolean;
}

interface Row {
  index: number;
  description: string;
  markerName: string | null;
  type: string | null;
  cls: string | null;
  unit: string | null;
  max: number | null;
  level: number | null;
  colorant: string | null;
  markerColor: string | null;
  lowLevel: number | null;
  fromPrinterSupply: boolean;
}

function rowsFromPrinterSupply(attrs: IppAttributes): Row[] {
  const values = stringsOf(attrs, 'printer-supply');
  const descriptions = stringsOf(attrs, 'printer-supply-description');
  const rows: Row[] = [];
  values.forEach((value, i) => {
    if (value === null) return;
    const kv = parseKeyValueList(value);
    if (kv.size === 0) return;
    rows.push({
      index: parseInteger(kv.get('index')) ?? i + 1,
      description: cleanText(descriptions[i] ?? kv.get('description') ?? ''),
      markerName: null,
      type: kv.get('type') ?? null,
      cls: kv.get('class') ?? null,
      unit: kv.get('unit') ?? null,
      max: parseInteger(kv.get('maxcapacity')),
      level: parseInteger(kv.get('level')),
      colorant: kv.get('colorantname') ?? null,
      markerColor: null,
      lowLevel: null,
      fromPrinterSupply: true,
    });
  });
  return rows;
}

function rowsFromMarkers(attrs: IppAttributes): Row[] {
  const names = stringsOf(attrs, 'marker-names');
  const types = stringsOf(attrs, 'marker-types');
  const colors = stringsOf(attrs, 'marker-colors');
  const levels = integersOf(attrs, 'marker-levels');
  const lows = integersOf(attrs, 'marker-low-levels');
  const count = Math.max(names.length, levels.length);
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    rows.push({
      index: i + 1,
      description: cleanText(names[i] ?? ''),
      markerName: names[i] ?? null,
      type: types[i] ?? null,
      cls: null,
      unit: 'percent',
      max: 100,
      level: levels[i] ?? null,
      colorant: null,
      markerColor: colors[i] ?? null,
      lowLevel: lows[i] ?? null,
      fromPrinterSupply: false,
    });
  }
  return rows;
}

function combinedRows(attrs: IppAttributes): Row[] {
  const fromSupply = rowsFromPrinterSupply(attrs);
  const fromMarkers = rowsFromMarkers(attrs);
  if (fromSupply.length === 0) return fromMarkers;
  if (fromMarkers.length !== fromSupply.length) return fromSupply;
  // Same supplies in the same order (PWG 5100.13 requires it): take names and thresholds from the markers.
  return fromSupply.map((row, i) => {
    const m = fromMarkers[i]!;
    return { ...row, description: row.description || m.description, markerName: m.markerName, markerColor: m.markerColor, lowLevel: m.lowLevel };
  });
}

export function ippSupplies(attrs: IppAttributes, options: IppSupplyOptions): Supply[] {
  const out: Supply[] = [];
  for (const row of combinedRows(attrs).slice(0, 128)) {
    const typeName = supplyTypeName(row.type);
    const fallbackName = typeName ?? row.type ?? `Supply ${row.index}`;
    const { name, partNumber } = options.quirks.supplyDescription(row.description || fallbackName);
    const kind = supplyKind(row.type, name);
    const receptacle = isReceptacle(row.cls, kind);
    const corrected = options.quirks.supplyReading({ level: row.level, max: row.max, unit: unitNumber(row.unit ?? undefined) });
    const thresholds = { ...options.thresholds };
    // The device's own low threshold (marker-low-levels) beats the fleet default when it is a sane percentage.
    if (!receptacle && row.lowLevel !== null && row.lowLevel > thresholds.emptyPercent && row.lowLevel < 100) thresholds.lowPercent = row.lowLevel;
    let reading = { level: corrected.level, max: corrected.max, receptacle, precision: corrected.precision };
    if (receptacle && options.wasteReportedFull && kind === 'waste') {
      const asSpec = assessSupply(reading, thresholds);
      // The device says the box is (almost) full while the RFC reading says it is mostly empty:
      // it reports the filled amount. Read the level the device's way.
      if (asSpec.levelPercent !== null && asSpec.state === 'ok' && reading.level !== null && reading.max !== null && reading.max > 0) {
        reading = { ...reading, level: reading.max - reading.level };
      }
    }
    const { levelPercent, state } = assessSupply(reading, thresholds);
    out.push({
      index: row.index,
      name: name.slice(0, 512) || fallbackName,
      kind,
      color: markerColour(row.markerColor) ?? supplyColor(name, row.colorant),
      levelPercent,
      state,
      ...(partNumber ? { partNumber: partNumber.slice(0, 512) } : {}),
      raw: {
        level: row.level,
        max: row.fromPrinterSupply ? row.max : null,
        unit: row.unit ? row.unit.slice(0, 64) : null,
        class: row.cls ? row.cls.slice(0, 64) : null,
        type: row.type ? row.type.slice(0, 64) : null,
      },
    });
  }
  return out;
}
