/**
 * Data directories of releases that kept tokens in files beside the store: the first start moves
 * API tokens and agent credentials into the store (nothing lost, secrets still only hashed), renames
 * the files, and a later start imports nothing again; a record the store already has wins.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_TOKENS, ApiTokenVerifier, revokeApiToken, type StoredApiToken } from '../../../server/auth/apiTokens.js';
import { importTokenFiles, legacyTokenFiles } from '../../../server/auth/tokenFileImport.js';
import { AGENT_CREDENTIALS, createAgentToken, CredentialVerifier, type StoredCredential } from '../../../server/broker/credentials.js';
import { createLogger } from '../../../shared/logging.js';
import { startServer, type RunningServer } from '../../../server/server.js';
import { ServerConfig } from '../../../server/serverConfig.js';
import { DurableJsonFile } from '../../../server/storage/durableFile.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { makeTempDir } from '../../harness/peers.js';

const temps: { remove: () => void }[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const t of temps.splice(0)) t.remove();
});

function tempDir(): string {
  const t = makeTempDir('token-import');
  temps.push(t);
  return t.path;
}

async function openStore(dir: string): Promise<JournaledStore> {
  const store = new JournaledStore({ dir: join(dir, 'store') });
  await store.open();
  closers.push(() => store.close());
  return store;
}

const API_TOKEN = 'fdk_legacy-token-from-the-file-0123456789abcdef';

function legacyApiToken(id: string, role: StoredApiToken['role'], revokedAt?: string): StoredApiToken {
  return {
    id,
    name: id,
    role,
    customerId: null,
    sha256: createHash('sha256').update(API_TOKEN, 'utf8').digest('hex'),
    createdAt: '2026-01-02T10:00:00.000Z',
    expiresAt: null,
    ...(revokedAt ? { revokedAt, revokedBy: 'cli:root' } : {}),
  };
}

/** The files as the releases before this one wrote them (format 1), with a real scrypt credential. */
async function writeLegacyFiles(dataDir: string): Promise<{ agentPassword: string }> {
  const scratch = await openStore(tempDir());
  const agentPassword = await createAgentToken(scratch, { tenant: 'acme', agentId: 'a1' }, new Date('2026-01-02T10:00:00Z'));
  const credential = (await scratch.get<StoredCredential>(AGENT_CREDENTIALS, 'acme/a1'))!;
  const files = legacyTokenFiles(dataDir);
  await new DurableJsonFile(files.apiTokens).write({
    format: 1,
    tokens: { 'disp-1a2b': legacyApiToken('disp-1a2b', 'dispatcher'), 'old-9f9f': legacyApiToken('old-9f9f', 'technician', '2026-01-03T00:00:00.000Z') },
  });
  await new DurableJsonFile(files.agentCredentials).write({ format: 1, agents: { 'acme/a1': credential } });
  return { agentPassword };
}

describe('token files of older releases', () => {
  it('are moved into the store once: tokens keep working, revoked ones stay revoked, the files are renamed', async () => {
    const dataDir = tempDir();
    const { agentPassword } = await writeLegacyFiles(dataDir);
    const store = await openStore(dataDir);
    expect(await importTokenFiles(store, dataDir)).toEqual({ apiTokens: 2, agentCredentials: 1, skipped: 0 });

    const files = legacyTokenFiles(dataDir);
    expect(existsSync(files.apiTokens)).toBe(false);
    expect(existsSync(`${files.apiTokens}.imported`)).toBe(true);
    expect(existsSync(`${files.agentCredentials}.imported`)).toBe(true);
    expect(await new ApiTokenVerifier(store, () => 0).verify(API_TOKEN)).toMatchObject({ tokenId: 'disp-1a2b', role: 'dispatcher' });
    expect(await store.get(API_TOKENS, 'old-9f9f')).toMatchObject({ revokedAt: '2026-01-03T00:00:00.000Z', revokedBy: 'cli:root' });
    expect(await new CredentialVerifier(store, () => 0).verify('acme/a1', Buffer.from(agentPassword))).toBe(true);
    const journal = readdirSync(join(dataDir, 'store'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
      .join('\n');
    expect(journal).toContain('disp-1a2b');
    expect(journal).not.toContain(API_TOKEN);
    expect(journal).not.toContain(agentPassword);

    // Read once: a second start finds nothing to import.
    expect(await importTokenFiles(store, dataDir)).toEqual({ apiTokens: 0, agentCredentials: 0, skipped: 0 });
  });

  it('keeps what the store already has (a token revoked since), when a file is imported again', async () => {
    const dataDir = tempDir();
    await writeLegacyFiles(dataDir);
    const store = await openStore(dataDir);
    const copy = readFileSync(legacyTokenFiles(dataDir).apiTokens);
    await importTokenFiles(store, dataDir);
    expect(await revokeApiToken(store, 'disp-1a2b', new Date('2026-01-04T00:00:00Z'), 'admin')).toMatchObject({ outcome: 'revoked' });
    // The rename after the commit did not happen (a crash in between): the file is there again.
    await new DurableJsonFile(legacyTokenFiles(dataDir).apiTokens).write(JSON.parse(copy.toString('utf8')));
    expect(await importTokenFiles(store, dataDir)).toEqual({ apiTokens: 0, agentCredentials: 0, skipped: 2 });
    expect(await new ApiTokenVerifier(store, () => 0).verify(API_TOKEN)).toBeUndefined();
  });

  it('are imported by the first server start', async () => {
    const dataDir = tempDir();
    await writeLegacyFiles(dataDir);
    const config = ServerConfig.parse({ dataDir, broker: { embedded: { port: 0 } }, http: { port: 0 } });
    const server: RunningServer = await startServer(config, createLogger({ name: 'test', level: 'silent' }));
    closers.push(() => server.close());
    expect((await server.repo.list<StoredApiToken>(API_TOKENS)).map((t) => t.id).sort()).toEqual(['disp-1a2b', 'old-9f9f']);
    expect(await server.repo.get(AGENT_CREDENTIALS, 'acme/a1')).toMatchObject({ tenant: 'acme', agentId: 'a1' });
    expect(existsSync(legacyTokenFiles(dataDir).agentCredentials)).toBe(false);
  });
});
