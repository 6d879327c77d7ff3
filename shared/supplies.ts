/**
 * What a supply is for, as the agent's normalisers and the server's forecasts both need to know
 * it (pure): whether it is consumed (toner, ink: the level falls) or filled (a waste box: the
 * level rises). RFC 3805 prtMarkerSuppliesClass says so when the device provides it.
 */
import type { SupplyKind } from './snapshot.js';
import { ENUMS } from '../mibs/oids.generated.js';

export type SupplyClassName = 'supplyThatIsConsumed' | 'receptacleThatIsFilled' | 'other';

export function supplyClassName(cls: number | string | null | undefined): SupplyClassName | null {
  if (cls === null || cls === undefined) return null;
  const classes: Readonly<Record<string, number>> = ENUMS.PrtMarkerSuppliesClassTC;
  if (typeof cls === 'number' || /^\d+$/.test(cls)) {
    const n = Number(cls);
    const hit = Object.entries(classes).find(([, v]) => v === n);
    return hit ? (hit[0] as SupplyClassName) : null;
  }
  const key = cls.replace(/-/g, '').toLowerCase();
  if (key === 'receptaclethatisfilled' || key === 'receptacle') return 'receptacleThatIsFilled';
  if (key === 'supplythatisconsumed' || key === 'consumed') return 'supplyThatIsConsumed';
  if (key === 'other') return 'other';
  return null;
}

/**
 * A receptacle fills up instead of running out. The class column says so when the device
 * provides it; many devices omit it (or say "other"), so a waste container is a receptacle.
 */
export function isReceptacle(cls: number | string | null | undefined, kind: SupplyKind): boolean {
  const name = supplyClassName(cls);
  if (name === 'receptacleThatIsFilled') return true;
  if (name === 'supplyThatIsConsumed') return false;
  return kind === 'waste';
}
