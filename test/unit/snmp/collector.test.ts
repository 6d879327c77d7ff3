/**
 * The collector over an in-process fake agent (no sockets): walk strategy per version, bounds
 * against misbehaving agents, alert-table reuse, requests in flight, credential search.
 */
import { normaliseSnmp } from '../../../agent/normalise/snmpSnapshot.js';
import { describe, expect, it } from 'vitest';
import { alertRowsUnchanged, collectSnmp, findSnmpCredential, retainForNextPoll, SnmpCollectError } from '../../../agent/collect/snmp/collector.js';
import { compareOids, type SnmpValue } from '../../../agent/collect/snmp/raw.js';
import { InFlightLimit, type SnmpEndpoint, type SnmpTransport, type Varbind } from '../../../agent/collect/snmp/session.js';
import { predecessorOf } from '../../../agent/collect/snmp/walk.js';
import { OID } from '../../../mibs/oids.generated.js';
import { ManualClock } from '../../harness/manualClock.js';
import { valuesFromSnmprec } from '../../harness/snmprecValues.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR } from '../../harness/repo.js';

/** Collect → normalise, as the runtime and `fleetdesk probe` do. */
async function collected(...args: Parameters<typeof collectSnmp>) {
  const raw = await collectSnmp(...args);
  return { raw, snapshot: normaliseSnmp(raw.values, { address: raw.address, collectedAt: raw.collectedAt }) };
}

const DEVICE = `
${OID.sysDescr}.0|4|ACME Laser
${OID.sysObjectID}.0|6|1.3.6.1.4.1.64000.1
${OID.hrDeviceType}.1|6|${OID.hrDevicePrinter}
${OID.hrDeviceStatus}.1|2|2
${OID.hrPrinterStatus}.1|2|3
${OID.hrPrinterDetectedErrorState}.1|4x|00
${OID.prtGeneralSerialNumber}.1|4|SER1
${OID.prtAlertCriticalEvents}.1|65|3
${OID.prtAlertAllEvents}.1|65|9
${OID.prtMarkerSuppliesType}.1.1|2|21
${OID.prtMarkerSuppliesDescription}.1.1|4|Black Toner
${OID.prtMarkerSuppliesMaxCapacity}.1.1|2|100
${OID.prtMarkerSuppliesLevel}.1.1|2|50
${OID.prtAlertSeverityLevel}.1.4|2|3
${OID.prtAlertGroup}.1.4|2|6
${OID.prtAlertCode}.1.4|2|3
${OID.prtAlertDescription}.1.4|4|Front cover open
`;

interface FakeOptions {
  version?: '1' | '2c' | '3';
  /** Misbehaviour on GETNEXT/GETBULK starting under this OID. */
  loopUnder?: string;
  backwardsUnder?: string;
  /** Extra rows appended under prtMarkerSuppliesLevel. */
  hugeRows?: number;
  clock?: ManualClock;
  msPerRequest?: number;
  silent?: boolean;
}

