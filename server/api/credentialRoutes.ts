/**
 * Agent MQTT credentials (embedded broker; server/broker/credentials.ts): list, issue (the
 * password is in the response once, only a scrypt hash is stored), revoke. Admin only.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ID_PATTERN } from '../../shared/wire/topics.js';
import { agentUsername } from '../broker/acl.js';
import { announceAuthChange } from '../auth/authChanges.js';
import { createAgentToken, listAgentCredentials, revokeAgentToken } from '../broker/credentials.js';
import { ApiError } from './apiErrors.js';
import { requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { PageQuery, pageSchema, paginate } from './pagination.js';

const Id = z.string().regex(ID_PATTERN, 'an identifier of A-Z a-z 0-9 . _ - (1-128 characters, starting with a letter or digit)');
const Credential = z.object({ username: z.string(), tenant: z.string(), agentId: z.string(), createdAt: z.string() }).meta({ id: 'AgentCredential' });

export const credentialRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['agent credentials'];

  app.get(
    '/agent-credentials',
    {
      preValidation: requires('credentials:manage'),
      schema: { tags, summary: 'agents that have MQTT credentials (never the secrets)', querystring: PageQuery, response: { 200: pageSchema(Credential) } },
    },
    async (req) => paginate(await listAgentCredentials(ctx.repo), req.query),
  );

  app.post(
    '/agent-credentials',
    {
      preValidation: requires('credentials:manage'),
      schema: {
        tags,
        summary: 'create or replace the MQTT credentials of an agent; the password is shown only in this response',
        body: z.strictObject({ tenant: Id, agentId: Id }),
        response: { 201: z.object({ username: z.string(), password: z.string() }) },
      },
    },
    async (req, reply) => {
      const password = await createAgentToken(ctx.repo, req.body, new Date(ctx.clock.now()));
      announceAuthChange(ctx.bus, 'agentCredentials');
      req.log.info({ agent: agentUsername(req.body), by: req.principal?.tokenId }, 'agent credentials issued');
      return reply.code(201).send({ username: agentUsername(req.body), password });
    },
  );

  app.delete(
    '/agent-credentials/:tenant/:agentId',
    {
      preValidation: requires('credentials:manage'),
      schema: {
        tags,
        summary: 'revoke: the agent can no longer connect (an open session stays until it disconnects)',
        params: z.strictObject({ tenant: Id, agentId: Id }),
      },
    },
    async (req, reply) => {
      if (!(await revokeAgentToken(ctx.repo, req.params))) throw ApiError.notFound(`credentials of agent ${agentUsername(req.params)}`);
      announceAuthChange(ctx.bus, 'agentCredentials');
      req.log.info({ agent: agentUsername(req.params), by: req.principal?.tokenId }, 'agent credentials revoked');
      return reply.code(204).send();
    },
  );
  return Promise.resolve();
};
