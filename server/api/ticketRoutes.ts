/**
 * Ticket routes: the queue (filters, queue order, pagination), a ticket with its history and
 * evidence, and the operator actions of the ticket engine (server/tickets/ticketPolicy.ts). An
 * action the lifecycle forbids answers 409 with the engine's reason; a ticket the caller may not
 * see answers 404. The operator recorded in the history is the token's name.
 *
 * Hot tickets (open and resolved) are read straight from the store, one page of its ticket listing
 * (server/tickets/ticketListing.ts: queue order and filter terms, indexed by either store): they
 * were validated when the ticket engine wrote them.
 * Closed tickets live in monthly archives: `status=closed&closedMonth=YYYY-MM` lists one month.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canAssign, canSeeTicket, customerScope, ticketViewFor } from '../auth/access.js';
import type { Principal } from '../auth/apiTokens.js';
import { Matter, WorkChannel } from '../sla/contract.js';
import { TimeEntry, type Ticket } from '../tickets/ticket.js';
import type { TicketAction } from '../tickets/ticketActions.js';
import { ApiError } from './apiErrors.js';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { TicketDetail, ticketDetail, TicketSummary } from './apiSchemas.js';
import { PageQuery, pageOfListing, pageSchema, paginate } from './pagination.js';
import { summary, TicketFilter, ticketListFilter } from './ticketQuery.js';
import { matchesFilter } from '../storage/listing.js';
import { ticketListingEntry, ticketListingFilter } from '../tickets/ticketListing.js';

const TICKETS = 'tickets';

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const Text = (max: number) => z.string().trim().min(1).max(max);

/** Bodies of the actions (the operator comes from the token, never from the body). */
const ACTIONS = {
  acknowledge: {
    summary: 'acknowledge (first response: stops the reaction clock)',
    body: z.strictObject({ note: Text(2000).optional() }),
    action: (b: { note?: string }, by: string): TicketAction => ({ type: 'acknowledge', by, ...(b.note !== undefined ? { note: b.note } : {}) }),
  },
  start: { summary: 'start work', body: z.strictObject({}), action: (_b: object, by: string): TicketAction => ({ type: 'start', by }) },
  escalate: {
    summary: 'escalate to the next support tier',
    body: z.strictObject({ reason: Text(2000) }),
    action: (b: { reason: string }, by: string): TicketAction => ({ type: 'escalate', by, reason: b.reason }),
  },
  'wait-for-customer': {
    summary: 'ask the customer and pause the resolution clock',
    body: z.strictObject({ question: Text(10_000) }),
    action: (b: { question: string }, by: string): TicketAction => ({ type: 'waitForCustomer', by, question: b.question }),
  },
  'customer-replied': {
    summary: 'record the customer reply (resumes the clock)',
    body: z.strictObject({ text: Text(10_000) }),
    action: (b: { text: string }, by: string): TicketAction => ({ type: 'customerReplied', by, text: b.text }),
  },
  'contact-attempts': {
    summary: 'record an attempt to reach the customer',
    body: z.strictObject({ channel: Text(64), note: Text(2000) }),
    action: (b: { channel: string; note: string }, by: string): TicketAction => ({ type: 'contactAttempt', by, channel: b.channel, note: b.note }),
  },
  resolve: {
    summary: 'resolve',
    body: z.strictObject({ solution: Text(10_000), confirmedByCustomer: z.boolean().optional() }),
    action: (b: { solution: string; confirmedByCustomer?: boolean }, by: string): TicketAction => ({
      type: 'resolve',
      by,
      solution: b.solution,
      ...(b.confirmedByCustomer !== undefined ? { confirmedByCustomer: b.confirmedByCustomer } : {}),
    }),
  },
  close: { summary: 'close a resolved ticket', body: z.strictObject({}), action: (_b: object, by: string): TicketAction => ({ type: 'close', by }) },
  reopen: {
    summary: 'reopen a resolved ticket',
    body: z.strictObject({ reason: Text(2000) }),
    action: (b: { reason: string }, by: string): TicketAction => ({ type: 'reopen', by, reason: b.reason }),
  },
  matter: {
    summary: 'classify as a bug or a support matter (support uses the monthly cap of capped channels, bugs do not)',
    body: z.strictObject({ matter: Matter, reason: Text(2000) }),
    action: (b: { matter: Matter; reason: string }, by: string): TicketAction => ({ type: 'classifyMatter', by, matter: b.matter, reason: b.reason }),
  },
  comments: {
    summary: 'add a comment (public: visible to the customer; default: internal note)',
    body: z.strictObject({ text: Text(10_000), public: z.boolean().default(false) }),
    action: (b: { text: string; public: boolean }, by: string): TicketAction => ({ type: 'comment', by, text: b.text, public: b.public }),
  },
} as const;

export async function findArchived(ctx: Pick<ApiContext, 'repo'>, id: string): Promise<Ticket | undefined> {
  const months = await ctx.repo.archiveMonths(TICKETS);
  for (const m of months.reverse()) {
    let found: Ticket | undefined;
    for await (const rec of ctx.repo.readArchive<Ticket>(TICKETS, m)) if (rec.id === id) found = rec.value;
    if (found) return found;
  }
  return undefined;
}

/** A ticket the caller may see, hot or archived; 404 otherwise (another customer's ticket answers as a missing one). */
export async function visibleTicketOf(ctx: Pick<ApiContext, 'repo'>, p: Principal, id: string): Promise<Ticket> {
  const t = (await ctx.repo.get<Ticket>(TICKETS, id)) ?? (await findArchived(ctx, id));
  if (!t || !canSeeTicket(p, t)) throw ApiError.notFound(`ticket ${JSON.stringify(id)}`);
  return t;
}

