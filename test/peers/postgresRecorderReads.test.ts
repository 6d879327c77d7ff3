/**
 * Telemetry over PostgreSQL costs a constant number of statements per batch, whatever the number of
 * devices in it: the history and meter recorders declare what they read (FleetEventBus
 * declareUpdateReads) and ingest reads it with the batch's devices, instead of a round trip per
 * supply track, counter track, meter ledger and period of each device. Counted per batch of N
 * telemetry messages for N devices, for two N, in the cases where the recorders read: the first
 * readings (supply tracks, meters), supply levels that move, and a new billing period (the
 * previous period follows from the meter ledger: the second step).
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging.js';
import type { DeviceTelemetryMessage } from '../../shared/wire/messages.js';
import { FleetEventBus } from '../../server/events/fleetEvents.js';
import { FleetDirectory, FleetSettings } from '../../server/fleet/fleetModel.js';
import { ForecastService } from '../../server/forecast/forecastService.js';
import { HistoryRecorder } from '../../server/history/historyRecorder.js';
import { ServerMetrics } from '../../server/http/metrics.js';
import { DEFAULT_IMPACT_SETTINGS } from '../../server/impact/impactRules.js';
import { Ingest } from '../../server/ingest/ingest.js';
import { DEFAULT_BILLING } from '../../server/meters/billingPeriod.js';
import type { MeterPeriod } from '../../server/meters/meterLedger.js';
import { METER_COLLECTIONS, MeterRecorder, periodRecordId } from '../../server/meters/meterRecorder.js';
import { presetContract } from '../../server/sla/presets.js';
import { SERVER_UNIQUE_KEYS } from '../../server/storage/openRepository.js';
import type { Transaction } from '../../server/storage/repository.js';
import { StoredTicketRepository } from '../../server/tickets/ticketRepository.js';
import { TicketService } from '../../server/tickets/ticketService.js';
import { ManualClock } from '../harness/manualClock.js';
import { usePostgresStores } from '../harness/postgresStores.js';
import { bytes, stateMsg, telemetryMsg, topicOf } from '../unit/server/wireFixtures.js';

const pg15 = usePostgresStores();

const logger = createLogger({ name: 'test', level: (process.env.TEST_LOG as 'error' | undefined) ?? 'silent' });
const FLEET = {
  customers: { acme: { name: 'ACME sp. z o.o.', contract: 'device-vendor', tenants: ['acme'] } },
  sites: { 'acme-hq': { name: 'ACME HQ', customer: 'acme', agents: ['acme/a1'] } },
};
/** One record read on its own: what the prefetch is there to avoid. */
const SINGLE_READ = /^SELECT value FROM records WHERE collection = \$1 AND id = \$2/;

/** The server's ingest with its device update subscribers, on a fresh database; each unit of work's statements are logged. */
async function pipeline(name: string, clock: ManualClock) {
  const store = await pg15.openStore(await pg15.server().newDatabase(name), { uniqueKeys: SERVER_UNIQUE_KEYS, poolSize: 2 });
  const units: string[][] = [];
  const transaction = store.transaction.bind(store);
  store.transaction = ((work: (tx: Transaction) => unknown) =>
    transaction((tx) => {
      const statements: string[] = [];
      units.push(statements);
      const pgTx = tx as unknown as { query: (text: string, values?: unknown[]) => Promise<unknown> };
      const query = pgTx.query.bind(pgTx);
      pgTx.query = (text, values) => {
        statements.push(`${text.trim().slice(0, 60)} ${JSON.stringify(values ?? []).slice(0, 160)}`);
        return query(text, values);
      };
      return work(tx);
    })) as typeof store.transaction;
  const directory = new FleetDirectory(FleetSettings.parse(FLEET));
  const bus = new FleetEventBus(logger);
  const tickets = new TicketService({ repository: new StoredTicketRepository(store), clock, contractFor: presetContract, defaultContractId: 'device-vendor' });
  tickets.attachToFleetEvents(bus);
  const history = new HistoryRecorder({ logger });
  new ForecastService({
    repo: store,
    clock,
    tickets,
    directory,
    contractOf: () => presetContract('device-vendor'),
    logger,
    afterCommit: (tx, effect) => bus.afterCommit(tx, effect),
  }).attach(history);
  history.attach(bus);
  const meters = new MeterRecorder({ billingOf: () => DEFAULT_BILLING, logger });
  meters.attach(bus);
  const ingest = new Ingest({
    repo: store,
    directory,
    impact: DEFAULT_IMPACT_SETTINGS,
    events: bus,
    clock,
    logger,
    metrics: new ServerMetrics(),
    maxPayloadBytes: 256 * 1024,
  });
  return { store, ingest, bus, units, meters, history, tickets };
}

