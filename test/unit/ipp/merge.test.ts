import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IppAttribute, IppValue } from '../../../agent/collect/ipp/ippMessage.js';
import { normaliseIpp } from '../../../agent/normalise/ipp/ippPrinter.js';
import { normaliseSnmp } from '../../../agent/normalise/snmpSnapshot.js';
import { CORPUS_DIR } from '../../harness/repo.js';
import { valuesFromSnmprec } from '../../harness/snmprecValues.js';
import { foldFaults } from '../../../agent/normalise/faultSet.js';
import { identityMatch, mergeSnapshots, normaliseSerial } from '../../../agent/normalise/merge.js';
import { DeviceSnapshot, type Fault, type Supply } from '../../../shared/snapshot.js';

const toner = (index: number, level: number | null, state: Supply['state']): Supply => ({
  index,
  name: `Toner ${index}`,
  kind: 'toner',
  color: 'black',
  levelPercent: level,
  state,
  raw: { level, max: 100, unit: 19, class: 3, type: 3 },
});

const snmp: DeviceSnapshot = {
  address: '10.1.2.3:161',
  protocols: ['snmp'],
  collectedAt: '2026-03-02T08:00:00.000Z',
  identity: { vendor: 'HP', model: 'HP LaserJet M404dn', serial: 'PHB1234567', sysName: 'NPI0A1B2C', mac: '00:11:22:33:44:55', firmware: '2409081_052614' },
  status: 'idle',
  faults: [
    { code: 'jam', severity: 'critical', source: 'hrErrorState', message: 'Paper jam', rawCode: 'jammed' },
    { code: 'toner.low', severity: 'warning', source: 'supply', message: 'Toner low: Toner 1 (8 %)', subunit: { group: 'markerSupplies', index: 1 } },
  ],
  supplies: [toner(1, 8, 'low'), toner(2, null, 'unknown')],
  inputs: [{ index: 1, name: 'Tray 1', media: 'A4', levelPercent: 50, state: 'ok' }],
  counters: { total: 1000 },
};

const ipp: DeviceSnapshot = {
  address: 'ipp://10.1.2.3:631/ipp/print',
  protocols: ['ipp'],
  collectedAt: '2026-03-02T08:00:02.000Z',
  identity: { vendor: 'HP', model: 'LaserJet M404dn', serial: '00phb1234567', uuid: 'ab6cc9f4-0000-1000-8000-001122334455', firmware: '20240908' },
  status: 'down',
  faults: [
    {
      code: 'jam',
      severity: 'critical',
      source: 'ippAlert',
      message: 'Paper jam: 13.A2.D2 jam in tray 2',
      subunit: { group: 'mediaPath', index: 2 },
      rawCode: 'jam',
    },
    { code: 'toner.low', severity: 'warning', source: 'supply', message: 'Toner low: Toner 1 (8 %)', subunit: { group: 'markerSupplies', index: 1 } },
    { code: 'door.open', severity: 'critical', source: 'ippStateReason', message: 'Door or cover open', rawCode: 'door-open-error' },
  ],
  supplies: [toner(1, 8, 'low'), toner(2, 40, 'ok')],
  inputs: [],
  counters: { total: 999, pages: 1200 },
};

describe('identityMatch', () => {
  it('matches on a serial number despite case and a "00" prefix', () => {
    expect(normaliseSerial(' 00phb-1234567 ')).toBe('PHB1234567');
    expect(identityMatch(snmp.identity, ipp.identity)).toEqual({ verdict: 'same', by: ['serial'] });
  });

  it('matches on UUID or MAC when there is no serial', () => {
    expect(identityMatch({ uuid: 'URN:UUID:AB' }, { uuid: 'ab' })).toEqual({ verdict: 'same', by: ['uuid'] });
    expect(identityMatch({ mac: '00:11:22:33:44:55' }, { mac: '00:11:22:33:44:55' })).toEqual({ verdict: 'same', by: ['mac'] });
  });

  it('says different when any identifier disagrees, unknown when none is shared', () => {
    expect(identityMatch({ serial: 'A1', mac: '00:11:22:33:44:55' }, { serial: 'A1', mac: '00:11:22:33:44:66' })).toMatchObject({ verdict: 'different' });
    expect(identityMatch({ serial: 'A1' }, { uuid: 'x' })).toEqual({ verdict: 'unknown' });
  });
});

