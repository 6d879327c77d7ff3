/**
 * API bearer tokens. A token is "fdk_" + 256 random bits (base64url), shown once; only its
 * SHA-256 is stored, in <dataDir>/api-tokens.json (atomic writes, a lock shared with the CLI).
 * A slow hash (scrypt) protects low-entropy passwords; for 256-bit random tokens a fast hash is
 * as safe and lets every request be checked without a 30 ms key derivation.
 *
 * The running server re-reads the file when its mtime changes, so a token created by
 * `fleetdesk api-token create` works without a restart, and one revoked by `fleetdesk api-token
 * revoke` stops working within a second. Tokens may carry an expiry; revoked ones stay in the
 * file (who revoked them and when) but never authenticate again.
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
  .strictObject({
    role: ApiRole,
    name: TokenName,
    customerId: z.string().regex(ID_PATTERN, 'a customer id').nullable(),
    /** ISO instant after which the token no longer works; absent = never expires. */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.role === 'customer' && t.customerId === null)
      ctx.addIssue({ code: 'custom', path: ['customerId'], message: 'a customer token needs the customer it belongs to', input: t.customerId });
    if (t.role !== 'customer' && t.customerId !== null)
      ctx.addIssue({
        code: 'custom',
        path: ['customerId'],
        message: `only customer tokens name a customer (role ${t.role} sees all customers)`,
        input: t.customerId,
      });
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
  readonly expiresAt?: string | null;
  /** Revoked tokens stay listed (who revoked them, when); they never authenticate again. */
  readonly revokedAt?: string | null;
  readonly revokedBy?: string | null;
}

/** A token's state at a given instant. */
export const ApiTokenState = z.enum(['active', 'expired', 'revoked']);
export type ApiTokenState = z.infer<typeof ApiTokenState>;

/** What may be shown of a token: everything but its hash. */
export interface ApiTokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: ApiRole;
  readonly customerId: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  /** active | expired | revoked, at the instant asked about. */
  readonly state: ApiTokenState;
}

/** Bad input that the schema cannot judge alone (an expiry in the past); `field` names it. */
export class ApiTokenInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiTokenInputError';
  }
}

function stateOf(t: StoredApiToken, nowMs: number): ApiTokenState {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && Date.parse(t.expiresAt) <= nowMs) return 'expired';
  return 'active';
}

function infoOf(t: StoredApiToken, nowMs: number): ApiTokenInfo {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    customerId: t.customerId,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt ?? null,
    revokedAt: t.revokedAt ?? null,
    revokedBy: t.revokedBy ?? null,
    state: stateOf(t, nowMs),
  };
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

/** Creates a token; returns it (shown once) with its id. Throws a ZodError / ApiTokenInputError for bad input. */
export async function createApiToken(dataDir: string, input: NewApiToken, now: Date): Promise<{ id: string; token: string; info: ApiTokenInfo }> {
  // reportInput: errors show what was given (e.g. the customer an admin token must not name).
  const spec = NewApiToken.parse(input, { reportInput: true });
  const expiresAt = spec.expiresAt === undefined ? null : new Date(spec.expiresAt).toISOString();
  if (expiresAt !== null && Date.parse(expiresAt) <= now.getTime())
    throw new ApiTokenInputError('expiresAt', `expiresAt: expected an instant in the future, found ${spec.expiresAt} (now is ${now.toISOString()})`);
  const token = newToken();
  const id = `${spec.name}-${randomBytes(4).toString('hex')}`;
  const record: StoredApiToken = {
    id,
    name: spec.name,
    role: spec.role,
    customerId: spec.customerId,
    sha256: sha256(token),
    createdAt: now.toISOString(),
    expiresAt,
  };
  await update(dataDir, (data) => {
    data.tokens[id] = record;
  });
  return { id, token, info: infoOf(record, now.getTime()) };
}

/** Every token without its hash, oldest first. */
export async function listApiTokens(dataDir: string, now: Date): Promise<ApiTokenInfo[]> {
  const data = await new DurableJsonFile<TokenFile>(apiTokensFile(dataDir)).read();
  return Object.values(data?.tokens ?? {})
    .map((t) => infoOf(t, now.getTime()))
    .sort((a, b) => (a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt < b.createdAt ? -1 : 1));
}

export type RevokeOutcome =
  | { readonly outcome: 'revoked'; readonly token: ApiTokenInfo }
  | { readonly outcome: 'not-found' }
  | { readonly outcome: 'already-revoked'; readonly token: ApiTokenInfo }
  | { readonly outcome: 'last-admin'; readonly token: ApiTokenInfo };

/**
 * Revokes a token (kept in the file as revoked, so the list shows who revoked it and when).
 * The last active admin token is never revoked: nobody could manage tokens through the API
 * afterwards (create another admin token first).
 */
