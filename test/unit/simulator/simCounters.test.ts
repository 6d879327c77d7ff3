/**
 * The simulator's counters as the agent reads them: every built-in model against the hand-written
 * test/golden/simulator/counters.json (SNMP) and ipp-counters.json (IPP, through the wire encoder
 * and the agent's decoder), at start and after printing (vendor tables and IPP counters advance).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SnmpValue as RawValue } from '../../../agent/collect/snmp/raw.js';
import { decodeIppResponse, printerAttributes } from '../../../agent/collect/ipp/ippMessage.js';
import { normaliseIpp } from '../../../agent/normalise/ipp/ippPrinter.js';
import { normaliseSnmp } from '../../../agent/normalise/snmpSnapshot.js';
import type { SnmpValue as BerValue } from '../../../agent/simulator/ber.js';
import { activeFaults } from '../../../agent/simulator/deviceFaults.js';
import { indexFaults } from '../../../agent/simulator/faultHistory.js';
import { renderIppAttributes } from '../../../agent/simulator/ippView.js';
import { serializeIppResponse } from '../../../agent/simulator/ippWire.js';
import { applyScenario, BUILT_IN_SCENARIOS, parseScenario } from '../../../agent/simulator/scenario.js';
import { renderSnmpRows } from '../../../agent/simulator/snmpView.js';
import { instantiateModel, MODELS } from '../../../agent/simulator/syntheticModels.js';
import type { DeviceState } from '../../../agent/simulator/deviceModel.js';
import { REPO_ROOT } from '../../harness/repo.js';

type Golden = { models: Record<string, { start: Record<string, number>; after3min: Record<string, number> }> };
const readGolden = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'golden', 'simulator', file), 'utf8')) as Golden;
const golden = readGolden('counters.json');
const ippGolden = readGolden('ipp-counters.json');

function raw(v: BerValue): RawValue {
  switch (v.type) {
    case 'Integer':
      return { type: 'integer', value: v.value };
    case 'Counter32':
      return { type: 'counter32', value: v.value };
    case 'Gauge32':
      return { type: 'gauge32', value: v.value };
    case 'TimeTicks':
      return { type: 'timeticks', value: v.value };
    case 'Counter64':
      return { type: 'counter64', value: v.value.toString() };
    case 'OctetString':
      return { type: 'octets', hex: v.value.toString('hex') };
    case 'Opaque':
      return { type: 'opaque', hex: v.value.toString('hex') };
    case 'OID':
      return { type: 'oid', value: v.value };
    case 'IpAddress':
      return { type: 'ipAddress', value: v.value };
    case 'Null':
      return { type: 'null' };
  }
}

function snapshotOf(state: DeviceState) {
  const rows = renderSnmpRows(state, indexFaults(activeFaults(state)), { uptimeAtStart: 1000, elapsedMs: () => 0, alertEvents: { all: 0, critical: 0 } });
  const values = Object.fromEntries(rows.map(([oid, v]) => [oid, raw(v)]));
  return normaliseSnmp(values, { address: '127.0.0.1:1161', collectedAt: '2026-11-30T23:30:00Z' });
}

const countersOf = (state: DeviceState): Record<string, number> => snapshotOf(state).counters;

/** Get-Printer-Attributes as the simulator sends it, decoded and normalised by the agent's code. */
function ippCountersOf(state: DeviceState): Record<string, number> {
  const attrs = renderIppAttributes(state, indexFaults(activeFaults(state)), {
    printerUri: `ipp://127.0.0.1:8631/ipp/print/${state.id}`,
    upTimeSeconds: 10,
    uptimeAtStart: 1000,
  });
  const wire = serializeIppResponse({ statusCode: 'successful-ok', requestId: 1, printerAttributes: attrs }, () => undefined);
  const { attributes } = printerAttributes(decodeIppResponse(wire));
  return normaliseIpp({ address: `ipp://127.0.0.1:8631/ipp/print/${state.id}`, collectedAt: '2026-11-30T23:30:00Z', attributes }).snapshot.counters;
}

describe('simulated models: counters the agent reads (golden, by hand)', () => {
  it('every built-in model has a golden entry', () => {
    expect(Object.keys(golden.models).sort()).toEqual(MODELS.map((m) => m.name).sort());
    expect(Object.keys(ippGolden.models).sort()).toEqual(MODELS.map((m) => m.name).sort());
  });
  const drain = parseScenario(BUILT_IN_SCENARIOS['toner-drain'], 'toner-drain');
  for (const model of MODELS) {
    it(`${model.name}: at start and after three minutes of printing`, () => {
      const base = instantiateModel(model, 'dev-0001', 0);
      expect(countersOf(base)).toEqual(golden.models[model.name]?.start);
      const later = applyScenario(base, drain, { id: base.id, ordinal: 0, model: base.model }, 180_000);
      expect(countersOf(later)).toEqual(golden.models[model.name]?.after3min);
    });
  }
  for (const model of MODELS) {
    it(`${model.name}: IPP impressions and media sheets at start and after three minutes of printing`, () => {
      const base = instantiateModel(model, 'dev-0001', 0);
      expect(ippCountersOf(base)).toEqual(ippGolden.models[model.name]?.start);
      const later = applyScenario(base, drain, { id: base.id, ordinal: 0, model: base.model }, 180_000);
      expect(ippCountersOf(later)).toEqual(ippGolden.models[model.name]?.after3min);
    });
    it(`${model.name}: SNMP and IPP agree on every counter both report, for any device of the model`, () => {
      for (const ordinal of [0, 1, 7]) {
        const state = instantiateModel(model, `dev-${ordinal}`, ordinal);
        const snmp = countersOf(state);
        const ipp = ippCountersOf(state);
        const shared = Object.keys(snmp).filter((k) => k in ipp);
        expect(shared).toContain('total');
        for (const key of shared) expect(ipp[key], `${model.name} #${ordinal} ${key}`).toBe(snmp[key]);
      }
    });
  }
});

describe('simulated models: the firmware version the agent reads over SNMP', () => {
  // By hand from syntheticModels.ts: served where the vendor has a firmware object (HP and Epson report it over IPP only).
  const expected: Record<string, string | undefined> = {
    'hp-color-laser': undefined,
    'kyocera-mono-mfp': '2S0_2F00.005.002',
    'ricoh-mfp': '1.03',
    'epson-inkjet': undefined,
    'canon-inkjet': '1.030',
    'brother-laser': '1.15',
    'konica-mfp': 'GC2-20',
  };
  it('every built-in model', () => {
    expect(Object.keys(expected).sort()).toEqual(MODELS.map((m) => m.name).sort());
    for (const model of MODELS) expect(snapshotOf(instantiateModel(model, 'dev-0001', 0)).identity.firmware, model.name).toBe(expected[model.name]);
  });
});