class FakeAgent implements SnmpTransport {
  readonly version: '1' | '2c' | '3';
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  bulk = 0;
  next = 0;
  readonly started: string[] = [];
  private readonly looping = new Set<string>();
  private readonly sorted: Array<[string, SnmpValue]>;
  constructor(
    values: Record<string, SnmpValue>,
    private readonly o: FakeOptions = {},
  ) {
    this.version = o.version ?? '2c';
    const all = { ...values };
    for (let i = 2; i < 2 + (o.hugeRows ?? 0); i++) all[`${OID.prtMarkerSuppliesLevel}.1.${i}`] = { type: 'integer', value: 1 };
    this.sorted = Object.entries(all).sort((a, b) => compareOids(a[0], b[0]));
  }
  private async tick<T>(fn: () => T): Promise<T> {
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setImmediate(r));
    this.o.clock?.advance(this.o.msPerRequest ?? 0);
    this.inFlight--;
    if (this.o.silent) throw new SnmpCollectError('noResponse', 'fake: no answer');
    return fn();
  }
  private after(oid: string): Varbind {
    // Inside the subtree, the successor of an OID is that OID again (entering it works once).
    if (this.o.loopUnder && oid.startsWith(`${this.o.loopUnder}.`)) {
      const first = this.sorted.find(([o]) => compareOids(o, oid) > 0);
      const repeat = first && first[0].startsWith(`${this.o.loopUnder}.`) && !this.looping.has(oid) ? first[0] : oid;
      this.looping.add(repeat);
      return { oid: repeat, value: { type: 'integer', value: 0 } };
    }
    if (this.o.backwardsUnder && oid.startsWith(`${this.o.backwardsUnder}.`))
      return { oid: `${this.o.backwardsUnder}.1.1`, value: { type: 'integer', value: 0 } };
    const hit = this.sorted.find(([o]) => compareOids(o, oid) > 0);
    return hit ? { oid: hit[0], value: hit[1] } : { oid, exception: 'endOfMibView' };
  }
  get(oids: readonly string[]) {
    return this.tick(() => {
      const found = oids.map((oid): Varbind => {
        const v = this.sorted.find(([o]) => o === oid);
        return v ? { oid, value: v[1] } : { oid, exception: 'noSuchObject' };
      });
      // SNMPv1 has no exceptions: one missing object fails the whole request with noSuchName.
      if (this.version === '1' && found.some((vb) => 'exception' in vb)) throw new SnmpCollectError('requestFailed', 'fake: NoSuchName');
      return found;
    });
  }
  getNext(oids: readonly string[]) {
    this.next++;
    this.started.push(...oids);
    return this.tick(() => {
      const out = oids.map((oid) => this.after(oid));
      // SNMPv1: the end of the MIB is error-status noSuchName for the whole request (the session
      // turns it into endOfMibView only when one OID was asked).
      if (this.version === '1' && oids.length > 1 && out.some((vb) => 'exception' in vb)) throw new SnmpCollectError('requestFailed', 'fake: NoSuchName');
      return out;
    });
  }
  /** RFC 3416 GETBULK: non-repeaters get one successor, repeaters up to `max` each. */
  getBulk(oids: readonly string[], nonRepeaters: number, max: number) {
    this.bulk++;
    this.started.push(...oids);
    return this.tick(() =>
      oids.map((oid, i) => {
        const out: Varbind[] = [];
        let cur = oid;
        for (let r = 0; r < (i < nonRepeaters ? 1 : max); r++) {
          const vb = this.after(cur);
          out.push(vb);
          if ('exception' in vb) break;
          cur = vb.oid;
        }
        return out;
      }),
    );
  }
  close() {}
}

const target = (version: '1' | '2c' = '2c', maxInFlight = 2): SnmpEndpoint => ({
  host: '192.0.2.1',
  port: 161,
  credential: { version, community: 'secret-community' },
  timeoutMs: 1000,
  retries: 1,
  maxInFlight,
});

async function expectCode(p: Promise<unknown>, code: string, text?: RegExp): Promise<SnmpCollectError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SnmpCollectError);
  expect((err as SnmpCollectError).code).toBe(code);
  if (text) expect((err as SnmpCollectError).message).toMatch(text);
  expect((err as Error).message).not.toContain('secret-community');
  return err as SnmpCollectError;
}

