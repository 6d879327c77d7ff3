/**
 * API bearer tokens (server/auth/apiTokens.ts): list (never the secret or its hash), create (the
 * token only in that response), revoke. Admin only. A revocation takes effect at once in this
 * instance — the next request with the token is refused and its open event streams are closed —
 * and within a second in the others (they re-read the token file when it changes).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { announceAuthChange } from '../auth/authChanges.js';
import { ApiRole, ApiTokenInputError, ApiTokenState, createApiToken, listApiTokens, NewApiToken, revokeApiToken } from '../auth/apiTokens.js';
import { ApiError } from './apiErrors.js';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { allOf, PageQuery, pageSchema, paginateWhere } from './pagination.js';

const TokenView = z
  .object({
    id: z.string(),
    name: z.string(),
    role: ApiRole,
    customerId: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
    state: ApiTokenState,
  })
  .meta({ id: 'ApiToken' });

/** NewApiToken with `customerId` optional for vendor roles (the role/customer rule is checked on creation). */
const NewTokenBody = z.strictObject({ ...NewApiToken.shape, customerId: NewApiToken.shape.customerId.default(null) });

export const tokenRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['api tokens'];
  const now = () => new Date(ctx.clock.now());

  app.get(
    '/api-tokens',
    {
      preValidation: requires('tokens:manage'),
      schema: {
        tags,
        summary: 'API tokens, oldest first (never the secret or its hash)',
        querystring: PageQuery.extend({ state: ApiTokenState.optional(), role: ApiRole.optional(), customer: z.string().min(1).max(128).optional() }),
        response: { 200: pageSchema(TokenView) },
      },
    },
    async (req) => {
      const { state, role, customer } = req.query;
      const checks: Array<(t: z.infer<typeof TokenView>) => boolean> = [];
      if (state) checks.push((t) => t.state === state);
      if (role) checks.push((t) => t.role === role);
      if (customer) checks.push((t) => t.customerId === customer);
      return paginateWhere(await listApiTokens(ctx.repo, now()), allOf(checks), req.query, (t) => t);
    },
  );

  app.post(
    '/api-tokens',
    {
      preValidation: requires('tokens:manage'),
      schema: {
        tags,
        summary: 'create a token; the secret is in this response only (stored as SHA-256)',
        body: NewTokenBody,
        response: { 201: TokenView.extend({ token: z.string() }) },
      },
    },
    async (req, reply) => {
      let created: Awaited<ReturnType<typeof createApiToken>>;
      try {
        created = await createApiToken(ctx.repo, req.body, now());
      } catch (err) {
        if (err instanceof ApiTokenInputError) throw new ApiError(400, 'VALIDATION_FAILED', `body.${err.message}`, `body.${err.field}`);
        if (err instanceof z.ZodError) throw ApiError.invalid('body', err);
        throw err;
      }
      ctx.verifier.invalidate();
      announceAuthChange(ctx.bus, 'apiTokens');
      req.log.info({ token: created.id, role: created.info.role, by: principalOf(req).tokenId }, 'API token created');
      return reply.code(201).send({ ...created.info, token: created.token });
    },
  );

  app.delete(
    '/api-tokens/:id',
    {
      preValidation: requires('tokens:manage'),
      schema: {
        tags,
        summary: 'revoke a token: refused at once, its open event streams closed (409 for the last active admin token)',
        params: z.strictObject({ id: z.string().min(1).max(200) }),
        response: { 200: TokenView },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const r = await revokeApiToken(ctx.repo, req.params.id, now(), p.name);
      switch (r.outcome) {
        case 'not-found':
          throw ApiError.notFound(`API token ${JSON.stringify(req.params.id)}`);
        case 'already-revoked':
          throw new ApiError(409, 'CONFLICT', `API token ${req.params.id} was already revoked at ${r.token.revokedAt ?? '?'} by ${r.token.revokedBy ?? '?'}`);
        case 'last-admin':
          throw new ApiError(
            409,
            'CONFLICT',
            `API token ${req.params.id} is the last active admin token: create another admin token first (fleetdesk api-token create --role admin)`,
          );
        case 'revoked':
          ctx.verifier.invalidate();
          announceAuthChange(ctx.bus, 'apiTokens');
          ctx.live.disconnectWhere((principal) => principal.tokenId === r.token.id, 'token revoked');
          req.log.info({ token: r.token.id, by: p.tokenId }, 'API token revoked');
          return r.token;
      }
    },
  );
  return Promise.resolve();
};
