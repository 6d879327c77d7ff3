/**
 * The SNMP normaliser over hand-written fixtures in snmprec form, built from the object
 * definitions of RFC 3418 (system), RFC 2790 (hrDevice, hrPrinter) and RFC 3805 (Printer-MIB).
 */
import { describe, expect, it } from 'vitest';
import { printerEvidence } from '../../../agent/collect/snmp/printerEvidence.js';
import { normaliseSnmp } from '../../../agent/normalise/snmpSnapshot.js';
import type { SnmpValue } from '../../../agent/collect/snmp/raw.js';
import { DeviceSnapshot } from '../../../shared/snapshot.js';
import { ENUMS, OID } from '../../../mibs/oids.generated.js';
import { valuesFromSnmprec } from '../../harness/snmprecValues.js';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

/** A colour laser MFP as RFC 3805 describes one: every column present. */
const LASER = `
${OID.sysDescr}.0|4|ACME ColorLaser 5000; firmware 1.2
${OID.sysObjectID}.0|6|1.3.6.1.4.1.64000.1
${OID.sysName}.0|4|printer-3rd-floor
${OID.sysLocation}.0|4|Kraków, pokój 3.14
${OID.ifType}.1|2|24
${OID.ifType}.2|2|6
${OID.ifPhysAddress}.1|4x|
${OID.ifPhysAddress}.2|4x|0011223344AA
${OID.hrDeviceType}.1|6|${OID.hrDevicePrinter}
${OID.hrDeviceDescr}.1|4|ACME ColorLaser 5000
${OID.hrDeviceStatus}.1|2|2
${OID.hrPrinterStatus}.1|2|4
${OID.hrPrinterDetectedErrorState}.1|4x|0000
${OID.prtGeneralSerialNumber}.1|4|ACM123456
${OID.prtMarkerCounterUnit}.1.1|2|7
${OID.prtMarkerLifeCount}.1.1|65|123456
${OID.prtMarkerPowerOnCount}.1.1|65|42
${OID.prtMarkerSuppliesColorantIndex}.1.1|2|1
${OID.prtMarkerSuppliesColorantIndex}.1.2|2|2
${OID.prtMarkerSuppliesColorantIndex}.1.3|2|0
${OID.prtMarkerSuppliesColorantIndex}.1.4|2|0
${OID.prtMarkerSuppliesColorantIndex}.1.5|2|0
${OID.prtMarkerSuppliesClass}.1.1|2|3
${OID.prtMarkerSuppliesClass}.1.2|2|3
${OID.prtMarkerSuppliesClass}.1.3|2|4
${OID.prtMarkerSuppliesClass}.1.4|2|3
${OID.prtMarkerSuppliesClass}.1.5|2|3
${OID.prtMarkerSuppliesType}.1.1|2|21
${OID.prtMarkerSuppliesType}.1.2|2|21
${OID.prtMarkerSuppliesType}.1.3|2|4
${OID.prtMarkerSuppliesType}.1.4|2|9
${OID.prtMarkerSuppliesType}.1.5|2|15
${OID.prtMarkerSuppliesDescription}.1.1|4|Black Toner Cartridge
${OID.prtMarkerSuppliesDescription}.1.2|4|Toner Cartridge 2
${OID.prtMarkerSuppliesDescription}.1.3|4x|${hex('Waste Toner Box')}
${OID.prtMarkerSuppliesDescription}.1.4|4|Drum Unit
${OID.prtMarkerSuppliesDescription}.1.5|4|Fuser
${OID.prtMarkerSuppliesSupplyUnit}.1.1|2|19
${OID.prtMarkerSuppliesSupplyUnit}.1.2|2|19
${OID.prtMarkerSuppliesSupplyUnit}.1.3|2|19
${OID.prtMarkerSuppliesSupplyUnit}.1.4|2|7
${OID.prtMarkerSuppliesSupplyUnit}.1.5|2|7
${OID.prtMarkerSuppliesMaxCapacity}.1.1|2|100
${OID.prtMarkerSuppliesMaxCapacity}.1.2|2|100
${OID.prtMarkerSuppliesMaxCapacity}.1.3|2|100
${OID.prtMarkerSuppliesMaxCapacity}.1.4|2|-2
${OID.prtMarkerSuppliesMaxCapacity}.1.5|2|100000
${OID.prtMarkerSuppliesLevel}.1.1|2|7
${OID.prtMarkerSuppliesLevel}.1.2|2|-3
${OID.prtMarkerSuppliesLevel}.1.3|2|8
${OID.prtMarkerSuppliesLevel}.1.4|2|-2
${OID.prtMarkerSuppliesLevel}.1.5|2|-1
${OID.prtMarkerColorantValue}.1.1|4|black
${OID.prtMarkerColorantValue}.1.2|4|cyan
${OID.prtInputMaxCapacity}.1.1|2|500
${OID.prtInputCurrentLevel}.1.1|2|25
${OID.prtInputMediaName}.1.1|4|A4
${OID.prtInputName}.1.1|4|Tray 1
${OID.prtInputMaxCapacity}.1.2|2|100
${OID.prtInputCurrentLevel}.1.2|2|-3
${OID.prtInputName}.1.2|4|Bypass
`;

