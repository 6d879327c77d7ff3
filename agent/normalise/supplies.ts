/**
 * Supply rules shared by the SNMP and IPP normalisers (pure).
 *
 * Interface (stable; the IPP normaliser uses it):
 *   supplyTypeName(type)                  IANA PrtMarkerSuppliesTypeTC name for a number, an IANA
 *                                         name ('tonerCartridge') or an IPP keyword ('toner-cartridge')
 *   supplyKind(type, description)         -> SupplyKind (toner ink drum waste … other)
 *   (supplyClassName and isReceptacle are in shared/supplies.ts: the server's forecasts use them too)
 *   assessSupply(reading, thresholds)     -> { levelPercent, state } from level/max incl. -1/-2/-3
 *   supplyColor(description, colorant?)   -> 'black' | 'cyan' | … | null
 *   supplyFaultCode(kind, state)          -> FaultCode | null (low/empty/nearFull/full per kind)
 *   DEFAULT_SUPPLY_THRESHOLDS             low <= 10 %, empty <= 0 %, nearFull >= 90 %, full >= 100 %
 *
 * RFC 3805 semantics: prtMarkerSuppliesLevel is the remaining quantity of a consumable, but the
 * remaining SPACE of a receptacle (waste toner box). -1 = other (no restriction), -2 = unknown,
 * -3 = "some remaining" (at least one unit / some space). A level is a percentage only against a
 * positive max capacity; everything else yields levelPercent = null, never an invented number.
 */
import type { FaultCode } from '../../shared/faults.js';
import type { SupplyKind, SupplyState } from '../../shared/snapshot.js';
import { ENUMS } from '../../mibs/oids.generated.js';

export interface SupplyThresholds {
  /** A consumable is low at or below this remaining percentage. */
  readonly lowPercent: number;
  /** A consumable is empty at or below this remaining percentage. */
  readonly emptyPercent: number;
  /** A receptacle is nearly full at or above this filled percentage. */
  readonly nearFullPercent: number;
  /** A receptacle is full at or above this filled percentage. */
  readonly fullPercent: number;
}

export const DEFAULT_SUPPLY_THRESHOLDS: SupplyThresholds = { lowPercent: 10, emptyPercent: 0, nearFullPercent: 90, fullPercent: 100 };

/** RFC 3805 special values of prtMarkerSuppliesLevel / MaxCapacity. */
export const SPECIAL_LEVEL = { other: -1, unknown: -2, someRemaining: -3 } as const;

const SUPPLY_TYPES: Readonly<Record<string, number>> = ENUMS.PrtMarkerSuppliesTypeTC;
const SUPPLY_TYPE_BY_NUMBER = new Map(Object.entries(SUPPLY_TYPES).map(([name, n]) => [n, name]));
const SUPPLY_TYPE_BY_KEY = new Map(Object.keys(SUPPLY_TYPES).map((name) => [name.toLowerCase(), name]));

/** IPP marker-types keywords that are not just hyphenated IANA names. */
const IPP_TYPE_ALIASES: Readonly<Record<string, string>> = {
  opc: 'opc',
  'waste-toner': 'wasteToner',
  'waste-ink': 'wasteInk',
  'toner-cartridge': 'tonerCartridge',
  'ink-cartridge': 'inkCartridge',
};

export type SupplyTypeInput = number | string | null | undefined;

export function supplyTypeName(type: SupplyTypeInput): string | null {
  if (type === null || type === undefined) return null;
  if (typeof type === 'number') return SUPPLY_TYPE_BY_NUMBER.get(type) ?? null;
  const t = type.trim();
  if (/^-?\d+$/.test(t)) return SUPPLY_TYPE_BY_NUMBER.get(Number(t)) ?? null;
  const alias = IPP_TYPE_ALIASES[t.toLowerCase()];
  if (alias) return alias;
  return SUPPLY_TYPE_BY_KEY.get(t.replace(/-/g, '').toLowerCase()) ?? null;
}

