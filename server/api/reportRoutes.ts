/**
 * SLA reports: compliance per customer and month (reaction met/breached, first response and
 * resolution times, first-contact resolution) and the monthly statement of a customer (time
 * entries billed by the contract rules, included hours, overage, monthly cap). Customer tokens
 * get their own customer's rows only.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { customerScope } from '../auth/access.js';
import { WorkChannel } from '../sla/contract.js';
import { ApiError } from './apiErrors.js';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { PageQuery, pageSchema, paginate } from './pagination.js';

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month "YYYY-MM"');
const Stat = z.object({ count: z.number().int(), mean: z.number().nullable(), p90: z.number().nullable() });

const ComplianceRow = z
  .object({
    customerId: z.string(),
    contractId: z.string(),
    month: z.string(),
    tickets: z.number().int(),
    met: z.number().int(),
    breached: z.number().int(),
    pending: z.number().int(),
    notGuaranteed: z.number().int(),
    compliancePercent: z.number().nullable(),
    firstResponseMinutes: Stat,
    resolveMinutes: Stat,
    fcrEligible: z.number().int(),
    fcrCount: z.number().int(),
    fcrPercent: z.number().nullable(),
  })
  .meta({ id: 'ComplianceRow' });

const Statement = z
  .object({
    customerId: z.string(),
    contractId: z.string(),
    month: z.string(),
    entries: z.array(
      z.object({ ticketId: z.string(), entryId: z.string(), at: z.number(), by: z.string(), channel: WorkChannel, minutes: z.number(), billedMinutes: z.number(), countsAgainstIncluded: z.boolean(), capMinutes: z.number(), note: z.string() }),
    ),
    includedMinutes: z.number(),
    countedMinutes: z.number(),
    overageMinutes: z.number(),
    hourlyRateGrosze: z.number().nullable(),
    overageAmountGrosze: z.number().nullable(),
    capMinutes: z.number().nullable(),
    capUsedMinutes: z.number(),
    capExhaustedAt: z.number().nullable(),
    ticketsOpened: z.number().int(),
    ticketsGuaranteed: z.number().int(),
  })
  .meta({ id: 'MonthlyStatement' });

export const reportRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['reports'];
  const thisMonth = () => new Date(ctx.clock.now()).toISOString().slice(0, 7);

  app.get(
    '/reports/compliance',
    {
      preValidation: requires('reports:read'),
      schema: { tags, summary: 'SLA compliance per customer and month (months of opening, Europe/Warsaw)', querystring: PageQuery.extend({ since: Month.optional().describe('first month (default: this month)'), customer: z.string().min(1).max(128).optional() }), response: { 200: pageSchema(ComplianceRow) } },
    },
    async (req) => {
      const scopeId = customerScope(principalOf(req));
      const rows = (await ctx.tickets.compliance(req.query.since ?? thisMonth())).filter((r) => (scopeId === null || r.customerId === scopeId) && (req.query.customer === undefined || r.customerId === req.query.customer));
      return paginate(rows, req.query);
    },
  );

  app.get(
    '/reports/statement',
    {
      preValidation: requires('reports:read'),
      schema: { tags, summary: "a customer's monthly statement under its contract", querystring: z.strictObject({ customer: z.string().min(1).max(128).optional().describe('required except for customer tokens'), month: Month.optional().describe('default: this month') }), response: { 200: Statement } },
    },
    async (req) => {
      const scopeId = customerScope(principalOf(req));
      const customer = req.query.customer ?? scopeId;
      if (customer === null || customer === undefined) throw new ApiError(400, 'VALIDATION_FAILED', 'querystring.customer: expected a customer id, found nothing (missing)', 'querystring.customer');
      if (scopeId !== null && customer !== scopeId) throw ApiError.notFound(`customer ${JSON.stringify(customer)}`);
      const contractId = ctx.config.fleet.customers[customer]?.contract ?? ctx.config.tickets.defaultContract;
      const s = await ctx.tickets.statement(customer, contractId, req.query.month ?? thisMonth());
      return { ...s, entries: [...s.entries] };
    },
  );
  return Promise.resolve();
};
