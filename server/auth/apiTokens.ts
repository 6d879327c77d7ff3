/**
 * API bearer tokens. A token is "fdk_" + 256 random bits (base64url), shown once; only its
 * SHA-256 is stored, as a record of the collection `apiTokens` in the server's store (embedded or
 * PostgreSQL), so every instance on one store knows every token. A slow hash (scrypt) protects
 * low-entropy passwords; for 256-bit random tokens a fast hash is as safe and lets every request be
 * checked without a 30 ms key derivation.
 *
 * Each instance keeps the tokens in memory (ApiTokenVerifier): an unknown token makes it read the
 * store again at once, so a token created on another instance or by `fleetdesk api-token create`
 * works at once; a revocation reaches the other instances over the cluster bus (authChanges.ts) at
 * once, and within `recheckMs` (1 s) if that note was lost. Tokens may carry an expiry; revoked
 * ones stay listed (who revoked them and when) but never authenticate again.
 *
 * Bootstrap: the admin token comes from FLEETDESK_ADMIN_TOKEN, or is generated at the first
 * start and written to <dataDir>/admin-token (mode 0600) of the instance that made it; its path
 * is logged, never the token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Repository } from '../storage/repository.js';
import { ID_PATTERN } from '../../shared/wire/topics.js';

/** The store collection of API tokens (id: the token id). */
export const API_TOKENS = 'apiTokens';

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

export interface StoredApiToken {
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

export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';
const MIN_ADMIN_TOKEN_LENGTH = 24;

export function adminTokenFile(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

function sha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return `fdk_${randomBytes(32).toString('base64url')}`;
}

/** Creates a token; returns it (shown once) with its id. Throws a ZodError / ApiTokenInputError for bad input. */
export async function createApiToken(
  repo: Pick<Repository, 'transaction'>,
  input: NewApiToken,
  now: Date,
): Promise<{ id: string; token: string; info: ApiTokenInfo }> {
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
  await repo.transaction((tx) => tx.put(API_TOKENS, id, record));
  return { id, token, info: infoOf(record, now.getTime()) };
}

function byCreation(a: ApiTokenInfo, b: ApiTokenInfo): number {
  return a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt < b.createdAt ? -1 : 1;
}

/** Every token without its hash, oldest first. */
export async function listApiTokens(repo: Pick<Repository, 'list'>, now: Date): Promise<ApiTokenInfo[]> {
  return (await repo.list<StoredApiToken>(API_TOKENS)).map((t) => infoOf(t, now.getTime())).sort(byCreation);
}

export type RevokeOutcome =
  | { readonly outcome: 'revoked'; readonly token: ApiTokenInfo }
  | { readonly outcome: 'not-found' }
  | { readonly outcome: 'already-revoked'; readonly token: ApiTokenInfo }
  | { readonly outcome: 'last-admin'; readonly token: ApiTokenInfo };

/**
 * The guard (Transaction.guard) of "an active admin token remains": every revocation of an active
 * admin token takes it. Admin tokens name no customer, so the invariant, and the key, is one per
 * installation; only admin revocations (rare) are serialised by it.
 */
export const ACTIVE_ADMINS_GUARD = 'apiTokens:activeAdmins';

/**
 * Revokes a token (kept as revoked, so the list shows who revoked it and when). The last active
 * admin token is never revoked: nobody could manage tokens through the API afterwards (create
 * another admin token first). The check reads the other admin tokens and writes only this one, so
 * two instances revoking the last two admin tokens at once would each see the other still active
 * (write skew at PostgreSQL's REPEATABLE READ): both take ACTIVE_ADMINS_GUARD, and PostgreSQL
 * re-runs the second, which then sees the first revocation.
 */
export async function revokeApiToken(repo: Pick<Repository, 'transaction'>, id: string, now: Date, by: string): Promise<RevokeOutcome> {
  const nowMs = now.getTime();
  return repo.transaction(async (tx): Promise<RevokeOutcome> => {
    const t = await tx.get<StoredApiToken>(API_TOKENS, id);
    if (!t) return { outcome: 'not-found' };
    if (t.revokedAt) return { outcome: 'already-revoked', token: infoOf(t, nowMs) };
    if (t.role === 'admin' && stateOf(t, nowMs) === 'active') {
      await tx.guard(ACTIVE_ADMINS_GUARD);
      const otherAdmins = (await tx.list<StoredApiToken>(API_TOKENS)).filter((o) => o.id !== id && o.role === 'admin' && stateOf(o, nowMs) === 'active');
      if (otherAdmins.length === 0) return { outcome: 'last-admin', token: infoOf(t, nowMs) };
    }
    const revoked: StoredApiToken = { ...t, revokedAt: now.toISOString(), revokedBy: by };
    await tx.put(API_TOKENS, id, revoked);
    return { outcome: 'revoked', token: infoOf(revoked, nowMs) };
  });
}

export type AdminTokenSource =
  | { readonly source: 'env' }
  | { readonly source: 'generated'; readonly file: string }
  | { readonly source: 'existing'; readonly file: string }
  /** Another instance on the same store generated it: the file is in that instance's data directory. */
  | { readonly source: 'other-instance' };

function bootstrapRecord(token: string, now: Date): StoredApiToken {
  return { id: BOOTSTRAP_ADMIN_ID, name: 'admin', role: 'admin', customerId: null, sha256: sha256(token), createdAt: now.toISOString() };
}

/**
 * Makes sure an admin token exists: FLEETDESK_ADMIN_TOKEN (re-registered at every start, so
 * changing the variable rotates it), else the one generated at an earlier start (by this or
 * another instance on the same store), else a new one written to <dataDir>/admin-token with mode
 * 0600. The file is written before the store records it: a crash in between leaves a file that
 * the next start replaces, never a stored hash without its token.
 */
export async function ensureAdminToken(repo: Pick<Repository, 'transaction'>, dataDir: string, env: NodeJS.ProcessEnv, now: Date): Promise<AdminTokenSource> {
  const fromEnv = env.FLEETDESK_ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_ADMIN_TOKEN_LENGTH)
      throw new Error(`FLEETDESK_ADMIN_TOKEN is too short: expected at least ${MIN_ADMIN_TOKEN_LENGTH} characters of a random secret, found ${fromEnv.length}`);
    await repo.transaction((tx) => tx.put(API_TOKENS, BOOTSTRAP_ADMIN_ID, bootstrapRecord(fromEnv, now)));
    return { source: 'env' };
  }
  const file = adminTokenFile(dataDir);
  const existing = await repo.transaction((tx) => tx.get<StoredApiToken>(API_TOKENS, BOOTSTRAP_ADMIN_ID));
  if (existing) return (await fileExists(file)) ? { source: 'existing', file } : { source: 'other-instance' };
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
  // Two instances starting at once: the first to commit wins, the other removes its file.
  const won = await repo.transaction(async (tx) => {
    if (await tx.get(API_TOKENS, BOOTSTRAP_ADMIN_ID)) return false;
    await tx.put(API_TOKENS, BOOTSTRAP_ADMIN_ID, bootstrapRecord(token, now));
    return true;
  });
  if (won) return { source: 'generated', file };
  await unlink(file);
  return { source: 'other-instance' };
}

