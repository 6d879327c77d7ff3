/**
 * SLA reports: compliance per customer and month (reaction met/breached, first response and
 * resolution times, first-contact resolution) and the monthly statement of a customer (time
 * entries billed by the contract rules, included hours, overage, monthly cap). Customer tokens
 * get their own customer's rows only.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { customerScope } from '../auth/access.js';
import { Impact, WorkChannel } from '../sla/contract.js';
import type { ComplianceRow as ComplianceRecord } from '../tickets/reporting.js';
import { csvDocument } from './csv.js';
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
    contractVersion: z.number().int().describe('the contract version the tickets ran under (0: preset/server.yaml); an edited contract gets its own rows'),
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
    breachedByImpact: z.record(Impact, z.number().int()).describe('breached reaction targets per impact'),
    onSite: z
      .object({
        visits: z.number().int(),
        met: z.number().int(),
        breached: z.number().int(),
        pending: z.number().int(),
        noTarget: z.number().int(),
        compliancePercent: z.number().nullable(),
      })
      .describe('on-site arrivals against the contract target'),
  })
  .meta({ id: 'ComplianceRow' });

const ComplianceQuery = z.object({
  since: Month.optional().describe('first month (default: this month)'),
  until: Month.optional().describe('last month (default: no limit)'),
  customer: z.string().min(1).max(128).optional(),
});

/** The CSV columns of the compliance report (stable names: scripts read them). */
const COMPLIANCE_CSV: ReadonlyArray<[string, (r: ComplianceRecord, name: string) => string | number | null]> = [
  ['customerId', (r) => r.customerId],
  ['customerName', (_r, name) => name],
  ['contractId', (r) => r.contractId],
  ['month', (r) => r.month],
  ['tickets', (r) => r.tickets],
  ['met', (r) => r.met],
  ['breached', (r) => r.breached],
  ['pending', (r) => r.pending],
  ['notGuaranteed', (r) => r.notGuaranteed],
  ['compliancePercent', (r) => r.compliancePercent],
  ['firstResponseMeanMinutes', (r) => r.firstResponseMinutes.mean],
  ['firstResponseP90Minutes', (r) => r.firstResponseMinutes.p90],
  ['resolveMeanMinutes', (r) => r.resolveMinutes.mean],
  ['resolveP90Minutes', (r) => r.resolveMinutes.p90],
  ['fcrEligible', (r) => r.fcrEligible],
  ['fcrCount', (r) => r.fcrCount],
  ['fcrPercent', (r) => r.fcrPercent],
  ...Impact.options.map((i): [string, (r: ComplianceRecord) => number] => [`breached_${i}`, (r) => r.breachedByImpact[i]]),
  ['contractVersion', (r) => r.contractVersion],
  ['onSiteVisits', (r) => r.onSite.visits],
  ['onSiteMet', (r) => r.onSite.met],
  ['onSiteBreached', (r) => r.onSite.breached],
  ['onSitePending', (r) => r.onSite.pending],
  ['onSiteCompliancePercent', (r) => r.onSite.compliancePercent],
];

const Statement = z
  .object({
    customerId: z.string(),
    contractId: z.string(),
    month: z.string(),
    entries: z.array(
      z.object({
        ticketId: z.string(),
        entryId: z.string(),
        at: z.number(),
        by: z.string(),
        channel: WorkChannel,
        minutes: z.number(),
        billedMinutes: z.number(),
        countsAgainstIncluded: z.boolean(),
        capMinutes: z.number(),
        note: z.string(),
      }),
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

  /** Rows of the months asked for, only the caller's own customer for customer tokens. */
  const complianceRows = async (req: FastifyRequest, q: z.infer<typeof ComplianceQuery>): Promise<ComplianceRecord[]> => {
    const scopeId = customerScope(principalOf(req));
    return (await ctx.tickets.compliance(q.since ?? thisMonth())).filter(
      (r) =>
        (scopeId === null || r.customerId === scopeId) &&
        (q.customer === undefined || r.customerId === q.customer) &&
        (q.until === undefined || r.month <= q.until),
    );
  };

  app.get(
    '/reports/compliance',
    {
      preValidation: requires('reports:read'),
      schema: {
        tags,
        summary: 'SLA compliance per customer and month (months of opening, Europe/Warsaw)',
        querystring: PageQuery.extend(ComplianceQuery.shape),
        response: { 200: pageSchema(ComplianceRow) },
      },
    },
    async (req) => paginate(await complianceRows(req, req.query), req.query),
  );

  app.get(
    '/reports/compliance.csv',
    {
      preValidation: requires('reports:read'),
      schema: {
        tags,
        summary:
          'the compliance report as one CSV file (every row, no paging): UTF-8 with BOM; dialect en = comma and decimal point, pl = semicolon and decimal comma',
        querystring: z.strictObject({ ...ComplianceQuery.shape, dialect: z.enum(['en', 'pl']).default('en') }),
        produces: ['text/csv'],
      },
    },
    async (req, reply) => {
      const q = req.query;
      const rows = await complianceRows(req, q);
      const name = (id: string) => ctx.config.fleet.customers[id]?.name ?? id;
      const body = csvDocument(
        COMPLIANCE_CSV.map(([h]) => h),
        rows.map((r) => COMPLIANCE_CSV.map(([, f]) => f(r, name(r.customerId)))),
        q.dialect,
      );
      const file = `sla-compliance-${q.since ?? thisMonth()}${q.until ? `_${q.until}` : ''}${q.customer ? `-${q.customer.replace(/[^\w.-]/g, '_')}` : ''}.csv`;
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`).send(body);
    },
  );

  app.get(
    '/reports/statement',
    {
      preValidation: requires('reports:read'),
      schema: {
        tags,
        summary: "a customer's monthly statement under its contract",
        querystring: z.strictObject({
          customer: z.string().min(1).max(128).optional().describe('required except for customer tokens'),
          month: Month.optional().describe('default: this month'),
        }),
        response: { 200: Statement },
      },
    },
    async (req) => {
      const scopeId = customerScope(principalOf(req));
      const customer = req.query.customer ?? scopeId;
      if (customer === null || customer === undefined)
        throw new ApiError(400, 'VALIDATION_FAILED', 'querystring.customer: expected a customer id, found nothing (missing)', 'querystring.customer');
      if (scopeId !== null && customer !== scopeId) throw ApiError.notFound(`customer ${JSON.stringify(customer)}`);
      const contractId = ctx.config.fleet.customers[customer]?.contract ?? ctx.config.tickets.defaultContract;
      const s = await ctx.tickets.statement(customer, contractId, req.query.month ?? thisMonth());
      return { ...s, entries: [...s.entries] };
    },
  );
  return Promise.resolve();
};
