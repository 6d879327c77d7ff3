/**
 * Which MIB objects and enumerations FleetDesk uses, and how they become `mibs/oids.generated.ts`.
 *
 * `buildOidTable(files)` parses the MIB texts (pure) and returns the table; `renderOidTable`
 * prints it as TypeScript. `mibs/compile.ts` (npm run mibs) writes the file, and
 * test/unit/snmp/mibTable.test.ts re-parses the MIBs and checks the committed file matches.
 * To read a new object: add its MIB name to WANTED_OBJECTS (and its module to mibs/ if new),
 * run `npm run mibs`, commit the regenerated file.
 */
import { parseModule, resolveOids, type SmiModule, type SmiObject } from './smi.js';

/** Objects the collector reads (or walks), by MIB name. Order = order in the generated file. */
export const WANTED_OBJECTS = [
  // SNMPv2-MIB system group
  'sysDescr',
  'sysObjectID',
  'sysUpTime',
  'sysContact',
  'sysName',
  'sysLocation',
  'enterprises',
  // IF-MIB: the MAC address
  'ifType',
  'ifPhysAddress',
  // HOST-RESOURCES-MIB
  'hrDevicePrinter',
  'hrDeviceEntry',
  'hrDeviceType',
  'hrDeviceDescr',
  'hrDeviceStatus',
  'hrDeviceErrors',
  'hrPrinterEntry',
  'hrPrinterStatus',
  'hrPrinterDetectedErrorState',
  // Printer-MIB general
  'prtGeneralPrinterName',
  'prtGeneralSerialNumber',
  'prtAlertCriticalEvents',
  'prtAlertAllEvents',
  // Printer-MIB marker
  'prtMarkerEntry',
  'prtMarkerCounterUnit',
  'prtMarkerLifeCount',
  'prtMarkerPowerOnCount',
  // Printer-MIB supplies
  'prtMarkerSuppliesEntry',
  'prtMarkerSuppliesMarkerIndex',
  'prtMarkerSuppliesColorantIndex',
  'prtMarkerSuppliesClass',
  'prtMarkerSuppliesType',
  'prtMarkerSuppliesDescription',
  'prtMarkerSuppliesSupplyUnit',
  'prtMarkerSuppliesMaxCapacity',
  'prtMarkerSuppliesLevel',
  // Printer-MIB colorants
  'prtMarkerColorantEntry',
  'prtMarkerColorantValue',
  // prtCoverTable: rendered by the simulator (an open door shows here as well as in the error state)
  'prtCoverDescription',
  'prtCoverStatus',
  // Printer-MIB input trays
  'prtInputEntry',
  'prtInputType',
  'prtInputCapacityUnit',
  'prtInputMaxCapacity',
  'prtInputCurrentLevel',
  'prtInputStatus',
  'prtInputMediaName',
  'prtInputName',
  'prtInputDescription',
  // Printer-MIB alert table
  'prtAlertEntry',
  'prtAlertSeverityLevel',
  'prtAlertTrainingLevel',
  'prtAlertGroup',
  'prtAlertGroupIndex',
  'prtAlertLocation',
  'prtAlertCode',
  'prtAlertDescription',
  'prtAlertTime',
  // Notifications: the SNMPv2 trap's type (snmpTrapOID.0) and the Printer-MIB alert trap, so the
  // trap listener can tell a printer alert from a generic trap
  'snmpTrapOID',
  'printerV2Alert',
  // FLEETDESK-VENDOR-OIDS: vendor serial-number fallbacks and vendor counters
  'hpSerialNumber',
  'brotherSerialNumber',
  'ricohSerialNumber',
  'kyoceraSerialNumber',
  'sharpCounterValue',
] as const;

/** Textual conventions whose enumerations the normalisers use, by TC name. */
export const WANTED_TCS = [
  'PrtAlertCodeTC',
  'PrtAlertGroupTC',
  'PrtAlertSeverityLevelTC',
  'PrtAlertTrainingLevelTC',
  'PrtMarkerSuppliesTypeTC',
  'PrtMarkerSuppliesClassTC',
  'PrtMarkerSuppliesSupplyUnitTC',
  'PrtMarkerCounterUnitTC',
  'PrtCapacityUnitTC',
  'PrtInputTypeTC',
  'PrtCoverStatusTC',
  'IANAifType',
] as const;

/** Objects whose inline SYNTAX INTEGER { … } enumeration is exported under the object's name. */
export const WANTED_OBJECT_ENUMS = ['hrPrinterStatus', 'hrDeviceStatus'] as const;

export interface OidTable {
  readonly oids: ReadonlyArray<{ name: string; oid: string; module: string }>;
  readonly enums: ReadonlyArray<{ name: string; module: string; values: ReadonlyArray<[string, number]> }>;
  /** hrPrinterDetectedErrorState condition names by bit number (bit 0 = MSB of octet 0). */
  readonly errorStateBits: readonly string[];
}

