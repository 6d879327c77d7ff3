/**
 * Hostile SNMP agents against the real collector (net-snmp over loopback UDP): garbage and
 * truncated BER, endless and backwards walks, huge tables, wrong types in every column. Each
 * must end in a clear per-device error (or a valid snapshot), within bounded time and requests,
 * and the process carries on.
 */
import { normaliseSnmp } from '../../agent/normalise/snmpSnapshot.js';
import { afterEach, describe, expect, it } from 'vitest';
import { collectSnmp, SnmpCollectError, type SnmpTarget } from '../../agent/collect/snmp/collector.js';
import { compareOids } from '../../agent/collect/snmp/raw.js';
import { DeviceSnapshot } from '../../shared/snapshot.js';
import { OID } from '../../mibs/oids.generated.js';
import { encodeResponse, startBerAgent, type BerAgent, type BerValue, type BerVarbind, type SnmpRequest } from '../harness/berAgent.js';
import { LOOPBACK } from '../harness/peers.js';

/** Collect → normalise, as the runtime and `fleetdesk probe` do. */
async function collected(...args: Parameters<typeof collectSnmp>) {
  const raw = await collectSnmp(...args);
  return { raw, snapshot: normaliseSnmp(raw.values, { address: raw.address, collectedAt: raw.collectedAt }) };
}

let agent: BerAgent | null = null;
afterEach(async () => {
  await agent?.close();
  agent = null;
});

const target = (port: number, version: '1' | '2c' = '2c'): SnmpTarget => ({
  host: LOOPBACK,
  port,
  credential: { version, community: 'hostile-test' },
  timeoutMs: 300,
  retries: 1,
  maxInFlight: 2,
});

/**
 * A well-behaved agent over a fixed table (GET, GETNEXT, and GETBULK per RFC 3416: non-repeaters
 * get one successor, each repeater its own walk); `successor` may replace the successor of any
 * OID (misbehaving walks), `tweak` may rewrite any answer.
 */
function tableAgent(
  table: Record<string, BerValue>,
  tweak?: (req: SnmpRequest, answer: BerVarbind[]) => BerVarbind[] | Buffer | null,
  successor?: (oid: string) => BerVarbind | undefined,
) {
  const sorted = Object.entries(table).sort((a, b) => compareOids(a[0], b[0]));
  const next = (oid: string): BerVarbind => {
    const special = successor?.(oid);
    if (special) return special;
    const hit = sorted.find(([o]) => compareOids(o, oid) > 0);
    return hit ? { oid: hit[0], value: hit[1] } : { oid, value: { type: 'endOfMibView' } };
  };
  return (req: SnmpRequest) => {
    let answer: BerVarbind[];
    if (req.pdu === 'get') answer = req.oids.map((oid) => ({ oid, value: table[oid] ?? { type: 'noSuchObject' } }));
    else if (req.pdu === 'getNext') answer = req.oids.map(next);
    else {
      answer = req.oids.slice(0, req.nonRepeaters).map(next);
      let row = req.oids.slice(req.nonRepeaters);
      for (let r = 0; r < req.maxRepetitions && row.length > 0; r++) {
        const vbs = row.map(next);
        answer.push(...vbs);
        if (vbs.every((vb) => vb.value.type === 'endOfMibView')) break;
        row = vbs.map((vb) => vb.oid);
      }
    }
    return tweak ? tweak(req, answer) : answer;
  };
}

const PRINTER: Record<string, BerValue> = {
  [`${OID.sysDescr}.0`]: { type: 'octets', value: 'Hostile Printer 1' },
  [`${OID.sysObjectID}.0`]: { type: 'oid', value: '1.3.6.1.4.1.64000.1' },
  [`${OID.hrDeviceType}.1`]: { type: 'oid', value: OID.hrDevicePrinter },
  [`${OID.hrDeviceStatus}.1`]: { type: 'integer', value: 2 },
  [`${OID.hrPrinterStatus}.1`]: { type: 'integer', value: 3 },
  [`${OID.hrPrinterDetectedErrorState}.1`]: { type: 'octets', value: Buffer.from([0x04]) },
  [`${OID.prtMarkerSuppliesType}.1.1`]: { type: 'integer', value: 21 },
  [`${OID.prtMarkerSuppliesDescription}.1.1`]: { type: 'octets', value: 'Black Toner' },
  [`${OID.prtMarkerSuppliesMaxCapacity}.1.1`]: { type: 'integer', value: 100 },
  [`${OID.prtMarkerSuppliesLevel}.1.1`]: { type: 'integer', value: 40 },
};

