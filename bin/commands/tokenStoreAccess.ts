/**
 * Where the token commands (`fleetdesk api-token`, `agent-token`) make their change: in the store
 * itself (PostgreSQL always; the embedded store while no server has it open), or, while a server
 * holds the embedded store, through that server's API (http.host/http.port of the same config),
 * authenticated with the admin token (FLEETDESK_ADMIN_TOKEN or <dataDir>/admin-token).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { adminTokenFile } from '../../server/auth/apiTokens.js';
import { withTokenStore } from '../../server/auth/tokenStore.js';
import type { ServerConfig } from '../../server/serverConfig.js';
import type { Repository } from '../../server/storage/repository.js';
import { StoreLockedError } from '../../server/storage/storeLock.js';
import { CliError } from '../cliError.js';

/** An answer of the running server's API: status and parsed JSON body (undefined when empty). */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

export type ServerApi = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => Promise<ApiAnswer>;

async function adminToken(config: Pick<ServerConfig, 'dataDir'>, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.FLEETDESK_ADMIN_TOKEN) return env.FLEETDESK_ADMIN_TOKEN;
  try {
    return (await readFile(adminTokenFile(resolve(config.dataDir)), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function serverApi(config: Pick<ServerConfig, 'http'>, token: string): ServerApi {
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host === '::' ? '::1' : config.http.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}/api/v1`;
  return async (method, path, body) => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new CliError(`the server holding the store does not answer at ${base}: ${(err as Error).message}`, 1);
    }
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
}

/** The message of an API error body ({ statusCode, code, message }), or the status. */
export function apiErrorMessage(answer: ApiAnswer): string {
  const message = (answer.body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : `HTTP ${answer.status}`;
}

/**
 * Runs `local` on the store, or `remote` on the API of the server that has the embedded store
 * open. `env` gives FLEETDESK_ADMIN_TOKEN.
 */
export async function onTokenStore<T>(
  config: Pick<ServerConfig, 'storage' | 'dataDir' | 'http'>,
  local: (repo: Repository) => Promise<T>,
  remote: (api: ServerApi) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  try {
    return await withTokenStore(config, local);
  } catch (err) {
    if (!(err instanceof StoreLockedError)) throw err;
    const token = await adminToken(config, env);
    if (token === undefined)
      throw new CliError(
        `${err.message}. To change tokens while it runs, the command goes through its API and needs the admin token: set FLEETDESK_ADMIN_TOKEN or keep ${adminTokenFile(resolve(config.dataDir))}`,
        1,
      );
    return remote(serverApi(config, token));
  }
}