/** Kind by IANA supply type; 'other' and 'unknown' fall through to the description. */
const KIND_BY_TYPE: Readonly<Record<string, SupplyKind>> = {
  toner: 'toner',
  tonerCartridge: 'toner',
  wasteToner: 'waste',
  wasteInk: 'waste',
  wastePaper: 'waste',
  wasteWax: 'waste',
  wasteWater: 'waste',
  ink: 'ink',
  inkCartridge: 'ink',
  opc: 'drum',
  developer: 'developer',
  fuserOil: 'fuser',
  fuserOilWick: 'fuser',
  fuserCleaningPad: 'fuser',
  fuser: 'fuser',
  transferUnit: 'transfer',
  cleanerUnit: 'maintenance',
  staples: 'staples',
  bandingSupply: 'staples',
  bindingSupply: 'staples',
};

/**
 * Description keywords, checked in order (first match wins): waste before toner ("Waste Toner
 * Box"), drum before colour words, rollers and kits to maintenance. English plus the Chinese
 * words Ricoh uses (碳粉 toner, 廢棄 waste).
 */
const KIND_BY_DESCRIPTION: ReadonlyArray<[RegExp, SupplyKind]> = [
  [/waste|廢棄|废弃|collection unit|resttoner/i, 'waste'],
  [/print ?head/i, 'printhead'],
  [/drum|opc|photoconductor|photoconductive|imaging unit|image drum/i, 'drum'],
  [/developer/i, 'developer'],
  [/fuser|fusing/i, 'fuser'],
  [/transfer|belt unit|\bbelt\b|\bitb\b|\bitu\b/i, 'transfer'],
  [/toner|碳粉|墨粉/i, 'toner'],
  [/\bink\b|墨水/i, 'ink'],
  [/staple/i, 'staples'],
  [/maintenance|roller|kit|filter|clean/i, 'maintenance'],
  // Laser printers without a type column call their toner just "Black Cartridge" (HP).
  [/cartridge/i, 'toner'],
];

export function supplyKind(type: SupplyTypeInput, description: string | null | undefined): SupplyKind {
  const name = supplyTypeName(type);
  const byType = name ? KIND_BY_TYPE[name] : undefined;
  if (byType) return byType;
  if (description) {
    for (const [re, kind] of KIND_BY_DESCRIPTION) if (re.test(description)) return kind;
  }
  return 'other';
}

export interface SupplyReading {
  /** prtMarkerSuppliesLevel (after vendor quirks), null when the device did not report it. */
  readonly level: number | null;
  /** prtMarkerSuppliesMaxCapacity, null when absent. */
  readonly max: number | null;
  readonly receptacle: boolean;
  /**
   * From vendor quirks: 'coarse' = the device reports steps only (no percentage is shown);
   * 'overshoot-ok' = a level above the capacity means full. Default 'measured': a level above
   * the capacity is not a believable percentage.
   */
  readonly precision?: 'measured' | 'coarse' | 'overshoot-ok';
}

export interface SupplyAssessment {
  /** Remaining % (consumable) or filled % (receptacle), one decimal; null when not a real percentage. */
  readonly levelPercent: number | null;
  readonly state: SupplyState;
}

