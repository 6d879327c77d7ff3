/** IPP page counters: printer-impressions-completed(-col), printer-media-sheets-completed(-col), bad values flagged. */
import { describe, expect, it } from 'vitest';
import type { IppAttribute, IppValue } from '../../../agent/collect/ipp/ippMessage.js';
import { normaliseIpp } from '../../../agent/normalise/ipp/ippPrinter.js';
import { normaliseSnmp } from '../../../agent/normalise/snmpSnapshot.js';
import { mergeSnapshots } from '../../../agent/normalise/merge.js';
import { OID } from '../../../mibs/oids.generated.js';
import { valuesFromSnmprec } from '../../harness/snmprecValues.js';

const int = (value: number): IppValue => ({ kind: 'integer', tag: 0x21, value });
const text = (value: string): IppValue => ({ kind: 'string', tag: 0x41, value });
const col = (members: Record<string, IppValue>): IppValue => ({
  kind: 'collection',
  tag: 0x34,
  members: Object.entries(members).map(([name, v]) => ({ name, values: [v] })),
});
const attrs = (a: Record<string, IppValue>) => new Map<string, IppAttribute>(Object.entries(a).map(([name, v]) => [name, { name, values: [v] }]));
const ipp = (a: Record<string, IppValue>) =>
  normaliseIpp({
    address: 'ipp://127.0.0.1:631/ipp/print',
    collectedAt: '2026-11-30T23:30:00Z',
    attributes: attrs({ 'printer-state': { kind: 'integer', tag: 0x23, value: 3 }, ...a }),
  }).snapshot;

describe('IPP counters', () => {
  it('impressions and media sheets, with their colour and two-sided members', () => {
    const s = ipp({
      'printer-impressions-completed': int(1000),
      'printer-impressions-completed-col': col({ monochrome: int(700), 'full-color': int(300), 'monochrome-two-sided': int(120), blank: int(4) }),
      'printer-media-sheets-completed': int(880),
      'printer-media-sheets-completed-col': col({ monochrome: int(600), 'full-color': int(280), 'monochrome-two-sided': int(60) }),
    });
    expect(s.counters).toEqual({ total: 1000, mono: 700, color: 300, 'mono.duplex': 120, sheets: 880, 'sheets.mono': 600, 'sheets.color': 280 });
    expect(s.counterProvenance?.origins['mono.duplex']).toEqual({ source: 'printer-impressions-completed-col.monochrome-two-sided', confidence: 'exact' });
  });

  it('the colour split the collection lacks is derived from the total', () => {
    const s = ipp({ 'printer-impressions-completed': int(1000), 'printer-impressions-completed-col': col({ 'full-color': int(250) }) });
    expect(s.counters).toEqual({ total: 1000, color: 250, mono: 750 });
    expect(s.counterProvenance?.origins.mono).toEqual({ source: 'derived:total-color', confidence: 'derived' });
  });

  it('a negative or textual counter is flagged and left out', () => {
    const s = ipp({ 'printer-impressions-completed': int(-5), 'printer-media-sheets-completed': text('12') });
    expect(s.counters).toEqual({});
    expect(s.counterProvenance?.problems).toEqual([
      { source: 'printer-impressions-completed', problem: 'negative', raw: '-5' },
      { source: 'printer-media-sheets-completed', problem: 'notANumber', raw: '12' },
    ]);
  });

  it('SNMP and IPP views of one device: the exact reading beats the derived one', () => {
    const snmp = normaliseSnmp(
      valuesFromSnmprec(`${OID.sysObjectID}.0|6|1.3.6.1.4.1.64000.1
${OID.hrDeviceType}.1|6|${OID.hrDevicePrinter}
${OID.prtGeneralSerialNumber}.1|4|SER1
${OID.prtMarkerLifeCount}.1.1|65|1000
${OID.prtMarkerSuppliesType}.1.1|2|3
${OID.prtMarkerSuppliesColorantIndex}.1.1|2|1
${OID.prtMarkerColorantValue}.1.1|4|black
${OID.prtMarkerSuppliesDescription}.1.1|4|Black Toner`),
      { address: '127.0.0.1:161', collectedAt: '2026-11-30T23:30:00Z' },
    );
    expect(snmp.counterProvenance?.origins.mono?.confidence).toBe('derived');
    const ippView = {
      ...ipp({ 'printer-impressions-completed': int(1000), 'printer-impressions-completed-col': col({ monochrome: int(990) }) }),
      identity: { serial: 'SER1' },
    };
    const merged = mergeSnapshots(snmp, ippView);
    expect(merged.ok).toBe(true);
    if (!merged.ok) return;
    expect(merged.snapshot.counters.mono).toBe(990);
    expect(merged.snapshot.counterProvenance?.origins.mono).toEqual({ source: 'printer-impressions-completed-col.monochrome', confidence: 'exact' });
    expect(merged.snapshot.counterProvenance?.origins.total).toEqual({ source: 'prtMarkerLifeCount.1.1', confidence: 'exact' });
  });
});
