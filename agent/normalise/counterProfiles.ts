/**
 * Vendor page counters as data: for each vendor, which private subtree to walk and which of its
 * instances is which counter (shared/counters.ts keys). The collector walks the `object` of the
 * device's vendor; the normaliser reads exactly the listed instances; the simulator serves them.
 * A row is added only with a recording or a vendor document that shows the instance's meaning
 * (the evidence is named per profile). Everything here is exact: the device's own counter.
 */
import type { OidName } from '../../mibs/oids.generated.js';
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

const BY_VENDOR: ReadonlyMap<VendorId, readonly CounterProfile[]> = new Map(
  [...new Set(COUNTER_PROFILES.map((p) => p.vendor))].map((v) => [v, COUNTER_PROFILES.filter((p) => p.vendor === v)]),
);

export function counterProfilesFor(vendor: VendorId | null | undefined): readonly CounterProfile[] {
  return (vendor && BY_VENDOR.get(vendor)) || [];
}

/** The subtrees the collector walks for this vendor's counters. */
export function counterWalks(vendor: VendorId | null | undefined): OidName[] {
  return counterProfilesFor(vendor).map((p) => p.object);
}