const snapshot = (text: string) => normaliseSnmp(valuesFromSnmprec(text), { address: '192.0.2.10:161', collectedAt: '2026-11-21T12:00:00.000Z' });

describe('normaliseSnmp: a complete RFC 3805 device', () => {
  const s = snapshot(LASER);

  it('is a valid DeviceSnapshot', () => {
    expect(() => DeviceSnapshot.parse(s)).not.toThrow();
  });

  it('identity', () => {
    expect(s.identity).toEqual({
      model: 'ACME ColorLaser 5000',
      serial: 'ACM123456',
      sysName: 'printer-3rd-floor',
      sysDescr: 'ACME ColorLaser 5000; firmware 1.2',
      sysObjectId: '1.3.6.1.4.1.64000.1',
      location: 'Kraków, pokój 3.14',
      mac: '00:11:22:33:44:aa',
    });
  });

  it('supplies: kinds, colours from the colorant table, special values, receptacle inverted', () => {
    expect(s.supplies.map((x) => [x.index, x.name, x.kind, x.color, x.levelPercent, x.state])).toEqual([
      [1, 'Black Toner Cartridge', 'toner', 'black', 7, 'low'],
      [2, 'Toner Cartridge 2', 'toner', 'cyan', null, 'someRemaining'],
      [3, 'Waste Toner Box', 'waste', null, 92, 'nearFull'],
      [4, 'Drum Unit', 'drum', null, null, 'unknown'],
      [5, 'Fuser', 'fuser', null, null, 'ok'],
    ]);
    expect(s.supplies[0]!.raw).toEqual({ level: 7, max: 100, unit: 19, class: 3, type: 21 });
  });

  it('faults from supply levels, with the supply as subunit; status follows hrPrinterStatus', () => {
    expect(s.faults.map((f) => [f.code, f.severity, f.source, f.subunit?.index])).toEqual([
      ['toner.low', 'warning', 'supply', 1],
      ['waste.nearFull', 'warning', 'supply', 3],
    ]);
    expect(s.status).toBe('printing');
  });

  it('inputs and counters', () => {
    expect(s.inputs).toEqual([
      { index: 1, name: 'Tray 1', media: 'A4', levelPercent: 5, state: 'low' },
      { index: 2, name: 'Bypass', media: null, levelPercent: null, state: 'someRemaining' },
    ]);
    expect(s.counters).toEqual({ total: 123456, sincePowerOn: 42 });
  });
});

