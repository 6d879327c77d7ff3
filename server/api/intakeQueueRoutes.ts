/**
 * The intake queue (server/intake/intakeItems.ts): reports the server received but could not put
 * on a ticket by itself, e.g. e-mail from an unknown sender. Dispatchers and admins list them,
 * assign one to a customer (which opens a ticket, channel `email`, with the contract's SLA clock),
 * attach one to an existing ticket (the customer's message on it) or dismiss it with a reason. Items may come from anyone, so customers and technicians do not
 * see this queue.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IntakeItem, IntakeItemError, IntakeItemStatus } from '../intake/intakeItems.js';
import { IntakeItemNotFoundError } from '../intake/mailIntake.js';
import { Impact } from '../sla/contract.js';
import { ApiError } from './apiErrors.js';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { TicketDetail, ticketDetail } from './apiSchemas.js';
import { TicketNotFoundError } from '../tickets/ticketService.js';
import { PageQuery, pageSchema, paginate } from './pagination.js';

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const Text = (max: number) => z.string().trim().min(1).max(max);

const AssignBody = z.strictObject({
  customer: Text(128),
  /** Default: the e-mail's subject. */
  title: Text(300).optional(),
  /** Default: intake.mail.impact. */
  impact: Impact.optional(),
  /** A level of the customer's contract (e.g. "sev3"); default: mapped from the impact. */
  level: Text(64).optional(),
  note: Text(2000).optional(),
});

const AttachBody = z.strictObject({
  /** The ticket the message belongs to (open, or resolved and not yet closed). */
  ticket: z.string().trim().min(1).max(64),
  note: Text(2000).optional(),
});

function intakeError(err: unknown): never {
  if (err instanceof IntakeItemNotFoundError) throw new ApiError(404, 'NOT_FOUND', err.message);
  // Closed tickets are archived: only open and resolved ones take a message.
  if (err instanceof TicketNotFoundError) throw new ApiError(404, 'NOT_FOUND', `${err.message} that is open or resolved`, 'body.ticket');
  if (err instanceof IntakeItemError) throw new ApiError(409, 'CONFLICT', err.message);
  throw err;
}

export const intakeQueueRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['intake'];
  const intake = () => {
    if (!ctx.intake) throw new ApiError(404, 'NOT_FOUND', 'the intake is not running on this server');
    return ctx.intake;
  };

  app.get(
    '/intake',
    {
      preValidation: requires('intake:manage'),
      schema: {
        tags,
        summary: 'intake items, newest first (default: the unassigned ones)',
        querystring: PageQuery.extend({ status: IntakeItemStatus.default('unassigned') }),
        response: { 200: pageSchema(IntakeItem) },
      },
    },
    async (req) =>
      paginate(
        (await intake().items()).filter((i) => i.status === req.query.status),
        req.query,
      ),
  );

  app.get(
    '/intake/:id',
    { preValidation: requires('intake:manage'), schema: { tags, summary: 'one intake item', params: IdParams, response: { 200: IntakeItem } } },
    async (req) => {
      const item = (await intake().items()).find((i) => i.id === req.params.id);
      if (!item) throw ApiError.notFound(`intake item ${JSON.stringify(req.params.id)}`);
      return item;
    },
  );

  app.post(
    '/intake/:id/assign',
    {
      preValidation: requires('intake:manage'),
      schema: {
        tags,
        summary: 'open a ticket of a customer from an intake item',
        params: IdParams,
        body: AssignBody,
        response: { 201: z.strictObject({ item: IntakeItem, ticket: TicketDetail }) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const done = await intake()
        .assign(req.params.id, {
          customerId: b.customer,
          by: principalOf(req).name,
          ...(b.title !== undefined ? { title: b.title } : {}),
          ...(b.impact !== undefined ? { impact: b.impact } : {}),
          ...(b.level !== undefined ? { level: b.level } : {}),
          ...(b.note !== undefined ? { note: b.note } : {}),
        })
        .catch(intakeError);
      ctx.live.ticketChanged(done.ticket, 'opened');
      void reply.code(201);
      return { item: done.item, ticket: ticketDetail(done.ticket) };
    },
  );

  app.post(
    '/intake/:id/attach',
    {
      preValidation: requires('intake:manage'),
      schema: {
        tags,
        summary: "attach an intake item to an existing ticket as the customer's message (on a ticket waiting for the customer: the answer)",
        params: IdParams,
        body: AttachBody,
        response: { 200: z.strictObject({ item: IntakeItem, ticket: TicketDetail }) },
      },
    },
    async (req) => {
      const done = await intake()
        .attach(req.params.id, { ticketId: req.body.ticket, by: principalOf(req).name, ...(req.body.note !== undefined ? { note: req.body.note } : {}) })
        .catch(intakeError);
      ctx.live.ticketChanged(done.ticket, 'reply');
      return { item: done.item, ticket: ticketDetail(done.ticket) };
    },
  );

  app.post(
    '/intake/:id/dismiss',
    {
      preValidation: requires('intake:manage'),
      schema: {
        tags,
        summary: 'set an intake item aside with a reason (the message stays in the mailbox)',
        params: IdParams,
        body: z.strictObject({ reason: Text(2000) }),
        response: { 200: IntakeItem },
      },
    },
    async (req) => intake().dismiss(req.params.id, principalOf(req).name, req.body.reason).catch(intakeError),
  );
  return Promise.resolve();
};
