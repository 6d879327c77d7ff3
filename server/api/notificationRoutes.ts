/**
 * Notifications (server/notifications, docs/notifications.md): the delivery log and test
 * messages. Admin and dispatcher only (the log names recipients of every customer).
 *
 * The log: pending deliveries are hot; delivered and failed ones are archived by the month they
 * finished, so `month=YYYY-MM` picks which month of finished deliveries is listed (default: this
 * month). Newest first.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ID_PATTERN } from '../../shared/wire/topics.js';
import { DELIVERIES, DeliveryAttempt, DeliveryKind, DeliveryStatus, type Delivery } from '../notifications/delivery.js';
import { Language, NOTIFICATION_EVENTS } from '../notifications/notificationSettings.js';
import { ApiError } from './apiErrors.js';
import { requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { allOf, commaList, PageQuery, pageSchema, paginateWhere } from './pagination.js';

export const DeliveryQuery = PageQuery.extend({
  status: commaList(DeliveryStatus.options, 400).optional().describe('comma-separated: pending, delivered, failed (default: all)'),
  kind: commaList([...NOTIFICATION_EVENTS, 'test'] as const, 400)
    .optional()
    .describe('comma-separated event kinds (or test)'),
  ticket: z.string().min(1).max(64).optional().describe('a ticket id'),
  channel: z.enum(['webhook', 'email']).optional(),
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month "YYYY-MM"')
    .optional()
    .describe('UTC month in which delivered/failed ones finished (default: this month)'),
});

const DeliveryView = z
  .object({
    id: z.string(),
    kind: DeliveryKind,
    ticketId: z.string().nullable(),
    customerId: z.string().nullable(),
    channel: z.enum(['webhook', 'email']),
    /** Webhook endpoint id or e-mail address. */
    target: z.string(),
    audience: z.enum(['vendor', 'customer']),
    language: Language,
    subject: z.string(),
    status: DeliveryStatus,
    noticeAt: z.number(),
    createdAt: z.number(),
    nextAttemptAt: z.number().nullable(),
    finishedAt: z.number().nullable(),
    failure: z.string().nullable(),
    attempts: z.array(DeliveryAttempt),
  })
  .meta({ id: 'NotificationDelivery' });

const TestBody = z
  .strictObject({
    webhook: z.string().regex(ID_PATTERN, 'a webhook endpoint id from notifications.webhooks').optional(),
    email: z.email('an e-mail address').optional(),
    language: Language.optional(),
  })
  .refine((b) => (b.webhook === undefined) !== (b.email === undefined), { message: 'exactly one of webhook (an endpoint id) or email (an address)' });

function view(d: Delivery): z.infer<typeof DeliveryView> {
  return {
    id: d.id,
    kind: d.kind,
    ticketId: d.ticketId,
    customerId: d.customerId,
    channel: d.channel,
    target: d.target,
    audience: d.audience,
    language: d.language,
    subject: d.subject,
    status: d.status,
    noticeAt: d.noticeAt,
    createdAt: d.createdAt,
    nextAttemptAt: d.nextAttemptAt,
    finishedAt: d.finishedAt,
    failure: d.failure,
    attempts: d.attempts,
  };
}

export const notificationRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['notifications'];
  const settings = ctx.config.notifications;
  // The server's dispatcher (started on the leader only): sendTest is one attempt made by the request itself.
  const tester = ctx.notifications.dispatcher;

  app.get(
    '/notifications/deliveries',
    {
      preValidation: requires('notifications:read'),
      schema: {
        tags,
        summary: 'the delivery log: every webhook and e-mail attempt, newest first',
        querystring: DeliveryQuery,
        response: { 200: pageSchema(DeliveryView) },
      },
    },
    async (req) => {
      const q = req.query;
      const statuses = new Set<DeliveryStatus>(q.status ?? DeliveryStatus.options);
      const all: Delivery[] = [];
      if (statuses.has('pending')) all.push(...(await ctx.repo.list<Delivery>(DELIVERIES)).filter((d) => d.status === 'pending'));
      if (statuses.has('delivered') || statuses.has('failed')) {
        const month = q.month ?? new Date(ctx.clock.now()).toISOString().slice(0, 7);
        for await (const rec of ctx.repo.readArchive<Delivery>(DELIVERIES, month)) if (statuses.has(rec.value.status)) all.push(rec.value);
      }
      all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
      const checks: Array<(d: Delivery) => boolean> = [];
      if (q.kind) {
        const kinds = new Set<string>(q.kind);
        checks.push((d) => kinds.has(d.kind));
      }
      if (q.ticket !== undefined) checks.push((d) => d.ticketId === q.ticket);
      if (q.channel !== undefined) checks.push((d) => d.channel === q.channel);
      return paginateWhere(all, allOf(checks), q, view);
    },
  );

  app.post(
    '/notifications/test',
    {
      preValidation: requires('notifications:test'),
      schema: {
        tags,
        summary: 'send a test message now to one webhook endpoint or e-mail address (one attempt, kept in the log)',
        body: TestBody,
        response: { 200: DeliveryView },
      },
    },
    async (req) => {
      const b = req.body;
      const language = b.language ?? settings.language;
      if (b.webhook !== undefined) {
        const endpoint = settings.webhooks.find((w) => w.id === b.webhook);
        if (!endpoint)
          throw new ApiError(
            400,
            'VALIDATION_FAILED',
            `body.webhook: no endpoint ${b.webhook} in notifications.webhooks (configured: ${settings.webhooks.map((w) => w.id).join(', ') || 'none'})`,
            'body.webhook',
          );
        const d = await tester.sendTest({ channel: 'webhook', endpoint: endpoint.id, language: b.language ?? endpoint.language ?? settings.language });
        req.log.info({ delivery: d.id, webhook: endpoint.id, status: d.status, by: req.principal?.tokenId }, 'test notification sent');
        return view(d);
      }
      if (!settings.email)
        throw new ApiError(400, 'VALIDATION_FAILED', 'body.email: e-mail is not configured (notifications.email: smtp and from)', 'body.email');
      const d = await tester.sendTest({ channel: 'email', to: b.email!, language, audience: 'vendor' });
      req.log.info({ delivery: d.id, status: d.status, by: req.principal?.tokenId }, 'test notification sent');
      return view(d);
    },
  );
  return Promise.resolve();
};