export function assessSupply(reading: SupplyReading, thresholds: SupplyThresholds = DEFAULT_SUPPLY_THRESHOLDS): SupplyAssessment {
  const { level, max, receptacle } = reading;
  if (level === null || !Number.isFinite(level)) return { levelPercent: null, state: 'unknown' };
  if (level === SPECIAL_LEVEL.other) return { levelPercent: null, state: 'ok' };
  if (level === SPECIAL_LEVEL.unknown) return { levelPercent: null, state: 'unknown' };
  if (level === SPECIAL_LEVEL.someRemaining) return { levelPercent: null, state: 'someRemaining' };
  if (level < 0) return { levelPercent: null, state: 'unknown' };

  if (max === null || max <= 0) {
    // A level without a capacity: zero is still meaningful (nothing left / no space left).
    if (level === 0) return { levelPercent: null, state: receptacle ? 'full' : 'empty' };
    return { levelPercent: null, state: 'someRemaining' };
  }

  const precision = reading.precision ?? 'measured';
  if (precision === 'coarse' && level > 0) return { levelPercent: null, state: 'someRemaining' };
  if (level > max && precision !== 'overshoot-ok') return { levelPercent: null, state: 'someRemaining' };
  const remaining = Math.min(100, (level / max) * 100);
  if (!receptacle) {
    const state: SupplyState = remaining <= thresholds.emptyPercent ? 'empty' : remaining <= thresholds.lowPercent ? 'low' : 'ok';
    return { levelPercent: round1(remaining), state };
  }
  const filled = 100 - remaining;
  const state: SupplyState = filled >= thresholds.fullPercent ? 'full' : filled >= thresholds.nearFullPercent ? 'nearFull' : 'ok';
  return { levelPercent: round1(filled), state };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

const COLOURS: ReadonlyArray<[RegExp, string]> = [
  [/matte black|matt black/i, 'matte black'],
  [/photo black/i, 'photo black'],
  [/light cyan|photo cyan/i, 'light cyan'],
  [/light magenta|photo magenta/i, 'light magenta'],
  [/light gr[ae]y/i, 'light gray'],
  [/black|黑/i, 'black'],
  [/cyan|青|藍/i, 'cyan'],
  [/magenta|洋紅|品紅/i, 'magenta'],
  [/yellow|黃|黄/i, 'yellow'],
  [/gr[ae]y/i, 'gray'],
  [/\bred\b/i, 'red'],
  [/\bblue\b/i, 'blue'],
  [/\bgreen\b/i, 'green'],
];

/** Colour from the colorant table value (preferred) or the description; null when neither says. */
export function supplyColor(description: string | null | undefined, colorant?: string | null): string | null {
  for (const text of [colorant, description]) {
    if (!text) continue;
    const t = text.trim();
    if (t === '' || /^(unknown|none|other)$/i.test(t)) continue;
    for (const [re, name] of COLOURS) if (re.test(t)) return name;
    if (text === colorant) return t.toLowerCase().slice(0, 64);
  }
  return null;
}

/** The fault a supply state means for this kind of supply; null for ok/unknown/someRemaining. */
export function supplyFaultCode(kind: SupplyKind, state: SupplyState): FaultCode | null {
  switch (state) {
    case 'low':
      return LOW_FAULT[kind];
    case 'empty':
      return EMPTY_FAULT[kind];
    case 'nearFull':
      return 'waste.nearFull';
    case 'full':
      return 'waste.full';
    default:
      return null;
  }
}

const LOW_FAULT: Readonly<Record<SupplyKind, FaultCode>> = {
  toner: 'toner.low',
  ink: 'ink.low',
  drum: 'drum.nearEnd',
  waste: 'supply.low',
  fuser: 'fuser.nearEnd',
  developer: 'developer.low',
  transfer: 'transfer.nearEnd',
  maintenance: 'maintenance.due',
  staples: 'staples.low',
  printhead: 'supply.low',
  other: 'supply.low',
};

const EMPTY_FAULT: Readonly<Record<SupplyKind, FaultCode>> = {
  toner: 'toner.empty',
  ink: 'ink.empty',
  drum: 'drum.end',
  waste: 'supply.empty',
  // End of life of a service part: due for replacement, the printer usually keeps printing.
  fuser: 'maintenance.due',
  developer: 'supply.empty',
  transfer: 'maintenance.due',
  maintenance: 'maintenance.due',
  staples: 'staples.empty',
  printhead: 'supply.empty',
  other: 'supply.empty',
};
