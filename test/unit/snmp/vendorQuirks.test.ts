import { describe, expect, it } from 'vitest';
import { quirksFor, repairHexDumpDescription, vendorByName, vendorFromSysObjectId } from '../../../agent/normalise/vendorQuirks.js';
import { assessSupply } from '../../../agent/normalise/supplies.js';

const q = (oid: string) => quirksFor(vendorFromSysObjectId(oid));

describe('vendor identification', () => {
  it('uses the sysObjectID enterprise number', () => {
    expect(vendorFromSysObjectId('1.3.6.1.4.1.11.2.3.9.1')?.name).toBe('HP');
    expect(vendorFromSysObjectId('1.3.6.1.4.1.18334.1.1.1.2.1.117.2.2')?.name).toBe('Konica Minolta');
    expect(vendorFromSysObjectId('1.3.6.1.4.1.1347.41')?.id).toBe('kyocera');
    expect(vendorFromSysObjectId('1.3.6.1.4.1.297.1.11.93.1.35.34.7.1')?.id).toBe('fujifilm');
  });
  it('falls back to brand words when the number is unknown or absent', () => {
    expect(vendorFromSysObjectId('1.3.6.1.4.1.99999.1', 'KYOCERA ECOSYS M2540dn')?.id).toBe('kyocera');
    expect(vendorFromSysObjectId(null, 'TA_UTAX Printing System')?.id).toBe('kyocera');
    expect(vendorFromSysObjectId('1.3.6.1.2.1.1', 'no brand here')).toBeNull();
    expect(vendorByName('HP LaserJet MFP M130nw')?.id).toBe('hp');
  });
  it('no vendor: the standard rules only', () => {
    const d = quirksFor(null);
    expect(d.serialOids).toEqual([]);
    expect(d.supplyReading({ level: -100, max: 100, unit: 19 })).toEqual({ level: -100, max: 100, precision: 'measured' });
  });
});

describe('per-vendor quirks (one test each)', () => {
  it('Ricoh: -100 means empty; model without the firmware version', () => {
    const r = q('1.3.6.1.4.1.367.1.1');
    const c = r.supplyReading({ level: -100, max: 100, unit: 19 });
    expect(assessSupply({ level: c.level, max: c.max, receptacle: false, precision: c.precision })).toEqual({ levelPercent: 0, state: 'empty' });
    expect(r.supplyReading({ level: -3, max: 100, unit: 19 }).level).toBe(-3);
    expect(r.model({ sysDescr: 'RICOH MP C2503 1.35 / RICOH Network Printer C model', hrDeviceDescr: null })).toBe('RICOH MP C2503');
    expect(r.serialOids).toEqual(['ricohSerialNumber']);
  });

  it('Canon: a coarse 100 of 100 is "not low yet", not a measured full cartridge', () => {
    const c = q('1.3.6.1.4.1.1602.4.2').supplyReading({ level: 100, max: 100, unit: 19 });
    expect(assessSupply({ level: c.level, max: c.max, receptacle: false, precision: c.precision })).toEqual({ levelPercent: null, state: 'someRemaining' });
    expect(q('1.3.6.1.4.1.1602.4.2').supplyReading({ level: 70, max: 100, unit: 19 }).precision).toBe('measured');
  });

  it('Brother: levels above the capacity mean full; zero-padded private serial', () => {
    const b = q('1.3.6.1.4.1.2435.2.3.9.1');
    const c = b.supplyReading({ level: 110, max: 100, unit: 19 });
    expect(assessSupply({ level: c.level, max: c.max, receptacle: false, precision: c.precision })).toEqual({ levelPercent: 100, state: 'ok' });
    expect(b.cleanSerial('000A5J431816')).toBe('A5J431816');
    expect(b.cleanSerial('E73112K4N123456')).toBe('E73112K4N123456');
  });

  it('HP: hex-dump continuation in descriptions, binary serial prefix, SN:/PID: in sysDescr', () => {
    const h = q('1.3.6.1.4.1.11.2.3.9.1');
    expect(h.supplyDescription('Magenta Cartridg\n65 20 38 32 37 41 20 48 50 20 43 46 33 30 33 41 \n00 ')).toEqual({
      name: 'Magenta Cartridge 827A HP CF303A',
      partNumber: 'CF303A',
    });
    expect(repairHexDumpDescription('Plain text')).toBe('Plain text');
    expect(repairHexDumpDescription('Two\nlines of text')).toBe('Two\nlines of text');
    expect(h.cleanSerial('\u0001\u0015VNCRC48198')).toBe('VNCRC48198');
    expect(h.serialFromSysDescr('HP ETHERNET MULTI-ENVIRONMENT,SN:VNCRC48198,FN:4Q817L4,PID:HP LaserJet MFP M130nw')).toBe('VNCRC48198');
    expect(h.model({ sysDescr: 'HP ETHERNET MULTI-ENVIRONMENT,SN:TEST000000,PID:HP Color LaserJet Test', hrDeviceDescr: null })).toBe('HP Color LaserJet Test');
  });

  it('Kyocera: serial in a private table column, first row', () => {
    const k = q('1.3.6.1.4.1.1347.41');
    expect(k.serialOids).toEqual(['kyoceraSerialNumber']);
    expect(k.serialInstance('kyoceraSerialNumber')).toBe('1');
  });

  it('Konica Minolta: "Generic 28C-1" is the engine, the model is in sysDescr', () => {
    const k = q('1.3.6.1.4.1.18334.1.1.1.2.1.117.2.2');
    expect(k.model({ sysDescr: 'KONICA MINOLTA bizhub C3110', hrDeviceDescr: 'Generic 28C-1' })).toBe('KONICA MINOLTA bizhub C3110');
    expect(k.model({ sysDescr: 'KONICA MINOLTA bizhub C250i', hrDeviceDescr: 'KONICA MINOLTA bizhub C250i' })).toBe('KONICA MINOLTA bizhub C250i');
  });

  it('OKI: the printer behind an OkiLAN print server; maker name stripped from descriptions', () => {
    const o = q('1.3.6.1.4.1.2001.1.1.1.1');
    expect(o.model({ sysDescr: 'OKI OkiLAN 9450g Rev.00.69 … PrintServer: Attached to MC873 Rev.07.87', hrDeviceDescr: null })).toBe('OKI MC873');
    expect(o.supplyDescription('Black Toner Cartridge OKI DATA CORP').name).toBe('Black Toner Cartridge');
  });

  it('Xerox: name, part number and cartridge serial in one description', () => {
    const x = q('1.3.6.1.4.1.253.8.62.1.35.2.3.1.1');
    expect(x.supplyDescription('Black Toner, PN 006R01509;SN48178080E0000481')).toEqual({ name: 'Black Toner', partNumber: '006R01509' });
    expect(x.supplyDescription('Fuser, PN unknown;SNunknown')).toEqual({ name: 'Fuser' });
  });

  it('Samsung: the truncated cartridge serial is not part of the name', () => {
    expect(q('1.3.6.1.4.1.236.11.5.11.62.1').supplyDescription('Black Toner Cartridge S/N:CRUM-').name).toBe('Black Toner Cartridge');
  });
});
