/**
 * What a supply row is, from its Printer-MIB type and class (and, when a recording lacks
 * both, its description): the family that decides which faults it raises and whether its level
 * counts contents (consumables) or free space (receptacles).
 */
import { ENUMS } from '../../mibs/oids.generated.js';
import type { SupplyFamily } from './deviceModel.js';

const T = ENUMS.PrtMarkerSuppliesTypeTC;

const FAMILY_BY_TYPE = new Map<number, SupplyFamily>([
  [T.toner, 'toner'],
  [T.tonerCartridge, 'toner'],
  [T.matteToner, 'toner'],
  [T.ink, 'ink'],
  [T.inkCartridge, 'ink'],
  [T.matteInk, 'ink'],
  [T.inkRibbon, 'ink'],
  [T.wasteToner, 'waste'],
  [T.wasteInk, 'waste'],
  [T.wasteWax, 'waste'],
  [T.wasteWater, 'waste'],
  [T.wastePaper, 'waste'],
  [T.opc, 'drum'],
  [T.developer, 'developer'],
  [T.staples, 'staples'],
]);

export function supplyFamily(type: number | null, supplyClass: number | null, description: string): SupplyFamily {
  const byType = type === null ? undefined : FAMILY_BY_TYPE.get(type);
  if (byType) return byType;
  if (supplyClass === ENUMS.PrtMarkerSuppliesClassTC.receptacleThatIsFilled) return 'waste';
  const d = description.toLowerCase();
  if (/waste|collect/.test(d)) return 'waste';
  if (/toner/.test(d)) return 'toner';
  if (/\bink\b/.test(d)) return 'ink';
  if (/drum|opc|photoconductor/.test(d)) return 'drum';
  return 'other';
}

export function isReceptacle(type: number | null, supplyClass: number | null, description: string): boolean {
  if (supplyClass !== null) return supplyClass === ENUMS.PrtMarkerSuppliesClassTC.receptacleThatIsFilled;
  return supplyFamily(type, supplyClass, description) === 'waste';
}

const COLOURS = ['black', 'cyan', 'magenta', 'yellow', 'red', 'green', 'blue', 'gray', 'photo black', 'matte black'] as const;

/** Colour named in a description ("Black Cartridge HP CF410A" → "black"), or null. */
export function colourFromDescription(description: string): string | null {
  const d = description.toLowerCase();
  for (const c of [...COLOURS].sort((a, b) => b.length - a.length)) if (d.includes(c)) return c.replace(' ', '-');
  if (/\bgrey\b/.test(d)) return 'gray';
  return null;
}

/** CSS-style colour for IPP marker-colors. */
export function colourHex(colour: string | null): string {
  switch (colour) {
    case 'black':
    case 'photo-black':
    case 'matte-black':
      return '#000000';
    case 'cyan':
      return '#00FFFF';
    case 'magenta':
      return '#FF00FF';
    case 'yellow':
      return '#FFFF00';
    case 'red':
      return '#FF0000';
    case 'green':
      return '#00FF00';
    case 'blue':
      return '#0000FF';
    case 'gray':
      return '#808080';
    default:
      return 'none';
  }
}
