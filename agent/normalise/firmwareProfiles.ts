/**
 * Firmware versions over SNMP, as data: the Printer-MIB has no firmware object, so each vendor's
 * private object is a row here. The collector walks the `object` of the device's vendor (one
 * varbind riding in the poll's GETBULK); the normaliser reads the listed instance into
 * identity.firmware. A row is added only where a recording shows the object holding the
 * version (the evidence is named per row); vendors without a row report firmware over IPP only.
 */
import type { OidName } from '../../mibs/oids.generated.js';
import type { VendorId } from './vendorQuirks.js';

export interface FirmwareProfile {
  readonly vendor: VendorId;
  /** The walked object (mibs/vendor/FLEETDESK-VENDOR-OIDS). */
  readonly object: OidName;
  /** Instance suffix under `object` that holds the system firmware. */
  readonly instance: string;
  readonly evidence: string;
  /** Words the vendor puts before the version, removed ("Firmware Ver.1.01" → "1.01"). */
  readonly prefix?: RegExp;
}

export const FIRMWARE_PROFILES: readonly FirmwareProfile[] = [
  {
    vendor: 'ricoh',
    object: 'ricohFirmwareVersion',
    instance: '0',
    evidence: 'ricoh_mpc2503 "1.35", ricoh_mpc3002 "2.20": the version sysDescr also names after the model',
  },
  {
    vendor: 'kyocera',
    object: 'kyoceraFirmwareVersion',
    instance: '1.1',
    evidence: 'utax "2TP_S000.003.402": KYOCERA-MIB firmware table, first component (system)',
  },
  {
    vendor: 'brother',
    object: 'brotherFirmwareVersion',
    instance: '0',
    evidence: 'brother_hl5370dw "Firmware Ver.1.01 (08.12.12)" (version and its date), brother "Firmware Ver.Q"',
    prefix: /^\s*firmware\s+ver\.?\s*/i,
  },
  {
    vendor: 'canon',
    object: 'canonFirmwareVersion',
    instance: '0',
    evidence: 'canonprinter_lbp "R7.21", canonprinter_tm "01.21": the version object beside the product name in the Canon branch',
  },
  {
    vendor: 'konica',
    object: 'konicaFirmwareVersion',
    instance: '0',
    evidence: 'konica "1.80", konica_c250i "1.102": the version object beside the model name (..1.6.2.1)',
  },
];

const BY_VENDOR: ReadonlyMap<VendorId, FirmwareProfile> = new Map(FIRMWARE_PROFILES.map((p) => [p.vendor, p]));

export function firmwareProfileFor(vendor: VendorId | null | undefined): FirmwareProfile | null {
  return (vendor && BY_VENDOR.get(vendor)) || null;
}

/** The objects the collector walks for this vendor's firmware version. */
export function firmwareWalks(vendor: VendorId | null | undefined): OidName[] {
  const p = firmwareProfileFor(vendor);
  return p ? [p.object] : [];
}

/** The version as shown: the vendor's prefix removed, blanks collapsed; null when nothing is left. */
export function cleanFirmware(profile: FirmwareProfile, text: string): string | null {
  const v = (profile.prefix ? text.replace(profile.prefix, '') : text).replace(/\s+/g, ' ').trim();
  return v === '' ? null : v;
}
