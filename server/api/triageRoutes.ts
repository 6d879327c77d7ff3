/**
 * Triage and corrections by the desk (dispatcher, admin): change a ticket's impact or level,
 * contract, queue, device or customer, each with a required reason. The change is written to the
 * ticket's history and to the ticket audit trail (`ticketAudit`, in the same unit of work), and
 * the SLA clocks are recalculated by the rules of docs/tickets-and-sla.md ("Corrections").
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../auth/apiTokens.js';
import { deviceRefOf, DeviceSelector, findCustomerDevice, resolveCustomer, siteOf } from '../intake/intakeRequest.js';
import { Impact } from '../sla/contract.js';
import type { Transaction } from '../storage/repository.js';
import type { Ticket } from '../tickets/ticket.js';
import { TICKET_AUDIT, ticketAuditKey, TicketAuditEntry } from '../tickets/ticketAudit.js';
import type { TicketAction } from '../tickets/ticketActions.js';
import { ticketStoreIn } from '../tickets/ticketRepository.js';
import { ApiError } from './apiErrors.js';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { TicketDetail, ticketDetail } from './apiSchemas.js';
import { intakeApiError, intakeDeps } from './intakeRoutes.js';
import { paginate, PageQuery, pageSchema } from './pagination.js';
import { visibleTicketOf } from './ticketRoutes.js';

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const Reason = z.string().trim().min(1).max(2000);

type Change = TicketAuditEntry['change'];

/** What the audit records of each change: the value before and after. */
function valueOf(change: Change, t: Ticket): string {
  switch (change) {
    case 'impact':
      return `${t.impact}/${t.sla.level}`;
    case 'contract':
      return t.sla.contractVersion ? `${t.sla.contractId} v${t.sla.contractVersion}` : t.sla.contractId;
    case 'queue':
      return t.queue;
    case 'device':
      return t.device?.id ?? '(none)';
    case 'customer':
      return t.customer.id;
  }
}

