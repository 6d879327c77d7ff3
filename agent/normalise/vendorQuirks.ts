/**
 * Everything vendor-specific, in one place: who the vendor is (sysObjectID enterprise number) and
 * the per-vendor corrections to the standard interpretation. Pure. Each quirk has a test in
 * test/unit/snmp/vendorQuirks.test.ts; docs/agent.md "Adding a vendor quirk" explains how to add one.
 *
 * Interface (stable; the IPP normaliser may use vendorByName/quirksFor too):
 *   vendorFromSysObjectId(oid, sysDescr?)  -> Vendor | null
 *   vendorByName(text)                     -> Vendor | null   (e.g. from printer-make-and-model)
 *   quirksFor(vendor | null)               -> VendorQuirks (always complete: defaults filled in)
 */
import type { OidName } from '../../mibs/oids.generated.js';
import { OID } from '../../mibs/oids.generated.js';

export type VendorId =
  | 'hp'
  | 'kyocera'
  | 'ricoh'
  | 'xerox'
  | 'brother'
  | 'canon'
  | 'konica'
  | 'epson'
  | 'oki'
  | 'samsung'
  | 'lexmark'
  | 'toshiba'
  | 'sharp'
  | 'fujifilm'
  | 'dell'
  | 'zebra';

export interface Vendor {
  readonly id: VendorId;
  /** Display name. */
  readonly name: string;
}

const V = (id: VendorId, name: string): Vendor => ({ id, name });

/** IANA private enterprise numbers of printer makers (domain-reference + the recordings). */
const BY_ENTERPRISE: ReadonlyMap<number, Vendor> = new Map([
  [11, V('hp', 'HP')],
  [1347, V('kyocera', 'Kyocera')],
  [367, V('ricoh', 'Ricoh')],
  [253, V('xerox', 'Xerox')],
  [2435, V('brother', 'Brother')],
  [1602, V('canon', 'Canon')],
  [18334, V('konica', 'Konica Minolta')],
  [1248, V('epson', 'Epson')],
  [2001, V('oki', 'OKI')],
  [236, V('samsung', 'Samsung')],
  [641, V('lexmark', 'Lexmark')],
  [1129, V('toshiba', 'Toshiba')],
  [2385, V('sharp', 'Sharp')],
  [297, V('fujifilm', 'FUJIFILM (Fuji Xerox)')],
  [674, V('dell', 'Dell')],
  [10642, V('zebra', 'Zebra')],
  // 683 is Extended Systems, maker of the ZebraNet print servers.
  [683, V('zebra', 'Zebra')],
]);

/** Brand words in sysDescr / make-and-model, for unknown or OEM enterprise numbers. */
const BY_BRAND: ReadonlyArray<[RegExp, Vendor]> = [
  [/\b(hewlett[- ]packard|hp)\b/i, V('hp', 'HP')],
  // No \b before utax: Kyocera's OEM devices say "TA_UTAX".
  [/(\bkyocera|utax|triumph[- ]adler|\becosys|\btaskalfa)\b/i, V('kyocera', 'Kyocera')],
  [/\b(ricoh|gestetner|lanier|savin|nrg)\b/i, V('ricoh', 'Ricoh')],
  [/\bfuji ?xerox|fujifilm\b/i, V('fujifilm', 'FUJIFILM (Fuji Xerox)')],
  [/\bxerox\b/i, V('xerox', 'Xerox')],
  [/\bbrother\b/i, V('brother', 'Brother')],
  [/\bcanon\b/i, V('canon', 'Canon')],
  [/\b(konica|minolta|develop)\b/i, V('konica', 'Konica Minolta')],
  [/\bepson\b/i, V('epson', 'Epson')],
  [/\boki\b/i, V('oki', 'OKI')],
  [/\bsamsung\b/i, V('samsung', 'Samsung')],
  [/\blexmark\b/i, V('lexmark', 'Lexmark')],
  [/\btoshiba\b/i, V('toshiba', 'Toshiba')],
  [/\bsharp\b/i, V('sharp', 'Sharp')],
  [/\bdell\b/i, V('dell', 'Dell')],
  [/\bzebra/i, V('zebra', 'Zebra')],
];

export function vendorByName(text: string | null | undefined): Vendor | null {
  if (!text) return null;
  for (const [re, vendor] of BY_BRAND) if (re.test(text)) return vendor;
  return null;
}

