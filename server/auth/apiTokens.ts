/**
 * API bearer tokens. A token is "fdk_" + 256 random bits (base64url), shown once; only its
 * SHA-256 is stored, in <dataDir>/api-tokens.json (atomic writes, a lock shared with the CLI).
 * A slow hash (scrypt) protects low-entropy passwords; for 256-bit random tokens a fast hash is
 * as safe and lets every request be checked without a 30 ms key derivation.
 *
 * The running server re-reads the file when its mtime changes, so a token created by
 * `fleetdesk api-token create` works without a restart.
 *
 * Bootstrap: the admin token comes from FLEETDESK_ADMIN_TOKEN, or is generated at the first
 * start and written to <dataDir>/admin-token (mode 0600); its path is logged, never the token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { withLock } from '../broker/credentials.js';
import { DurableJsonFile } from '../storage/durableFile.js';
import { ID_PATTERN } from '../../shared/wire/topics.js';

export const ApiRole = z.enum(['admin', 'dispatcher', 'technician', 'customer']);
export type ApiRole = z.infer<typeof ApiRole>;

/** Who a request acts as. `name` is the operator id written into ticket history. */
export interface Principal {
  readonly tokenId: string;
  readonly name: string;
  readonly role: ApiRole;
  /** Set for (and only for) customer tokens: the one customer whose data they may read. */
  readonly customerId: string | null;
}

export const TokenName = z.string().regex(ID_PATTERN, 'a name of A-Z a-z 0-9 . _ - (1-128 characters)');

export const NewApiToken = z
  .strictObject({ role: ApiRole, name: TokenName, customerId: z.string().regex(ID_PATTERN, 'a customer id').nullable() })
  .superRefine((t, ctx) => {
    if (t.role === 'customer' && t.customerId === null) ctx.addIssue({ code: 'custom', path: ['customerId'], message: 'a customer token needs the customer it belongs to', input: t.customerId });
    if (t.role !== 'customer' && t.customerId !== null) ctx.addIssue({ code: 'custom', path: ['customerId'], message: `only customer tokens name a customer (role ${t.role} sees all customers)`, input: t.customerId });
  });
export type NewApiToken = z.infer<typeof NewApiToken>;

interface StoredApiToken {
  readonly id: string;
  readonly name: string;
  readonly role: ApiRole;
  readonly customerId: string | null;
  /** SHA-256 of the token, hex. */
  readonly sha256: string;
  readonly createdAt: string;
}

interface TokenFile {
  format: 1;
  tokens: Record<string, StoredApiToken>;
}

export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';
const MIN_ADMIN_TOKEN_LENGTH = 24;

export function apiTokensFile(dataDir: string): string {
  return join(dataDir, 'api-tokens.json');
}

export function adminTokenFile(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

function sha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return `fdk_${randomBytes(32).toString('base64url')}`;
}

async function update(dataDir: string, change: (data: TokenFile) => void): Promise<void> {
  const file = apiTokensFile(dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await withLock(file, async () => {
    const adapter = new DurableJsonFile<TokenFile>(file);
    const data = (await adapter.read()) ?? { format: 1, tokens: {} };
    change(data);
    await adapter.write(data);
  });
}

/** Creates a token; returns it (shown once) with its id. Throws a ZodError for bad input. */
export async function createApiToken(dataDir: string, input: NewApiToken, now: Date): Promise<{ id: string; token: string }> {
  const spec = NewApiToken.parse(input);
  const token = newToken();
  const id = `${spec.name}-${randomBytes(4).toString('hex')}`;
  await update(dataDir, (data) => {
    data.tokens[id] = { id, name: spec.name, role: spec.role, customerId: spec.customerId, sha256: sha256(token), createdAt: now.toISOString() };
  });
  return { id, token };
}

export type AdminTokenSource = { readonly source: 'env' } | { readonly source: 'generated'; readonly file: string } | { readonly source: 'existing'; readonly file: string };

/**
 * Makes sure an admin token exists: FLEETDESK_ADMIN_TOKEN (re-registered at every start, so
 * changing the variable rotates it), else the one generated at an earlier start, else a new one
 * written to <dataDir>/admin-token with mode 0600.
 */
export async function ensureAdminToken(dataDir: string, env: NodeJS.ProcessEnv, now: Date): Promise<AdminTokenSource> {
  const fromEnv = env.FLEETDESK_ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_ADMIN_TOKEN_LENGTH) throw new Error(`FLEETDESK_ADMIN_TOKEN is too short: expected at least ${MIN_ADMIN_TOKEN_LENGTH} characters of a random secret, found ${fromEnv.length}`);
    await update(dataDir, (data) => {
      data.tokens[BOOTSTRAP_ADMIN_ID] = { id: BOOTSTRAP_ADMIN_ID, name: 'admin', role: 'admin', customerId: null, sha256: sha256(fromEnv), createdAt: now.toISOString() };
    });
    return { source: 'env' };
  }
  const file = adminTokenFile(dataDir);
  const existing = await new DurableJsonFile<TokenFile>(apiTokensFile(dataDir)).read();
  if (existing && Object.hasOwn(existing.tokens, BOOTSTRAP_ADMIN_ID)) return { source: 'existing', file };
  const token = newToken();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // 'w' with mode 0600: a stale file from an interrupted first start is replaced, never widened.
  const handle = await open(file, 'w', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(`${token}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await update(dataDir, (data) => {
    data.tokens[BOOTSTRAP_ADMIN_ID] = { id: BOOTSTRAP_ADMIN_ID, name: 'admin', role: 'admin', customerId: null, sha256: sha256(token), createdAt: now.toISOString() };
  });
  return { source: 'generated', file };
}

/** Resolves bearer tokens to principals; re-reads the token file when it changes. */
export class ApiTokenVerifier {
  private byHash = new Map<string, Principal>();
  private loadedMtime = -1;
  private checkedAt = -1;

  /** `recheckMs`: how often the file's mtime is looked at (a stat per request is wasteful under load). */
  constructor(
    private readonly dataDir: string,
    private readonly now: () => number,
    private readonly recheckMs = 1000,
  ) {}

  private async reload(): Promise<void> {
    const t = this.now();
    if (this.checkedAt >= 0 && t - this.checkedAt < this.recheckMs && t >= this.checkedAt) return;
    this.checkedAt = t;
    let mtime: number;
    try {
      mtime = (await stat(apiTokensFile(this.dataDir))).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.byHash = new Map();
      this.loadedMtime = -1;
      return;
    }
    if (mtime === this.loadedMtime) return;
    const data = await new DurableJsonFile<TokenFile>(apiTokensFile(this.dataDir)).read();
    const next = new Map<string, Principal>();
    for (const t of Object.values(data?.tokens ?? {})) next.set(t.sha256, { tokenId: t.id, name: t.name, role: t.role, customerId: t.customerId });
    this.byHash = next;
    this.loadedMtime = mtime;
  }

  /** Forces the next verify() to look at the file (after this process changed it). */
  invalidate(): void {
    this.checkedAt = -1;
  }

  async verify(token: string): Promise<Principal | undefined> {
    if (token.length < 16 || token.length > 512) return undefined;
    await this.reload();
    // A map lookup by the hash: the comparison never touches the secret itself.
    return this.byHash.get(sha256(token));
  }
}
