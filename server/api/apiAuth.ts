/**
 * Authentication and authorisation of API requests: the onRequest hook that turns a bearer token
 * (or, for the event stream only, a short-lived single-use query token) into a Principal, with
 * rate limiting of failures per client address; and the per-route permission check.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, type Permission } from '../auth/access.js';
import type { ApiTokenVerifier, Principal } from '../auth/apiTokens.js';
import type { AuthFailureLimiter } from '../auth/authFailureLimiter.js';
import { ApiError } from './apiErrors.js';
import type { StreamTokens } from './streamTokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The authenticated caller (the onRequest hook guarantees one on every /api/v1 route). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError(401, 'UNAUTHORIZED', 'missing bearer token');
  return req.principal;
}

/** preHandler: the caller's role must grant `permission`. */
export function requires(permission: Permission) {
  return (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    const p = req.principal;
    if (!p) return done(new ApiError(401, 'UNAUTHORIZED', 'missing bearer token'));
    if (!can(p, permission)) return done(ApiError.forbidden(`role ${p.role} may not ${permission.replace(':', ' ')}`));
    done();
  };
}

/** Only the event stream accepts a token in the query: EventSource cannot send headers. */
function streamTokenOf(req: FastifyRequest, eventsPath: string): string | undefined {
  if (req.method !== 'GET' || !req.url.startsWith(`${eventsPath}?`)) return undefined;
  return new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1)).get('token') ?? undefined;
}

export function authenticate(o: { verifier: ApiTokenVerifier; limiter: AuthFailureLimiter; streamTokens: StreamTokens; eventsPath: string }) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const address = req.ip;
    const wait = o.limiter.retryAfterMs(address);
    if (wait > 0) {
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new ApiError(429, 'RATE_LIMITED', `too many failed authentications from ${address}; retry in ${Math.ceil(wait / 1000)} s`);
    }
    const header = req.headers.authorization;
    let principal: Principal | undefined;
    if (header !== undefined) {
      const m = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(header);
      if (!m) {
        void reply.header('www-authenticate', 'Bearer');
        throw new ApiError(401, 'UNAUTHORIZED', 'the Authorization header must be "Bearer <token>"', 'headers.authorization');
      }
      principal = await o.verifier.verify(m[1]!);
    } else {
      const streamToken = streamTokenOf(req, o.eventsPath);
      if (streamToken === undefined) {
        void reply.header('www-authenticate', 'Bearer');
        throw new ApiError(401, 'UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <token>)', 'headers.authorization');
      }
      const tokenId = await o.streamTokens.take(streamToken);
      // The bearer token it was traded for may have been revoked (CLI, another instance) or have expired since.
      principal = tokenId === undefined ? undefined : await o.verifier.principalOf(tokenId);
    }
    if (!principal) {
      o.limiter.recordFailure(address);
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new ApiError(401, 'UNAUTHORIZED', 'invalid, expired or revoked token');
    }
    req.principal = principal;
  };
}
