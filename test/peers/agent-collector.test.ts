/**
 * The runtime's ProtocolCollector against the project simulator: SNMP, IPP, both merged, and
 * one side failing. Also the cheap-poll safeguard: a jam that clears is seen even though the
 * alert counters do not move when an alert is removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConfig } from '../../agent/agentConfig.js';
import { ProtocolCollector } from '../../agent/runtime/protocolCollector.js';
import { parseTarget } from '../../agent/runtime/targets.js';
import { startSimulator, type RunningSimulator } from '../../agent/simulator/simulator.js';
import { systemClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/logging.js';

let sim: RunningSimulator;
const config = AgentConfig.parse({
  tenant: 't',
  agentId: 'a',
  broker: { url: 'mqtt://127.0.0.1:1' },
  snmp: { timeout: '300ms', retries: 0 },
  ipp: { timeout: '2s' },
});
const signal = () => new AbortController().signal;

beforeAll(async () => {
  sim = await startSimulator({
    devices: 1,
    scenario: { name: 'jam-later', events: [{ action: 'raise', condition: 'jammed', at: '3s', until: '6s' }] },
    logger: createLogger({ name: 'sim', level: 'silent', format: 'json' }),
  });
});
afterAll(async () => {
  await sim.stop();
});

describe('ProtocolCollector', () => {
  it('merges SNMP and IPP for a target that has both, and falls back to the side that answers', async () => {
    const d = sim.devices[0]!;
    const c = new ProtocolCollector(config, systemClock);
    try {
      const snmpAddress = `snmp://${d.community}@127.0.0.1:${sim.snmpPort}`;
      const both = await c.collect(parseTarget({ address: snmpAddress, ipp: d.ippUrl! }), signal());
      expect(both.ok && [...both.snapshot.protocols].sort()).toEqual(['ipp', 'snmp']);
      const ippDown = await c.collect(parseTarget({ address: snmpAddress, ipp: `ipp://127.0.0.1:${sim.ippPort}/ipp/print/nobody`, id: 'x1' }), signal());
      expect(ippDown.ok && ippDown.snapshot.protocols).toEqual(['snmp']);
      const snmpDown = await c.collect(parseTarget({ address: `snmp://wrong@127.0.0.1:${sim.snmpPort}`, ipp: d.ippUrl!, id: 'x2' }), signal());
      expect(snmpDown.ok && snmpDown.snapshot.protocols).toEqual(['ipp']);
      const none = await c.collect(
        parseTarget({ address: `snmp://wrong@127.0.0.1:${sim.snmpPort}`, ipp: `ipp://127.0.0.1:${sim.ippPort}/ipp/print/nobody`, id: 'x3' }),
        signal(),
      );
      expect(none.ok).toBe(false);
      expect(!none.ok && none.error).toMatch(/^SNMP: .+; IPP: .+/);
    } finally {
      c.close();
    }
  });

  it('sees a cleared jam on the next poll even though the alert counters did not change', async () => {
    const d = sim.devices[0]!;
    const c = new ProtocolCollector(config, systemClock);
    const target = parseTarget({ address: `snmp://${d.community}@127.0.0.1:${sim.snmpPort}` });
    const jammed = () => sim.deviceState(d.id)!.faults.length > 0;
    const faultsNow = async () => {
      const r = await c.collect(target, signal());
      if (!r.ok) throw new Error(r.error);
      return r.snapshot.faults.filter((f) => f.code === 'jam').length;
    };
    try {
      const deadline = Date.now() + 15_000;
      while (!jammed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await faultsNow()).toBeGreaterThan(0);
      while (jammed() && Date.now() < deadline) {
        await faultsNow(); // keeps the cached alert table warm while the jam lasts
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(jammed()).toBe(false);
      expect(await faultsNow()).toBe(0);
    } finally {
      c.close();
    }
  });
});