async function fileExists(file: string): Promise<boolean> {
  try {
    await (await open(file, 'r')).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves bearer tokens to principals from an in-memory copy of the stored tokens. The copy is
 * read again when a token is not in it (so a token made elsewhere works at once), when it is
 * older than `recheckMs` (revocations made elsewhere: the bound when a bus note is lost), and
 * after invalidate() (this instance changed a token, or the cluster bus said another did).
 */
export class ApiTokenVerifier {
  /** Tokens that are not revoked; their expiry (ms, or Infinity) is in expiryById. */
  private byHash = new Map<string, Principal>();
  private byId = new Map<string, { principal: Principal; expiresAt: number }>();
  private checkedAt = -1;
  /** Bumped by invalidate(): a read that started before it must not count as fresh. */
  private generation = 0;
  private loading: { promise: Promise<void>; generation: number } | undefined;

  /**
   * `now`: a monotonic clock for the re-read throttle; `recheckMs`: the longest a copy is used
   * before it is read again; `wallNow`: epoch ms for expiry.
   */
  constructor(
    private readonly repo: Pick<Repository, 'list'>,
    private readonly now: () => number,
    private readonly recheckMs = 1000,
    private readonly wallNow: () => number = () => Date.now(),
  ) {}

  private stale(): boolean {
    const t = this.now();
    return this.checkedAt < 0 || t - this.checkedAt >= this.recheckMs || t < this.checkedAt;
  }

  /**
   * Concurrent requests that find the copy stale share one read; a read asked for after an
   * invalidate() waits for the one in flight and reads again (that one may predate the change).
   */
  private reload(): Promise<void> {
    if (this.loading && this.loading.generation === this.generation) return this.loading.promise;
    const generation = this.generation;
    const promise: Promise<void> = (this.loading?.promise ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const startedAt = this.now();
        const tokens = await this.repo.list<StoredApiToken>(API_TOKENS);
        const byHash = new Map<string, Principal>();
        const byId = new Map<string, { principal: Principal; expiresAt: number }>();
        for (const t of tokens) {
          if (t.revokedAt) continue;
          const principal: Principal = { tokenId: t.id, name: t.name, role: t.role, customerId: t.customerId };
          byHash.set(t.sha256, principal);
          byId.set(t.id, { principal, expiresAt: t.expiresAt ? Date.parse(t.expiresAt) : Number.POSITIVE_INFINITY });
        }
        this.byHash = byHash;
        this.byId = byId;
        if (this.generation === generation) this.checkedAt = startedAt;
      })
      .finally(() => {
        if (this.loading?.promise === promise) this.loading = undefined;
      });
    this.loading = { promise, generation };
    return promise;
  }

  /** Reads the tokens now (the periodic sweep of open event streams calls this). */
  async refresh(): Promise<void> {
    this.invalidate();
    await this.reload();
  }

  /** Whether a token id is known, not revoked and not expired (as of the last read). */
  isActive(tokenId: string): boolean {
    const hit = this.byId.get(tokenId);
    return hit !== undefined && hit.expiresAt > this.wallNow();
  }

  /** The principal of an active token id (read again when unknown: made on another instance). */
  async principalOf(tokenId: string): Promise<Principal | undefined> {
    if (this.stale() || !this.byId.has(tokenId)) await this.reload();
    return this.isActive(tokenId) ? this.byId.get(tokenId)!.principal : undefined;
  }

  /** Forces the next verify() to read the store (this instance or another changed a token). */
  invalidate(): void {
    this.checkedAt = -1;
    this.generation += 1;
  }

  async verify(token: string): Promise<Principal | undefined> {
    if (token.length < 16 || token.length > 512) return undefined;
    // A map lookup by the hash: the comparison never touches the secret itself.
    const hash = sha256(token);
    if (this.stale() || !this.byHash.has(hash)) await this.reload();
    const hit = this.byHash.get(hash);
    return hit && this.isActive(hit.tokenId) ? hit : undefined;
  }
}