describe('status', () => {
  const withState = (errHex: string, hrDev: number, hrPrt: number) =>
    snapshot(
      LASER.replace(`${OID.hrPrinterDetectedErrorState}.1|4x|0000`, `${OID.hrPrinterDetectedErrorState}.1|4x|${errHex}`)
        .replace(`${OID.hrDeviceStatus}.1|2|2`, `${OID.hrDeviceStatus}.1|2|${hrDev}`)
        .replace(`${OID.hrPrinterStatus}.1|2|4`, `${OID.hrPrinterStatus}.1|2|${hrPrt}`)
        .replace(`${OID.prtMarkerSuppliesLevel}.1.1|2|7`, `${OID.prtMarkerSuppliesLevel}.1.1|2|70`)
        .replace(`${OID.prtMarkerSuppliesLevel}.1.3|2|8`, `${OID.prtMarkerSuppliesLevel}.1.3|2|80`),
    ).status;
  it.each([
    ['0000', 2, 3, 'idle'],
    ['0000', 2, 4, 'printing'],
    ['0000', 2, 5, 'warmup'],
    ['0000', 5, 3, 'down'],
    ['0400', 3, 3, 'down'], // jammed
    ['0800', 3, 3, 'down'], // doorOpen
    ['2000', 3, 3, 'warning'], // lowToner
    ['0000', 3, 3, 'warning'],
    ['0100', 3, 3, 'warning'], // serviceRequested does not stop printing
    ['0000', 1, 2, 'unknown'],
  ] as const)('error state %s, hrDeviceStatus %i, hrPrinterStatus %i -> %s', (err, dev, prt, expected) => {
    expect(withState(err, dev, prt)).toBe(expected);
  });
});

describe('prtAlertTable: every group and every severity', () => {
  const groups = Object.values(ENUMS.PrtAlertGroupTC);
  const severities = Object.values(ENUMS.PrtAlertSeverityLevelTC);
  const rows = groups.map((group, i) => {
    const idx = i + 1;
    const severity = severities[i % severities.length]!;
    return [
      `${OID.prtAlertSeverityLevel}.1.${idx}|2|${severity}`,
      `${OID.prtAlertTrainingLevel}.1.${idx}|2|4`,
      `${OID.prtAlertGroup}.1.${idx}|2|${group}`,
      `${OID.prtAlertGroupIndex}.1.${idx}|2|1`,
      `${OID.prtAlertLocation}.1.${idx}|2|0`,
      `${OID.prtAlertCode}.1.${idx}|2|${ENUMS.PrtAlertCodeTC.subunitRecoverableFailure}`,
      `${OID.prtAlertDescription}.1.${idx}|4|failure in group ${group}`,
      `${OID.prtAlertTime}.1.${idx}|67|1000`,
    ].join('\n');
  });
  const s = snapshot(`${LASER}\n${rows.join('\n')}`);

  it('one fault per row, severity mapped, group kept, supply name resolved for markerSupplies', () => {
    const alerts = s.faults.filter((f) => f.source === 'prtAlert');
    expect(alerts).toHaveLength(groups.length);
    alerts.forEach((f, i) => {
      const sev = severities[i % severities.length];
      expect(f.code).toBe('hardware.fault');
      expect(f.severity).toBe(sev === 3 ? 'critical' : sev === 1 ? 'critical' : 'warning');
      expect(f.message).toContain(`failure in group ${groups[i]}`);
      expect(f.message).toContain('trained operator');
    });
    const supplyAlert = alerts.find((f) => f.subunit?.group === 'markerSupplies');
    expect(supplyAlert?.subunit).toEqual({ group: 'markerSupplies', index: 1, name: 'Black Toner Cartridge' });
    expect(() => DeviceSnapshot.parse(s)).not.toThrow();
  });

  it('a jam alert and the jammed bit are one fault (the alert is more specific)', () => {
    const jam = snapshot(
      `${LASER.replace(`${OID.hrPrinterDetectedErrorState}.1|4x|0000`, `${OID.hrPrinterDetectedErrorState}.1|4x|0400`)}
${OID.prtAlertSeverityLevel}.1.1|2|3
${OID.prtAlertGroup}.1.1|2|13
${OID.prtAlertGroupIndex}.1.1|2|1
${OID.prtAlertCode}.1.1|2|8
${OID.prtAlertDescription}.1.1|4|Paper jam in fuser area`,
    );
    expect(jam.faults.filter((f) => f.code === 'jam')).toEqual([
      {
        code: 'jam',
        severity: 'critical',
        source: 'prtAlert',
        message: 'Paper jam: Paper jam in fuser area',
        subunit: { group: 'mediaPath', index: 1 },
        rawCode: 'jam',
      },
    ]);
    expect(jam.status).toBe('down');
  });

  it('an unknown vendor code is kept with its raw code and description', () => {
    const v = snapshot(`${LASER}
${OID.prtAlertSeverityLevel}.1.7|2|4
${OID.prtAlertGroup}.1.7|2|5
${OID.prtAlertCode}.1.7|2|40123
${OID.prtAlertDescription}.1.7|4|SC 542 call service`);
    expect(v.faults.find((f) => f.source === 'prtAlert')).toMatchObject({ code: 'unclassified', rawCode: '40123', severity: 'warning' });
    expect(v.faults.find((f) => f.source === 'prtAlert')?.message).toContain('SC 542 call service');
  });
});

