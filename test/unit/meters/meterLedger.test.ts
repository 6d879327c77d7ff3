import { describe, expect, it } from 'vitest';
import { BillingSettings, periodOf } from '../../../server/meters/billingPeriod.js';
import { applyReading, ledgerDevices, unreadDevice, type MeterDevice, type MeterPeriod, type MeterReading } from '../../../server/meters/meterLedger.js';
import { missingMeters } from '../../../server/meters/meterExport.js';

const settings = BillingSettings.parse({ day: 1, timeZone: 'Europe/Warsaw' });
const at = (s: string) => Date.parse(s);
const ID = { serial: 'SN1', mac: '02:fd:00:00:00:01', sysName: 'prn-1' };

/** Runs readings through the ledger the way the recorder does, keeping records in maps. */
function ledger(readings: Array<Partial<MeterReading> & { at: number; counters: Record<string, number> }>) {
  let device: MeterDevice | undefined;
  const periods = new Map<string, MeterPeriod>();
  for (const r of readings) {
    const reading: MeterReading = { source: 'agent:acme/krakow', identity: ID, ...r };
    const out = applyReading({
      device,
      previousPeriod: device?.last ? periods.get(periodAt(device.last.at)) : undefined,
      currentPeriod: periods.get(periodAt(reading.at)),
      deviceKey: 'acme/SN1',
      customerId: 'acme',
      reading,
      settings,
    });
    if (!out) continue;
    device = out.device;
    for (const p of out.periods) periods.set(p.period, p);
  }
  return { device: device!, periods };
}
const periodAt = (ms: number) => periodOf(ms, settings);

describe('meter ledger', () => {
  it('opening snapshots are the first reading after each cut-off; usage goes to the period of the earlier reading', () => {
    const { periods } = ledger([
      { at: at('2026-11-10T10:00:00Z'), counters: { total: 1000, mono: 800 } },
      { at: at('2026-11-20T10:00:00Z'), counters: { total: 1400, mono: 1100 } },
      { at: at('2026-11-30T22:30:00Z'), counters: { total: 1500, mono: 1150 } }, // 23:30 Warsaw: still November
      { at: at('2026-11-30T23:10:00Z'), counters: { total: 1510, mono: 1155 } }, // 00:10 on 1 Dec in Warsaw
      { at: at('2026-12-05T10:00:00Z'), counters: { total: 1600, mono: 1200 } },
    ]);
    expect(periods.get('2026-11')?.opening).toEqual({ at: at('2026-11-10T10:00:00Z'), counters: { total: 1000, mono: 800 }, source: 'agent:acme/krakow' });
    expect(periods.get('2026-11')?.usage).toEqual({ total: 510, mono: 355 });
    expect(periods.get('2026-12')?.opening?.counters).toEqual({ total: 1510, mono: 1155 });
    expect(periods.get('2026-12')?.usage).toEqual({ total: 90, mono: 45 });
  });

  it('a reset mid-period: usage before and after it, flagged, never negative', () => {
    const { periods } = ledger([
      { at: at('2026-11-02T10:00:00Z'), counters: { total: 50_000 } },
      { at: at('2026-11-10T10:00:00Z'), counters: { total: 50_400 } },
      { at: at('2026-11-11T10:00:00Z'), counters: { total: 30 } },
      { at: at('2026-11-12T10:00:00Z'), counters: { total: 130 } },
    ]);
    const nov = periods.get('2026-11')!;
    expect(nov.usage).toEqual({ total: 530 });
    expect(nov.flags.map((f) => [f.flag, f.key])).toEqual([['reset', 'total']]);
  });

  it('an absurd jump is flagged and left out of the usage', () => {
    const { periods } = ledger([
      { at: at('2026-11-02T10:00:00Z'), counters: { total: 1000 } },
      { at: at('2026-11-03T10:00:00Z'), counters: { total: 1_000_001_000 } },
    ]);
    expect(periods.get('2026-11')?.usage).toEqual({});
    expect(periods.get('2026-11')?.flags.map((f) => f.flag)).toEqual(['absurdJump']);
  });

  it('another MAC under the same serial is two devices (or a swap): flagged, nothing billed across it', () => {
    const { device, periods } = ledger([
      { at: at('2026-11-02T10:00:00Z'), counters: { total: 1000 } },
      { at: at('2026-11-03T10:00:00Z'), counters: { total: 52_000 }, identity: { ...ID, mac: '02:fd:00:00:00:99', sysName: 'other' } },
    ]);
    expect(periods.get('2026-11')?.usage).toEqual({});
    expect(periods.get('2026-11')?.flags.map((f) => f.flag)).toEqual(['identityConflict']);
    expect(device.events.map((e) => e.kind)).toEqual(['identityConflict']);
  });

  it('an older reading (outbox replay) changes nothing', () => {
    const first = ledger([{ at: at('2026-11-03T10:00:00Z'), counters: { total: 10 } }]);
    const out = applyReading({
      device: first.device,
      previousPeriod: undefined,
      currentPeriod: undefined,
      deviceKey: 'acme/SN1',
      customerId: 'acme',
      reading: { at: at('2026-11-02T10:00:00Z'), counters: { total: 5 }, source: 'x', identity: ID },
      settings,
    });
    expect(out).toBeNull();
  });
});

