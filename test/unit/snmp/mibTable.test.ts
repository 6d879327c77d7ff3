import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENUMS, HR_PRINTER_ERROR_BITS, OID, READ } from '../../../mibs/oids.generated.js';
import { GENERATED_FILE, readMibFiles } from '../../../mibs/compile.js';
import { buildOidTable, errorStateBitsFrom, renderOidTable, WANTED_OBJECTS } from '../../../mibs/oidTable.js';
import { parseModule, resolveOids, SmiParseError } from '../../../mibs/smi.js';

describe('generated OID table', () => {
  const table = buildOidTable(readMibFiles());

  it('matches a fresh parse of the MIB files byte for byte (run `npm run mibs` when this fails)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(renderOidTable(table));
  });

  it('exports every wanted object with the OID the MIBs give it', () => {
    expect(Object.keys(OID)).toEqual(WANTED_OBJECTS.map(([name]) => name));
    for (const o of table.oids) expect(OID[o.name as keyof typeof OID]).toBe(o.oid);
  });

  it('generates the walk list from the read roles: scalars, table columns, alert-table columns', () => {
    expect(READ.system).toEqual(['sysDescr', 'sysObjectID', 'sysUpTime', 'sysContact', 'sysName', 'sysLocation']);
    expect(READ.poll).toContain('prtMarkerSuppliesLevel');
    expect(READ.poll).not.toContain('prtCoverStatus'); // the simulator's, not read by polls
    expect(READ.alert.every((n) => OID[n].startsWith(`${OID.prtAlertEntry}.`))).toBe(true);
    expect(READ.poll.some((n) => OID[n].startsWith(`${OID.prtAlertEntry}.`))).toBe(false);
    // A role that does not fit the MIB is refused, naming the object.
    const files = readMibFiles();
    expect(() => buildOidTable(files, [['sysDescr', 'poll']])).toThrow(/sysDescr .* walked as a column .* not a table entry/);
    expect(() => buildOidTable(files, [['hrDeviceType', 'system']])).toThrow(/hrDeviceType .* read as a scalar but is a column of hrDeviceEntry/);
    expect(() => buildOidTable(files, [['prtInputName', 'alert']])).toThrow(/prtInputName is read as an alert column/);
  });

  it('agrees with the OIDs printed in RFC 3805 / RFC 2790 / RFC 3418', () => {
    // Independent of the parser: values copied from the RFC texts.
    expect(OID.sysDescr).toBe('1.3.6.1.2.1.1.1');
    expect(OID.sysObjectID).toBe('1.3.6.1.2.1.1.2');
    expect(OID.hrDevicePrinter).toBe('1.3.6.1.2.1.25.3.1.5');
    expect(OID.hrPrinterDetectedErrorState).toBe('1.3.6.1.2.1.25.3.5.1.2');
    expect(OID.prtMarkerSuppliesLevel).toBe('1.3.6.1.2.1.43.11.1.1.9');
    expect(OID.prtAlertDescription).toBe('1.3.6.1.2.1.43.18.1.1.8');
    expect(OID.prtAlertAllEvents).toBe('1.3.6.1.2.1.43.5.1.1.19');
    expect(OID.prtMarkerColorantValue).toBe('1.3.6.1.2.1.43.12.1.1.4');
  });

  it('carries the IANA enumerations by label', () => {
    expect(ENUMS.PrtAlertCodeTC.jam).toBe(8);
    expect(ENUMS.PrtAlertCodeTC.markerTonerEmpty).toBe(1101);
    expect(ENUMS.PrtAlertGroupTC.mediaPath).toBe(13);
    expect(ENUMS.PrtAlertSeverityLevelTC.warningBinaryChangeEvent).toBe(5);
    expect(ENUMS.PrtAlertTrainingLevelTC.fieldService).toBe(5);
    expect(ENUMS.PrtMarkerSuppliesTypeTC.wasteToner).toBe(4);
    expect(ENUMS.PrtMarkerSuppliesClassTC.receptacleThatIsFilled).toBe(4);
    expect(ENUMS.PrtMarkerSuppliesSupplyUnitTC.percent).toBe(19);
    expect(ENUMS.hrPrinterStatus.warmup).toBe(5);
    expect(ENUMS.hrDeviceStatus.down).toBe(5);
  });

  it('reads the 15 hrPrinterDetectedErrorState bits from the RFC 2790 description', () => {
    expect(HR_PRINTER_ERROR_BITS).toHaveLength(15);
    expect(HR_PRINTER_ERROR_BITS[0]).toBe('lowPaper');
    expect(HR_PRINTER_ERROR_BITS[5]).toBe('jammed');
    expect(HR_PRINTER_ERROR_BITS[14]).toBe('overduePreventMaint');
  });
});

describe('SMI reader', () => {
  const base = `TEST-MIB DEFINITIONS ::= BEGIN
IMPORTS OBJECT-TYPE FROM SNMPv2-SMI;
-- a comment with "quotes" and ::= { nothing 1 }
org OBJECT IDENTIFIER ::= { iso 3 }
test OBJECT IDENTIFIER ::= { org dod(6) 99 }
Colour ::= TEXTUAL-CONVENTION
    STATUS current
    DESCRIPTION "a colour -- not a comment"
    SYNTAX INTEGER { red(1), green(2), blue(-3) }
thing OBJECT-TYPE
    SYNTAX INTEGER { on(1), off(2) }
    DESCRIPTION "thing ::= { wrong 7 }"
    ::= { test 4 }
END`;

  it('resolves nested assignments, name(number) components and ignores strings and comments', () => {
    const mod = parseModule(base, 'TEST-MIB');
    const oids = resolveOids([mod]);
    expect(oids.get('test')).toBe('1.3.6.99');
    expect(oids.get('thing')).toBe('1.3.6.99.4');
    expect([...(mod.textualConventions[0]?.enumeration ?? [])]).toEqual([
      ['red', 1],
      ['green', 2],
      ['blue', -3],
    ]);
    expect(mod.objects.find((o) => o.name === 'thing')?.enumeration?.get('off')).toBe(2);
  });

  it('rejects a name defined twice with different OIDs', () => {
    const a = parseModule(base, 'A');
    const b = parseModule(base.replace('TEST-MIB', 'OTHER-MIB').replace('{ test 4 }', '{ test 5 }'), 'B');
    expect(() => resolveOids([a, b])).toThrow(/thing is defined twice/);
  });

  it('names file and line of a syntax error', () => {
    expect(() => parseModule(base.replace('{ red(1),', '{ red 1,'), 'BAD-MIB')).toThrow(SmiParseError);
    expect(() => parseModule(base.replace('{ red(1),', '{ red 1,'), 'BAD-MIB')).toThrow(/BAD-MIB:9:/);
    expect(() => parseModule('nothing here', 'EMPTY')).toThrow(/DEFINITIONS/);
  });

  it('insists the error-state bit table has no gaps', () => {
    expect(errorStateBitsFrom('a\n  lowPaper 0\n  noPaper 1\n')).toEqual(['lowPaper', 'noPaper']);
    expect(() => errorStateBitsFrom('  lowPaper 0\n  noToner 3\n')).toThrow(/expected bit 1/);
  });
});
