/**
 * Meters through the API, fed by agent messages at ingest: the period export (JSON and Polish
 * CSV), a reset that is not billed negative, a missing closing reading, a technician's manual
 * reading, the customer's confirmation. Customer isolation is in authMatrix.test.ts; the
 * missing-meter rule in test/unit/meters/meterLedger.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET, makeApiKit, type ApiKit } from './apiTestKit.js';
import { stateMsg, telemetryMsg } from '../server/wireFixtures.js';

let kit: ApiKit;
const KEY = 'acme/sn:sn-a1';
const DEV = encodeURIComponent(KEY);
const UNREAD = 'acme/sn:sn-a3';

interface Row {
  deviceKey: string;
  counter: string | null;
  opening: number | null;
  closing: number | null;
  usage: number | null;
  flags: string[];
  confirmedBy: string | null;
  openingSource: string | null;
}

beforeAll(async () => {
  // acme reads its meters on the 6th (Warsaw): period 2025-12 ends 2026-01-05T23:00Z, near the kit's clock.
  // Its 60 missing-meter days put the kit's days inside the window before the next cut-off.
  kit = await makeApiKit({
    fleet: {
      ...FLEET,
      customers: { ...FLEET.customers, acme: { ...FLEET.customers.acme, billing: { day: 6, timeZone: 'Europe/Warsaw', missingMeterDays: 60 } } },
    },
  });
  await kit.seed(); // acme p1 (SN-A1) and p2 (SN-A2) report total 1000 at 2026-01-05T08:00:00Z
  // acme p3 (SN-A3) answers but reports no counter at all: never in the meter ledger.
  const unread = stateMsg('acme', 'a1', 'p3', { identity: { vendor: 'Kyocera', model: 'ECOSYS P2040', serial: 'SN-A3' }, collectedAt: '2026-01-05T09:00:00Z' });
  kit.clock.set('2026-01-05T09:00:00Z');
  await kit.send({ ...unread, snapshot: { ...unread.snapshot, counters: {} } });
  // Each reading arrives when it was taken: the server bounds agents' clocks to its own (clock-skew window).
  const readings: [number, string, number][] = [
    [1500, '2026-01-05T10:00:00Z', 10],
    [20, '2026-01-05T12:00:00Z', 11], // a reset
    [220, '2026-01-05T14:00:00Z', 12],
  ];
  for (const [total, at, seq] of readings) {
    kit.clock.set(at);
    await kit.send(telemetryMsg('acme', 'a1', 'p1', total, at, seq));
  }
  // 00:30 on the 6th in Warsaw: the next period's opening, a snapshot that names its counters' sources.
  const at = '2026-01-05T23:30:00Z';
  kit.clock.set(at);
  const state = stateMsg('acme', 'a1', 'p1', { identity: { vendor: 'HP', model: 'LaserJet M404', serial: 'SN-A1' }, collectedAt: at, seq: 13 });
  await kit.send({
    ...state,
    snapshot: {
      ...state.snapshot,
      counters: { total: 300 },
      counterProvenance: { origins: { total: { source: 'prtMarkerLifeCount.1.1', confidence: 'exact' } }, problems: [] },
    },
  });
  kit.clock.set('2026-01-06T00:00:00Z');
  // The jump fires many timers (token sweeps re-read the token file); wait, bounded, until the API answers again.
  for (let i = 0; i < 50 && (await kit.call('GET', '/api/v1/me')).statusCode !== 200; i++) await new Promise((r) => setTimeout(r, 20));
});
afterAll(async () => {
  await kit.close();
});

describe('meters API', () => {
  it('the export: opening, closing, usage across the reset (flagged, never negative)', async () => {
    const res = await kit.call('GET', '/api/v1/meters?period=2025-12');
    expect(res.statusCode, res.body).toBe(200);
    const rows = kit.json<{ rows: Row[] }>(res).rows.filter((r) => r.deviceKey === KEY);
    expect(rows.map((r) => [r.counter, r.opening, r.closing, r.usage, r.flags])).toEqual([['total', 1000, 300, 500 + 20 + 200 + 80, ['reset']]]);
    expect(rows[0]?.openingSource).toBe('agent:acme/a1');
  });

  it('a device with no reading after the cut-off is a missing meter in the export', async () => {
    const rows = kit.json<{ rows: Row[] }>(await kit.call('GET', '/api/v1/meters?period=2025-12')).rows;
    expect(rows.find((r) => r.deviceKey === 'acme/sn:sn-a2')).toMatchObject({ opening: 1000, closing: null, usage: null, flags: ['missingMeter'] });
  });

  it('a device that never reported a counter is in every period, flagged noReading, not zeros', async () => {
    const body = kit.json<{ rows: Array<Row & { period: string }> }>(await kit.call('GET', '/api/v1/meters?from=2025-12&to=2026-01'));
    expect(body.rows.filter((r) => r.deviceKey === UNREAD).map((r) => [r.period, r.counter, r.opening, r.closing, r.usage, r.flags])).toEqual([
      ['2025-12', null, null, null, null, ['noReading']],
      ['2026-01', null, null, null, null, ['noReading']],
    ]);
    const csv = await kit.call('GET', '/api/v1/meters?period=2025-12&format=csv');
    expect(csv.body.split('\r\n').find((l) => l.includes(UNREAD))).toBe(`acme;${UNREAD};SN-A3;ECOSYS P2040;2025-12;;;;;;;;;;;;;;noReading;`);
    // Not before the fleet first saw it.
    const earlier = kit.json<{ rows: Row[] }>(await kit.call('GET', '/api/v1/meters?period=2025-11')).rows;
    expect(earlier.some((r) => r.deviceKey === UNREAD)).toBe(false);
  });

  it('CSV in the Polish dialect by default', async () => {
    const res = await kit.call('GET', '/api/v1/meters?period=2025-12&format=csv');
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="meters-2025-12.csv"');
    const lines = res.body.slice(1).split('\r\n');
    expect(lines[0]).toBe(
      'customer;device;serial;model;period;counter;opening_at;opening;opening_source;opening_counter_source;opening_confidence;' +
        'closing_at;closing;closing_counter_source;closing_confidence;usage;weight;billed_units;flags;confirmed_by',
    );
    expect(lines.find((l) => l.includes(KEY))).toBe(
      `acme;${KEY};SN-A1;LaserJet M404;2025-12;total;2026-01-05T08:00:00.000Z;1000;agent:acme/a1;agent;;2026-01-05T23:30:00.000Z;300;Printer-MIB prtMarkerLifeCount.1.1;exact;800;1;800;reset;`,
    );
  });

  it('a range of periods in one export, each period with its rows', async () => {
    const res = await kit.call('GET', '/api/v1/meters?from=2025-12&to=2026-01');
    expect(res.statusCode, res.body).toBe(200);
    const body = kit.json<{ from: string; to: string; rows: Array<Row & { period: string }> }>(res);
    expect([body.from, body.to]).toEqual(['2025-12', '2026-01']);
    expect(body.rows.filter((r) => r.deviceKey === KEY).map((r) => [r.period, r.opening, r.closing])).toEqual([
      ['2025-12', 1000, 300],
      ['2026-01', 300, null],
    ]);
    const csv = await kit.call('GET', '/api/v1/meters?from=2025-12&to=2026-01&format=csv');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="meters-2025-12_2026-01.csv"');
    expect(
      csv.body
        .split('\r\n')
        .filter((l) => l.includes(KEY))
        .map((l) => l.split(';')[4]),
    ).toEqual(['2025-12', '2026-01']);
    for (const bad of ['from=2026-01&to=2025-12', 'from=2023-01&to=2026-01', 'period=2025-12&from=2025-12', 'format=csv']) {
      const refused = await kit.call('GET', `/api/v1/meters?${bad}`);
      expect(refused.statusCode, bad).toBe(400);
    }
  });

  it('a technician’s reading enters the ledger; an older one, or a negative count, is refused', async () => {
    const res = await kit.call('POST', `/api/v1/devices/${DEV}/meter-readings`, kit.tokens.tech, { counters: { total: 450 } });
    expect(res.statusCode, res.body).toBe(201);
    expect(kit.json(res)).toMatchObject({ period: '2026-01', usage: { total: 150 }, openingSource: 'agent:acme/a1' });
    const old = await kit.call('POST', `/api/v1/devices/${DEV}/meter-readings`, kit.tokens.tech, { at: '2026-01-05T23:45:00Z', counters: { total: 400 } });
    expect(old.statusCode).toBe(409);
    expect((await kit.call('POST', `/api/v1/devices/${DEV}/meter-readings`, kit.tokens.tech, { counters: { total: -1 } })).statusCode).toBe(400);
  });

  it('the customer confirms its period reading once; the export shows who', async () => {
    const res = await kit.call('POST', `/api/v1/meters/${DEV}/2025-12/confirm`, kit.tokens.acme, { note: 'zgadza się' });
    expect(res.statusCode, res.body).toBe(200);
    expect(kit.json(res)).toMatchObject({ confirmation: { by: 'acme-viewer', note: 'zgadza się' } });
    const again = await kit.call('POST', `/api/v1/meters/${DEV}/2025-12/confirm`, kit.tokens.acme, {});
    expect(kit.json(again)).toMatchObject({ confirmation: { note: 'zgadza się' } });
    const rows = kit.json<{ rows: Row[] }>(await kit.call('GET', '/api/v1/meters?period=2025-12', kit.tokens.acme)).rows;
    expect(rows.find((r) => r.deviceKey === KEY)?.confirmedBy).toBe('acme-viewer');
    expect(rows.every((r) => r.deviceKey.startsWith('acme/'))).toBe(true);
    expect((await kit.call('POST', `/api/v1/meters/${DEV}/2025-11/confirm`, kit.tokens.acme, {})).statusCode).toBe(404);
  });

  it('a bad period is named', async () => {
    const res = await kit.call('GET', '/api/v1/meters?period=2026-13');
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/YYYY-MM/);
  });
});

describe('service record', () => {
  it('the device’s tickets with their status, the jam in its month, counters over time', async () => {
    const res = await kit.call('GET', `/api/v1/devices/${DEV}/service-record`, kit.tokens.acme);
    expect(res.statusCode, res.body).toBe(200);
    const rec = kit.json<{
      tickets: Array<{ title: string; status: string }>;
      faultsPerMonth: Array<{ month: string; jams: number }>;
      counters: { points: Array<{ values: Record<string, number> }> };
    }>(res);
    // Newest first: the agent went silent when the clock jumped a day (its ticket affects the device), and the jam.
    expect(rec.tickets.map((t) => [t.title, t.status])).toEqual([
      ['Monitoring agent acme:a1 offline at ACME HQ (2 devices)', 'new'],
      ['Paper jam on LaserJet M404 at ACME HQ', 'new'],
    ]);
    expect(rec.faultsPerMonth).toEqual([{ month: '2026-01', jams: 1, byCode: { jam: 1 } }]);
    expect(rec.counters.points[0]?.values.total).toBe(1000);
    expect((await kit.call('GET', `/api/v1/devices/${DEV}/service-record`, kit.tokens.globex)).statusCode).toBe(404);
  });

  it('a new firmware version: an event on the device timeline (history) and in the service record', async () => {
    const key = 'acme/sn:sn-a2';
    const identity = (firmware: string) => ({ vendor: 'Brother', model: 'HL-L5100', serial: 'SN-A2', firmware });
    await kit.send(stateMsg('acme', 'a1', 'p2', { identity: identity('1.0'), collectedAt: '2026-01-05T23:50:00Z', seq: 20 }));
    await kit.send(stateMsg('acme', 'a1', 'p2', { identity: identity('1.1'), collectedAt: '2026-01-05T23:55:00Z', seq: 21 }));
    await kit.send(stateMsg('acme', 'a1', 'p2', { identity: identity('1.1'), collectedAt: '2026-01-05T23:57:00Z', seq: 22 }));
    const rec = kit.json<{ firmware: string | null; events: Array<{ at: string; kind: string; from: string | null; to: string | null }> }>(
      await kit.call('GET', `/api/v1/devices/${encodeURIComponent(key)}/service-record`, kit.tokens.acme),
    );
    expect(rec.firmware).toBe('1.1');
    expect(rec.events.filter((e) => e.kind === 'firmware')).toEqual([
      { at: '2026-01-05T23:55:00.000Z', kind: 'firmware', detail: 'firmware 1.0 → 1.1', from: '1.0', to: '1.1' },
    ]);
    const history = kit.json<{ firmware: Array<{ at: string; from: string; to: string }> }>(
      await kit.call('GET', `/api/v1/devices/${encodeURIComponent(key)}/history`, kit.tokens.acme),
    );
    expect(history.firmware).toEqual([{ at: '2026-01-05T23:55:00.000Z', from: '1.0', to: '1.1' }]);
  });
});

describe('missing meters', () => {
  it('a device that never reported a meter is listed before the cut-off as never reported', async () => {
    // 30 days before acme's next cut-off (6 February, 00:00 Warsaw = 2026-02-05T23:00Z), within its 60 missing-meter days.
    const res = await kit.call('GET', '/api/v1/meters/missing?customer=acme');
    expect(res.statusCode, res.body).toBe(200);
    const devices = kit.json<{ devices: Array<{ deviceKey: string; neverReported: boolean; lastReadingAt: string | null; cutoff: string }> }>(res).devices;
    expect(devices.find((d) => d.deviceKey === UNREAD)).toEqual(
      expect.objectContaining({ neverReported: true, lastReadingAt: null, cutoff: '2026-02-05T23:00:00.000Z' }),
    );
    // The others reported within the 60 days.
    expect(devices.map((d) => d.deviceKey)).toEqual([UNREAD]);
  });
});