describe('missing meters', () => {
  const s3 = BillingSettings.parse({ day: 1, timeZone: 'Europe/Warsaw', missingMeterDays: 3 });
  const dev = (deviceKey: string, last?: string) => ({
    deviceKey,
    customerId: 'acme',
    serial: deviceKey.toUpperCase(),
    ...(last ? { last: { at: at(last), counters: { total: 1 } } } : {}),
  });
  const devices = [dev('a', '2026-11-20T10:00:00Z'), dev('b', '2026-11-29T10:00:00Z'), dev('c')];

  it('nothing is missing earlier than N days before the cut-off', () => {
    expect(missingMeters(devices, at('2026-11-27T12:00:00Z'), () => s3)).toEqual([]);
  });

  it('within N days of the cut-off: the devices silent N days or more, oldest first', () => {
    const cutoff = at('2026-11-30T23:00:00Z');
    expect(missingMeters(devices, at('2026-11-28T12:00:00Z'), () => s3)).toEqual([
      { deviceKey: 'c', customerId: 'acme', serial: 'C', lastReadingAt: null, neverReported: true, cutoff, silentDays: 0 },
      { deviceKey: 'a', customerId: 'acme', serial: 'A', lastReadingAt: at('2026-11-20T10:00:00Z'), neverReported: false, cutoff, silentDays: 8 },
    ]);
  });
});

describe('the ledger and the fleet', () => {
  it('a fleet device that never reported a meter joins the ledger without a reading; one identity, no duplicates', () => {
    const s3 = BillingSettings.parse({ day: 1, timeZone: 'Europe/Warsaw', missingMeterDays: 3 });
    const ledger = [{ deviceKey: 'acme/sn:A', customerId: 'acme', serial: 'A', last: { at: at('2026-11-28T10:00:00Z'), counters: { total: 5 } }, events: [] }];
    const fleet = [
      { key: 'acme/sn:A', customerId: 'acme', identity: { serial: 'A' } },
      { key: 'acme/sn:B', customerId: 'acme', identity: { serial: 'B' } },
      { key: 'acme/ip:10.0.0.9', customerId: 'acme', identity: {} },
    ];
    const all = ledgerDevices(ledger, fleet);
    expect(all.map((d) => [d.deviceKey, d.serial ?? null, d.last?.at ?? null])).toEqual([
      ['acme/sn:A', 'A', at('2026-11-28T10:00:00Z')],
      ['acme/sn:B', 'B', null],
      ['acme/ip:10.0.0.9', null, null],
    ]);
    expect(unreadDevice(fleet[1]!)).toEqual({ deviceKey: 'acme/sn:B', customerId: 'acme', serial: 'B', events: [] });
    // Within the window before the cut-off the two never read are missing, the one read today is not.
    expect(missingMeters(all, at('2026-11-28T12:00:00Z'), () => s3).map((m) => [m.deviceKey, m.neverReported, m.lastReadingAt])).toEqual([
      ['acme/ip:10.0.0.9', true, null],
      ['acme/sn:B', true, null],
    ]);
  });
});
