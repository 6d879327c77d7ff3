/**
 * Short-lived, single-use tokens for the event stream: a browser's EventSource cannot send an
 * Authorization header, so the dashboard trades its bearer token for one of these (POST
 * /api/v1/events/token) and puts it in the stream URL. Valid for `ttlMs`, usable once, at most
 * `max` outstanding (the oldest is forgotten first), so a leaked URL is worthless soon after.
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from '../auth/apiTokens.js';

export class StreamTokens {
  private readonly tokens = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly now: () => number,
    readonly ttlMs = 60_000,
    private readonly max = 10_000,
  ) {}

  issue(principal: Principal): { token: string; expiresAt: number } {
    const token = `fds_${randomBytes(24).toString('base64url')}`;
    const expiresAt = this.now() + this.ttlMs;
    this.tokens.set(token, { principal, expiresAt });
    while (this.tokens.size > this.max) this.tokens.delete(this.tokens.keys().next().value as string);
    return { token, expiresAt };
  }

  /** Drops the outstanding stream tokens of a bearer token (it was revoked). */
  forget(tokenId: string): void {
    for (const [token, hit] of this.tokens) if (hit.principal.tokenId === tokenId) this.tokens.delete(token);
  }

  /** The principal of a valid token, consuming it; undefined when unknown, used or expired. */
  take(token: string): Principal | undefined {
    const hit = this.tokens.get(token);
    if (!hit) return undefined;
    this.tokens.delete(token);
    return hit.expiresAt > this.now() ? hit.principal : undefined;
  }
}
