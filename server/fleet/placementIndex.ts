/**
 * Which devices sit on a site and behind an agent, kept as small index records beside the device
 * records, so that ingest answers "is this the only device on its site?" (impact rules) and "which
 * devices does this agent monitor?" (agent offline) with one read instead of listing the whole
 * fleet on every fault: with 10,000 devices a list per fault dominated ticket opening, and on
 * PostgreSQL it is a 10,000-row read.
 *
 * An index record is written only when a device appears, moves to another site or agent, or is
 * re-keyed, never on ordinary readings. A store written before the index existed has no index
 * records and no marker: the first read of a missing entry builds every entry from the device
 * records at once and sets the marker, so no migration step is needed and a new site later costs
 * no listing.
 */
import type { DeviceRecord } from './fleetModel.js';

export const PLACEMENT_COLLECTIONS = {
  /** id: site id (the same site id as DeviceRecord.siteId). */
  siteDevices: 'siteDevices',
  /** id: "<tenant>/<agentId>". */
  agentDevices: 'agentDevices',
  /** Marker record PLACEMENT_INDEX_BUILT: the indexes cover every device (set when they are first built). */
  meta: 'fleetMeta',
} as const;

export const PLACEMENT_INDEX_BUILT = 'placementIndex';

/** Device keys, sorted, without duplicates. */
export interface PlacementIndex {
  readonly devices: readonly string[];
}

export type PlacementCollection = typeof PLACEMENT_COLLECTIONS.siteDevices | typeof PLACEMENT_COLLECTIONS.agentDevices;

/** The index entries a device belongs to. */
export function placementsOf(d: Pick<DeviceRecord, 'siteId' | 'tenant' | 'agentId'>): Array<{ collection: PlacementCollection; id: string }> {
  return [
    { collection: PLACEMENT_COLLECTIONS.siteDevices, id: d.siteId },
    { collection: PLACEMENT_COLLECTIONS.agentDevices, id: `${d.tenant}/${d.agentId}` },
  ];
}

export function indexOf(keys: Iterable<string>): PlacementIndex {
  return { devices: [...new Set(keys)].sort() };
}

/** The index with `key` added, or null when it is already there (nothing to write). */
export function withDevice(index: PlacementIndex, key: string): PlacementIndex | null {
  return index.devices.includes(key) ? null : indexOf([...index.devices, key]);
}

/** The index without `key`, or null when it was not there. */
export function withoutDevice(index: PlacementIndex, key: string): PlacementIndex | null {
  return index.devices.includes(key) ? { devices: index.devices.filter((k) => k !== key) } : null;
}

/**
 * The index writes a device change needs: none when the device stays where it was (the common
 * case, checked first and cheaply), otherwise removal from the old entries and addition to the new.
 */
export function placementMoves(
  prev: DeviceRecord | undefined,
  next: DeviceRecord | undefined,
): { remove: Array<{ collection: PlacementCollection; id: string; key: string }>; add: Array<{ collection: PlacementCollection; id: string; key: string }> } {
  if (prev && next && prev.key === next.key && prev.siteId === next.siteId && prev.tenant === next.tenant && prev.agentId === next.agentId)
    return { remove: [], add: [] };
  const before = prev ? placementsOf(prev).map((p) => ({ ...p, key: prev.key })) : [];
  const after = next ? placementsOf(next).map((p) => ({ ...p, key: next.key })) : [];
  const same = (a: { collection: string; id: string; key: string }, b: { collection: string; id: string; key: string }) =>
    a.collection === b.collection && a.id === b.id && a.key === b.key;
  return { remove: before.filter((b) => !after.some((a) => same(a, b))), add: after.filter((a) => !before.some((b) => same(a, b))) };
}