describe('collectSnmp', () => {
  it('v2c: GETBULK walks, raw values and snapshot', async () => {
    const agent = new FakeAgent(valuesFromSnmprec(DEVICE));
    const { raw, snapshot } = await collected(target(), undefined, { openTransport: () => agent, clock: new ManualClock() });
    expect(agent.next).toBe(0);
    expect(agent.bulk).toBeGreaterThan(0);
    expect(raw.version).toBe('2c');
    expect(raw.alertTable).toBe('walked');
    expect(raw.values[`${OID.prtMarkerSuppliesLevel}.1.1`]).toEqual({ type: 'integer', value: 50 });
    expect(snapshot.identity.serial).toBe('SER1');
    expect(snapshot.faults.map((f) => f.code)).toEqual(['door.open']);
    expect(snapshot.status).toBe('down');
    expect(snapshot.address).toBe('192.0.2.1:161');
  });

  it('v1: GETNEXT walks only', async () => {
    const agent = new FakeAgent(valuesFromSnmprec(DEVICE), { version: '1' });
    const { snapshot } = await collected(target('1'), undefined, { openTransport: () => agent });
    expect(agent.bulk).toBe(0);
    expect(agent.next).toBeGreaterThan(0);
    expect(snapshot.supplies).toHaveLength(1);
    // sysUpTime etc. are missing: the system group was re-read object by object.
    expect(snapshot.identity.sysDescr).toBe('ACME Laser');
    expect(snapshot.identity.sysObjectId).toBe('1.3.6.1.4.1.64000.1');
  });

  it('the session never has more requests in flight than allowed, and serves them in order', async () => {
    for (const limit of [1, 3]) {
      const gate = new InFlightLimit(limit);
      let active = 0;
      let peak = 0;
      const order: number[] = [];
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          gate.run(async () => {
            active++;
            peak = Math.max(peak, active);
            await new Promise((r) => setImmediate(r));
            order.push(i);
            active--;
          }),
        ),
      );
      expect(peak).toBe(limit);
      expect(order).toEqual([...Array(10).keys()]);
    }
  });

  it('walks all columns in one GETBULK with the system group as non-repeaters, and sizes later polls from the last one', async () => {
    const agent = new FakeAgent(valuesFromSnmprec(DEVICE), { hugeRows: 10 });
    const first = await collected(target(), undefined, { openTransport: () => agent });
    // One combined request, then the one column longer than a row (11 supply levels) until its end.
    expect(first.raw.requests).toBeLessThanOrEqual(5);
    expect(first.raw.shape?.[OID.prtMarkerSuppliesLevel]).toBe(11);
    expect(first.snapshot.identity.sysDescr).toBe('ACME Laser');
    const agent2 = new FakeAgent(valuesFromSnmprec(DEVICE), { hugeRows: 10 });
    const second = await collected(target(), first.raw, { openTransport: () => agent2 });
    // Known shape: the short columns and the long one go out as two requests, each to its end.
    expect(second.raw.requests).toBe(2);
    expect(second.raw.values).toEqual(first.raw.values);
  });

  it('reads the vendor firmware object: after the first answers on the first poll, inside the first GETBULK after that', async () => {
    const utax = valuesFromSnmprec(readFileSync(join(CORPUS_DIR, 'snmprec', 'utax.snmprec'), 'utf8'));
    const agent = new FakeAgent(utax);
    const first = await collected(target(), undefined, { openTransport: () => agent });
    expect(first.snapshot.identity.firmware).toBe('2TP_S000.003.402');
    const agent2 = new FakeAgent(utax);
    const second = await collected(target(), retainForNextPoll(first.raw), { openTransport: () => agent2 });
    expect(second.snapshot.identity.firmware).toBe('2TP_S000.003.402');
    // The vendor known from the retained sysObjectID: no request of its own for the firmware.
    expect(second.raw.requests).toBeLessThan(first.raw.requests);
    expect(agent2.started).toContain(OID.kyoceraFirmwareVersion);
  });

  it("a known vendor's counter instances ride in the first request, among a wider table, and a missing one stays missing", async () => {
    // Sharp-like: the profile reads .1.4.60/.61/.63 and .5.4.61/.63 among rows it does not read
    // (.1.4.62, .5.5.61, .8.4.50); .1.4.63 is absent.
    const head = DEVICE.replace('1.3.6.1.4.1.64000.1', '1.3.6.1.4.1.2385.3.1.1').replace('ACME Laser', 'SHARP MX-3070N');
    const table = [
      ['1.4.60', 900],
      ['1.4.61', 600],
      ['1.4.62', 1],
      ['5.4.61', 700],
      ['5.4.63', 300],
      ['5.5.61', 2],
      ['8.4.50', 3],
    ]
      .map(([i, v]) => `${OID.sharpCounterValue}.${i}|65|${v}`)
      .join('\n');
    const values = valuesFromSnmprec(`${head}\n${table}\n${OID.prtMarkerLifeCount}.1.1|65|1000`);
    const first = await collected(target(), undefined, { openTransport: () => new FakeAgent(values) });
    const agent = new FakeAgent(values);
    const second = await collected(target(), retainForNextPoll(first.raw), { openTransport: () => agent });
    expect(second.raw.requests).toBe(1);
    // Asked as GETNEXT of each instance's predecessor, as non-repeaters: never the whole table.
    expect(agent.started).toContain(`${OID.sharpCounterValue}.1.4.59`);
    expect(agent.started).not.toContain(OID.sharpCounterValue);
    for (const snap of [first.snapshot, second.snapshot]) {
      expect(snap.counters).toEqual({ total: 1000, print: 900, 'print.mono': 600, mono: 700, color: 300 });
      expect(snap.counterProvenance?.problems).toEqual([]);
    }
    expect(Object.keys(second.raw.values).filter((o) => o.startsWith(`${OID.sharpCounterValue}.`))).toEqual([
      `${OID.sharpCounterValue}.1.4.60`,
      `${OID.sharpCounterValue}.1.4.61`,
      `${OID.sharpCounterValue}.5.4.61`,
      `${OID.sharpCounterValue}.5.4.63`,
    ]);
  });

  it('predecessorOf: the object for a .0 scalar, else the previous sibling', () => {
    expect(predecessorOf('1.3.6.1.2.1.1.1.0')).toBe('1.3.6.1.2.1.1.1');
    expect(predecessorOf('1.3.6.1.4.1.2385.1.1.19.2.1.3.1.4.60')).toBe('1.3.6.1.4.1.2385.1.1.19.2.1.3.1.4.59');
    expect(predecessorOf('1.3.6.1.4.1.18334.1.1.1.5.7.2.2.1.5.1.1')).toBe('1.3.6.1.4.1.18334.1.1.1.5.7.2.2.1.5.1.0');
  });

  it('the collector never has more requests in flight than the session allows', async () => {
    const values = valuesFromSnmprec(DEVICE);
    const first = await collected(target(), undefined, { openTransport: () => new FakeAgent(values, { hugeRows: 10 }) });
    for (const limit of [1, 3]) {
      const agent = new FakeAgent(values, { hugeRows: 10 });
      await collected(target('2c', limit), first.raw, { openTransport: () => limitTransport(agent, limit) });
      // Two requests of different lengths go out together when the limit allows it.
      expect(agent.maxInFlight).toBe(Math.min(limit, 2));
    }
  });

  it('reuses the alert table when the alert counters did not change, walks it when they did', async () => {
    const values = valuesFromSnmprec(DEVICE);
    const first = await collected(target(), undefined, { openTransport: () => new FakeAgent(values) });
    const agent = new FakeAgent(values);
    const second = await collected(target(), retainForNextPoll(first.raw), { openTransport: () => agent });
    expect(second.raw.alertTable).toBe('reused');
    // Only the probe column of the alert table is read (inside the one combined request).
    expect(agent.started.filter((o) => o.startsWith(OID.prtAlertEntry))).toEqual([OID.prtAlertSeverityLevel]);
    expect(second.raw.requests).toBe(1);
    expect(second.snapshot.faults.map((f) => f.code)).toEqual(['door.open']);
    expect(second.raw.values).toEqual(first.raw.values);

    const changed = { ...values, [`${OID.prtAlertAllEvents}.1`]: { type: 'counter32', value: 10 } as SnmpValue };
    const agent3 = new FakeAgent(changed);
    const third = await collected(target(), first.raw, { openTransport: () => agent3 });
    expect(third.raw.alertTable).toBe('walked');
    expect(agent3.started).toContain(OID.prtAlertDescription);
  });

  it('a removed alert is seen although the alert counters did not change', async () => {
    const values = valuesFromSnmprec(DEVICE);
    const first = await collected(target(), undefined, { openTransport: () => new FakeAgent(values) });
    expect(first.snapshot.faults.map((f) => f.code)).toEqual(['door.open']);
    // The door is closed: the agent drops the alert row; the counters (alerts ADDED) stay as they
    // were, and so does every status object: only the alert table itself tells.
    const cleared = Object.fromEntries(Object.entries(values).filter(([oid]) => !oid.startsWith(`${OID.prtAlertEntry}.`)));
    const agent = new FakeAgent(cleared);
    const second = await collected(target(), retainForNextPoll(first.raw), { openTransport: () => agent });
    expect(second.raw.alertTable).toBe('walked');
    expect(second.snapshot.faults).toEqual([]);
    expect(Object.keys(second.raw.values).filter((o) => o.startsWith(OID.prtAlertEntry))).toEqual([]);
    // And the next poll after that reuses the (now empty) table again.
    const third = await collected(target(), retainForNextPoll(second.raw), { openTransport: () => new FakeAgent(cleared) });
    expect(third.raw.alertTable).toBe('reused');
    expect(third.snapshot.faults).toEqual([]);
  });

  it('a changed status object, or rows older than the age bound, make the alert table walked again', async () => {
    const values = valuesFromSnmprec(DEVICE);
    const clock = new ManualClock();
    const first = await collected(target(), undefined, { openTransport: () => new FakeAgent(values), clock });
    const printing = { ...values, [`${OID.hrPrinterStatus}.1`]: { type: 'integer', value: 4 } as SnmpValue };
    const a = await collected(target(), retainForNextPoll(first.raw), { openTransport: () => new FakeAgent(printing), clock });
    expect(a.raw.alertTable).toBe('walked');

    clock.advance(60_000);
    const b = await collected(target(), retainForNextPoll(first.raw), { openTransport: () => new FakeAgent(values), clock, alertReuseMaxAgeMs: 120_000 });
    expect(b.raw.alertTable).toBe('reused');
    expect(b.raw.alertTableWalkedAt).toBe(first.raw.alertTableWalkedAt);
    clock.advance(61_000);
    const c = await collected(target(), retainForNextPoll(b.raw), { openTransport: () => new FakeAgent(values), clock, alertReuseMaxAgeMs: 120_000 });
    expect(c.raw.alertTable).toBe('walked');
    expect(c.raw.alertTableWalkedAt).toBe(clock.now());
  });

  it('alertRowsUnchanged: counters, status columns and the probe column must all match', () => {
    const before = valuesFromSnmprec(DEVICE);
    expect(alertRowsUnchanged(before, { ...before })).toBe(true);
    for (const oid of [
      `${OID.prtAlertCriticalEvents}.1`,
      `${OID.hrDeviceStatus}.1`,
      `${OID.hrPrinterDetectedErrorState}.1`,
      `${OID.prtAlertSeverityLevel}.1.4`,
    ]) {
      const { [oid]: dropped, ...without } = before;
      expect(dropped).toBeDefined();
      expect(alertRowsUnchanged(before, without), oid).toBe(false);
    }
    expect(alertRowsUnchanged(before, { ...before, [`${OID.hrPrinterDetectedErrorState}.1`]: { type: 'octets', hex: '08' } })).toBe(false);
  });

  it('an agent returning the same OID forever fails the device with walkNotIncreasing', async () => {
    const agent = new FakeAgent(valuesFromSnmprec(DEVICE), { loopUnder: OID.prtMarkerSuppliesEntry });
    await expectCode(collected(target(), undefined, { openTransport: () => agent }), 'walkNotIncreasing', /prtMarkerSupplies\w+ is not progressing/);
    expect(agent.requests).toBeLessThan(60);
  });

  it('an agent going backwards fails with walkNotIncreasing (v1 too)', async () => {
    const agent = new FakeAgent(valuesFromSnmprec(DEVICE), { version: '1', backwardsUnder: OID.hrDeviceType });
    await expectCode(collected(target('1'), undefined, { openTransport: () => agent }), 'walkNotIncreasing', /going backwards/);
  });

  it('a huge table fails with walkTooLong after a bounded number of requests', async () => {
    const agent = new FakeAgent(valuesFromSnmprec(DEVICE), { hugeRows: 5000 });
    await expectCode(
      collected(target(), undefined, { openTransport: () => agent, maxValuesPerWalk: 500, maxRepetitions: 25 }),
      'walkTooLong',
      /more than 500 values/,
    );
    expect(agent.requests).toBeLessThan(120);
  });

  it('the whole collection has a time budget', async () => {
    const clock = new ManualClock();
    const agent = new FakeAgent(valuesFromSnmprec(DEVICE), { clock, msPerRequest: 1000, hugeRows: 2000 });
    await expectCode(collected(target(), undefined, { openTransport: () => agent, clock, budgetMs: 10_000, maxRepetitions: 10 }), 'timeBudget', /time budget/);
  });

  it('no answer is a noResponse error naming the device, not the community', async () => {
    const agent = new FakeAgent({}, { silent: true });
    await expectCode(collected(target(), undefined, { openTransport: () => agent }), 'noResponse');
  });

  it('a device without printer objects is rejected with notAPrinter (unless allowed)', async () => {
    const router = valuesFromSnmprec(`${OID.sysDescr}.0|4|Linux router\n${OID.sysObjectID}.0|6|1.3.6.1.4.1.8072.3.2.10`);
    await expectCode(collected(target(), undefined, { openTransport: () => new FakeAgent(router) }), 'notAPrinter', /not a printer/);
    const { snapshot } = await collected(target(), undefined, { openTransport: () => new FakeAgent(router), requirePrinter: false });
    expect(snapshot.identity.sysDescr).toBe('Linux router');
  });
});