describe('mergeSnapshots', () => {
  const merged = mergeSnapshots(snmp, ipp);

  it('produces one valid snapshot of both protocols', () => {
    expect(merged.ok).toBe(true);
    if (!merged.ok) return;
    expect(DeviceSnapshot.parse(merged.snapshot)).toEqual(merged.snapshot);
    expect(merged.snapshot).toMatchObject({ address: '10.1.2.3:161', protocols: ['snmp', 'ipp'], collectedAt: '2026-03-02T08:00:02.000Z', status: 'down' });
  });

  it('takes each identity field from the source that knows it better', () => {
    if (!merged.ok) throw new Error(merged.reason);
    expect(merged.snapshot.identity).toEqual({
      vendor: 'HP',
      model: 'LaserJet M404dn',
      serial: 'PHB1234567',
      sysName: 'NPI0A1B2C',
      mac: '00:11:22:33:44:55',
      uuid: 'ab6cc9f4-0000-1000-8000-001122334455',
      firmware: '20240908',
    });
  });

  it('keeps each condition once: the device-level jam folds into the located one, the duplicate toner fault is one', () => {
    if (!merged.ok) throw new Error(merged.reason);
    expect(merged.snapshot.faults.map((f) => [f.code, f.source, f.subunit?.index])).toEqual([
      ['toner.low', 'supply', 1],
      ['jam', 'ippAlert', 2],
      ['door.open', 'ippStateReason', undefined],
    ]);
  });

  it('fills a supply SNMP cannot measure from IPP, keeps SNMP inputs and the SNMP page count', () => {
    if (!merged.ok) throw new Error(merged.reason);
    expect(merged.snapshot.supplies.map((s) => [s.index, s.levelPercent, s.state])).toEqual([
      [1, 8, 'low'],
      [2, 40, 'ok'],
    ]);
    expect(merged.snapshot.inputs).toEqual(snmp.inputs);
    expect(merged.snapshot.counters).toEqual({ total: 1000, pages: 1200 });
  });

  it('refuses to merge different devices or devices with nothing in common, unless told they are one', () => {
    const other = mergeSnapshots(snmp, { ...ipp, identity: { serial: 'XYZ999' } });
    expect(other).toMatchObject({ ok: false, reason: expect.stringMatching(/different devices \(serial PHB1234567 ≠ XYZ999\)/) as unknown });
    const anon = { ...ipp, identity: { model: 'LaserJet' } };
    expect(mergeSnapshots(snmp, anon)).toMatchObject({ ok: false, reason: expect.stringMatching(/share no serial number, UUID or MAC/) as unknown });
    expect(mergeSnapshots(snmp, anon, { assumeSameDevice: true }).ok).toBe(true);
    expect(mergeSnapshots(ipp, snmp)).toMatchObject({ ok: false, reason: expect.stringMatching(/expected an SNMP and an IPP snapshot/) as unknown });
  });

  it('points IPP supply faults at the kept supply list: located when IPP gave the reading, device-level otherwise', () => {
    const stray: Fault = { code: 'toner.low', severity: 'warning', source: 'supply', message: 'Toner low', subunit: { group: 'markerSupplies', index: 3 } };
    const filled: Fault = {
      code: 'toner.low',
      severity: 'warning',
      source: 'supply',
      message: 'Toner low: Toner 2',
      subunit: { group: 'markerSupplies', index: 2 },
    };
    const r = mergeSnapshots(snmp, { ...ipp, supplies: [toner(1, 8, 'low'), toner(2, 5, 'low'), toner(3, 5, 'low')], faults: [stray, filled] });
    if (!r.ok) throw new Error(r.reason);
    // SNMP's own toner.low #1 and IPP's #2 (a reading IPP supplied) stay located; the stray #3 is
    // a device-level toner.low and folds into them.
    expect(r.snapshot.faults.filter((f) => f.source === 'supply').map((f) => f.subunit?.index)).toEqual([1, 2]);
    const alone = mergeSnapshots({ ...snmp, faults: [], supplies: [toner(1, 50, 'ok'), toner(2, 50, 'ok')] }, { ...ipp, faults: [stray] });
    expect(alone.ok && alone.snapshot.faults.map((f) => [f.code, f.subunit])).toEqual([['toner.low', { group: 'markerSupplies' }]]);
    expect(r.snapshot.supplies.map((s) => s.index)).toEqual([1, 2]);
  });

  it('lets a reachable protocol win over an unreachable one', () => {
    const r = mergeSnapshots({ ...snmp, status: 'unreachable' }, { ...ipp, status: 'idle' });
    expect(r.ok && r.snapshot.status).toBe('idle');
  });
});