export function enterpriseNumber(sysObjectId: string | null | undefined): number | null {
  if (!sysObjectId) return null;
  const prefix = `${OID.enterprises}.`;
  if (!sysObjectId.startsWith(prefix)) return null;
  const n = Number(sysObjectId.slice(prefix.length).split('.')[0]);
  return Number.isInteger(n) ? n : null;
}

export function vendorFromSysObjectId(sysObjectId: string | null | undefined, sysDescr?: string | null): Vendor | null {
  const n = enterpriseNumber(sysObjectId);
  return (n !== null ? BY_ENTERPRISE.get(n) : undefined) ?? vendorByName(sysDescr);
}

export interface SupplyRow {
  readonly level: number | null;
  readonly max: number | null;
  /** prtMarkerSuppliesSupplyUnit number, if known. */
  readonly unit: number | null;
}

export interface SupplyCorrection {
  readonly level: number | null;
  readonly max: number | null;
  /**
   * 'measured': level/max are a real measurement; 'coarse': the device only reports steps, so
   * no percentage is shown (state someRemaining unless empty); 'overshoot-ok': a level above
   * the capacity means full.
   */
  readonly precision: 'measured' | 'coarse' | 'overshoot-ok';
}

export interface VendorQuirks {
  /** Vendor-private serial-number objects to try, in order, when prtGeneralSerialNumber is absent. */
  readonly serialOids: readonly OidName[];
  /** Instance suffix for serialOids ('0' for scalars, '1' for a table's first row). */
  readonly serialInstance: (name: OidName) => string;
  /** Cleans a vendor serial number (prefixes, padding). */
  readonly cleanSerial: (serial: string) => string;
  /** Serial number hidden in sysDescr, if the vendor puts it there. */
  readonly serialFromSysDescr: (sysDescr: string) => string | null;
  /** Model when hrDeviceDescr is missing or useless. */
  readonly model: (ctx: { sysDescr: string | null; hrDeviceDescr: string | null }) => string | null;
  /** Corrects a supply's level/max before the standard rules apply. */
  readonly supplyReading: (row: SupplyRow) => SupplyCorrection;
  /** Repairs/cleans a decoded supply description; returns name and, if found, the part number. */
  readonly supplyDescription: (text: string) => { name: string; partNumber?: string };
}

/** First segment of sysDescr, without firmware or option lists (";", ",", " / " separate them). */
export function sysDescrModel(sysDescr: string | null): string | null {
  if (!sysDescr) return null;
  const first = sysDescr.split(/;|,| \/ /)[0]?.trim();
  return first ? first : null;
}

const DEFAULT_QUIRKS: VendorQuirks = {
  serialOids: [],
  serialInstance: () => '0',
  cleanSerial: (s) => s.trim(),
  serialFromSysDescr: () => null,
  model: ({ sysDescr, hrDeviceDescr }) => hrDeviceDescr ?? sysDescrModel(sysDescr),
  supplyReading: ({ level, max }) => ({ level, max, precision: 'measured' }),
  supplyDescription: (text) => ({ name: text }),
};

/**
 * HP: descriptions sometimes arrive as "first 16 characters" + newline + a hex dump of the rest
 * (seen on the M880: "Magenta Cartridg\n65 20 38 32 …"); the JetDirect serial object starts
 * with two binary bytes; sysDescr carries "SN:" and "PID:" fields.
 */
export function repairHexDumpDescription(text: string): string {
  const nl = text.indexOf('\n');
  if (nl < 0) return text;
  const tail = text.slice(nl + 1);
  if (!/^(\s*[0-9A-Fa-f]{2})+\s*$/.test(tail)) return text;
  const bytes = tail
    .trim()
    .split(/\s+/)
    .map((h) => parseInt(h, 16));
  const end = bytes.indexOf(0);
  const decoded = String.fromCharCode(...(end >= 0 ? bytes.slice(0, end) : bytes));
  return text.slice(0, nl) + decoded;
}

const HP: Partial<VendorQuirks> = {
  serialOids: ['hpSerialNumber'],
  // eslint-disable-next-line no-control-regex
  cleanSerial: (s) => s.replace(/^[\u0000-\u001f]+/, '').trim(),
  serialFromSysDescr: (d) => /(?:^|,)\s*SN:([^,;]+)/.exec(d)?.[1]?.trim() || null,
  model: ({ sysDescr, hrDeviceDescr }) => hrDeviceDescr ?? (sysDescr ? /PID:([^,;]+)/.exec(sysDescr)?.[1]?.trim() : undefined) ?? sysDescrModel(sysDescr),
  supplyDescription: (text) => {
    const name = repairHexDumpDescription(text).replace(/\s+/g, ' ').trim();
    const pn = /\bHP ([A-Z]{1,3}\d{2,4}[A-Z]{0,2})\b/.exec(name)?.[1];
    return pn ? { name, partNumber: pn } : { name };
  },
};

