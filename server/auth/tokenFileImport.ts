/**
 * One-time move of the files older releases kept beside the store into the store: API tokens
 * (<dataDir>/api-tokens.json) and agent credentials (<dataDir>/credentials.json). Run at every
 * start of the server and of the token commands, before anything reads tokens: a file found is
 * read, its records are written in one unit of work (a record the store already has wins: it may
 * have been revoked since), and the file is then renamed to `<name>.imported` (kept: it holds only
 * hashes, and an admin may want it back). Idempotent: a start that dies between the commit and the
 * rename imports nothing new the next time.
 */
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/logging.js';
import { DurableJsonFile } from '../storage/durableFile.js';
import type { Repository } from '../storage/repository.js';
import { AGENT_CREDENTIALS, type StoredCredential } from '../broker/credentials.js';
import { API_TOKENS, type StoredApiToken } from './apiTokens.js';

/** The files of releases before tokens were kept in the store. */
export function legacyTokenFiles(dataDir: string): { apiTokens: string; agentCredentials: string } {
  return { apiTokens: join(dataDir, 'api-tokens.json'), agentCredentials: join(dataDir, 'credentials.json') };
}

interface LegacyApiTokenFile {
  readonly tokens?: Record<string, StoredApiToken>;
}
interface LegacyCredentialFile {
  readonly agents?: Record<string, StoredCredential>;
}

export interface TokenImport {
  readonly apiTokens: number;
  readonly agentCredentials: number;
  /** Records the store already had (kept as stored). */
  readonly skipped: number;
}

/** Moves the legacy files of `dataDir` into the store; counts what was written. */
export async function importTokenFiles(repo: Pick<Repository, 'transaction'>, dataDir: string, logger?: Logger): Promise<TokenImport> {
  const files = legacyTokenFiles(dataDir);
  // DurableJsonFile.read: null when absent, a DamagedFileError naming the file when unreadable.
  const apiFile = await new DurableJsonFile<LegacyApiTokenFile>(files.apiTokens).read();
  const credFile = await new DurableJsonFile<LegacyCredentialFile>(files.agentCredentials).read();
  if (!apiFile && !credFile) return { apiTokens: 0, agentCredentials: 0, skipped: 0 };
  const tokens = Object.values(apiFile?.tokens ?? {});
  const creds = Object.entries(credFile?.agents ?? {});
  const counts = await repo.transaction(async (tx) => {
    let apiTokens = 0;
    let agentCredentials = 0;
    let skipped = 0;
    await tx.prefetch([...tokens.map((t) => [API_TOKENS, t.id] as const), ...creds.map(([u]) => [AGENT_CREDENTIALS, u] as const)]);
    for (const t of tokens) {
      if (await tx.get(API_TOKENS, t.id)) skipped++;
      else {
        await tx.put(API_TOKENS, t.id, t);
        apiTokens++;
      }
    }
    for (const [username, c] of creds) {
      if (await tx.get(AGENT_CREDENTIALS, username)) skipped++;
      else {
        await tx.put(AGENT_CREDENTIALS, username, c);
        agentCredentials++;
      }
    }
    return { apiTokens, agentCredentials, skipped };
  });
  for (const file of [apiFile ? files.apiTokens : undefined, credFile ? files.agentCredentials : undefined]) {
    if (file !== undefined) await rename(file, `${file}.imported`);
  }
  logger?.info({ ...counts, dataDir }, 'API tokens and agent credentials moved from the data directory into the store');
  return counts;
}
