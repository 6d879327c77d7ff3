import { describe, expect, it } from 'vitest';
import { deviceTitle, renderSnapshot } from '../../../agent/probe/render.js';
import type { DeviceSnapshot } from '../../../shared/snapshot.js';

const snap: DeviceSnapshot = {
  address: '192.0.2.7:161',
  protocols: ['snmp'],
  collectedAt: '2026-11-21T12:00:00.000Z',
  identity: { vendor: 'HP', model: 'HP LaserJet MFP M130nw', serial: 'VNCRC48198' },
  status: 'warning',
  faults: [
    {
      code: 'toner.low',
      severity: 'warning',
      source: 'supply',
      message: 'Toner low: Black Cartridge (8 %)',
      subunit: { group: 'markerSupplies', index: 1 },
      rawCode: '8/100',
    },
  ],
  supplies: [
    {
      index: 1,
      name: 'Black Cartridge',
      kind: 'toner',
      color: 'black',
      levelPercent: 8,
      state: 'low',
      raw: { level: 8, max: 100, unit: 19, class: 3, type: 21 },
    },
    {
      index: 2,
      name: 'Waste Toner Box',
      kind: 'waste',
      color: null,
      levelPercent: null,
      state: 'someRemaining',
      raw: { level: -3, max: -2, unit: null, class: null, type: 4 },
    },
  ],
  inputs: [{ index: 1, name: 'Tray 1', media: 'A4', levelPercent: 40, state: 'ok' }],
  counters: { total: 15232 },
};

describe('renderSnapshot', () => {
  const text = renderSnapshot(snap);
  it('names the device once, with status, serial, faults, supplies, trays and counters', () => {
    expect(text.split('\n')[0]).toBe('HP LaserJet MFP M130nw');
    expect(text).toMatch(/status\s+warning/);
    expect(text).toMatch(/serial\s+VNCRC48198/);
    expect(text).toMatch(/WARNING\s+toner\.low\s+Toner low: Black Cartridge \(8 %\) \[markerSupplies #1\]/);
    expect(text).toMatch(/#1\s+Black Cartridge\s+toner\s+black\s+#\.{9} 8%\s+low/);
    expect(text).toMatch(/#2\s+Waste Toner Box\s+waste\s+raw -3\/-2\s+someRemaining/);
    expect(text).toMatch(/Tray 1\s+A4\s+40% ok/);
    expect(text).toMatch(/total\s+15232/);
    expect(text.endsWith('\n')).toBe(true);
  });
  it('says plainly when nothing is known', () => {
    const empty = renderSnapshot({ ...snap, identity: {}, faults: [], supplies: [], inputs: [], counters: {} });
    expect(empty.split('\n')[0]).toBe('(unidentified device)');
    expect(empty).toMatch(/Faults \(0\)\n {2}none/);
    expect(empty).toMatch(/Supplies \(0\)\n {2}none reported/);
  });
});

describe('deviceTitle', () => {
  it('names vendor and model once, whichever of them the device gave', () => {
    expect(deviceTitle({ vendor: 'HP', model: 'HP Color LaserJet Pro M252dw' })).toBe('HP Color LaserJet Pro M252dw');
    expect(deviceTitle({ vendor: 'Kyocera', model: 'ECOSYS M2540dn' })).toBe('Kyocera ECOSYS M2540dn');
    expect(deviceTitle({ model: 'ECOSYS M2540dn' })).toBe('ECOSYS M2540dn');
    expect(deviceTitle({ vendor: 'Brother' })).toBe('Brother');
    expect(deviceTitle({})).toBe('');
  });
});