describe('foldFaults', () => {
  const f = (code: Fault['code'], severity: Fault['severity'], index?: number, rawCode?: string): Fault => ({
    code,
    severity,
    source: index === undefined ? 'ippStateReason' : 'supply',
    message: code,
    ...(index !== undefined ? { subunit: { group: 'markerSupplies', index } } : {}),
    ...(rawCode ? { rawCode } : {}),
  });

  it('folds a generic marker-supply reason into the specific ink faults, keeping the worse severity', () => {
    expect(
      foldFaults([f('ink.low', 'warning', 1), f('ink.low', 'warning', 2), f('supply.low', 'critical')]).map((x) => [x.code, x.severity, x.subunit?.index]),
    ).toEqual([
      ['ink.low', 'critical', 1],
      ['ink.low', 'critical', 2],
    ]);
  });

  it('keeps a generic fault nothing specific covers, and two different unknown keywords apart', () => {
    expect(
      foldFaults([
        f('door.open', 'critical'),
        f('unclassified', 'warning', undefined, 'a'),
        f('unclassified', 'warning', undefined, 'b'),
        f('door.open', 'info'),
      ]),
    ).toHaveLength(3);
  });
});

describe('merging what the two real normalisers produce for one printer', () => {
  it('joins the HP M252dw recording with an IPP answer of the same printer', () => {
    const fromSnmp = normaliseSnmp(valuesFromSnmprec(readFileSync(resolve(CORPUS_DIR, 'snmprec/jetdirect_m252dw.snmprec'), 'utf8')), {
      address: '192.0.2.10:161',
      collectedAt: '2026-03-02T08:00:00.000Z',
    });
    const str = (value: string): IppValue => ({ kind: 'string', tag: 0x41, value });
    const int = (value: number): IppValue => ({ kind: 'integer', tag: 0x21, value });
    const attributes = new Map<string, IppAttribute>(
      Object.entries({
        'printer-state': [int(5)],
        'printer-state-reasons': [str('media-jam-error'), str('toner-low-warning')],
        'printer-uuid': [str('urn:uuid:564e4233-4a39-3939-3939-3ca82af638ac')],
        'printer-make-and-model': [str('HP Color LaserJet Pro M252dw')],
        'printer-device-id': [str('MFG:HP;MDL:HP Color LaserJet Pro M252dw;SN:VNB3J99999;')],
        'printer-firmware-string-version': [str('20200612')],
        'marker-names': [str('Black Cartridge HP 201X'), str('Cyan Cartridge HP 201X'), str('Magenta Cartridge HP 201X'), str('Yellow Cartridge HP 201X')],
        'marker-types': [str('toner-cartridge'), str('toner-cartridge'), str('toner-cartridge'), str('toner-cartridge')],
        'marker-levels': [int(63), int(63), int(88), int(8)],
      }).map(([name, values]) => [name, { name, values }]),
    );
    const fromIpp = normaliseIpp({ address: 'ipp://192.0.2.10:631/ipp/print', collectedAt: '2026-03-02T08:00:01.000Z', attributes }).snapshot;
    const r = mergeSnapshots(fromSnmp, fromIpp);
    if (!r.ok) throw new Error(r.reason);
    expect(r.match).toEqual({ verdict: 'same', by: ['serial'] });
    expect(DeviceSnapshot.parse(r.snapshot)).toEqual(r.snapshot);
    expect(r.snapshot.identity).toMatchObject({
      serial: 'VNB3J99999',
      mac: '3c:a8:2a:f6:38:ac',
      uuid: '564e4233-4a39-3939-3939-3ca82af638ac',
      firmware: '20200612',
    });
    expect(r.snapshot.status).toBe('down');
    // The SNMP recording is the supply list (yellow 36 %); IPP's lower yellow reading is not a
    // second list, but the toner-low it reported stays, on the same cartridge of the kept list
    // (same kind and colour): a technician sees which cartridge, and it is one fault with SNMP's.
    expect(r.snapshot.supplies.map((x) => x.levelPercent)).toEqual(fromSnmp.supplies.map((x) => x.levelPercent));
    expect(r.snapshot.faults.map((f) => [f.code, f.source])).toEqual([
      ['toner.low', 'supply'],
      ['jam', 'ippStateReason'],
    ]);
    expect(r.snapshot.faults[0]?.subunit).toEqual({ group: 'markerSupplies', index: 4, name: 'Yellow Cartridge HP CF402X' });
  });
});
