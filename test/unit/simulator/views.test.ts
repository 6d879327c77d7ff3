import { describe, expect, it } from 'vitest';
import { ENUMS, HR_PRINTER_ERROR_BITS, OID } from '../../../mibs/oids.generated.js';
import type { DeviceState } from '../../../agent/simulator/deviceModel.js';
import { activeFaults, CONDITION_FAULTS, supplyCondition } from '../../../agent/simulator/deviceFaults.js';
import { EMPTY_HISTORY, indexFaults, trackFaults } from '../../../agent/simulator/faultHistory.js';
import { renderIppAttributes } from '../../../agent/simulator/ippView.js';
import { buildMibTable } from '../../../agent/simulator/mibTable.js';
import { applyScenario, parseScenario } from '../../../agent/simulator/scenario.js';
import { errorStateOctets, renderSnmpRows } from '../../../agent/simulator/snmpView.js';
import { findModel, instantiateModel, MODELS } from '../../../agent/simulator/syntheticModels.js';

const ctx = { uptimeAtStart: 1000, elapsedMs: () => 0, alertEvents: { all: 0, critical: 0 } };

function views(state: DeviceState) {
  const faults = indexFaults(activeFaults(state));
  const table = buildMibTable(renderSnmpRows(state, faults, ctx));
  const snmp = new Map(table.entries.map((e) => [e.dotted, e.value]));
  const ipp = renderIppAttributes(state, faults, { printerUri: `ipp://127.0.0.1:8631/ipp/print/${state.id}`, upTimeSeconds: 10, uptimeAtStart: 1000 });
  return { faults, snmp, ipp };
}

function intAt(snmp: Map<string, unknown>, oid: string): number {
  const v = snmp.get(oid) as { type: string; value: number } | undefined;
  if (v?.type !== 'Integer') throw new Error(`${oid} is not an Integer: ${JSON.stringify(v)}`);
  return v.value;
}

