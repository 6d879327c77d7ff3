/**
 * Vendor page counters as data: for each vendor, which private subtree to walk and which of its
 * instances is which counter (shared/counters.ts keys). The collector walks the branches of the
 * `object` that hold the listed instances, on the device's vendor only; the normaliser reads
 * exactly the listed instances; the simulator serves them.
 * A row is added only with a recording or a vendor document that shows the instance's meaning
 * (the evidence is named per profile; docs/meters.md, "Vendors", lists what each rests on).
 * Everything here is exact: the device's own counter.
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
  {
    vendor: 'ricoh',
    object: 'ricohEngCounter',
    evidence:
      'RICOH-PRIVATE-MIB (object descriptions of the Ricoh Private MIB specification, as transcribed in geekerlw/snmp-mib ricoh/ricoh-info.c): ricohEngCounterTotal .1.0 "Total of all counters", ricohEngCounterPrinter .2.0 "Counter for printer application", ricohEngCounterCopier .4.0 "Counter for copy application"; mmarodin/icinga2-plugins check_ricoh_copies.sh checks .1.0 against the sum of the per-function rows of the counter table',
    rows: { '1.0': 'total', '2.0': 'print', '4.0': 'copy' },
  },
  {
    vendor: 'canon',
    object: 'canonCounterValue',
    evidence:
      'Canon billing counter IDs (Canon PRISMAsync SNMP documentation, "Canon billing counters": 101 A4 + A3, 112 B/W A3, 113 B/W A4, 122 Color A3, 123 Color A4, 503/504 scans A3/A4, 507/508 B/W scans A3/A4; 103/104, A3/A4 of all colours, are not read: they are 112 + 122 and 113 + 123 there, one varbind less per poll each); the same IDs index 1602.1.11.1.3.1.4 on imageRUNNER devices (e.g. .113 "Total (Black/Small)", .501 "Scan (Total 1)" in public meter-reading tools; an iR1750 whose .101 equals prtMarkerLifeCount)',
    rows: {
      '101': 'total',
      '112': 'mono.large',
      '113': 'mono.small',
      '122': 'color.large',
      '123': 'color.small',
      '503': 'scan.large',
      '504': 'scan.small',
      '507': 'scan.mono.large',
      '508': 'scan.mono.small',
    },
  },
  {
    vendor: 'kyocera',
    object: 'kyoceraCounters',
    evidence:
      'mstrhakr/printmaster docs/vendor/KYOCERA_OID_MAPPING.md: a TASKalfa 6052ci walk checked against its web counter page, print 163915 black (.1.1) + 140424 colour (.1.3) = printer total 304339, copy 73811 (.2.1) + 42443 (.2.3) = 116254, fax 3812 (.4.1); colour index 2 is single colour (KyoceraA4PrintSingleColorPageOID in a public meter-reading header)',
    rows: { '1.1': 'print.mono', '1.3': 'print.color', '2.1': 'copy.mono', '2.3': 'copy.color', '4.1': 'fax.mono' },
  },
  {
    vendor: 'epson',
    object: 'epsonCounters',
    evidence:
      'mstrhakr/printmaster docs/EPSON_OID_MAPPING.md: an AM-C550 walk checked against its web counter page, total 81563 (.1.1.30.1.1, not read: it equals prtMarkerLifeCount, which wins) = black 39797 (.1.1.3.1.1) + colour 41766 (.1.1.4.1.1); print from computer 49053 (.6.1.4.1.1.1) of which colour 39434 (.6.1.5.1.1.1); copy 32474 (.6.1.4.1.1.2) of which colour 2313 (.6.1.5.1.1.2); the same structure on a WF-C17590',
    rows: {
      '1.1.3.1.1': 'mono',
      '1.1.4.1.1': 'color',
      '6.1.4.1.1.1': 'print',
      '6.1.4.1.1.2': 'copy',
      '6.1.5.1.1.1': 'print.color',
      '6.1.5.1.1.2': 'copy.color',
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