describe('findSnmpCredential', () => {
  it('returns the first credential that answers and why the others failed', async () => {
    const values = valuesFromSnmprec(DEVICE);
    const result = await findSnmpCredential(
      '192.0.2.1',
      161,
      [
        { version: '2c', community: 'wrong-one' },
        { version: '2c', community: 'right-one' },
      ],
      {
        timeoutMs: 100,
        retries: 0,
        openTransport: (e) => new FakeAgent(values, { silent: e.credential.version !== '3' && e.credential.community === 'wrong-one' }),
      },
    );
    expect(result.index).toBe(1);
    expect(result.sysObjectId).toBe('1.3.6.1.4.1.64000.1');
    expect(result.sysDescr).toBe('ACME Laser');
    expect(result.failures).toEqual([{ index: 0, version: '2c', code: 'noResponse', message: 'fake: no answer' }]);
    const none = await findSnmpCredential('192.0.2.1', 161, [{ version: '1', community: 'x' }], {
      timeoutMs: 100,
      retries: 0,
      openTransport: () => new FakeAgent({}, { silent: true }),
    });
    expect(none.credential).toBeNull();
    expect(none.failures).toHaveLength(1);
  });
});

/** Wraps a fake with the same FIFO limit the real session applies (the unit under test). */
function limitTransport(inner: FakeAgent, limit: number): SnmpTransport {
  let active = 0;
  const waiting: Array<() => void> = [];
  const run = async <T>(f: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await f();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
  return {
    version: inner.version,
    get requests() {
      return inner.requests;
    },
    get: (o) => run(() => inner.get(o)),
    getNext: (o) => run(() => inner.getNext(o)),
    getBulk: (o, n, m) => run(() => inner.getBulk(o, n, m)),
    close: () => inner.close(),
  };
}