export const triageRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['tickets'];
  const deps = intakeDeps(ctx);

  /** Applies a correction and writes its audit entry in one unit of work. */
  const correct = async (
    p: Principal,
    id: string,
    change: Change,
    reason: string,
    actionOf: (tx: Transaction, t: Ticket) => Promise<TicketAction>,
  ): Promise<TicketDetail> => {
    const seen = await visibleTicketOf(ctx, p, id);
    if (seen.status === 'closed') throw new ApiError(409, 'CONFLICT', `ticket ${seen.id}: it is closed (closed tickets are history and cannot change)`);
    const outcome = await ctx.repo.transaction(async (tx) => {
      const store = ticketStoreIn(tx);
      const before = await store.get(id);
      if (!before) throw ApiError.notFound(`ticket ${JSON.stringify(id)}`);
      let action: TicketAction;
      try {
        action = await actionOf(tx, before);
      } catch (err) {
        throw intakeApiError(err);
      }
      const out = await ctx.tickets.actIn(store, id, action);
      const now = ctx.clock.now();
      const entry: TicketAuditEntry = {
        id: randomUUID(),
        at: new Date(now).toISOString(),
        ticketId: id,
        by: p.name,
        tokenId: p.tokenId,
        change,
        from: valueOf(change, before),
        to: valueOf(change, out.ticket),
        reason,
      };
      await tx.put(TICKET_AUDIT, ticketAuditKey(entry), entry);
      return out;
    });
    ctx.tickets.settle(outcome);
    ctx.live.ticketChanged(outcome.ticket, `change-${change}`);
    return ticketDetail(outcome.ticket);
  };

  const post = <B extends z.ZodType>(path: string, summary: string, body: B, handler: (p: Principal, id: string, body: z.infer<B>) => Promise<TicketDetail>) =>
    app.post(
      `/tickets/:id/${path}`,
      { preValidation: requires('tickets:triage'), schema: { tags, summary, params: IdParams, body, response: { 200: TicketDetail } } },
      async (req) => handler(principalOf(req), req.params.id, req.body as z.infer<B>),
    );

  post(
    'change-impact',
    'change the impact and/or the contract level (e.g. sev5); the SLA targets follow, the elapsed working time kept',
    z
      .strictObject({ impact: Impact.optional(), level: z.string().trim().min(1).max(32).optional(), reason: Reason })
      .refine((b) => b.impact !== undefined || b.level !== undefined, { message: 'name the new impact or level', path: ['impact'] }),
    (p, id, b) =>
      correct(p, id, 'impact', b.reason, () =>
        Promise.resolve({
          type: 'changeImpact',
          by: p.name,
          ...(b.impact !== undefined ? { impact: b.impact } : {}),
          ...(b.level !== undefined ? { level: b.level } : {}),
          reason: b.reason,
        }),
      ),
  );

  post(
    'change-contract',
    "run the ticket's clocks under another contract (the one in force), the elapsed working time kept",
    z.strictObject({ contract: z.string().trim().min(1).max(64), reason: Reason }),
    (p, id, b) => {
      if (!ctx.contracts.known(b.contract)) throw new ApiError(400, 'VALIDATION_FAILED', `no contract ${JSON.stringify(b.contract)}`, 'body.contract');
      return correct(p, id, 'contract', b.reason, () => Promise.resolve({ type: 'changeContract', by: p.name, contractId: b.contract, reason: b.reason }));
    },
  );

  post('change-queue', 'move the ticket to another queue', z.strictObject({ queue: z.string().trim().min(1).max(64), reason: Reason }), (p, id, b) =>
    correct(p, id, 'queue', b.reason, () => Promise.resolve({ type: 'changeQueue', by: p.name, queue: b.queue, reason: b.reason })),
  );

  post(
    'change-device',
    "name the device a reported ticket is about (one of the ticket customer's devices; null: none); tickets opened by monitoring keep their device",
    z.strictObject({ device: DeviceSelector.nullable(), reason: Reason }),
    (p, id, b) =>
      correct(p, id, 'device', b.reason, async (tx, t) => {
        const device = b.device === null ? null : await findCustomerDevice(tx, t.customer.id, b.device);
        return { type: 'changeDevice', by: p.name, device: device ? deviceRefOf(device) : null, site: siteOf(deps, t.customer, device), reason: b.reason };
      }),
  );

  post(
    'change-customer',
    "move a reported ticket to another customer (and optionally one of its devices); the new customer's contract applies, the elapsed working time kept",
    z.strictObject({ customer: z.string().trim().min(1).max(128), device: DeviceSelector.optional(), reason: Reason }),
    (p, id, b) =>
      correct(p, id, 'customer', b.reason, async (tx) => {
        const customer = await resolveCustomer(tx, deps, b.customer);
        const known = ctx.contracts.known(customer.contractId) ? customer : { ...customer, contractId: deps.defaultContractId };
        const device = b.device ? await findCustomerDevice(tx, known.id, b.device) : null;
        return {
          type: 'changeCustomer',
          by: p.name,
          customer: known,
          site: siteOf(deps, known, device),
          device: device ? deviceRefOf(device) : null,
          reason: b.reason,
        };
      }),
  );

  app.get(
    '/tickets/:id/audit',
    {
      preValidation: requires('tickets:triage'),
      schema: {
        tags,
        summary: 'the corrections made to a ticket (who, when, from, to, why), oldest first',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: pageSchema(TicketAuditEntry) },
      },
    },
    async (req) => {
      const t = await visibleTicketOf(ctx, principalOf(req), req.params.id);
      const entries = (await ctx.repo.list<TicketAuditEntry>(TICKET_AUDIT)).filter((e) => e.ticketId === t.id).sort((a, b) => a.at.localeCompare(b.at));
      return paginate(entries, req.query);
    },
  );
  return Promise.resolve();
};
