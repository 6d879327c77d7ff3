/**
 * Which MIB objects and enumerations FleetDesk uses, and how they become `mibs/oids.generated.ts`.
 *
 * `buildOidTable(files)` parses the MIB texts (pure) and returns the table; `renderOidTable`
 * prints it as TypeScript. `mibs/compile.ts` (npm run mibs) writes the file, and
 * test/unit/snmp/mibTable.test.ts re-parses the MIBs and checks the committed file matches.
 * To read a new object: add its MIB name and read role to WANTED_OBJECTS (and its module to
 * mibs/ if new), run `npm run mibs`, commit the regenerated file.
 */
import { parseModule, resolveOids, type SmiModule, type SmiObject } from './smi.js';

/**
 * How the SNMP collector reads an object on every poll; the generated READ lists are the walk
 * list of agent/collect/snmp/collector.ts, so what is read is decided here and nowhere else.
 *   system  a scalar read at ".0" with the first request (GETBULK non-repeaters; a GET on SNMPv1)
 *   poll    a table column walked on every poll, in parallel inside the same GETBULKs
 *   alert   a prtAlertTable column: walked, or reused while the device shows nothing changed
 *   none    not read by every poll: an OID compared against, a table entry, a trap type, the
 *           simulator's objects, vendor objects read by vendor quirks
 */
export type ReadRole = 'system' | 'poll' | 'alert' | 'none';

/** Objects FleetDesk uses, by MIB name, with how each poll reads it. Order = order in the generated file. */
export const WANTED_OBJECTS: ReadonlyArray<readonly [name: string, read: ReadRole]> = [
  // SNMPv2-MIB system group
  ['sysDescr', 'system'],
  ['sysObjectID', 'system'],
  ['sysUpTime', 'system'],
  ['sysContact', 'system'],
  ['sysName', 'system'],
  ['sysLocation', 'system'],
  ['enterprises', 'none'],
  // IF-MIB: the MAC address
  ['ifType', 'poll'],
  ['ifPhysAddress', 'poll'],
  // HOST-RESOURCES-MIB
  ['hrDevicePrinter', 'none'],
  ['hrDeviceEntry', 'none'],
  ['hrDeviceType', 'poll'],
  ['hrDeviceDescr', 'poll'],
  ['hrDeviceStatus', 'poll'],
  ['hrDeviceErrors', 'none'],
  ['hrPrinterEntry', 'none'],
  ['hrPrinterStatus', 'poll'],
  ['hrPrinterDetectedErrorState', 'poll'],
  // Printer-MIB general
  ['prtGeneralPrinterName', 'poll'],
  ['prtGeneralSerialNumber', 'poll'],
  ['prtAlertCriticalEvents', 'poll'],
  ['prtAlertAllEvents', 'poll'],
  // Printer-MIB marker
  ['prtMarkerEntry', 'none'],
  ['prtMarkerCounterUnit', 'poll'],
  ['prtMarkerLifeCount', 'poll'],
  ['prtMarkerPowerOnCount', 'poll'],
  // Printer-MIB supplies
  ['prtMarkerSuppliesEntry', 'none'],
  ['prtMarkerSuppliesMarkerIndex', 'poll'],
  ['prtMarkerSuppliesColorantIndex', 'poll'],
  ['prtMarkerSuppliesClass', 'poll'],
  ['prtMarkerSuppliesType', 'poll'],
  ['prtMarkerSuppliesDescription', 'poll'],
  ['prtMarkerSuppliesSupplyUnit', 'poll'],
  ['prtMarkerSuppliesMaxCapacity', 'poll'],
  ['prtMarkerSuppliesLevel', 'poll'],
  // Printer-MIB colorants
  ['prtMarkerColorantEntry', 'none'],
  ['prtMarkerColorantValue', 'poll'],
  // prtCoverTable: rendered by the simulator (an open door shows here as well as in the error state)
  ['prtCoverDescription', 'none'],
  ['prtCoverStatus', 'none'],
  // Printer-MIB input trays
  ['prtInputEntry', 'none'],
  ['prtInputType', 'none'],
  ['prtInputCapacityUnit', 'none'],
  ['prtInputMaxCapacity', 'poll'],
  ['prtInputCurrentLevel', 'poll'],
  ['prtInputStatus', 'none'],
  ['prtInputMediaName', 'poll'],
  ['prtInputName', 'poll'],
  ['prtInputDescription', 'poll'],
  // Printer-MIB alert table
  ['prtAlertEntry', 'none'],
  ['prtAlertSeverityLevel', 'alert'],
  ['prtAlertTrainingLevel', 'alert'],
  ['prtAlertGroup', 'alert'],
  ['prtAlertGroupIndex', 'alert'],
  ['prtAlertLocation', 'alert'],
  ['prtAlertCode', 'alert'],
  ['prtAlertDescription', 'alert'],
  ['prtAlertTime', 'alert'],
  // Notifications: the SNMPv2 trap's type (snmpTrapOID.0) and the Printer-MIB alert trap, so the
  // trap listener can tell a printer alert from a generic trap
  ['snmpTrapOID', 'none'],
  ['printerV2Alert', 'none'],
  // FLEETDESK-VENDOR-OIDS: vendor serial-number fallbacks and vendor counters
  ['hpSerialNumber', 'none'],
  ['brotherSerialNumber', 'none'],
  ['ricohSerialNumber', 'none'],
  ['kyoceraSerialNumber', 'none'],
  ['hpPageCounters', 'none'],
  ['konicaCounters', 'none'],
  ['sharpCounterValue', 'none'],
  ['ricohEngCounter', 'none'],
  ['canonCounterValue', 'none'],
  ['kyoceraCounters', 'none'],
  ['epsonCounters', 'none'],
  // FLEETDESK-VENDOR-OIDS: firmware versions, walked on their vendor (agent/normalise/firmwareProfiles.ts)
  ['ricohFirmwareVersion', 'none'],
  ['kyoceraFirmwareVersion', 'none'],
  ['brotherFirmwareVersion', 'none'],
  ['canonFirmwareVersion', 'none'],
  ['konicaFirmwareVersion', 'none'],
];

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
  readonly oids: ReadonlyArray<{ name: string; oid: string; module: string; read: ReadRole }>;
  readonly enums: ReadonlyArray<{ name: string; module: string; values: ReadonlyArray<[string, number]> }>;
  /** hrPrinterDetectedErrorState condition names by bit number (bit 0 = MSB of octet 0). */
  readonly errorStateBits: readonly string[];
}

