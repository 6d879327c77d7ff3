/**
 * The final report of a ticket (server/tickets/finalReport.ts) as an HTML page and a PDF
 * download, in Polish or English. Whoever may see the ticket may read its report: a customer
 * token only its own customer's tickets (404 otherwise), without internal notes.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Language } from '../../shared/faults.js';
import { ticketViewFor } from '../auth/access.js';
import type { Principal } from '../auth/apiTokens.js';
import { finalReport } from '../tickets/finalReport.js';
import { finalReportHtml } from '../tickets/finalReportHtml.js';
import { finalReportPdf } from '../tickets/finalReportPdf.js';
import { ticketContract } from '../tickets/ticketPolicy.js';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { ticketAccess } from './ticketRoutes.js';

const Params = z.strictObject({ id: z.string().min(1).max(64) });
const Query = z.strictObject({ lang: z.enum(['pl', 'en']).default('pl').describe('language of the report (default Polish)') });

export const finalReportRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['tickets'];
  const { visibleTicket } = ticketAccess(ctx);
  const model = async (p: Principal, id: string, lang: Language) => {
    const t = ticketViewFor(p, await visibleTicket(p, id));
    return finalReport(
      t,
      ticketContract(t, (cid, version) => ctx.contracts.get(cid, version)),
      lang,
      ctx.clock.now(),
    );
  };

  app.get(
    '/tickets/:id/report',
    {
      preValidation: requires('tickets:read'),
      schema: {
        tags,
        summary: 'final report of a ticket as an HTML page (device, report and evidence, impact, SLA targets, visits, work and billing, solution)',
        params: Params,
        querystring: Query,
        produces: ['text/html'],
      },
    },
    async (req, reply) => reply.type('text/html; charset=utf-8').send(finalReportHtml(await model(principalOf(req), req.params.id, req.query.lang))),
  );

  app.get(
    '/tickets/:id/report.pdf',
    {
      preValidation: requires('tickets:read'),
      schema: { tags, summary: 'final report of a ticket as a PDF download', params: Params, querystring: Query, produces: ['application/pdf'] },
    },
    async (req, reply) => {
      const pdf = await finalReportPdf(await model(principalOf(req), req.params.id, req.query.lang));
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${req.params.id.replace(/[^A-Za-z0-9_-]/g, '')}-report-${req.query.lang}.pdf"`)
        .send(pdf);
    },
  );
  return Promise.resolve();
};
