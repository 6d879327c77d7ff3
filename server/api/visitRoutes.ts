/**
 * On-site visit routes (support-contracts §4): request a visit on a ticket (its arrival target
 * comes from the ticket's contract: 4/8/24 h counted as the contract says), schedule it
 * (technician, planned time: dispatchers), and the technician's arrival and departure. Every
 * step is a ticket action, so it lands in the ticket's history and moves its on-site clock.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../auth/apiTokens.js';
import { ApiError } from './apiErrors.js';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { TicketDetail } from './apiSchemas.js';
import { ticketAccess } from './ticketRoutes.js';

const Params = z.strictObject({ id: z.string().min(1).max(64) });
const VisitParams = Params.extend({ visitId: z.string().regex(/^V\d{1,4}$/, 'a visit id such as "V1"') });
const Text = (max: number) => z.string().trim().min(1).max(max);

/** Scheduling names who goes and when: the dispatch desk's call, not a technician's. */
function requireDispatch(p: Principal): void {
  if (p.role !== 'admin' && p.role !== 'dispatcher') throw ApiError.forbidden(`role ${p.role} may not schedule on-site visits (dispatcher or admin)`);
}

export const visitRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['tickets'];
  const { visibleTicket, act } = ticketAccess(ctx);

  app.post(
    '/tickets/:id/visits',
    {
      preValidation: requires('tickets:act'),
      schema: {
        tags,
        summary: "request an on-site visit; the arrival clock starts with the contract's on-site target",
        params: Params,
        body: z.strictObject({ reason: Text(2000) }),
        response: { 201: TicketDetail },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      return reply.code(201).send(await act(p, req.params.id, { type: 'requestVisit', by: p.name, reason: req.body.reason }));
    },
  );

  app.patch(
    '/tickets/:id/visits/:visitId',
    {
      preValidation: requires('tickets:act'),
      schema: {
        tags,
        summary: 'schedule a visit: technician and planned time (dispatcher, admin); null clears a field',
        params: VisitParams,
        body: z
          .strictObject({
            technician: z.string().trim().min(1).max(128).nullable().optional(),
            plannedAt: z.iso.datetime({ offset: true }).nullable().optional(),
          })
          .refine((b) => b.technician !== undefined || b.plannedAt !== undefined, 'technician or plannedAt'),
        response: { 200: TicketDetail },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await visibleTicket(p, req.params.id);
      requireDispatch(p);
      const { technician, plannedAt } = req.body;
      return act(p, req.params.id, {
        type: 'scheduleVisit',
        by: p.name,
        visitId: req.params.visitId,
        ...(technician !== undefined ? { technician } : {}),
        ...(plannedAt !== undefined ? { plannedAt: plannedAt === null ? null : Date.parse(plannedAt) } : {}),
      });
    },
  );

  app.post(
    '/tickets/:id/visits/:visitId/arrival',
    {
      preValidation: requires('tickets:act'),
      schema: {
        tags,
        summary: "the technician arrived on site (now): stops the visit's arrival clock",
        params: VisitParams,
        body: z.strictObject({}).optional(),
        response: { 200: TicketDetail },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return act(p, req.params.id, { type: 'visitArrival', by: p.name, visitId: req.params.visitId });
    },
  );

  app.post(
    '/tickets/:id/visits/:visitId/departure',
    {
      preValidation: requires('tickets:act'),
      schema: {
        tags,
        summary: 'the technician left the site (now), with the work done',
        params: VisitParams,
        body: z.strictObject({ workDone: Text(10_000) }),
        response: { 200: TicketDetail },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return act(p, req.params.id, { type: 'visitDeparture', by: p.name, visitId: req.params.visitId, workDone: req.body.workDone });
    },
  );
  return Promise.resolve();
};
