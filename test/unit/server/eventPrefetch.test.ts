/**
 * A fault's unit of work reads nothing one record at a time that the batch prefetch could have
 * read: the ticket rules and the history recorder declare their reads on the bus (FleetEventBus
 * declareReads), ingest reads them with the batch's devices, and a ticket opened with a fresh
 * number is not looked up (on PostgreSQL every such read is a round trip). Likewise telemetry's
 * reads by the history and meter recorders (declareUpdateReads); test/peers/postgresRecorderReads
 * counts the statements on PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FleetDirectory, FleetSettings } from '../../../server/fleet/fleetModel.js';
import { ForecastService } from '../../../server/forecast/forecastService.js';
import { HistoryRecorder } from '../../../server/history/historyRecorder.js';
import { DEFAULT_BILLING } from '../../../server/meters/billingPeriod.js';
import { MeterRecorder } from '../../../server/meters/meterRecorder.js';
import type { RecordRef, Transaction } from '../../../server/storage/repository.js';
import { presetContract } from '../../../server/sla/presets.js';
import { StoredTicketRepository } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import type { WireMessage } from '../../../shared/wire/messages.js';
import { bindAll, makeKit, type Kit } from './serverTestKit.js';
import { bytes, clearedMsg, fault, raisedMsg, stateMsg, telemetryMsg, topicOf } from './wireFixtures.js';

const FLEET = {
  customers: { acme: { name: 'ACME', contract: 'device-vendor', tenants: ['acme'], contact: { name: 'Jan Kowalski', email: 'jan@example.com' } } },
  sites: { 'acme-hq': { name: 'ACME HQ', customer: 'acme', agents: ['acme/a1'] }, 'acme-wro': { name: 'ACME Wrocław', customer: 'acme', agents: ['acme/a2'] } },
};

/**
 * Collections the ticket rules and the history recorder read per device event (ticketMeta also
 * holds the embedded store's ticket counter, a sequence on PostgreSQL: not watched).
 */
const DECLARED = new Set([
  'ticketSubjects',
  'tickets',
  'faultTimeline',
  'ticketCustomerFixableHolds',
  // The device update subscribers: history and meters (FleetEventBus.declareUpdateReads).
  'supplyHistory',
  'counterHistory',
  'meterDevices',
  'meterPeriods',
  'meterAddresses',
  'meterAlerts',
]);

let kit: Kit;
let svc: TicketService;
afterEach(async () => {
  svc.stop();
  await kit.close();
});

/** The kit with the ticket engine attached (every test's start). */
async function startKit(): Promise<void> {
  kit = await makeKit(FLEET);
  svc = new TicketService({
    repository: new StoredTicketRepository(kit.store),
    clock: kit.clock,
    contractFor: presetContract,
    defaultContractId: 'device-vendor',
  });
  svc.attachToFleetEvents(kit.bus);
}

/** The messages ingested as one batch (one unit of work, one prefetch). */
const batch = (msgs: WireMessage[]) => kit.ingest.handleBatch(msgs.map((m) => ({ topic: topicOf(m), payload: bytes(m) })));

/**
 * The single reads (get) transactions made of DECLARED collections, and those of them the transaction's
 * own prefetch had not read (`missed`: each a round trip on PostgreSQL).
 */
function spy(k: Kit): { reads: string[]; missed: string[] } {
  const seen = { reads: [] as string[], missed: [] as string[] };
  const original = k.store.transaction.bind(k.store);
  k.store.transaction = ((work: (tx: Transaction) => unknown) =>
    original((tx) => {
      const own = new Set<string>();
      return work({
        ...bindAll(tx),
        prefetch: (records: readonly RecordRef[], messageIds?: readonly string[]) => {
          for (const [c, id] of records) {
            own.add(`${c}/${id}`);
          }
          return tx.prefetch(records, messageIds);
        },
        get: (collection: string, id: string) => {
          if (DECLARED.has(collection)) {
            seen.reads.push(`${collection}/${id}`);
            if (!own.has(`${collection}/${id}`)) seen.missed.push(`${collection}/${id}`);
          }
          return tx.get(collection, id);
        },
      });
    })) as typeof k.store.transaction;
  return seen;
}

