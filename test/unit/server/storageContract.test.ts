/** The storage contract (test/harness/repositoryContract.ts) against the journaled lowdb store. */
import { afterAll, describe } from 'vitest';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { makeTempDir } from '../../harness/peers.js';
import { defineRepositoryContract } from '../../harness/repositoryContract.js';

const dirs: { remove: () => void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});

describe('storage contract: JournaledStore (lowdb)', () => {
  defineRepositoryContract({
    sharedByInstances: false,
    fresh: () => {
      const dir = makeTempDir('contract');
      dirs.push(dir);
      return Promise.resolve(dir.path);
    },
    create: (dir, options = {}) => new JournaledStore({ dir, ...options }),
  });
});
