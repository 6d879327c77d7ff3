/**
 * Vendor page counters as data: for each vendor, which private subtree to walk and which of its
 * instances is which counter (shared/counters.ts keys). The collector walks the branches of the
 * `object` that hold the listed instances, on the device's vendor only; the normaliser reads
 * exactly the listed instances; the simulator serves them.
 * A row is added only with a recording or a vendor document that shows the instance's meaning
 * (the evidence is named per profile). Everything here is exact: the device's own counter.
 */
import { OID, type OidName } from '../../mibs/oids.generated.js';
import type { VendorId } from './vendorQuirks.js';

export interface CounterProfile {
  readonly vendor: VendorId;
  /** The walked subtree (mibs/vendor/FLEETDESK-VENDOR-OIDS). */
  readonly object: OidName;
  /** Where the meaning of each instance comes from. */
  readonly evidence: string;
  /** instance suffix under `object` → counter key. */
  readonly rows: Readonly<Record<string, string>>;
}

export const COUNTER_PROFILES: readonly CounterProfile[] = [
  {
    vendor: 'hp',
    object: 'hpPageCounters',
    evidence: 'HP-LASERJET-COMMON-MIB total-engine/mono/color/duplex-page-count; jetdirect_m130nw: .5 = .6 = prtMarkerLifeCount on a mono printer',
    rows: { '5.0': 'total', '6.0': 'mono', '7.0': 'color', '22.0': 'duplex' },
  },
  {
    vendor: 'konica',
    object: 'konicaCounters',
    evidence: 'konica_c250i: the four rows sum to prtMarkerLifeCount less 7 (fax/list); index <colour 1 black, 2 colour>.<function 1 copy, 2 print>',
    rows: { '2.1.5.1.1': 'copy.mono', '2.1.5.1.2': 'print.mono', '2.1.5.2.1': 'copy.color', '2.1.5.2.2': 'print.color' },
  },
  {
    vendor: 'sharp',
    object: 'sharpCounterValue',
    evidence:
      'sharp, sharp_mxm266nv: the sibling name column (2385.1.1.19.2.1.4) names each row, e.g. "Black & White Copy Count"; index <function>.<kind 4 = pages>.<colour 60 all, 61 mono, 63 colour, 64 two-colour, 80 single-colour>',
    rows: {
      '1.4.60': 'print',
      '1.4.61': 'print.mono',
      '1.4.63': 'print.color',
      '1.4.75': 'print.duplex',
      '4.4.60': 'copy',
      '4.4.61': 'copy.mono',
      '4.4.63': 'copy.color',
      '4.4.64': 'copy.twoColor',
      '4.4.80': 'copy.singleColor',
      '5.4.61': 'mono',
      '5.4.63': 'color',
      '5.4.64': 'twoColor',
      '5.4.80': 'singleColor',
      '7.4.51': 'scan.mono',
      '7.4.53': 'scan.color',
    },
  },
];

/** A subtree the collector walks for a vendor's counters: part of a profile's `object`. */
export interface CounterWalk {
  readonly object: OidName;
  /** OID of the walked subtree: the object, or one of its branches. */
  readonly root: string;
  /** For messages and the collector's row counts, e.g. "sharpCounterValue.1.4". */
  readonly label: string;
}

/**
 * The branches of `object` that hold a profile's rows: the parent of each row instance, with
 * branches inside others dropped. A Sharp MX answers 28 rows under sharpCounterValue and the
 * profile reads 15; walking its four branches reads 16 and fits the poll's first request
 * (docs/benchmarks.md, Meters). A row directly under the object means the whole object.
 */
function walksOf(profile: CounterProfile): CounterWalk[] {
  const base = OID[profile.object];
  const parents = Object.keys(profile.rows).map((instance) => instance.split('.').slice(0, -1).join('.'));
  if (parents.includes('')) return [{ object: profile.object, root: base, label: profile.object }];
  const sorted = [...new Set(parents)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const p of sorted) if (!kept.some((k) => p.startsWith(`${k}.`))) kept.push(p);
  return kept.sort(compareArcs).map((p) => ({ object: profile.object, root: `${base}.${p}`, label: `${profile.object}.${p}` }));
}

function compareArcs(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

const BY_VENDOR: ReadonlyMap<VendorId, readonly CounterProfile[]> = new Map(
  [...new Set(COUNTER_PROFILES.map((p) => p.vendor))].map((v) => [v, COUNTER_PROFILES.filter((p) => p.vendor === v)]),
);
const WALKS: ReadonlyMap<VendorId, readonly CounterWalk[]> = new Map([...BY_VENDOR].map(([v, profiles]) => [v, profiles.flatMap(walksOf)]));
const INSTANCES: ReadonlyMap<VendorId, readonly string[]> = new Map(
  [...BY_VENDOR].map(([v, profiles]) => [v, profiles.flatMap((p) => Object.keys(p.rows).map((instance) => `${OID[p.object]}.${instance}`))]),
);

export function counterProfilesFor(vendor: VendorId | null | undefined): readonly CounterProfile[] {
  return (vendor && BY_VENDOR.get(vendor)) || [];
}

/** The subtrees the collector walks for this vendor's counters: only where the profile reads. */
export function counterWalks(vendor: VendorId | null | undefined): readonly CounterWalk[] {
  return (vendor && WALKS.get(vendor)) || [];
}

/**
 * The exact instances this vendor's profiles read (full OIDs), for a poll that already knows the
 * vendor. Each is asked as a GETNEXT of its predecessor (snmp/walk.ts), which answers the
 * instance because the rows of each branch have indexes of one length (as in the recordings).
 */
export function counterInstances(vendor: VendorId | null | undefined): readonly string[] {
  return (vendor && INSTANCES.get(vendor)) || [];
}
