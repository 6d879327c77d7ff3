/**
 * The server core over PostgreSQL: two ingest pipelines (two "instances", each with its own store,
 * pool and ticket service) receive the SAME stream at the same time, in batches (one transaction
 * with a savepoint per message), as after a redelivery. Serialization failures make whole batches
 * run again; the result must be what one instance alone produces: every message applied once, one
 * ticket per faulty device. Then `startServer` with `storage.kind: postgres`: /readyz follows the
 * database.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging.js';
import type { WireMessage } from '../../shared/wire/messages.js';
import { FleetEventBus } from '../../server/events/fleetEvents.js';
import { FleetDirectory, FleetSettings } from '../../server/fleet/fleetModel.js';
import { ServerMetrics } from '../../server/http/metrics.js';
import { DEFAULT_IMPACT_SETTINGS } from '../../server/impact/impactRules.js';
import { Ingest, type IngestVerdict } from '../../server/ingest/ingest.js';
import { loadServerConfig } from '../../server/serverConfig.js';
import { startServer } from '../../server/server.js';
import { presetContract } from '../../server/sla/presets.js';
import { SERVER_UNIQUE_KEYS } from '../../server/storage/openRepository.js';
import { PostgresStore } from '../../server/storage/postgresStore.js';
import { StoredTicketRepository } from '../../server/tickets/ticketRepository.js';
import { TicketService } from '../../server/tickets/ticketService.js';
import { ManualClock } from '../harness/manualClock.js';
import { makeTempDir, waitUntil } from '../harness/peers.js';
import { startPostgres } from '../harness/postgres.js';
import { usePostgresStores } from '../harness/postgresStores.js';
import { bytes, fault, raisedMsg, stateMsg, topicOf } from '../unit/server/wireFixtures.js';

const pg15 = usePostgresStores();

const logger = createLogger({ name: 'test', level: (process.env.TEST_LOG as 'error' | undefined) ?? 'silent' });
const FLEET = {
  customers: { acme: { name: 'ACME sp. z o.o.', contract: 'standard', tenants: ['acme'], contact: { name: 'Jan Kowalski', email: 'jan@example.com' } } },
  sites: { 'acme-hq': { name: 'ACME HQ', customer: 'acme', agents: ['acme/agent-0', 'acme/agent-1', 'acme/agent-2'] } },
};

async function instance(url: string, clock: ManualClock) {
  const store = await pg15.openStore(url, { uniqueKeys: SERVER_UNIQUE_KEYS, poolSize: 3, maxAttempts: 30 });
  const bus = new FleetEventBus(logger);
  const tickets = new TicketService({ repository: new StoredTicketRepository(store), clock, contractFor: presetContract, defaultContractId: 'device-vendor' });
  tickets.attachToFleetEvents(bus);
  const ingest = new Ingest({
    repo: store,
    directory: new FleetDirectory(FleetSettings.parse(FLEET)),
    impact: DEFAULT_IMPACT_SETTINGS,
    events: bus,
    clock,
    logger,
    metrics: new ServerMetrics(),
    maxPayloadBytes: 256 * 1024,
  });
  return { store, ingest, bus };
}

describe('ingest over PostgreSQL, two instances on one stream', () => {
  it('applies every message once and opens one ticket per faulty device, whatever the interleaving', async () => {
    const url = await pg15.server().newDatabase('ingest_race');
    const clock = new ManualClock('2026-01-05T08:00:30Z');
    const [a, b] = [await instance(url, clock), await instance(url, clock)];
    try {
      // 12 devices on 3 agents report their state; then every third raises a jam.
      const states: WireMessage[] = [];
      const jams: WireMessage[] = [];
      for (let d = 0; d < 12; d++) {
        states.push(stateMsg('acme', `agent-${d % 3}`, `dev-${d}`, { identity: { vendor: 'HP', model: 'M404', serial: `SN-${d}` } }));
        if (d % 3 === 0) jams.push(raisedMsg('acme', `agent-${d % 3}`, `dev-${d}`, fault('jam')));
      }
      const item = (m: WireMessage) => ({ topic: topicOf(m), payload: bytes(m) });
      type Item = ReturnType<typeof item>;
      const inBatches = (order: Item[], size: number) =>
        Array.from({ length: Math.ceil(order.length / size) }, (_, i) => order.slice(i * size, (i + 1) * size));
      // Both instances get everything, in opposite orders and their batches at the same time.
      const run = async (ingest: Ingest, order: Item[], size: number) =>
        (await Promise.all(inBatches(order, size).map((batch) => ingest.handleBatch(batch)))).flat();
      const outcomes = (v: IngestVerdict[]) => v.map((x) => (x.outcome === 'rejected' ? `rejected:${x.reason}` : x.outcome));
      const all: string[] = [];
      for (const [list, size] of [
        [states, 4],
        [jams, 2],
      ] as const) {
        const items = list.map(item);
        const [va, vb] = await Promise.all([run(a.ingest, items, size), run(b.ingest, [...items].reverse(), size)]);
        all.push(...outcomes(va), ...outcomes(vb));
      }
      expect(all.filter((o) => o === 'accepted')).toHaveLength(16);
      expect(all.filter((o) => o === 'duplicate')).toHaveLength(16);
      expect(all.filter((o) => o !== 'accepted' && o !== 'duplicate')).toEqual([]);
      const active = await new StoredTicketRepository(a.store).active();
      expect(active.map((t) => t.key).sort()).toEqual([
        'device:acme/sn:sn-0:jam||',
        'device:acme/sn:sn-3:jam||',
        'device:acme/sn:sn-6:jam||',
        'device:acme/sn:sn-9:jam||',
      ]);
      expect(new Set(active.map((t) => t.id)).size).toBe(4);
      expect((await a.store.list('devices')).length).toBe(12);
      expect(a.bus.handlerErrors + b.bus.handlerErrors).toBe(0);
    } finally {
      await a.store.close();
      await b.store.close();
    }
  });
});

describe('startServer with storage.kind postgres', () => {
  it('runs on PostgreSQL and /readyz reports the database going away', async () => {
    const own = await startPostgres();
    const data = makeTempDir('server-pg');
    try {
      const url = await own.newDatabase('server');
      const config = loadServerConfig(undefined, {
        FLEETDESK_SERVER__DATA_DIR: data.path,
        FLEETDESK_SERVER__HTTP__PORT: '0',
        FLEETDESK_SERVER__BROKER__EMBEDDED__PORT: '0',
        FLEETDESK_SERVER__STORAGE__KIND: 'postgres',
        FLEETDESK_SERVER__STORAGE__URL: url,
        FLEETDESK_SERVER__STORAGE__HEALTH_CHECK_INTERVAL: '200ms',
        FLEETDESK_SERVER__STORAGE__CONNECT_TIMEOUT: '1s',
      });
      const running = await startServer(config, logger);
      try {
        expect(running.repo).toBeInstanceOf(PostgresStore);
        const ready = () => running.http.inject({ method: 'GET', url: '/readyz' });
        expect((await ready()).statusCode).toBe(200);
        const msg = stateMsg('acme', 'a1', 'p1');
        expect(await running.ingest.handle(topicOf(msg), bytes(msg))).toEqual({ outcome: 'accepted' });
        expect(await running.repo.list('devices')).toHaveLength(1);
        await own.stop();
        await waitUntil(async () => (await ready()).statusCode === 503, '/readyz to report the database down', 10_000);
        const body = (await ready()).json<{ problems: string[] }>();
        expect(body.problems.join('\n')).toMatch(/PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/server_\d+_\d+ unreachable/);
        const later = stateMsg('acme', 'a1', 'p2');
        expect(await running.ingest.handle(topicOf(later), bytes(later))).toMatchObject({ outcome: 'failed' });
      } finally {
        await running.close();
      }
    } finally {
      await own.stop();
      data.remove();
    }
  });
});
