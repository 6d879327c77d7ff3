/** An Ingest over a real JournaledStore in a temp dir, with a manual clock and a silent logger. */
import { createLogger } from '../../../shared/logging.js';
import { FleetEventBus, type FleetEvent } from '../../../server/events/fleetEvents.js';
import { FleetDirectory, FleetSettings } from '../../../server/fleet/fleetModel.js';
import { ServerMetrics } from '../../../server/http/metrics.js';
import { DEFAULT_IMPACT_SETTINGS } from '../../../server/impact/impactRules.js';
import { Ingest } from '../../../server/ingest/ingest.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import type { Transaction } from '../../../server/storage/repository.js';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';

export interface Kit {
  store: JournaledStore;
  ingest: Ingest;
  events: FleetEvent[];
  metrics: ServerMetrics;
  clock: ManualClock;
  bus: FleetEventBus;
  dir: string;
  close(): Promise<void>;
}

export async function makeKit(fleet: unknown = {}, dir?: string): Promise<Kit> {
  const temp = dir ? undefined : makeTempDir('ingest');
  const path = dir ?? temp!.path;
  const store = new JournaledStore({ dir: path });
  await store.open();
  const clock = new ManualClock('2026-01-05T08:00:30Z');
  const logger = createLogger({ name: 'test', level: 'silent' });
  const bus = new FleetEventBus(logger);
  const events: FleetEvent[] = [];
  bus.subscribe((e) => {
    events.push(e);
  });
  const metrics = new ServerMetrics();
  const ingest = new Ingest({
    repo: store,
    directory: new FleetDirectory(FleetSettings.parse(fleet)),
    impact: DEFAULT_IMPACT_SETTINGS,
    events: bus,
    clock,
    logger,
    metrics,
    maxPayloadBytes: 256 * 1024,
  });
  return {
    store,
    ingest,
    events,
    metrics,
    clock,
    bus,
    dir: path,
    close: async () => {
      await store.close();
      temp?.remove();
    },
  };
}

/** A transaction's methods, bound, so that a test can replace or wrap one of them (spread, then override). */
export function bindAll(tx: Transaction): Transaction {
  return {
    get: tx.get.bind(tx),
    list: tx.list.bind(tx),
    listOrdered: tx.listOrdered.bind(tx),
    prefetch: tx.prefetch.bind(tx),
    offerNumber: tx.offerNumber.bind(tx),
    useNumber: tx.useNumber.bind(tx),
    unusedNumber: tx.unusedNumber.bind(tx),
    delete: tx.delete.bind(tx),
    archive: tx.archive.bind(tx),
    claimMessage: tx.claimMessage.bind(tx),
    savepoint: tx.savepoint.bind(tx),
    guard: tx.guard.bind(tx),
    put: tx.put.bind(tx),
    update: tx.update.bind(tx),
  };
}
