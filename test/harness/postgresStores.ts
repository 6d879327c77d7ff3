/**
 * Vitest fixture for tests of the PostgreSQL store: one private PostgreSQL for the file
 * (postgres.ts), and stores opened on it that are closed after each test.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { PostgresStore, type PostgresStoreOptions } from '../../server/storage/postgresStore.js';
import { startPostgres, type PostgresPeer } from './postgres.js';

export interface PostgresStores {
  /** The file's PostgreSQL (after beforeAll). */
  readonly server: () => PostgresPeer;
  /** An open store on `url`, closed after the test (defaults: pool of 4, no health check). */
  readonly openStore: (url: string, options?: Partial<PostgresStoreOptions>) => Promise<PostgresStore>;
}

export function usePostgresStores(): PostgresStores {
  let server: PostgresPeer | undefined;
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  });
  return {
    server: () => {
      if (!server) throw new Error('PostgreSQL is not started yet (use it inside a test)');
      return server;
    },
    openStore: async (url, options = {}) => {
      const store = new PostgresStore({ url, poolSize: 4, healthCheckMs: 0, ...options });
      stores.push(store);
      await store.open();
      return store;
    },
  };
}
