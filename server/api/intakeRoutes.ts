/**
 * Tickets people report (server/intake/intakeRequest.ts): `POST /tickets` on every channel, the
 * customer's replies and the confirmation of a solution. Dispatchers and admins report for any
 * customer; a customer token only for its own customer and only on its own devices: another
 * customer's device answers exactly like one that does not exist (404), so nothing leaks.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { customerScope, ticketViewFor } from '../auth/access.js';
import type { Principal } from '../auth/apiTokens.js';
import { FleetDirectory } from '../fleet/fleetModel.js';
import { addCustomerReply, IntakeError, IntakeRequest, openManualTicket, type IntakeDeps } from '../intake/intakeRequest.js';
import type { Ticket } from '../tickets/ticket.js';
import { ApiError } from './apiErrors.js';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { TicketDetail, ticketDetail } from './apiSchemas.js';
import { visibleTicketOf } from './ticketRoutes.js';

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

const Deadline = z.iso.datetime().nullable();
const IntakeResponse = z
  .object({
    ticket: TicketDetail,
    /** Null: a new ticket. Else the open ticket of the same device that took the report. */
    duplicateOf: z.string().nullable(),
    /** The SLA deadlines the reporter is told (null: no guaranteed target). */
    deadlines: z.object({ reaction: Deadline, resolution: Deadline }),
  })
  .meta({ id: 'IntakeResult' });

/** Channels a customer reports on by itself; a phone call is taken by the desk. */
const CUSTOMER_CHANNELS: ReadonlySet<string> = new Set(['portal', 'form', 'email', 'chat']);

/** An intake failure as the API answers it: the field at fault, and 404 for a device the caller cannot have. */
export function intakeApiError(err: unknown): unknown {
  if (!(err instanceof IntakeError)) return err;
  if (err.code === 'unknownDevice') return new ApiError(404, 'NOT_FOUND', err.message, `body.${err.field}`);
  return new ApiError(400, 'VALIDATION_FAILED', err.message, `body.${err.field}`);
}

export function intakeDeps(ctx: ApiContext): IntakeDeps {
  return {
    repo: ctx.repo,
    tickets: ctx.tickets,
    directory: new FleetDirectory(ctx.config.fleet),
    contractFor: (id) => ctx.contracts.get(id),
    defaultContractId: ctx.config.tickets.defaultContract,
  };
}

export const intakeRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['tickets'];
  const deps = intakeDeps(ctx);
  const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
  const view = (p: Principal, t: Ticket) => ticketViewFor(p, ticketDetail(t));

  app.post(
    '/tickets',
    {
      preValidation: requires('tickets:report'),
      schema: {
        tags,
        summary:
          'report a problem (phone, e-mail, form, portal, chat): opens a ticket with its SLA clocks, or adds the report to the open ticket of the same device',
        body: IntakeRequest,
        response: { 200: IntakeResponse, 201: IntakeResponse },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const own = customerScope(p);
      if (own !== null) {
        if (req.body.customer !== own) throw new ApiError(403, 'FORBIDDEN', `a customer token reports only for its own customer (${own})`, 'body.customer');
        if (!CUSTOMER_CHANNELS.has(req.body.channel))
          throw new ApiError(
            400,
            'VALIDATION_FAILED',
            `a customer reports by ${[...CUSTOMER_CHANNELS].join(', ')}; ${req.body.channel} reports are taken by the service desk`,
            'body.channel',
          );
      }
      let r;
      try {
        r = await openManualTicket(deps, req.body, p.name);
      } catch (err) {
        throw intakeApiError(err);
      }
      if (r.duplicateOf !== null) ctx.live.ticketChanged(r.ticket, 'duplicateReport');
      return reply.code(r.duplicateOf === null ? 201 : 200).send({
        ticket: view(p, r.ticket),
        duplicateOf: r.duplicateOf,
        deadlines: { reaction: iso(r.deadlines.reaction), resolution: iso(r.deadlines.resolution) },
      });
    },
  );

  app.post(
    '/tickets/:id/replies',
    {
      preValidation: requires('tickets:report'),
      schema: {
        tags,
        summary: "the customer's reply (a public comment); on a ticket waiting for the customer it is the answer: the resolution clock resumes",
        params: IdParams,
        body: z.strictObject({ text: z.string().trim().min(1).max(10_000) }),
        response: { 201: TicketDetail },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const t = await visibleTicketOf(ctx, p, req.params.id);
      if (t.status === 'closed') throw new ApiError(409, 'CONFLICT', `ticket ${t.id}: it is closed; report the problem again as a new ticket`);
      const next = await addCustomerReply(deps, t.id, { text: req.body.text }, p.name);
      ctx.live.ticketChanged(next, 'customerReply');
      return reply.code(201).send(view(p, next));
    },
  );

  app.post(
    '/tickets/:id/confirm',
    {
      preValidation: requires('tickets:report'),
      schema: {
        tags,
        summary: 'the customer confirms the solution of a resolved ticket: it closes now (otherwise it closes when the reopen window has passed)',
        params: IdParams,
        body: z.strictObject({ note: z.string().trim().min(1).max(2000).optional() }),
        response: { 200: TicketDetail },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const t = await visibleTicketOf(ctx, p, req.params.id);
      if (t.status === 'closed') throw new ApiError(409, 'CONFLICT', `ticket ${t.id}: it is already closed`);
      const next = await ctx.tickets.act(t.id, { type: 'confirmSolution', by: p.name, ...(req.body.note !== undefined ? { note: req.body.note } : {}) });
      ctx.live.ticketChanged(next, 'confirmSolution');
      return view(p, next);
    },
  );
  return Promise.resolve();
};