async function failsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const started = Date.now();
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected a collection error').toBeInstanceOf(SnmpCollectError);
  expect((err as SnmpCollectError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain('hostile-test');
  // Bounded: a few request timeouts at most (300 ms x 2 attempts), never a hang.
  expect(Date.now() - started).toBeLessThan(10_000);
}

describe('hostile SNMP agents', () => {
  it('a well-behaved scripted agent reads fine (control case)', async () => {
    agent = await startBerAgent(tableAgent(PRINTER));
    const { snapshot } = await collected(target(agent.port));
    expect(snapshot.faults.map((f) => f.code)).toEqual(['jam']);
    expect(snapshot.supplies[0]).toMatchObject({ name: 'Black Toner', levelPercent: 40, state: 'ok' });
  });

  it('an agent that trims every GETBULK answer (small message size) is still read completely', async () => {
    const full = await (async () => {
      agent = await startBerAgent(tableAgent(PRINTER));
      const got = await collected(target(agent.port));
      await agent.close();
      return got;
    })();
    // At most 3 varbinds per answer: short lists per column, some columns with none at all.
    agent = await startBerAgent(tableAgent(PRINTER, (req, answer) => (req.pdu === 'getBulk' ? answer.slice(0, Math.max(req.nonRepeaters, 3)) : answer)));
    const trimmed = await collected(target(agent.port));
    expect(trimmed.raw.values).toEqual(full.raw.values);
    expect(trimmed.raw.requests).toBeGreaterThan(full.raw.requests);
    expect(trimmed.snapshot.faults.map((f) => f.code)).toEqual(['jam']);
  });

  it('garbage datagrams: malformedResponse', async () => {
    agent = await startBerAgent(() => Buffer.from('this is not BER at all \u0000\u00ff', 'latin1'));
    await failsWith(collected(target(agent.port)), 'malformedResponse', /undecodable/);
  });

  it('truncated BER: malformedResponse', async () => {
    agent = await startBerAgent((req) => encodeResponse(req, [{ oid: `${OID.sysDescr}.0`, value: { type: 'octets', value: 'x'.repeat(40) } }]).subarray(0, 30));
    await failsWith(collected(target(agent.port)), 'malformedResponse', /undecodable/);
  });

  it('an agent that returns the same OID forever: walkNotIncreasing (v2c GETBULK and v1 GETNEXT)', async () => {
    const loop = (req: SnmpRequest, answer: BerVarbind[]): BerVarbind[] =>
      req.pdu === 'get' ? answer : req.oids.map(() => ({ oid: `${OID.prtMarkerSuppliesEntry}.9.1.1`, value: { type: 'integer', value: 1 } }));
    agent = await startBerAgent(tableAgent(PRINTER, loop));
    await failsWith(collected(target(agent.port)), 'walkNotIncreasing', /not progressing/);
    await failsWith(collected(target(agent.port, '1')), 'walkNotIncreasing', /not progressing/);
    expect(agent.requests).toBeLessThan(100);
  });

  it('an agent whose walk goes backwards: walkNotIncreasing', async () => {
    // After the first description row the agent answers with a row of an earlier column.
    const back = (oid: string): BerVarbind | undefined =>
      oid.startsWith(`${OID.prtMarkerSuppliesDescription}.`) ? { oid: `${OID.prtMarkerSuppliesType}.1.1`, value: { type: 'integer', value: 3 } } : undefined;
    agent = await startBerAgent(tableAgent(PRINTER, undefined, back));
    await failsWith(collected(target(agent.port)), 'walkNotIncreasing', /backwards/);
  });

  it('an endless, always-increasing table: walkTooLong with bounded requests and memory', async () => {
    // Every supply level row is followed by one more.
    const endless = (oid: string): BerVarbind | undefined => {
      if (oid !== OID.prtMarkerSuppliesLevel && !oid.startsWith(`${OID.prtMarkerSuppliesLevel}.1.`)) return undefined;
      const last = oid === OID.prtMarkerSuppliesLevel ? 0 : Number(oid.split('.').pop());
      return { oid: `${OID.prtMarkerSuppliesLevel}.1.${last + 1}`, value: { type: 'integer', value: 5 } };
    };
    agent = await startBerAgent(tableAgent(PRINTER, undefined, endless));
    await failsWith(collected(target(agent.port), undefined, { maxValuesPerWalk: 1000 }), 'walkTooLong', /more than 1000 values/);
    expect(agent.requests).toBeLessThan(200);
  });

  it('wrong ASN.1 types in every column: a valid snapshot, the wrong values treated as absent', async () => {
    const wrong: Record<string, BerValue> = {};
    for (const [oid, v] of Object.entries(PRINTER)) {
      wrong[oid] =
        v.type === 'octets'
          ? { type: 'integer', value: -5 }
          : v.type === 'oid'
            ? { type: 'timeticks', value: 12 }
            : { type: 'octets', value: Buffer.from([0xff, 0x00]) };
    }
    // Keep one printer marker so the device still counts as a printer.
    wrong[`${OID.prtGeneralSerialNumber}.1`] = { type: 'oid', value: '1.2.3' };
    agent = await startBerAgent(tableAgent(wrong));
    const { snapshot } = await collected(target(agent.port));
    expect(() => DeviceSnapshot.parse(snapshot)).not.toThrow();
    expect(snapshot.identity).toEqual({});
    expect(snapshot.supplies).toEqual([
      {
        index: 1,
        name: 'other 1',
        kind: 'other',
        color: null,
        levelPercent: null,
        state: 'unknown',
        raw: { level: null, max: null, unit: null, class: null, type: null },
      },
    ]);
  });

  it('silence: noResponse within timeout x attempts', async () => {
    agent = await startBerAgent(() => null);
    await failsWith(collected(target(agent.port)), 'noResponse', /no answer .* within 300 ms x 2 attempt\(s\)/);
  });
});