export interface MibFile {
  readonly file: string;
  readonly text: string;
}

export function buildOidTable(files: readonly MibFile[], wanted: ReadonlyArray<readonly [string, ReadRole]> = WANTED_OBJECTS): OidTable {
  const modules: SmiModule[] = files.map((f) => parseModule(f.text, f.file));
  const resolved = resolveOids(modules);
  // First definition wins for attribution (IF-MIB before RFC1213-MIB); resolveOids checks they agree.
  const objects = new Map<string, SmiObject>();
  for (const m of modules) for (const o of m.objects) if (!objects.has(o.name)) objects.set(o.name, o);

  const oids = wanted.map(([name, read]) => {
    const oid = resolved.get(name);
    const obj = objects.get(name);
    if (oid === undefined || !obj)
      throw new Error(`MIB object ${name} is not defined (or its parent does not resolve) in ${files.map((f) => f.file).join(', ')}`);
    checkReadRole(obj, read);
    return { name, oid, module: obj.module, read };
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
 * A read role must fit the object's place in its MIB: walked objects are columns of a table (their
 * parent is a conceptual row, `…Entry`), system objects are scalars (read at ".0").
 */
function checkReadRole(obj: SmiObject, read: ReadRole): void {
  if (read === 'none') return;
  const column = /Entry$/.test(obj.parent);
  if (obj.macro !== 'OBJECT-TYPE')
    throw new Error(`${obj.name} (${obj.module} line ${obj.line}) is read as '${read}' but is a ${obj.macro}, not an OBJECT-TYPE`);
  if (read === 'system' && column) throw new Error(`${obj.name} (${obj.module} line ${obj.line}) is read as a scalar but is a column of ${obj.parent}`);
  if (read !== 'system' && !column)
    throw new Error(`${obj.name} (${obj.module} line ${obj.line}) is walked as a column ('${read}') but its parent ${obj.parent} is not a table entry`);
  if (read === 'alert' && obj.parent !== 'prtAlertEntry') throw new Error(`${obj.name} is read as an alert column but is not in prtAlertTable`);
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
  lines.push('} as const;', '', 'export type OidName = keyof typeof OID;', '');
  lines.push('/** What the SNMP collector reads on every poll, by read role (mibs/oidTable.ts WANTED_OBJECTS). */');
  lines.push("export const READ: { readonly [R in 'system' | 'poll' | 'alert']: readonly OidName[] } = {");
  for (const role of ['system', 'poll', 'alert'] as const) {
    lines.push(`  ${role}: [`);
    for (const o of table.oids) if (o.read === role) lines.push(`    '${o.name}',`);
    lines.push('  ],');
  }
  lines.push('};', '', 'export const ENUMS = {');
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
