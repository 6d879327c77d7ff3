/**
 * Live updates over server-sent events.
 *
 *   POST /api/v1/events/token   trades the bearer token for a single-use stream token (60 s)
 *   GET  /api/v1/events         text/event-stream; Authorization: Bearer <token>, or ?token=<stream token>
 *
 * Events: `fleet.faultRaised`, `fleet.faultCleared`, `fleet.deviceUnreachable`,
 * `fleet.deviceReachable`, `fleet.agentOffline`, `fleet.agentOnline`, the ticket notices
 * (`ticket.opened`, `ticket.joined`, `ticket.reopened`, `ticket.resolved`, `ticket.closed`,
 * `ticket.escalated`, `sla.warning`, `sla.breach`, `customer.contactAttempt`) and
 * `ticket.updated` after API actions; comment lines as heartbeats. Filtered by role and customer.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { rawSecurityHeaders } from './securityHeaders.js';

/** Bytes a client may have unsent before it is dropped as too slow. */
export const MAX_BUFFERED_BYTES = 256 * 1024;

export const liveRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['live updates'];

  app.post(
    '/events/token',
    {
      preValidation: requires('events:read'),
      schema: {
        tags,
        summary: 'a single-use token for the event stream URL (EventSource cannot send headers)',
        response: { 200: z.object({ token: z.string(), expiresAt: z.number() }) },
      },
    },
    (req) => ctx.streamTokens.issue(principalOf(req)),
  );

  app.get(
    '/events',
    {
      preValidation: requires('events:read'),
      schema: {
        tags,
        summary: 'server-sent events: fleet and ticket changes the caller may see',
        querystring: z.strictObject({ token: z.string().max(200).optional().describe('a stream token from POST /events/token') }),
        headers: z
          .object({
            'last-event-id': z
              .string()
              .regex(/^\d{1,15}$/)
              .optional(),
          })
          .loose(),
      },
    },
    (req, reply) => {
      const p = principalOf(req);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...rawSecurityHeaders(),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const last = req.headers['last-event-id'];
      const remove = ctx.live.connect(
        p,
        {
          write: (chunk) => {
            if (raw.destroyed || raw.writableEnded) return false;
            if (raw.writableLength > MAX_BUFFERED_BYTES) return false;
            raw.write(chunk);
            return true;
          },
          close: () => {
            if (!raw.writableEnded) raw.end();
          },
        },
        typeof last === 'string' ? Number(last) : undefined,
      );
      req.raw.on('close', remove);
    },
  );
  return Promise.resolve();
};