/** One batch through ingest, all accepted; returns the statements of its unit of work. */
async function batch(p: Awaited<ReturnType<typeof pipeline>>, msgs: readonly (DeviceTelemetryMessage | ReturnType<typeof stateMsg>)[]): Promise<string[]> {
  const before = p.units.length;
  const verdicts = await p.ingest.handleBatch(msgs.map((m) => ({ topic: topicOf(m), payload: bytes(m) })));
  expect(verdicts.map((v) => v.outcome)).toEqual(msgs.map(() => 'accepted'));
  expect(p.units.length - before).toBe(1);
  return p.units[p.units.length - 1]!;
}

function telemetry(n: number, ts: string, total: number, level: number): DeviceTelemetryMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const m = telemetryMsg('acme', 'a1', `p${i}`, total + i, ts, total);
    return { ...m, supplies: m.supplies.map((s) => ({ ...s, levelPercent: level })) };
  });
}

/** Statements per batch in each case, for `n` devices. */
async function statementsPerCase(n: number): Promise<Record<string, string[]>> {
  const clock = new ManualClock('2026-01-30T08:30:00Z');
  const p = await pipeline(`recorder_reads_${n}`, clock);
  try {
    const states = Array.from({ length: n }, (_, i) =>
      stateMsg('acme', 'a1', `p${i}`, {
        identity: { vendor: 'HP', model: 'M404', serial: `SN-${i}` },
        address: `192.0.2.${i + 1}`,
        collectedAt: '2026-01-30T08:00:00Z',
      }),
    );
    await batch(p, states);
    const cases: Record<string, string[]> = {};
    // The first readings after a (re)start: supply tracks (the level differs from the snapshot's), meters applied.
    cases.firstReadings = await batch(p, telemetry(n, '2026-01-30T08:10:00Z', 2000, 39));
    const applied = p.meters.stats.applied;
    // Levels move: every supply track is read and written.
    cases.levelsMove = await batch(p, telemetry(n, '2026-01-30T08:11:00Z', 2100, 30));
    // Two days later, in a new billing period: the previous period follows from the meter ledger.
    clock.jump('2026-02-01T08:30:00Z');
    cases.newPeriod = await batch(p, telemetry(n, '2026-02-01T08:10:00Z', 2200, 29));
    // The recorders did read and write: readings applied, the new period opened, supply points kept.
    expect(p.meters.stats.applied - applied).toBe(n);
    const feb = await p.store.getMany<MeterPeriod>(
      METER_COLLECTIONS.periods,
      Array.from({ length: n }, (_, i) => periodRecordId(`acme/sn:sn-${i}`, '2026-02')),
    );
    expect(feb.map((period) => period?.opening?.counters.total)).toEqual(Array.from({ length: n }, (_, i) => 2200 + i));
    expect(p.history.stats.supplyWrites).toBeGreaterThanOrEqual(n);
    expect(p.bus.handlerErrors).toBe(0);
    return cases;
  } finally {
    p.tickets.stop();
    await p.store.close();
  }
}

describe('telemetry on PostgreSQL: statements per batch do not grow with the devices in it', () => {
  it('reads what the history and meter recorders need with the batch, in a constant number of queries', async () => {
    const small = await statementsPerCase(3);
    const large = await statementsPerCase(12);
    for (const name of Object.keys(small)) {
      const [s, l] = [small[name]!, large[name]!];
      // No record read on its own, and as many statements for 12 devices as for 3.
      expect({ name, single: l.filter((q) => SINGLE_READ.test(q)) }).toEqual({ name, single: [] });
      expect({ name, statements: l.length }).toEqual({ name, statements: s.length });
    }
    // The new period's previous-period reads (the second step) made one more query than levels moving.
    expect(large.newPeriod!.length).toBeGreaterThan(large.levelsMove!.length);
  });
});
