/**
 * Opens the store the configuration names (`storage.kind`): the embedded journaled lowdb store
 * under the data directory (one instance) or PostgreSQL (several instances may share it). The
 * unique keys the domain modules declare (tickets: one open ticket per device and fault code) are
 * handed to either store, so both enforce the same invariants; so are the listings the API pages
 * through.
 */
import { join } from 'node:path';
import type { Logger } from '../../shared/logging.js';
import type { StorageSettings } from '../serverConfig.js';
import { TICKET_UNIQUE_KEYS } from '../tickets/ticketRepository.js';
import { JournaledStore } from './journaledStore.js';
import { PostgresStore, redactedUrl } from './postgresStore.js';
import type { ListingRules, UniqueKeyRules } from './repository.js';
import { DEVICE_LISTING } from '../fleet/deviceListing.js';
import { FLEET_COLLECTIONS } from '../fleet/fleetModel.js';
import { TICKET_LISTING } from '../tickets/ticketListing.js';
import { TICKETS } from '../tickets/ticketRepository.js';

/** Every collection rule of the server's modules. */
export const SERVER_UNIQUE_KEYS: UniqueKeyRules = { ...TICKET_UNIQUE_KEYS };

/** The listings the API pages through (the fleet list, the ticket queue). */
export const SERVER_LISTINGS: ListingRules = { [FLEET_COLLECTIONS.devices]: DEVICE_LISTING, [TICKETS]: TICKET_LISTING };

export type OpenedStore = JournaledStore | PostgresStore;

/** Where the store lives, safe to log (no password). */
export function describeStorage(settings: StorageSettings, dataDir: string): string {
  return settings.kind === 'postgres' ? `postgres ${redactedUrl(settings.url)}` : `lowdb ${settings.dir ?? join(dataDir, 'store')}`;
}

export function createRepository(settings: StorageSettings, o: { dataDir: string; logger?: Logger; uniqueKeys?: UniqueKeyRules }): OpenedStore {
  const uniqueKeys = o.uniqueKeys ?? SERVER_UNIQUE_KEYS;
  if (settings.kind === 'postgres') {
    return new PostgresStore({
      url: settings.url,
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      poolSize: settings.poolSize,
      dedupWindow: settings.dedupWindow,
      maxAttempts: settings.maxAttempts,
      connectTimeoutMs: settings.connectTimeout,
      statementTimeoutMs: settings.statementTimeout,
      lockTimeoutMs: settings.lockTimeout,
      healthCheckMs: settings.healthCheckInterval,
      uniqueKeys,
      listings: SERVER_LISTINGS,
      ...(o.logger ? { logger: o.logger } : {}),
    });
  }
  return new JournaledStore({
    dir: settings.dir ?? join(o.dataDir, 'store'),
    commitDelayMs: settings.commitDelay,
    compactJournalBytes: settings.compactJournal,
    dedupWindow: settings.dedupWindow,
    uniqueKeys,
    listings: SERVER_LISTINGS,
    ...(o.logger ? { logger: o.logger } : {}),
  });
}

/** Creates and opens the configured store (PostgreSQL: connects and migrates the schema). */
export async function openRepository(settings: StorageSettings, o: { dataDir: string; logger?: Logger; uniqueKeys?: UniqueKeyRules }): Promise<OpenedStore> {
  const store = createRepository(settings, o);
  await store.open();
  o.logger?.info({ storage: describeStorage(settings, o.dataDir) }, 'store open');
  return store;
}
