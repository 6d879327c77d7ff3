/**
 * The runtime's SNMP side (ProtocolCollector over collectSnmp) against a scripted agent on
 * loopback UDP, poll after poll: one session (socket) per device, every column in one GETBULK once
 * the device's shape is known, and an alert removed without the alert counters moving is seen at
 * the next poll (the counters count alerts added only).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfig } from '../../agent/agentConfig.js';
import { compareOids } from '../../agent/collect/snmp/raw.js';
import { ProtocolCollector } from '../../agent/runtime/protocolCollector.js';
import { parseTarget } from '../../agent/runtime/targets.js';
import { OID } from '../../mibs/oids.generated.js';
import { systemClock } from '../../shared/clock.js';
import { startBerAgent, type BerAgent, type BerValue, type BerVarbind, type SnmpRequest } from '../harness/berAgent.js';

let agent: BerAgent | null = null;
let collector: ProtocolCollector | null = null;
afterEach(async () => {
  collector?.close();
  collector = null;
  await agent?.close();
  agent = null;
});

const JAMMED: Record<string, BerValue> = {
  [`${OID.sysDescr}.0`]: { type: 'octets', value: 'Scripted Printer' },
  [`${OID.sysObjectID}.0`]: { type: 'oid', value: '1.3.6.1.4.1.64000.1' },
  [`${OID.hrDeviceType}.1`]: { type: 'oid', value: OID.hrDevicePrinter },
  [`${OID.hrDeviceStatus}.1`]: { type: 'integer', value: 2 },
  [`${OID.hrPrinterStatus}.1`]: { type: 'integer', value: 3 },
  [`${OID.hrPrinterDetectedErrorState}.1`]: { type: 'octets', value: Buffer.from([0x00]) },
  [`${OID.prtGeneralSerialNumber}.1`]: { type: 'octets', value: 'SCRIPT-1' },
  [`${OID.prtAlertCriticalEvents}.1`]: { type: 'counter32', value: 1 },
  [`${OID.prtAlertAllEvents}.1`]: { type: 'counter32', value: 1 },
  [`${OID.prtMarkerSuppliesType}.1.1`]: { type: 'integer', value: 3 },
  [`${OID.prtMarkerSuppliesDescription}.1.1`]: { type: 'octets', value: 'Black Toner' },
  [`${OID.prtMarkerSuppliesMaxCapacity}.1.1`]: { type: 'integer', value: 100 },
  [`${OID.prtMarkerSuppliesLevel}.1.1`]: { type: 'integer', value: 60 },
  [`${OID.prtMarkerSuppliesType}.1.2`]: { type: 'integer', value: 3 },
  [`${OID.prtMarkerSuppliesDescription}.1.2`]: { type: 'octets', value: 'Cyan Toner' },
  [`${OID.prtMarkerSuppliesMaxCapacity}.1.2`]: { type: 'integer', value: 100 },
  [`${OID.prtMarkerSuppliesLevel}.1.2`]: { type: 'integer', value: 50 },
  // A paper jam (alert code 8 = jam, group 8 = mediaPath), critical.
  [`${OID.prtAlertSeverityLevel}.1.7`]: { type: 'integer', value: 3 },
  [`${OID.prtAlertTrainingLevel}.1.7`]: { type: 'integer', value: 4 },
  [`${OID.prtAlertGroup}.1.7`]: { type: 'integer', value: 13 },
  [`${OID.prtAlertCode}.1.7`]: { type: 'integer', value: 8 },
  [`${OID.prtAlertDescription}.1.7`]: { type: 'octets', value: 'Paper jam in tray 2' },
};

/** RFC 3416 answers over a table the test may swap between polls. */
function scripted(table: () => Record<string, BerValue>, seen: SnmpRequest[]) {
  return (req: SnmpRequest): BerVarbind[] => {
    seen.push(req);
    const sorted = Object.entries(table()).sort((a, b) => compareOids(a[0], b[0]));
    const next = (oid: string): BerVarbind => {
      const hit = sorted.find(([o]) => compareOids(o, oid) > 0);
      return hit ? { oid: hit[0], value: hit[1] } : { oid, value: { type: 'endOfMibView' } };
    };
    if (req.pdu === 'get') return req.oids.map((oid) => ({ oid, value: table()[oid] ?? { type: 'noSuchObject' } }));
    if (req.pdu === 'getNext') return req.oids.map(next);
    const answer = req.oids.slice(0, req.nonRepeaters).map(next);
    let row = req.oids.slice(req.nonRepeaters);
    for (let r = 0; r < req.maxRepetitions && row.length > 0; r++) {
      const vbs = row.map(next);
      answer.push(...vbs);
      row = vbs.map((vb) => vb.oid);
    }
    return answer;
  };
}

describe('SNMP polls through the runtime collector', () => {
  it('keeps one socket per device, reads a known device in one request, and sees an alert removed with unchanged counters', async () => {
    let table = JAMMED;
    const seen: SnmpRequest[] = [];
    agent = await startBerAgent(scripted(() => table, seen));
    const config = AgentConfig.parse({ tenant: 't', agentId: 'a', broker: { url: 'mqtt://127.0.0.1:1' } });
    collector = new ProtocolCollector(config, systemClock);
    const target = parseTarget({ address: `snmp://polls-test@127.0.0.1:${agent.port}` });
    const poll = async () => {
      const before = seen.length;
      const r = await collector!.collect(target, new AbortController().signal);
      if (!r.ok) throw new Error(r.error);
      return { snapshot: r.snapshot, requests: seen.length - before };
    };

    const first = await poll();
    expect(first.snapshot.faults.map((f) => f.code)).toEqual(['jam']);
    const second = await poll();
    expect(second.snapshot.faults.map((f) => f.code)).toEqual(['jam']);
    // Known shape: system group, every column and the alert probe in one GETBULK.
    expect(second.requests).toBe(1);
    expect(seen.at(-1)!.pdu).toBe('getBulk');

    // The jam is cleared: the row goes, the counters (alerts added) and every status object stay.
    table = Object.fromEntries(Object.entries(JAMMED).filter(([oid]) => !oid.startsWith(`${OID.prtAlertEntry}.`)));
    const third = await poll();
    expect(third.snapshot.faults).toEqual([]);
    const fourth = await poll();
    expect(fourth.snapshot.faults).toEqual([]);
    expect(fourth.requests).toBe(1);

    // Every request of every poll came from the same socket.
    expect(new Set(seen.map((r) => r.sourcePort)).size).toBe(1);
  });
});