export async function revokeApiToken(dataDir: string, id: string, now: Date, by: string): Promise<RevokeOutcome> {
  let result: RevokeOutcome = { outcome: 'not-found' };
  await update(dataDir, (data) => {
    if (!Object.hasOwn(data.tokens, id)) return;
    const t = data.tokens[id]!;
    const nowMs = now.getTime();
    if (t.revokedAt) {
      result = { outcome: 'already-revoked', token: infoOf(t, nowMs) };
      return;
    }
    const otherAdmins = Object.values(data.tokens).filter((o) => o.id !== id && o.role === 'admin' && stateOf(o, nowMs) === 'active');
    if (t.role === 'admin' && stateOf(t, nowMs) === 'active' && otherAdmins.length === 0) {
      result = { outcome: 'last-admin', token: infoOf(t, nowMs) };
      return;
    }
    const revoked: StoredApiToken = { ...t, revokedAt: now.toISOString(), revokedBy: by };
    data.tokens[id] = revoked;
    result = { outcome: 'revoked', token: infoOf(revoked, nowMs) };
  });
  return result;
}

export type AdminTokenSource =
  { readonly source: 'env' } | { readonly source: 'generated'; readonly file: string } | { readonly source: 'existing'; readonly file: string };

/**
 * Makes sure an admin token exists: FLEETDESK_ADMIN_TOKEN (re-registered at every start, so
 * changing the variable rotates it), else the one generated at an earlier start, else a new one
 * written to <dataDir>/admin-token with mode 0600.
 */
export async function ensureAdminToken(dataDir: string, env: NodeJS.ProcessEnv, now: Date): Promise<AdminTokenSource> {
  const fromEnv = env.FLEETDESK_ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_ADMIN_TOKEN_LENGTH)
      throw new Error(`FLEETDESK_ADMIN_TOKEN is too short: expected at least ${MIN_ADMIN_TOKEN_LENGTH} characters of a random secret, found ${fromEnv.length}`);
    await update(dataDir, (data) => {
      data.tokens[BOOTSTRAP_ADMIN_ID] = {
        id: BOOTSTRAP_ADMIN_ID,
        name: 'admin',
        role: 'admin',
        customerId: null,
        sha256: sha256(fromEnv),
        createdAt: now.toISOString(),
      };
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
    data.tokens[BOOTSTRAP_ADMIN_ID] = {
      id: BOOTSTRAP_ADMIN_ID,
      name: 'admin',
      role: 'admin',
      customerId: null,
      sha256: sha256(token),
      createdAt: now.toISOString(),
    };
  });
  return { source: 'generated', file };
}

/** Resolves bearer tokens to principals; re-reads the token file when it changes. */
export class ApiTokenVerifier {
  /** Tokens that are not revoked; their expiry (ms, or Infinity) is in expiryById. */
  private byHash = new Map<string, Principal>();
  private expiryById = new Map<string, number>();
  private loadedMtime = '';
  private checkedAt = -1;

  /**
   * `now`: a monotonic clock for the re-check throttle; `recheckMs`: how often the file's mtime
   * is looked at (a stat per request is wasteful under load); `wallNow`: epoch ms for expiry.
   */
  constructor(
    private readonly dataDir: string,
    private readonly now: () => number,
    private readonly recheckMs = 1000,
    private readonly wallNow: () => number = () => Date.now(),
  ) {}

  private async reload(): Promise<void> {
    const t = this.now();
    if (this.checkedAt >= 0 && t - this.checkedAt < this.recheckMs && t >= this.checkedAt) return;
    this.checkedAt = t;
    let mtime: string;
    try {
      // File timestamps tick coarsely (a few ms): size and inode tell apart two writes within one tick.
      const st = await stat(apiTokensFile(this.dataDir));
      mtime = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.byHash = new Map();
      this.expiryById = new Map();
      this.loadedMtime = '';
      return;
    }
    if (mtime === this.loadedMtime) return;
    const data = await new DurableJsonFile<TokenFile>(apiTokensFile(this.dataDir)).read();
    const next = new Map<string, Principal>();
    const expiry = new Map<string, number>();
    for (const t of Object.values(data?.tokens ?? {})) {
      if (t.revokedAt) continue;
      next.set(t.sha256, { tokenId: t.id, name: t.name, role: t.role, customerId: t.customerId });
      expiry.set(t.id, t.expiresAt ? Date.parse(t.expiresAt) : Number.POSITIVE_INFINITY);
    }
    this.byHash = next;
    this.expiryById = expiry;
    this.loadedMtime = mtime;
  }

  /** Re-reads the file now, changed or not (the periodic sweep of open event streams calls this). */
  async refresh(): Promise<void> {
    this.invalidate();
    this.loadedMtime = '';
    await this.reload();
  }

  /** Whether a token id is known, not revoked and not expired (as of the last read of the file). */
  isActive(tokenId: string): boolean {
    const expiresAt = this.expiryById.get(tokenId);
    return expiresAt !== undefined && expiresAt > this.wallNow();
  }

  /** Forces the next verify() to look at the file (after this process changed it). */
  invalidate(): void {
    this.checkedAt = -1;
  }

  async verify(token: string): Promise<Principal | undefined> {
    if (token.length < 16 || token.length > 512) return undefined;
    await this.reload();
    // A map lookup by the hash: the comparison never touches the secret itself.
    const hit = this.byHash.get(sha256(token));
    return hit && this.isActive(hit.tokenId) ? hit : undefined;
  }
}
