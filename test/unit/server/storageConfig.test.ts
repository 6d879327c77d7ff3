/** storage: lowdb or postgres in server.yaml, the factory, and keeping the database URL secret. */
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../../shared/config/loader.js';
import { maskUrlPassword, redactSecrets } from '../../../shared/secrets.js';
import { loadServerConfig } from '../../../server/serverConfig.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { createRepository, describeStorage } from '../../../server/storage/openRepository.js';
import { PostgresStore, redactedUrl } from '../../../server/storage/postgresStore.js';

function configError(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadServerConfig('server.yaml', env, { text });
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('storage configuration', () => {
  it('keeps lowdb the default, also for files written before `kind` existed', () => {
    expect(loadServerConfig(undefined, {}).storage).toMatchObject({ kind: 'lowdb', dedupWindow: 200_000 });
    const c = loadServerConfig('server.yaml', {}, { text: 'storage:\n  dir: /srv/store\n  commitDelay: 5ms\n' });
    expect(c.storage).toEqual({ kind: 'lowdb', dir: '/srv/store', commitDelay: 5, compactJournal: 32 * 1024 * 1024, dedupWindow: 200_000 });
  });

  it('selects postgres with its defaults, also from the environment', () => {
    const c = loadServerConfig(undefined, {
      FLEETDESK_SERVER__STORAGE__KIND: 'postgres',
      FLEETDESK_SERVER__STORAGE__URL: 'postgres://fd@db:5432/fleet',
      FLEETDESK_SERVER__STORAGE__POOL_SIZE: '4',
    });
    expect(c.storage).toEqual({
      kind: 'postgres',
      url: 'postgres://fd@db:5432/fleet',
      poolSize: 4,
      dedupWindow: 200_000,
      maxAttempts: 10,
      connectTimeout: 5000,
      statementTimeout: 30_000,
      lockTimeout: 50,
      healthCheckInterval: 5000,
    });
  });

  it('names what is wrong: a missing url, lowdb keys under postgres, an unknown kind', () => {
    expect(configError('storage:\n  kind: postgres\n').message).toMatch(/storage\.url: expected .*found nothing/);
    expect(configError('storage:\n  kind: postgres\n  url: postgres://h/db\n  compactJournal: 1MiB\n').message).toMatch(/compactJournal/);
    expect(configError('storage:\n  kind: mongodb\n').message).toMatch(/storage\.kind/);
  });

  it('never shows the database password: config errors, config check output, log descriptions', () => {
    const err = configError('storage:\n  kind: postgres\n  url: "postgres://fd:hunter2@db/fleet extra"\n');
    expect(err.message).toMatch(/storage\.url/);
    expect(err.message).not.toContain('hunter2');
    const c = loadServerConfig('server.yaml', {}, { text: 'storage:\n  kind: postgres\n  url: postgres://fd:hunter2@db/fleet\n  password: s3cret\n' });
    const printed = JSON.stringify(redactSecrets(c));
    expect(printed).not.toContain('hunter2');
    expect(printed).not.toContain('s3cret');
    expect(printed).toContain('postgres://fd:[redacted]@db/fleet');
    expect(describeStorage(c.storage, '/data')).toBe('postgres postgres://fd:***@db/fleet');
    expect(redactedUrl('postgres://u:p@h/d?password=x&sslmode=require')).toBe('postgres://u:***@h/d?password=***&sslmode=require');
    expect(maskUrlPassword('mqtts://user:pw@broker:8883')).toBe('mqtts://user:[redacted]@broker:8883');
    expect(maskUrlPassword('postgres://user@db/x')).toBe('postgres://user@db/x');
  });

  it('the factory builds the configured store', () => {
    const pg = createRepository(
      loadServerConfig(undefined, { FLEETDESK_SERVER__STORAGE__KIND: 'postgres', FLEETDESK_SERVER__STORAGE__URL: 'postgres://fd@db/fleet' }).storage,
      { dataDir: '/data' },
    );
    expect(pg).toBeInstanceOf(PostgresStore);
    expect((pg as PostgresStore).where).toBe('postgres://fd@db/fleet');
    const low = createRepository(loadServerConfig(undefined, {}).storage, { dataDir: '/data' });
    expect(low).toBeInstanceOf(JournaledStore);
    expect(describeStorage(loadServerConfig(undefined, {}).storage, '/data')).toBe('lowdb /data/store');
    // The ticket invariant travels with it: both stores get the unique key rules.
    expect(Object.keys((low as JournaledStore).uniqueKeys)).toEqual(['tickets']);
  });
});
