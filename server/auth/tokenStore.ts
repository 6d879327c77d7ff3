/**
 * The server's store opened for a short job outside a running server: the token commands
 * (`fleetdesk api-token`, `agent-token`) and setups that issue credentials before the first
 * start. Files of older releases are moved in first (tokenFileImport.ts), as the server does.
 *
 * PostgreSQL: works while servers run (they see a change at once or within a second). The
 * embedded store is opened by one process at a time: while a server has it open, this throws
 * StoreLockedError (the token commands then go through that server's API instead).
 */
import { resolve } from 'node:path';
import type { ServerConfig } from '../serverConfig.js';
import { openRepository } from '../storage/openRepository.js';
import type { Repository } from '../storage/repository.js';
import { importTokenFiles } from './tokenFileImport.js';

export async function withTokenStore<T>(config: Pick<ServerConfig, 'storage' | 'dataDir'>, work: (repo: Repository) => Promise<T>): Promise<T> {
  const dataDir = resolve(config.dataDir);
  const store = await openRepository(config.storage, { dataDir });
  try {
    await importTokenFiles(store, dataDir);
    return await work(store);
  } finally {
    await store.close();
  }
}
