/**
 * From stored device snapshots to the forecast's input for one supply: its role (consumable or
 * receptacle), the part to order, its level readings and the page counter that drives it.
 * Pure: the server keeps the snapshots; this only selects and reshapes.
 */
import { isReceptacle } from '../../shared/supplies.js';
import type { DeviceSnapshot, Supply } from '../../shared/snapshot.js';
import type { LevelReading, PageCountReading, SupplyRole } from './usageModel.js';

export type SnapshotForHistory = Pick<DeviceSnapshot, 'collectedAt' | 'supplies' | 'counters'>;

export interface SupplyHistory {
  supplyIndex: number;
  role: SupplyRole;
  /** Part number, else the device's description (latest snapshot that has the supply). */
  partDescription: string;
  levels: LevelReading[];
  pages: PageCountReading[];
  /** Snapshots skipped because their time did not parse. */
  skipped: number;
}

export function supplyRole(supply: Pick<Supply, 'kind' | 'raw'>): SupplyRole {
  return isReceptacle(supply.raw.class, supply.kind) ? 'receptacle' : 'consumable';
}

/**
 * The history of one supply (by its index) across snapshots. `counter` names the page counter
 * (default "total"; a colour counter where the device has one). Supplies with duplicate rows:
 * the first row with the index wins, as in the snapshot's own order.
 */
export function supplyHistory(snapshots: readonly SnapshotForHistory[], supplyIndex: number, counter = 'total'): SupplyHistory | null {
  const levels: LevelReading[] = [];
  const pages: PageCountReading[] = [];
  let latest: { at: number; supply: Supply } | null = null;
  let skipped = 0;
  for (const snap of snapshots) {
    const at = Date.parse(snap.collectedAt);
    if (!Number.isFinite(at)) {
      skipped++;
      continue;
    }
    const count = snap.counters[counter];
    if (count !== undefined) pages.push({ at, pages: count });
    const supply = snap.supplies.find((s) => s.index === supplyIndex);
    if (!supply) continue;
    levels.push({ at, levelPercent: supply.levelPercent, state: supply.state });
    if (latest === null || at >= latest.at) latest = { at, supply };
  }
  if (latest === null) return null;
  const s = latest.supply;
  return {
    supplyIndex,
    role: supplyRole(s),
    partDescription: s.partNumber && s.partNumber.trim() !== '' ? `${s.name} (${s.partNumber})` : s.name,
    levels,
    pages,
    skipped,
  };
}