function bitsAt(snmp: Map<string, unknown>): string[] {
  const v = snmp.get(`${OID.hrPrinterDetectedErrorState}.1`) as { value: Buffer };
  return HR_PRINTER_ERROR_BITS.filter((_, bit) => ((v.value[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0);
}

/** Both views must tell the same story: status, faults, supply levels. */
function expectConsistent(state: DeviceState): void {
  const { faults, snmp, ipp } = views(state);
  const down = faults.some((f) => f.severity === 'critical');
  expect(intAt(snmp, `${OID.hrDeviceStatus}.1`) === ENUMS.hrDeviceStatus.down, `${state.id} down`).toBe(down);
  expect(ipp['printer-state'] === 'stopped').toBe(down);
  const reasons = ipp['printer-state-reasons'] as string[];
  expect(new Set(reasons)).toEqual(new Set(faults.length ? faults.map((f) => f.ippReason) : ['none']));
  // Every error bit set over SNMP has its IPP keyword.
  for (const bit of bitsAt(snmp)) {
    expect(
      faults.some((f) => f.bit === bit && reasons.includes(f.ippReason)),
      `${state.id}: bit ${bit} has no IPP reason`,
    ).toBe(true);
  }
  // One alert row per IPP printer-alert, same codes.
  const alertCodes = faults.map((f) => intAt(snmp, `${OID.prtAlertCode}.1.${f.alertIndex}`));
  expect(alertCodes).toEqual(faults.map((f) => (ENUMS.PrtAlertCodeTC as Record<string, number>)[f.alertCode]));
  expect(((ipp['printer-alert'] as string[] | undefined) ?? []).map((a) => a.split(';')[0])).toEqual(faults.map((f) => `code=${f.alertCode}`));
  // Supplies: printer-supply mirrors prtMarkerSuppliesLevel; marker-levels are the percentages.
  const supplyValues = (ipp['printer-supply'] as string[]) ?? [];
  state.supplies.forEach((s, i) => {
    const level = intAt(snmp, `${OID.prtMarkerSuppliesLevel}.1.${s.index}`);
    expect(supplyValues[i]).toContain(`;level=${level};`);
    const marker = (ipp['marker-levels'] as number[])[i]!;
    if (level >= 0 && s.max > 0) {
      const pct = Math.round((level / s.max) * 100);
      expect(marker).toBe(s.receptacle ? 100 - pct : pct);
    } else if (level === -100) {
      expect(marker).toBe(0); // Ricoh's "empty" becomes a real 0 % in IPP
    } else {
      expect(marker).toBeLessThan(0);
    }
  });
}

const scenarios = {
  jam: parseScenario({ name: 'j', events: [{ action: 'raise', condition: 'jammed' }] }, 't'),
  door: parseScenario(
    {
      name: 'd',
      events: [
        { action: 'raise', condition: 'doorOpen' },
        { action: 'raise', condition: 'lowPaper' },
      ],
    },
    't',
  ),
  low: parseScenario({ name: 'l', events: [{ action: 'setLevel', supply: { index: 1 }, percent: 8 }] }, 't'),
  empty: parseScenario(
    {
      name: 'e',
      events: [
        { action: 'setLevel', supply: { index: 1 }, percent: 0 },
        { action: 'setLevel', supply: { family: 'waste' }, percent: 100 },
      ],
    },
    't',
  ),
  head: parseScenario(
    {
      name: 'h',
      events: [
        { action: 'raise', condition: 'printheadFault' },
        { action: 'setLevel', supply: { family: 'waste' }, percent: 93 },
      ],
    },
    't',
  ),
};

describe('SNMP and IPP views of built-in models', () => {
  for (const spec of MODELS) {
    it(`${spec.name}: consistent in every scenario state`, () => {
      const base = instantiateModel(spec, `dev-${spec.name}`, 2);
      expectConsistent(base);
      for (const s of Object.values(scenarios)) expectConsistent(applyScenario(base, s, { id: base.id, ordinal: 2, model: base.model }, 1000));
    });
  }

  it('a healthy device has no faults, running status, idle printer-state and zero error octets', () => {
    const { faults, snmp, ipp } = views(instantiateModel(findModel('hp-color-laser')!, 'dev-0001', 0));
    expect(faults).toEqual([]);
    expect(intAt(snmp, `${OID.hrDeviceStatus}.1`)).toBe(ENUMS.hrDeviceStatus.running);
    expect(snmp.get(`${OID.hrPrinterDetectedErrorState}.1`)).toEqual({ type: 'OctetString', value: Buffer.from([0, 0]) });
    expect(ipp['printer-state-reasons']).toEqual(['none']);
    expect(ipp['printer-alert']).toBeUndefined();
  });

  it('toner at 8 % raises lowToner + markerTonerAlmostEmpty + toner-low-warning; at 0 % noToner and stops', () => {
    const hp = instantiateModel(findModel('hp-color-laser')!, 'dev-0001', 0);
    const low = views(applyScenario(hp, scenarios.low, { id: hp.id, ordinal: 0, model: hp.model }, 0));
    expect(bitsAt(low.snmp)).toEqual(['lowToner']);
    expect(low.faults.map((f) => [f.alertCode, f.alertGroupIndex, f.ippReason])).toEqual([['markerTonerAlmostEmpty', 1, 'toner-low-warning']]);
    expect(intAt(low.snmp, `${OID.hrDeviceStatus}.1`)).toBe(ENUMS.hrDeviceStatus.warning);
    const empty = views(applyScenario(hp, scenarios.empty, { id: hp.id, ordinal: 0, model: hp.model }, 0));
    expect(bitsAt(empty.snmp)).toEqual(['noToner']);
    expect(empty.ipp['printer-state']).toBe('stopped');
  });

  it('Ricoh reports toner as -3 and an empty one as -100 over SNMP; IPP shows -3 and 0', () => {
    const ricoh = instantiateModel(findModel('ricoh-mfp')!, 'dev-0003', 2);
    const normal = views(ricoh);
    expect(intAt(normal.snmp, `${OID.prtMarkerSuppliesLevel}.1.1`)).toBe(-3);
    expect((normal.ipp['marker-levels'] as number[])[0]).toBe(-3);
    // The waste container keeps its real level.
    expect(intAt(normal.snmp, `${OID.prtMarkerSuppliesLevel}.1.2`)).toBe(100);
    const empty = views(applyScenario(ricoh, scenarios.empty, { id: ricoh.id, ordinal: 2, model: ricoh.model }, 0));
    expect(intAt(empty.snmp, `${OID.prtMarkerSuppliesLevel}.1.1`)).toBe(-100);
    expect((empty.ipp['marker-levels'] as number[])[0]).toBe(0);
    expect(bitsAt(empty.snmp)).toContain('noToner');
  });

  it('Brother reports its toner as -3 of -2 and never raises a level fault for it', () => {
    const brother = views(instantiateModel(findModel('brother-laser')!, 'dev-0006', 5));
    expect([intAt(brother.snmp, `${OID.prtMarkerSuppliesLevel}.1.1`), intAt(brother.snmp, `${OID.prtMarkerSuppliesMaxCapacity}.1.1`)]).toEqual([-3, -2]);
    expect(brother.faults).toEqual([]);
  });

  it('inkjets: print-head fault is a marker-group unrecoverable failure; a waste box at 93 % is almost full', () => {
    const epson = instantiateModel(findModel('epson-inkjet')!, 'dev-0004', 3);
    const v = views(applyScenario(epson, scenarios.head, { id: epson.id, ordinal: 3, model: epson.model }, 0));
    expect(v.faults.map((f) => [f.alertGroup, f.alertCode, f.ippReason])).toEqual([
      ['marker', 'subunitUnrecoverableFailure', 'subunit-unrecoverable-failure-error'],
      ['markerSupplies', 'markerWasteInkReceptacleAlmostFull', 'marker-waste-almost-full-warning'],
    ]);
    expect(v.ipp['printer-alert-description']).toEqual(['Print head failure', 'Maintenance Box almost full']);
    expect(v.ipp['marker-types']).toEqual(['ink-cartridge', 'ink-cartridge', 'ink-cartridge', 'ink-cartridge', 'waste-ink', 'other']);
  });

  it('open door shows in the cover table and the error state together', () => {
    const hp = instantiateModel(findModel('hp-color-laser')!, 'dev-0001', 0);
    const v = views(applyScenario(hp, scenarios.door, { id: hp.id, ordinal: 0, model: hp.model }, 0));
    expect(bitsAt(v.snmp)).toEqual(['lowPaper', 'doorOpen']);
    expect(intAt(v.snmp, '1.3.6.1.2.1.43.6.1.1.3.1.1')).toBe(ENUMS.PrtCoverStatusTC.coverOpen);
  });

  it('every condition has an existing alert code and group, and a suffixed IPP keyword', () => {
    for (const [name, t] of Object.entries(CONDITION_FAULTS)) {
      expect((ENUMS.PrtAlertCodeTC as Record<string, number>)[t.alertCode], name).toBeGreaterThan(0);
      expect(ENUMS.PrtAlertGroupTC[t.alertGroup], name).toBeGreaterThan(0);
      expect(t.ippReason, name).toMatch(/-(error|warning|report)$/);
    }
  });
});

describe('supply conditions and fault history', () => {
  it('classifies levels against max, special values never low', () => {
    const s = { index: 1, description: 'x', class: 3, type: 21, unit: 19, color: null, family: 'toner' as const, receptacle: false };
    expect(supplyCondition({ ...s, max: 100, level: 11 })).toBe('ok');
    expect(supplyCondition({ ...s, max: 100, level: 10 })).toBe('low');
    expect(supplyCondition({ ...s, max: 100, level: 0 })).toBe('empty');
    expect(supplyCondition({ ...s, max: -2, level: -3 })).toBe('ok');
    expect(supplyCondition({ ...s, max: 6000, level: 500 })).toBe('low');
  });

  it('keeps alert indexes stable, counts events, and gives a returning fault a new index', () => {
    const hp = instantiateModel(findModel('hp-color-laser')!, 'dev-0001', 0);
    const at = (conds: [string, number][]) => activeFaults({ ...hp, conditions: new Map(conds) as DeviceState['conditions'] });
    let h = trackFaults(EMPTY_HISTORY, at([['jammed', 5]]), 5);
    expect(h.faults.map((f) => [f.key, f.alertIndex])).toEqual([['condition:jammed', 1]]);
    h = trackFaults(
      h.history,
      at([
        ['jammed', 5],
        ['doorOpen', 9],
      ]),
      9,
    );
    expect(h.faults.map((f) => f.alertIndex)).toEqual([1, 2]);
    h = trackFaults(h.history, at([['doorOpen', 9]]), 12);
    h = trackFaults(
      h.history,
      at([
        ['doorOpen', 9],
        ['jammed', 20],
      ]),
      20,
    );
    expect(h.faults.map((f) => [f.key, f.alertIndex])).toEqual([
      ['condition:doorOpen', 2],
      ['condition:jammed', 3],
    ]);
    expect([h.history.allEvents, h.history.criticalEvents]).toEqual([3, 3]);
  });

  it('encodes error octets MSB first with a minimum length', () => {
    expect([...errorStateOctets(new Set(['jammed']), 2)]).toEqual([0x04, 0x00]);
    expect([...errorStateOctets(new Set(['overduePreventMaint']), 0)]).toEqual([0x00, 0x02]);
    expect([...errorStateOctets(new Set(), 0)]).toEqual([]);
  });
});
