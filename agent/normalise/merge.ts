/**
 * One device, two protocols: merging the SNMP and the IPP snapshot of the same printer (pure).
 *
 * Identity: the snapshots are the same device when a strong identifier agrees (serial number,
 * printer UUID or MAC address) and none disagrees. The serial comparison ignores case, spacing,
 * punctuation and leading zeros (vendors' "00" prefixes). A shared host alone is not enough: a
 * CUPS server answers IPP for many printers. Without a shared identifier the caller may still
 * assert sameness (e.g. one configured device target) with `assumeSameDevice`.
 *
 * Per-field precedence (docs/agent.md, "## IPP" → merging):
 *   address, serial, vendor, sysName/sysDescr/sysObjectId/location/mac ........ SNMP first
 *   model (printer-make-and-model / MDL), uuid, firmware ..................... IPP first
 *   status: the more serious of the two (down > warning > printing > warmup > idle > unknown > unreachable)
 *   faults: union, one per condition, worse severity kept (faultSet.ts)
 *   supplies: SNMP's list (raw table, part numbers); a supply SNMP cannot measure (state unknown)
 *             takes IPP's reading for the same index and kind; IPP's list when SNMP has none.
 *             IPP supply faults for readings not kept move to the same cartridge in the kept list
 *             (kind + name or colour), else become device-level (folded or alone).
 *   inputs: SNMP's, else IPP's; counters: union, per key the surer reading, SNMP on a tie (prtMarkerLifeCount is the billing count)
 */
import { mergeCounters } from '../../shared/counters.js';
import type { DeviceSnapshot, DeviceStatus, Fault, Identity, Supply } from '../../shared/snapshot.js';
import { foldFaults } from './faultSet.js';

export type IdentityVerdict =
  | { readonly verdict: 'same'; readonly by: readonly ('serial' | 'uuid' | 'mac')[] }
  | { readonly verdict: 'different'; readonly conflict: string }
  | { readonly verdict: 'unknown' };

export function normaliseSerial(serial: string): string {
  return serial
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, '')
    .replace(/^0+/, '');
}

const KEYS = {
  serial: (i: Identity) => (i.serial ? normaliseSerial(i.serial) || undefined : undefined),
  uuid: (i: Identity) => i.uuid?.toLowerCase().replace(/^urn:uuid:/, ''),
  mac: (i: Identity) => i.mac?.toLowerCase(),
} as const;

export function identityMatch(a: Identity, b: Identity): IdentityVerdict {
  const agree: ('serial' | 'uuid' | 'mac')[] = [];
  for (const key of ['serial', 'uuid', 'mac'] as const) {
    const x = KEYS[key](a);
    const y = KEYS[key](b);
    if (x === undefined || y === undefined) continue;
    if (x !== y) return { verdict: 'different', conflict: `${key} ${a[key]} ≠ ${b[key]}` };
    agree.push(key);
  }
  return agree.length > 0 ? { verdict: 'same', by: agree } : { verdict: 'unknown' };
}

const STATUS_RANK: Readonly<Record<DeviceStatus, number>> = {
  unreachable: 0,
  unknown: 1,
  idle: 2,
  warmup: 3,
  printing: 4,
  warning: 5,
  down: 6,
};

function mergeStatus(a: DeviceStatus, b: DeviceStatus): DeviceStatus {
  return STATUS_RANK[a] >= STATUS_RANK[b] ? a : b;
}

function pick<K extends keyof Identity>(first: Identity, second: Identity, key: K): Identity[K] {
  return first[key] ?? second[key];
}

function mergeIdentity(snmp: Identity, ipp: Identity): Identity {
  const merged: Identity = {
    vendor: pick(snmp, ipp, 'vendor'),
    model: pick(ipp, snmp, 'model'),
    serial: pick(snmp, ipp, 'serial'),
    sysName: pick(snmp, ipp, 'sysName'),
    sysDescr: pick(snmp, ipp, 'sysDescr'),
    sysObjectId: pick(snmp, ipp, 'sysObjectId'),
    location: pick(snmp, ipp, 'location'),
    mac: pick(snmp, ipp, 'mac'),
    uuid: pick(ipp, snmp, 'uuid'),
    firmware: pick(ipp, snmp, 'firmware'),
  };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
}