describe('reads a device event causes are prefetched with its batch', () => {
  it('a fault that opens a ticket reads its subject index and timeline only through the prefetch', async () => {
    await startKit();
    new HistoryRecorder().attach(kit.bus);
    const send = (msg: WireMessage) => kit.ingest.handle(topicOf(msg), bytes(msg));

    expect(await send(stateMsg('acme', 'a1', 'p1'))).toEqual({ outcome: 'accepted' });
    expect(await send(stateMsg('acme', 'a2', 'p2', { identity: { vendor: 'HP', model: 'M479', serial: 'SN-2' } }))).toEqual({ outcome: 'accepted' });
    const seen = spy(kit);
    const faults = [raisedMsg('acme', 'a1', 'p1', fault('jam')), raisedMsg('acme', 'a2', 'p2', fault('hardware.fault'))];
    expect(await batch(faults)).toEqual([{ outcome: 'accepted' }, { outcome: 'accepted' }]);

    const tickets = await new StoredTicketRepository(kit.store).active();
    // The devices are known by their serials (stateMsg's identity): ingest resolves the aliases first.
    expect(tickets.map((t) => t.key).sort()).toEqual(['device:acme/sn:sn-1:jam||', 'device:acme/sn:sn-2:hardware.fault||']);
    // The declared reads were made, and each one came out of the prefetch.
    expect(seen.reads).toEqual(
      expect.arrayContaining(['faultTimeline/acme/sn:sn-1', 'ticketSubjects/device:acme/sn:sn-1', 'ticketSubjects/key:device:acme/sn:sn-2:hardware.fault||']),
    );
    expect(seen.missed).toEqual([]);
    // The new tickets' own ids were never looked up: their numbers came fresh from the counter.
    for (const t of tickets) expect(seen.reads).not.toContain(`tickets/${t.id}`);
  });

  it('a customer-fixable raise and its clearing read the hold only through the prefetch', async () => {
    await startKit();

    expect(await batch([stateMsg('acme', 'a1', 'p1')])).toEqual([{ outcome: 'accepted' }]);
    const seen = spy(kit);
    expect(await batch([raisedMsg('acme', 'a1', 'p1', fault('door.open'))])).toEqual([{ outcome: 'accepted' }]);
    expect(await batch([clearedMsg('acme', 'a1', 'p1', 'door.open')])).toEqual([{ outcome: 'accepted' }]);

    // The door went to the customer first and closed in time: no ticket, the hold made and removed.
    expect(await new StoredTicketRepository(kit.store).active()).toEqual([]);
    const holdReads = seen.reads.filter((r) => r.startsWith('ticketCustomerFixableHolds/'));
    expect(holdReads).toHaveLength(2);
    expect(seen.missed).toEqual([]);
  });

  it('telemetry reads the supply and counter tracks and the meter records only through the prefetch', async () => {
    await startKit();
    const history = new HistoryRecorder();
    const forecasts = new ForecastService({
      repo: kit.store,
      clock: kit.clock,
      tickets: svc,
      directory: new FleetDirectory(FleetSettings.parse(FLEET)),
      contractOf: () => presetContract('device-vendor'),
      afterCommit: (tx, effect) => kit.bus.afterCommit(tx, effect),
    });
    forecasts.attach(history);
    history.attach(kit.bus);
    const meters = new MeterRecorder({ billingOf: () => DEFAULT_BILLING });
    meters.attach(kit.bus);
    const devices = [0, 1, 2];
    const telemetry = (ts: string, total: number, level: number) =>
      devices.map((i) => {
        const m = telemetryMsg('acme', 'a1', `p${i}`, total, ts, total);
        return { ...m, supplies: m.supplies.map((x) => ({ ...x, levelPercent: level })) };
      });
    const states = devices.map((i) =>
      stateMsg('acme', 'a1', `p${i}`, { identity: { vendor: 'HP', model: 'M404', serial: `SN-${i}` }, address: `192.0.2.${i + 1}` }),
    );
    expect(await batch(states)).toEqual(devices.map(() => ({ outcome: 'accepted' })));
    const seen = spy(kit);
    // The first readings (supply levels moved, meters applied), then a new billing period: its previous period is the second step.
    expect(await batch(telemetry('2026-01-05T08:02:00Z', 2000, 39))).toEqual(devices.map(() => ({ outcome: 'accepted' })));
    // Four hours later the same day: the supply forecasts are due again and read the counter tracks (their second step).
    kit.clock.jump('2026-01-05T12:30:00Z');
    const forecastsBefore = forecasts.stats.forecasts;
    expect(await batch(telemetry('2026-01-05T12:29:00Z', 2050, 35))).toEqual(devices.map(() => ({ outcome: 'accepted' })));
    expect(forecasts.stats.forecasts - forecastsBefore).toBe(devices.length);
    kit.clock.jump('2026-02-01T08:00:00Z');
    expect(await batch(telemetry('2026-02-01T07:59:00Z', 2100, 30))).toEqual(devices.map(() => ({ outcome: 'accepted' })));

    // A fault seen yesterday, received today: an event carries no collection time, so the server's day makes it the supplies' daily point.
    kit.clock.jump('2026-02-02T09:00:00Z');
    const readsBefore = seen.reads.length;
    const faults = devices.map((i) => raisedMsg('acme', 'a1', `p${i}`, fault('jam'), '2026-02-01T08:30:00Z'));
    expect(await batch(faults)).toEqual(devices.map(() => ({ outcome: 'accepted' })));
    expect(new Set(seen.reads.slice(readsBefore).filter((r) => r.startsWith('supplyHistory/')))).toEqual(
      new Set(devices.map((i) => `supplyHistory/acme/sn:sn-${i}|1`)),
    );

    expect(meters.stats.applied).toBe(3 * devices.length);
    for (const i of devices) {
      const key = `acme/sn:sn-${i}`;
      expect(seen.reads).toEqual(
        expect.arrayContaining([
          `supplyHistory/${key}|1`,
          `counterHistory/${key}`,
          `meterDevices/${key}`,
          `meterPeriods/${key}|2026-01`,
          `meterPeriods/${key}|2026-02`,
        ]),
      );
    }
    expect(seen.missed).toEqual([]);
  });
});