describe('hostile and odd values', () => {
  it('wrong ASN.1 types in every column never throw and read as absent', () => {
    const base = valuesFromSnmprec(LASER);
    const swapped: Record<string, SnmpValue> = {};
    for (const [oid, v] of Object.entries(base)) {
      swapped[oid] =
        v.type === 'octets'
          ? { type: 'integer', value: 7 }
          : v.type === 'oid'
            ? { type: 'counter64', value: '99999999999999999999999' }
            : { type: 'octets', hex: 'ff00ff' };
    }
    const s = normaliseSnmp(swapped, { address: 'x', collectedAt: '2026-11-21T12:00:00.000Z' });
    expect(() => DeviceSnapshot.parse(s)).not.toThrow();
    expect(s.identity).toEqual({});
    expect(s.supplies.every((x) => x.levelPercent === null && x.raw.level === null)).toBe(true);
    expect(s.status).toBe('unknown');
  });

  it('a zero-length error state, a missing hrPrinterTable and sparse indexes', () => {
    const s = snapshot(`
${OID.sysDescr}.0|4|EPSON Built-in
${OID.sysObjectID}.0|6|1.3.6.1.4.1.1248.1.1
${OID.hrPrinterDetectedErrorState}.1|4|
${OID.prtMarkerSuppliesDescription}.1.30|4|Black Ink
${OID.prtMarkerSuppliesType}.1.30|2|6
${OID.prtMarkerSuppliesMaxCapacity}.1.30|2|100
${OID.prtMarkerSuppliesLevel}.1.30|2|0
${OID.prtMarkerSuppliesDescription}.1.2|4|Cyan Ink
${OID.prtMarkerSuppliesLevel}.1.2|2|50`);
    expect(s.identity.vendor).toBe('Epson');
    expect(s.supplies.map((x) => [x.index, x.state])).toEqual([
      [2, 'someRemaining'],
      [30, 'empty'],
    ]);
    expect(s.faults.map((f) => f.code)).toEqual(['ink.empty']);
  });

  it('huge numbers, negative counters, and an overlong description are bounded', () => {
    const s = snapshot(`${LASER}
${OID.prtMarkerLifeCount}.1.1|70|18446744073709551615
${OID.prtMarkerPowerOnCount}.1.1|65|4294967295
${OID.prtMarkerSuppliesDescription}.1.1|4|${'x'.repeat(3000)}`);
    expect(s.counters).toEqual({ sincePowerOn: 4294967295 });
    expect(s.supplies[0]!.name.length).toBe(512);
    expect(() => DeviceSnapshot.parse(s)).not.toThrow();
  });
});

describe('printerEvidence', () => {
  it('needs hrDevicePrinter, hrPrinterTable or Printer-MIB objects', () => {
    expect(printerEvidence(valuesFromSnmprec(LASER)).isPrinter).toBe(true);
    expect(printerEvidence(valuesFromSnmprec(`${OID.sysDescr}.0|4|Linux router\n${OID.hrDeviceType}.1|6|1.3.6.1.2.1.25.3.1.3`))).toEqual({
      isPrinter: false,
      reason: 'no hrDevicePrinter entry, no hrPrinterTable and no Printer-MIB objects',
    });
    expect(printerEvidence({}).isPrinter).toBe(false);
  });
});