export interface MibFile {
  readonly file: string;
  readonly text: string;
}

export function buildOidTable(files: readonly MibFile[]): OidTable {
  const modules: SmiModule[] = files.map((f) => parseModule(f.text, f.file));
  const resolved = resolveOids(modules);
  // First definition wins for attribution (IF-MIB before RFC1213-MIB); resolveOids checks they agree.
  const objects = new Map<string, SmiObject>();
  for (const m of modules) for (const o of m.objects) if (!objects.has(o.name)) objects.set(o.name, o);

  const oids = WANTED_OBJECTS.map((name) => {
    const oid = resolved.get(name);
    const obj = objects.get(name);
    if (oid === undefined || !obj) throw new Error(`MIB object ${name} is not defined (or its parent does not resolve) in ${files.map((f) => f.file).join(', ')}`);
    return { name, oid, module: obj.module };
  });

  const tcs = new Map(modules.flatMap((m) => m.textualConventions.map((tc) => [tc.name, tc] as const)));
  const enums: Array<{ name: string; module: string; values: Array<[string, number]> }> = [];
  for (const name of WANTED_TCS) {
    const tc = tcs.get(name);
    if (!tc?.enumeration) throw new Error(`textual convention ${name} with an INTEGER enumeration is not defined in the MIB files`);
    enums.push({ name, module: tc.module, values: [...tc.enumeration] });
  }
  for (const name of WANTED_OBJECT_ENUMS) {
    const obj = objects.get(name);
    if (!obj?.enumeration) throw new Error(`object ${name} with an inline INTEGER enumeration is not defined in the MIB files`);
    enums.push({ name, module: obj.module, values: [...obj.enumeration] });
  }

  const errState = objects.get('hrPrinterDetectedErrorState');
  if (!errState?.description) throw new Error('hrPrinterDetectedErrorState has no DESCRIPTION to read the bit names from');
  return { oids, enums, errorStateBits: errorStateBitsFrom(errState.description) };
}

/**
 * RFC 2790 lists the hrPrinterDetectedErrorState bits only as a table in the DESCRIPTION
 * ("lowPaper  0" …); read that table and insist the bit numbers run 0..n-1 without gaps.
 */
export function errorStateBitsFrom(description: string): string[] {
  const bits: string[] = [];
  for (const line of description.split('\n')) {
    const m = /^\s*([a-z][A-Za-z]+)\s+(\d+)\s*$/.exec(line);
    if (!m) continue;
    const bit = Number(m[2]);
    if (bit !== bits.length) throw new Error(`hrPrinterDetectedErrorState bit list: expected bit ${bits.length}, found ${m[1]} ${bit}`);
    bits.push(m[1]!);
  }
  if (bits.length === 0) throw new Error('hrPrinterDetectedErrorState DESCRIPTION has no "name bit" table');
  return bits;
}

const HEADER = `/**
 * GENERATED by \`npm run mibs\` (mibs/compile.ts) from the MIB modules in mibs/modules/ and
 * mibs/vendor/. Do not edit: change mibs/oidTable.ts and regenerate. A unit test re-parses the
 * MIBs and fails when this file is stale.
 *
 * OID: MIB object name -> dotted OID, without instance suffix (scalars are read with ".0").
 * ENUMS: enumeration name (textual convention or object) -> { label: number }.
 * HR_PRINTER_ERROR_BITS: hrPrinterDetectedErrorState condition by bit number (bit 0 = most
 * significant bit of the first octet, RFC 2790).
 */
`;

export function renderOidTable(table: OidTable): string {
  const lines: string[] = [HEADER, 'export const OID = {'];
  for (const o of table.oids) lines.push(`  ${o.name}: '${o.oid}', // ${o.module}`);
  lines.push('} as const;', '', 'export type OidName = keyof typeof OID;', '', 'export const ENUMS = {');
  for (const e of table.enums) {
    lines.push(`  // ${e.module}`, `  ${e.name}: {`);
    for (const [label, value] of e.values) lines.push(`    ${/^[A-Za-z_$][\w$]*$/.test(label) ? label : `'${label}'`}: ${value},`);
    lines.push('  },');
  }
  lines.push('} as const;', '', 'export type EnumName = keyof typeof ENUMS;', '');
  lines.push('export const HR_PRINTER_ERROR_BITS = [');
  for (const b of table.errorStateBits) lines.push(`  '${b}',`);
  lines.push('] as const;', '', 'export type HrPrinterErrorBit = (typeof HR_PRINTER_ERROR_BITS)[number];', '');
  return lines.join('\n');
}
