/** The meter recorder at ingest: which readings reach the ledger, and swaps at an address. */
import { describe, expect, it } from 'vitest';
import type { DeviceUpdate } from '../../../server/events/fleetEvents.js';
import type { DeviceRecord } from '../../../server/fleet/fleetModel.js';
import { BillingSettings } from '../../../server/meters/billingPeriod.js';
import type { MeterDevice, MeterPeriod } from '../../../server/meters/meterLedger.js';
import { METER_COLLECTIONS, MeterRecorder, periodRecordId } from '../../../server/meters/meterRecorder.js';
import type { Transaction } from '../../../server/storage/repository.js';

const settings = BillingSettings.parse({ day: 1, timeZone: 'Europe/Warsaw' });

function store() {
  const data = new Map<string, unknown>();
  const tx = {
    get: <T>(c: string, id: string) => Promise.resolve(data.get(`${c}/${id}`) as T | undefined),
    put: <T>(c: string, id: string, v: T) => {
      data.set(`${c}/${id}`, v);
      return Promise.resolve();
    },
  } as unknown as Transaction;
  return { data, tx };
}

function device(key: string, total: number, collectedAt: string, address = '10.0.0.5:161'): DeviceRecord {
  return {
    key,
    tenant: 'acme',
    customerId: 'acme',
    siteId: 'acme/a1',
    agentId: 'a1',
    agentDeviceId: 'p1',
    identity: { serial: key.split(':')[1]! },
    address,
    status: 'idle',
    reachable: true,
    faults: [],
    supplies: [],
    inputs: [],
    counters: { total },
    collectedAt,
    firstSeen: collectedAt,
    lastSeen: collectedAt,
  };
}

const update = (d: DeviceRecord, previous?: DeviceRecord): DeviceUpdate => ({
  messageId: `m-${d.collectedAt}`,
  at: d.collectedAt!,
  previous,
  device: d,
  changes: [],
});

describe('meter recorder', () => {
  it('applies the first reading, skips the next within the hour, applies a drop at once and a new period’s first reading', async () => {
    const { data, tx } = store();
    const r = new MeterRecorder({ billingOf: () => settings });
    const seq = [
      device('acme/sn:A', 100, '2026-11-30T20:00:00Z'),
      device('acme/sn:A', 110, '2026-11-30T20:10:00Z'),
      device('acme/sn:A', 5, '2026-11-30T20:20:00Z'),
      device('acme/sn:A', 9, '2026-11-30T23:05:00Z'),
    ];
    let prev: DeviceRecord | undefined;
    for (const d of seq) {
      await r.record(update(d, prev), tx);
      prev = d;
    }
    expect(r.stats).toMatchObject({ applied: 3, skipped: 1 });
    const nov = data.get(`${METER_COLLECTIONS.periods}/${periodRecordId('acme/sn:A', '2026-11')}`) as MeterPeriod;
    // 100 → (110 not applied) → 5: a reset, 5 pages since; then 4 more into December's opening.
    expect(nov.usage).toEqual({ total: 9 });
    expect(nov.flags.map((f) => f.flag)).toEqual(['reset']);
    const dec = data.get(`${METER_COLLECTIONS.periods}/${periodRecordId('acme/sn:A', '2026-12')}`) as MeterPeriod;
    expect(dec.opening).toMatchObject({ counters: { total: 9 }, source: 'agent:acme/a1' });
  });

  it('a new device at an address another one held: a swap event on both, histories apart', async () => {
    const { data, tx } = store();
    const r = new MeterRecorder({ billingOf: () => settings });
    await r.record(update(device('acme/sn:OLD', 50_000, '2026-11-10T10:00:00Z')), tx);
    await r.record(update(device('acme/sn:NEW', 12, '2026-11-11T10:00:00Z')), tx);
    const old = data.get(`${METER_COLLECTIONS.devices}/acme/sn:OLD`) as MeterDevice;
    const fresh = data.get(`${METER_COLLECTIONS.devices}/acme/sn:NEW`) as MeterDevice;
    expect(old.events.map((e) => [e.kind, e.to])).toEqual([['deviceSwap', 'acme/sn:NEW']]);
    expect(fresh.events.map((e) => [e.kind, e.from])).toEqual([['deviceSwap', 'acme/sn:OLD']]);
    expect(fresh.last?.counters).toEqual({ total: 12 });
    expect(r.stats.swaps).toBe(1);
  });
});
