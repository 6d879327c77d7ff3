/**
 * The missing-meter alert: raised once per device and period (also across a restart), with an
 * event in the device's meter timeline and a notification to the dispatch list and the
 * customer's contact; cleared by the device's next reading. The pure rule (which devices are
 * missing) is in meterLedger.test.ts; here the alert records, the timeline and the deliveries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../../server/fleet/fleetModel.js';
import { BillingSettings } from '../../../server/meters/billingPeriod.js';
import type { MeterDevice } from '../../../server/meters/meterLedger.js';
import { METER_COLLECTIONS, MeterRecorder } from '../../../server/meters/meterRecorder.js';
import { alertsToRaise, missingMeterAlertId, type MissingMeterAlert } from '../../../server/meters/missingMeterAlert.js';
import { MissingMeterWatch } from '../../../server/meters/missingMeterWatch.js';
import { DELIVERIES, type Delivery } from '../../../server/notifications/delivery.js';
import { renderMessage } from '../../../server/notifications/messageRendering.js';
import { missingMeterFacts } from '../../../server/notifications/noticeFacts.js';
import { NotificationService } from '../../../server/notifications/notificationService.js';
import { NotificationSettings } from '../../../server/notifications/notificationSettings.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import type { Repository } from '../../../server/storage/repository.js';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';

const settings = BillingSettings.parse({ day: 1, timeZone: 'Europe/Warsaw', missingMeterDays: 3 });
const at = (s: string) => Date.parse(s);
// The November cut-off is 1 December 00:00 in Warsaw = 30 November 23:00 UTC; three days before it: 27 November 23:00 UTC.
const CUTOFF = at('2026-11-30T23:00:00Z');

const temps: Array<{ remove(): void }> = [];
const stores: Repository[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const t of temps.splice(0)) t.remove();
});

async function open(dir: string): Promise<Repository> {
  const repo = new JournaledStore({ dir });
  await repo.open();
  stores.push(repo);
  return repo;
}

const meterDevice = (deviceKey: string, last: string): MeterDevice => ({
  deviceKey,
  customerId: 'acme',
  serial: deviceKey.split(':')[1]!,
  last: { at: at(last), counters: { total: 1000 } },
  events: [],
});

const fleetDevice = (key: string, collectedAt: string, total: number): DeviceRecord => ({
  key,
  tenant: 'acme',
  customerId: 'acme',
  siteId: 'acme/a1',
  agentId: 'a1',
  agentDeviceId: 'p1',
  identity: { serial: key.split(':')[1]!, model: 'MX-3070' },
  status: 'idle',
  reachable: true,
  faults: [],
  supplies: [],
  inputs: [],
  counters: { total },
  collectedAt,
  firstSeen: '2026-11-01T00:00:00Z',
  lastSeen: collectedAt,
});

const notificationSettings = NotificationSettings.parse({
  language: 'en',
  email: {
    smtp: { host: '127.0.0.1', port: 2525 },
    from: 'FleetDesk <fleetdesk@vendor.example>',
    recipients: [{ to: ['dispatch@vendor.example'], events: ['meter.missing'] }],
  },
  customers: { acme: { events: ['meter.missing'], includeContact: true } },
});

function watchOf(repo: Repository, clock: ManualClock) {
  const notifications = new NotificationService({ repo, settings: notificationSettings, clock });
  const watch = new MissingMeterWatch({
    repo,
    clock,
    billingOf: () => settings,
    customerOf: () => ({ name: 'ACME sp. z o.o.', contactEmail: 'it@acme.example' }),
    notifications,
  });
  return { watch, notifications };
}

async function seeded() {
  const t = makeTempDir('meter-alert');
  temps.push(t);
  const repo = await open(t.path);
  await repo.transaction(async (tx) => {
    await tx.put(METER_COLLECTIONS.devices, 'acme/sn:S1', meterDevice('acme/sn:S1', '2026-11-20T10:00:00Z')); // silent 8 days
    await tx.put(METER_COLLECTIONS.devices, 'acme/sn:S2', meterDevice('acme/sn:S2', '2026-11-28T06:00:00Z')); // reported today
    await tx.put('devices', 'acme/sn:S1', fleetDevice('acme/sn:S1', '2026-11-20T10:00:00Z', 1000));
  });
  return { repo, dir: t.path };
}

describe('missing-meter alert', () => {
  it('the rule names the period the cut-off closes and skips alerts already raised', () => {
    const missing = [{ deviceKey: 'd1', customerId: 'acme', serial: null, lastReadingAt: null, neverReported: true, cutoff: CUTOFF, silentDays: 0 }];
    const [alert] = alertsToRaise(
      missing,
      () => false,
      at('2026-11-29T00:00:00Z'),
      () => settings,
    );
    expect(alert).toMatchObject({ id: 'd1|2026-11', period: '2026-11', cutoff: CUTOFF, clearedAt: null });
    expect(
      alertsToRaise(
        missing,
        (id) => id === missingMeterAlertId('d1', '2026-11'),
        at('2026-11-29T00:00:00Z'),
        () => settings,
      ),
    ).toEqual([]);
  });

  it('raised once per device and period, with a timeline event and notices to dispatch and the customer contact', async () => {
    const { repo, dir } = await seeded();
    const clock = new ManualClock('2026-11-27T12:00:00Z'); // before the three-day window
    const { watch } = watchOf(repo, clock);
    expect(await watch.check()).toEqual([]);

    clock.jump('2026-11-28T12:00:00Z');
    const raised = await watch.check();
    expect(raised.map((a) => [a.id, a.cutoff, a.lastReadingAt])).toEqual([['acme/sn:S1|2026-11', CUTOFF, at('2026-11-20T10:00:00Z')]]);
    const device = await repo.get<MeterDevice>(METER_COLLECTIONS.devices, 'acme/sn:S1');
    expect(device?.missingMeter).toEqual({ id: 'acme/sn:S1|2026-11', raisedAt: at('2026-11-28T12:00:00Z') });
    expect(device?.events.map((e) => e.kind)).toEqual(['missingMeter']);
    expect(device?.events[0]?.detail).toContain('2026-12-01 00:00, Europe/Warsaw');

    const deliveries = await repo.list<Delivery>(DELIVERIES);
    expect(deliveries.map((d) => [d.kind, d.target, d.audience, d.customerId]).sort()).toEqual([
      ['meter.missing', 'dispatch@vendor.example', 'vendor', 'acme'],
      ['meter.missing', 'it@acme.example', 'customer', 'acme'],
    ]);
    expect(deliveries[0]?.subject).toBe('[FleetDesk] Meter reading missing: MX-3070, S/N S1');
    expect(deliveries[0]?.text).toContain('Billing period: 2026-11');

    // Again, and after a restart: no second alert, no second notice.
    clock.jump('2026-11-29T12:00:00Z');
    expect(await watch.check()).toEqual([]);
    await repo.close();
    const reopened = await open(dir);
    expect(await watchOf(reopened, clock).watch.check()).toEqual([]);
    expect(await reopened.list<Delivery>(DELIVERIES)).toHaveLength(2);
  });

  it('a fleet device that never reported a meter raises its alert too; its first reading clears it', async () => {
    const { repo } = await seeded();
    // S3 answers but has never sent a counter: no meter record.
    await repo.transaction((tx) => tx.put('devices', 'acme/sn:S3', { ...fleetDevice('acme/sn:S3', '2026-11-25T10:00:00Z', 0), counters: {} }));
    const clock = new ManualClock('2026-11-28T12:00:00Z');
    const raised = await watchOf(repo, clock).watch.check();
    expect(raised.map((a) => [a.id, a.lastReadingAt])).toEqual([
      ['acme/sn:S3|2026-11', null],
      ['acme/sn:S1|2026-11', at('2026-11-20T10:00:00Z')],
    ]);
    const device = await repo.get<MeterDevice>(METER_COLLECTIONS.devices, 'acme/sn:S3');
    expect(device).toMatchObject({ deviceKey: 'acme/sn:S3', serial: 'S3', missingMeter: { id: 'acme/sn:S3|2026-11' } });
    expect(device?.last).toBeUndefined();
    expect(device?.events[0]?.detail).toContain('no reading yet');
    expect((await repo.list<Delivery>(DELIVERIES)).filter((d) => d.text.includes('S3'))).toHaveLength(2);

    await new MeterRecorder({ billingOf: () => settings }).recordManual(repo, fleetDevice('acme/sn:S3', '2026-11-29T09:00:00Z', 40), {
      at: at('2026-11-29T09:00:00Z'),
      counters: { total: 40 },
      source: 'manual:tech',
      identity: {},
    });
    expect((await repo.get<MissingMeterAlert>(METER_COLLECTIONS.alerts, 'acme/sn:S3|2026-11'))?.clearedAt).toBe(at('2026-11-29T09:00:00Z'));
    expect((await repo.get<MeterDevice>(METER_COLLECTIONS.devices, 'acme/sn:S3'))?.events.map((e) => e.kind)).toEqual(['missingMeter', 'meterBack']);
  });

  it('the Polish message names the device, the cut-off in the customer’s time and the last reading', () => {
    const facts = missingMeterFacts(
      {
        deviceKey: 'acme/sn:S1',
        customer: { id: 'acme', name: 'ACME sp. z o.o.' },
        serial: 'S1',
        model: 'MX-3070',
        period: '2026-11',
        cutoff: CUTOFF,
        lastReadingAt: null,
      },
      at('2026-11-28T12:00:00Z'),
    );
    const m = renderMessage(facts, 'pl', { timeZone: 'Europe/Warsaw', dashboardUrl: 'https://fd.example.pl' });
    expect(m.subject).toBe('[FleetDesk] Brak odczytu licznika: MX-3070, nr ser. S1');
    expect(m.text).toContain('Odczyt na dzień: 1 grudnia 2026, 00:00 CET');
    expect(m.text).toContain('Ostatni odczyt: brak odczytu');
    expect(m.text).toContain('Szczegóły: https://fd.example.pl/dashboard/#/meters?period=2026-11');
  });

  it('the next reading clears it: the alert closed, a timeline event, the device no longer flagged', async () => {
    const { repo } = await seeded();
    const clock = new ManualClock('2026-11-28T12:00:00Z');
    await watchOf(repo, clock).watch.check();
    const recorder = new MeterRecorder({ billingOf: () => settings });
    await recorder.recordManual(repo, fleetDevice('acme/sn:S1', '2026-11-29T09:00:00Z', 1500), {
      at: at('2026-11-29T09:00:00Z'),
      counters: { total: 1500 },
      source: 'manual:tech',
      identity: {},
    });
    const alert = await repo.get<MissingMeterAlert>(METER_COLLECTIONS.alerts, 'acme/sn:S1|2026-11');
    expect(alert?.clearedAt).toBe(at('2026-11-29T09:00:00Z'));
    const device = await repo.get<MeterDevice>(METER_COLLECTIONS.devices, 'acme/sn:S1');
    expect(device?.missingMeter).toBeUndefined();
    expect(device?.events.map((e) => e.kind)).toEqual(['missingMeter', 'meterBack']);
    expect(device?.last?.counters.total).toBe(1500);
  });

  it('runs on the injected clock: the first check a minute after start, then every interval', async () => {
    const { repo } = await seeded();
    const clock = new ManualClock('2026-11-28T12:00:00Z');
    const { watch } = watchOf(repo, clock);
    watch.start();
    expect(await repo.list(METER_COLLECTIONS.alerts)).toEqual([]);
    clock.advance(60_000);
    for (let i = 0; i < 100 && (await repo.list(METER_COLLECTIONS.alerts)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await repo.list<MissingMeterAlert>(METER_COLLECTIONS.alerts)).map((a) => a.id)).toEqual(['acme/sn:S1|2026-11']);
    watch.stop();
    expect(clock.timerCount).toBe(0);
  });
});
