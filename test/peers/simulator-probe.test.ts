/**
 * The simulator's two protocol views, read back by the agent's own probe (`fleetdesk probe`'s
 * code path): for every built-in model, the SNMP snapshot and the IPP snapshot of the same device
 * must agree on status, faults, supplies and page counters, with a jam and a low cartridge raised
 * by a scenario.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probe } from '../../bin/commands/probe.js';
import { startSimulator, type RunningSimulator } from '../../agent/simulator/simulator.js';
import { MODELS } from '../../agent/simulator/syntheticModels.js';
import { createLogger } from '../../shared/logging.js';
import { ENUMS } from '../../mibs/oids.generated.js';
import type { DeviceSnapshot } from '../../shared/snapshot.js';
import { LOOPBACK } from '../harness/peers.js';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({
    devices: MODELS.length,
    scenario: {
      name: 'probe',
      events: [
        { action: 'raise', condition: 'jammed' },
        { action: 'setLevel', supply: { index: 1 }, percent: 7 },
      ],
    },
    logger: createLogger({ name: 'sim-probe', level: 'silent', format: 'json' }),
  });
});
afterAll(async () => {
  await sim?.stop();
});

function summary(s: DeviceSnapshot) {
  return {
    status: s.status,
    faults: s.faults.map((f) => f.code).sort(),
    supplies: s.supplies.map((x) => [x.kind, x.levelPercent, x.state]),
  };
}

it('SNMP and IPP snapshots of each simulated model agree', async () => {
  for (const d of sim.devices) {
    const overSnmp = await probe(`snmp://${d.community}@${LOOPBACK}:${d.snmpPort}?version=2c`, { timeoutMs: 3000, retries: 1 });
    const overIpp = await probe(d.ippUrl!, { timeoutMs: 3000, retries: 1 });
    expect(summary(overIpp), `${d.id} (${d.model})`).toEqual(summary(overSnmp));
    expect(overSnmp.status, d.id).toBe('down');
    expect(
      overSnmp.faults.map((f) => f.code),
      d.id,
    ).toContain('jam');
    expect(overSnmp.identity.serial, d.id).toBe(overIpp.identity.serial);
  }
});

it('SNMP and IPP page counters of each simulated model agree', async () => {
  for (const d of sim.devices) {
    const overSnmp = await probe(`snmp://${d.community}@${LOOPBACK}:${d.snmpPort}?version=2c`, { timeoutMs: 3000, retries: 1 });
    const overIpp = await probe(d.ippUrl!, { timeoutMs: 3000, retries: 1 });
    const both = Object.keys(overSnmp.counters).filter((k) => k in overIpp.counters);
    expect(both, d.id).toContain('total');
    expect(overIpp.counterProvenance?.origins.total?.source, d.id).toBe('printer-impressions-completed');
    for (const key of both) expect(overIpp.counters[key], `${d.id} ${key}`).toBe(overSnmp.counters[key]);
    // IPP adds what SNMP has no standard object for: sheets, and the colour split on vendors without a table.
    expect(overIpp.counters.sheets, d.id).toBeLessThanOrEqual(overIpp.counters.total!);
  }
});

it('a print-head fault on the inkjet models reads as printhead.fault over both protocols', async () => {
  const inkTypes: number[] = [ENUMS.PrtMarkerSuppliesTypeTC.ink, ENUMS.PrtMarkerSuppliesTypeTC.inkCartridge];
  const inkjets = MODELS.filter((m) => m.supplies.some((s) => inkTypes.includes(s.type)));
  expect(inkjets.length).toBeGreaterThan(0);
  const heads = await startSimulator({
    models: inkjets.map((m) => m.name),
    devices: inkjets.length,
    scenario: { name: 'head', events: [{ action: 'raise', condition: 'printheadFault' }] },
    logger: createLogger({ name: 'sim-head', level: 'silent', format: 'json' }),
  });
  try {
    for (const d of heads.devices) {
      const overSnmp = await probe(`snmp://${d.community}@${LOOPBACK}:${d.snmpPort}?version=2c`, { timeoutMs: 3000, retries: 1 });
      const overIpp = await probe(d.ippUrl!, { timeoutMs: 3000, retries: 1 });
      expect(
        overSnmp.faults.map((f) => f.code),
        `${d.id} over SNMP`,
      ).toContain('printhead.fault');
      expect(
        overIpp.faults.map((f) => f.code),
        `${d.id} over IPP`,
      ).toContain('printhead.fault');
      expect(
        overSnmp.faults.map((f) => f.code),
        `${d.id} over SNMP`,
      ).not.toContain('hardware.fault');
    }
  } finally {
    await heads.stop();
  }
});