/**
 * A ticket the caller may see (hot or archived; 404 otherwise) and an action on it as that
 * caller: shared by the ticket, visit and report routes.
 */
export function ticketAccess(ctx: ApiContext) {
  const visibleTicket = (p: Principal, id: string): Promise<Ticket> => visibleTicketOf(ctx, p, id);
  const act = async (p: Principal, id: string, action: TicketAction): Promise<TicketDetail> => {
    const t = await visibleTicket(p, id);
    if (t.status === 'closed') throw new ApiError(409, 'CONFLICT', `ticket ${t.id}: it is closed (closed tickets are history and cannot change)`);
    const next = await ctx.tickets.act(id, action);
    ctx.live.ticketChanged(next, action.type);
    return ticketViewFor(p, ticketDetail(next));
  };
  return { visibleTicket, act };
}

export const ticketRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['tickets'];
  const { visibleTicket, act } = ticketAccess(ctx);

  app.get(
    '/tickets',
    {
      preValidation: requires('tickets:read'),
      schema: {
        tags,
        summary: 'tickets in work-queue order (earliest deadline first)',
        querystring: PageQuery.extend(TicketFilter.shape),
        response: { 200: pageSchema(TicketSummary) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const q = req.query;
      const access = { customer: customerScope(p), technician: p.role === 'technician' ? p.name : null };
      const filter = ticketListingFilter(ticketListFilter(q, p.name), access);
      const where = filter === undefined ? {} : { filter };
      if (!q.status?.includes('closed'))
        return pageOfListing(await ctx.repo.listingPage<Ticket>(TICKETS, { ...where, offset: q.offset, limit: q.limit }), q, summary);
      // Hot and closed merged in queue order: the page holds at most offset + limit hot tickets, the front of the listing.
      const hot = await ctx.repo.listingPage<Ticket>(TICKETS, { ...where, offset: 0, limit: q.offset + q.limit });
      const rows = hot.items.map((t, i) => ({ t, sort: hot.sorts[i]! }));
      const month = q.closedMonth ?? new Date(ctx.clock.now()).toISOString().slice(0, 7);
      let closed = 0;
      for await (const rec of ctx.repo.readArchive<Ticket>(TICKETS, month)) {
        const entry = ticketListingEntry(rec.value);
        if (filter !== undefined && !matchesFilter(filter, entry.terms)) continue;
        rows.push({ t: rec.value, sort: entry.sort });
        closed += 1;
      }
      rows.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0));
      const page = paginate(rows, q, (r) => summary(r.t));
      const total = hot.total + closed;
      return { ...page, total, nextOffset: q.offset + page.items.length < total ? q.offset + page.items.length : null };
    },
  );

  app.get(
    '/tickets/:id',
    {
      preValidation: requires('tickets:read'),
      schema: {
        tags,
        summary: 'a ticket with faults (evidence), comments, time entries, history and SLA clocks',
        params: IdParams,
        response: { 200: TicketDetail },
      },
    },
    async (req) => ticketViewFor(principalOf(req), ticketDetail(await visibleTicket(principalOf(req), req.params.id))),
  );

  for (const [path, spec] of Object.entries(ACTIONS)) {
    app.post(
      `/tickets/:id/${path}`,
      { preValidation: requires('tickets:act'), schema: { tags, summary: spec.summary, params: IdParams, body: spec.body, response: { 200: TicketDetail } } },
      async (req) => {
        const p = principalOf(req);
        const action = (spec.action as (b: unknown, by: string) => TicketAction)(req.body, p.name);
        return act(p, req.params.id, action);
      },
    );
  }

  app.post(
    '/tickets/:id/assign',
    {
      preValidation: requires('tickets:act'),
      schema: {
        tags,
        summary: 'assign (null: back to the queue); technicians may only take a ticket or give theirs back',
        params: IdParams,
        body: z.strictObject({ assignee: z.string().trim().min(1).max(128).nullable() }),
        response: { 200: TicketDetail },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const t = await visibleTicket(p, req.params.id);
      if (!canAssign(p, t, req.body.assignee))
        throw ApiError.forbidden(`a technician may assign a ticket only to themselves (${p.name}) or give their own back`);
      return act(p, req.params.id, { type: 'assign', by: p.name, assignee: req.body.assignee });
    },
  );

  app.get(
    '/tickets/:id/time-entries',
    {
      preValidation: requires('tickets:read'),
      schema: { tags, summary: 'time entries of a ticket', params: IdParams, querystring: PageQuery, response: { 200: pageSchema(TimeEntry) } },
    },
    async (req) => paginate((await visibleTicket(principalOf(req), req.params.id)).timeEntries, req.query),
  );

  app.post(
    '/tickets/:id/time-entries',
    {
      preValidation: requires('tickets:act'),
      schema: {
        tags,
        summary: 'record work time (billed by the contract rules; may use the monthly cap)',
        params: IdParams,
        body: z.strictObject({
          channel: WorkChannel,
          minutes: z
            .number()
            .int()
            .min(1)
            .max(24 * 60),
          note: z.string().trim().max(2000).default(''),
        }),
        response: { 201: TicketDetail },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const t = await act(p, req.params.id, {
        type: 'addTime',
        by: p.name,
        id: randomUUID(),
        channel: req.body.channel,
        minutes: req.body.minutes,
        note: req.body.note,
      });
      return reply.code(201).send(t);
    },
  );
  return Promise.resolve();
};
