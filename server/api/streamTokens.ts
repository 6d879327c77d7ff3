/**
 * Short-lived, single-use tokens for the event stream: a browser's EventSource cannot send an
 * Authorization header, so the dashboard trades its bearer token for one of these (POST
 * /api/v1/events/token) and puts it in the stream URL. Valid for `ttlMs`, usable once, so a leaked
 * URL is worthless soon after.
 *
 * Kept in the store (collection `streamTokens`, keyed by the token's SHA-256, never the token), so
 * the stream may be opened on another instance than the one that issued the token: no sticky
 * sessions. Taking one deletes it in the same unit of work, so two instances cannot both accept it.
 * Expired ones are pruned by prune(), called from the API's periodic sweep; at most `max` stay.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '../auth/apiTokens.js';
import type { Repository } from '../storage/repository.js';

/** The store collection of outstanding stream tokens. */
export const STREAM_TOKENS = 'streamTokens';

interface StoredStreamToken {
  /** SHA-256 of the token, hex: the record id. */
  readonly id: string;
  /** The bearer token it was traded for: looked up again when the stream opens. */
  readonly tokenId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

function idOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class StreamTokens {
  constructor(
    private readonly repo: Pick<Repository, 'transaction' | 'list'>,
    private readonly now: () => number,
    readonly ttlMs = 60_000,
    private readonly max = 10_000,
  ) {}

  async issue(principal: Principal): Promise<{ token: string; expiresAt: number }> {
    const token = `fds_${randomBytes(24).toString('base64url')}`;
    const issuedAt = this.now();
    const expiresAt = issuedAt + this.ttlMs;
    const record: StoredStreamToken = { id: idOf(token), tokenId: principal.tokenId, issuedAt, expiresAt };
    await this.repo.transaction((tx) => tx.put(STREAM_TOKENS, record.id, record));
    return { token, expiresAt };
  }

  /**
   * Consumes a token: the id of the bearer token it was traded for, undefined when unknown, used
   * or expired. The caller checks that bearer token is still active (it may have been revoked).
   */
  async take(token: string): Promise<string | undefined> {
    if (!token.startsWith('fds_') || token.length > 128) return undefined;
    const id = idOf(token);
    const hit = await this.repo.transaction(async (tx) => {
      const stored = await tx.get<StoredStreamToken>(STREAM_TOKENS, id);
      if (stored) await tx.delete(STREAM_TOKENS, id);
      return stored;
    });
    return hit && hit.expiresAt > this.now() ? hit.tokenId : undefined;
  }

  /** Deletes expired tokens, and the oldest beyond `max`; returns how many. */
  async prune(): Promise<number> {
    const now = this.now();
    const all = await this.repo.list<StoredStreamToken>(STREAM_TOKENS);
    const live = all.filter((t) => t.expiresAt > now).sort((a, b) => a.issuedAt - b.issuedAt);
    const doomed = [...all.filter((t) => t.expiresAt <= now), ...live.slice(0, Math.max(0, live.length - this.max))];
    if (doomed.length === 0) return 0;
    // Deleting one already taken (or pruned by another instance) changes nothing.
    await this.repo.transaction(async (tx) => {
      for (const t of doomed) await tx.delete(STREAM_TOKENS, t.id);
    });
    return doomed.length;
  }
}