/** The merged supply list, and the indexes whose reading came from IPP. */
function mergeSupplies(snmp: readonly Supply[], ipp: readonly Supply[]): { supplies: Supply[]; fromIpp: Set<number> } {
  if (snmp.length === 0) return { supplies: [...ipp], fromIpp: new Set(ipp.map((s) => s.index)) };
  const fromIpp = new Set<number>();
  const supplies = snmp.map((s) => {
    if (s.state !== 'unknown') return s;
    const other = ipp.find((i) => i.index === s.index && i.kind === s.kind);
    if (!other || other.state === 'unknown') return s;
    fromIpp.add(s.index);
    return { ...s, levelPercent: other.levelPercent, state: other.state };
  });
  return { supplies, fromIpp };
}

/** The same physical supply in the kept list: same kind, and the same name or the only one of that colour. */
function sameSupply(ippSupply: Supply, kept: readonly Supply[]): Supply | undefined {
  const name = ippSupply.name.trim().toLowerCase();
  const sameKind = kept.filter((s) => s.kind === ippSupply.kind);
  const byName = sameKind.find((s) => s.name.trim().toLowerCase() === name);
  if (byName || ippSupply.color === null) return byName;
  const byColour = sameKind.filter((s) => s.color === ippSupply.color);
  return byColour.length === 1 ? byColour[0] : undefined;
}

function relocate(f: Fault, ippSupplies: readonly Supply[], kept: readonly Supply[], fromIpp: ReadonlySet<number>): Fault {
  if (f.subunit?.group !== 'markerSupplies' || f.subunit.index === undefined || fromIpp.has(f.subunit.index)) return f;
  const ippSupply = ippSupplies.find((s) => s.index === f.subunit!.index);
  const target = ippSupply ? sameSupply(ippSupply, kept) : undefined;
  if (target) return { ...f, subunit: { group: 'markerSupplies', index: target.index, name: target.name } };
  const { index: _index, ...rest } = f.subunit;
  return { ...f, subunit: rest };
}

export interface MergeOptions {
  /** Merge even without a shared identifier (the caller knows both addresses are one device). */
  readonly assumeSameDevice?: boolean;
}

export type MergeResult =
  | { readonly ok: true; readonly snapshot: DeviceSnapshot; readonly match: IdentityVerdict }
  | { readonly ok: false; readonly reason: string; readonly match: IdentityVerdict };

export function mergeSnapshots(snmp: DeviceSnapshot, ipp: DeviceSnapshot, options: MergeOptions = {}): MergeResult {
  if (!snmp.protocols.includes('snmp') || !ipp.protocols.includes('ipp')) {
    return {
      ok: false,
      reason: `expected an SNMP and an IPP snapshot, got ${snmp.protocols.join('+')} and ${ipp.protocols.join('+')}`,
      match: { verdict: 'unknown' },
    };
  }
  const match = identityMatch(snmp.identity, ipp.identity);
  if (match.verdict === 'different') {
    return { ok: false, reason: `${snmp.address} and ${ipp.address} are different devices (${match.conflict})`, match };
  }
  if (match.verdict === 'unknown' && !options.assumeSameDevice) {
    return { ok: false, reason: `${snmp.address} and ${ipp.address} share no serial number, UUID or MAC address`, match };
  }
  const { supplies, fromIpp } = mergeSupplies(snmp.supplies, ipp.supplies);
  // Supply faults point at the supply list that is kept. An IPP supply fault for a reading that
  // was not kept (marker-* positions need not match SNMP's indexes) moves to the kept supply that
  // is the same cartridge (same kind, and same name or colour); without one it counts for the
  // device as a whole: it folds into SNMP's fault of the same code, or stands alone.
  const ippFaults = ipp.faults.map((f) => relocate(f, ipp.supplies, supplies, fromIpp));
  const snapshot: DeviceSnapshot = {
    address: snmp.address,
    protocols: ['snmp', 'ipp'],
    collectedAt: Date.parse(ipp.collectedAt) > Date.parse(snmp.collectedAt) ? ipp.collectedAt : snmp.collectedAt,
    identity: mergeIdentity(snmp.identity, ipp.identity),
    status: mergeStatus(snmp.status, ipp.status),
    faults: foldFaults([...snmp.faults, ...ippFaults]).slice(0, 256),
    supplies,
    inputs: snmp.inputs.length > 0 ? [...snmp.inputs] : [...ipp.inputs],
    ...mergeCounters(snmp, ipp),
  };
  return { ok: true, snapshot, match };
}