/** Ricoh: -3 stands for anything from 1 to 100 % (the standard rule) and -100 for empty. */
const RICOH: Partial<VendorQuirks> = {
  serialOids: ['ricohSerialNumber'],
  supplyReading: ({ level, max }) => ({ level: level === -100 ? 0 : level, max, precision: 'measured' }),
  // "RICOH MP C2503 1.35 / RICOH Network Printer…": drop the firmware version.
  model: ({ sysDescr, hrDeviceDescr }) => hrDeviceDescr ?? sysDescrModel(sysDescr)?.replace(/\s+\d+(\.\d+)+$/, '') ?? null,
};

/**
 * Canon: many models report only coarse steps (100 until the first threshold, then a few
 * levels, then 0). A "100 of 100" therefore means "not low yet", not a measured full cartridge.
 */
const CANON: Partial<VendorQuirks> = {
  supplyReading: ({ level, max }) => ({ level, max, precision: level === 100 && max === 100 ? 'coarse' : 'measured' }),
};

/** Brother: toner levels above the capacity have been seen; they mean a full supply. */
const BROTHER: Partial<VendorQuirks> = {
  serialOids: ['brotherSerialNumber'],
  // "000A5J431816": the private object zero-pads the 9-character serial printed on the label.
  cleanSerial: (s) => s.trim().replace(/^0+(?=[A-Z])/, ''),
  supplyReading: ({ level, max }) => ({ level, max, precision: 'overshoot-ok' }),
};

const KYOCERA: Partial<VendorQuirks> = {
  serialOids: ['kyoceraSerialNumber'],
  serialInstance: () => '1',
};

/** Konica Minolta: hrDeviceDescr is sometimes the engine name ("Generic 28C-1"), not the model. */
const KONICA: Partial<VendorQuirks> = {
  model: ({ sysDescr, hrDeviceDescr }) => (hrDeviceDescr && !/^generic\b/i.test(hrDeviceDescr) ? hrDeviceDescr : sysDescrModel(sysDescr)),
};

/** OKI: print servers describe themselves ("OkiLAN 9450g … Attached to MC873 …"); descriptions end with the maker name. */
const OKI: Partial<VendorQuirks> = {
  model: ({ sysDescr, hrDeviceDescr }) => {
    const attached = sysDescr ? /Attached to (\S+)/i.exec(sysDescr)?.[1] : undefined;
    return attached ? `OKI ${attached}` : (hrDeviceDescr ?? sysDescrModel(sysDescr));
  },
  supplyDescription: (text) => ({ name: text.replace(/\s*OKI DATA CORP\.?$/i, '').trim() || text }),
};

/** Xerox: "Black Toner, PN 006R01509;SN48178080E0000481": name, part number, cartridge serial. */
const XEROX: Partial<VendorQuirks> = {
  supplyDescription: (text) => {
    const m = /^(.*?),\s*PN\s*([^;]*)(?:;.*)?$/.exec(text);
    if (!m) return { name: text };
    const pn = m[2]!.trim();
    return pn && !/^unknown$/i.test(pn) ? { name: m[1]!.trim(), partNumber: pn } : { name: m[1]!.trim() };
  },
};

/** Samsung: descriptions carry a (often truncated) cartridge serial: "Black Toner Cartridge S/N:CRUM-". */
const SAMSUNG: Partial<VendorQuirks> = {
  supplyDescription: (text) => ({ name: text.replace(/\s*S\/N:.*$/i, '').trim() || text }),
};

const BY_VENDOR: Readonly<Partial<Record<VendorId, Partial<VendorQuirks>>>> = {
  hp: HP,
  ricoh: RICOH,
  canon: CANON,
  brother: BROTHER,
  kyocera: KYOCERA,
  konica: KONICA,
  oki: OKI,
  xerox: XEROX,
  samsung: SAMSUNG,
};

export function quirksFor(vendor: Vendor | null): VendorQuirks {
  const q = vendor ? BY_VENDOR[vendor.id] : undefined;
  return { ...DEFAULT_QUIRKS, ...q };
}
