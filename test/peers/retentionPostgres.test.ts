/** The retention sweep (server/retention) over PostgreSQL: the same cases as over the embedded store (test/harness/retentionContract.ts). */
import { afterAll, beforeAll, describe } from 'vitest';
import { PostgresStore } from '../../server/storage/postgresStore.js';
import { startPostgres, type PostgresPeer } from '../harness/postgres.js';
import { defineRetentionContract } from '../harness/retentionContract.js';

let server: PostgresPeer;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe('retention sweep: PostgresStore', () => {
  defineRetentionContract({
    open: async () => {
      const store = new PostgresStore({ url: await server.newDatabase('retention'), poolSize: 2, healthCheckMs: 0 });
      await store.open();
      return store;
    },
  });
});
