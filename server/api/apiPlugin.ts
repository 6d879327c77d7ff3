/**
 * The REST API under /api/v1 (and its OpenAPI UI at /docs), registered on the server's fastify
 * instance as one encapsulated plugin:
 *
 *   const live = new LiveUpdates({ repo, clock, logger });
 *   const tickets = new TicketService({ …, onNotice: (n) => live.ticketNotice(n) });
 *   const api = await registerApi(http, { config, repo, events, tickets, contracts, live, notifications, clock, logger });
 *   …  await api.close();
 *
 * Schema-first: every route declares zod schemas for params, query, body and responses; they
 * validate requests (errors name the field), check responses and generate the OpenAPI document.
 * Auth: bearer API tokens (server/auth), checked in an onRequest hook with rate limiting of
 * failures per client address; each route names the permission it needs.
 */
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { VERSION } from '../../shared/version.js';
import { ApiRole, ApiTokenVerifier, ensureAdminToken } from '../auth/apiTokens.js';
import { onAuthChange } from '../auth/authChanges.js';
import { AuthFailureLimiter } from '../auth/authFailureLimiter.js';
import type { ClusterBus } from '../cluster/clusterBus.js';
import type { FleetEventBus } from '../events/fleetEvents.js';
import type { ServerConfig } from '../serverConfig.js';
import type { LiveCatalogue } from '../catalogue/liveCatalogue.js';
import type { NotificationService } from '../notifications/notificationService.js';
import type { Repository } from '../storage/repository.js';
import type { TicketService } from '../tickets/ticketService.js';
import type { MailIntake } from '../intake/mailIntake.js';
import { ApiError, ApiErrorBody, RequestValidationError, sendError } from './apiErrors.js';
import { catalogueRoutes } from './catalogueRoutes.js';
import { credentialRoutes } from './credentialRoutes.js';
import { fleetRoutes } from './fleetRoutes.js';
import { historyRoutes } from './historyRoutes.js';
import { meterRoutes } from './meterRoutes.js';
import { serviceRecordRoutes } from './serviceRecordRoutes.js';
import { intakeQueueRoutes } from './intakeQueueRoutes.js';
import { liveRoutes } from './liveRoutes.js';
import { notificationRoutes } from './notificationRoutes.js';
import { StreamTokens } from './streamTokens.js';
import { authenticate, principalOf } from './apiAuth.js';
import type { LiveUpdates } from './liveUpdates.js';
import { reportRoutes } from './reportRoutes.js';
import { applySecurityHeaders, applyApiHeaders } from './securityHeaders.js';
import { intakeRoutes } from './intakeRoutes.js';
import { ticketRoutes } from './ticketRoutes.js';
import { triageRoutes } from './triageRoutes.js';
import { tokenRoutes } from './tokenRoutes.js';
import { visitRoutes } from './visitRoutes.js';
import { finalReportRoutes } from './finalReportRoutes.js';

export interface ApiDeps {
  readonly config: ServerConfig;
  readonly repo: Repository;
  readonly events: FleetEventBus;
  readonly tickets: TicketService;
  /** Contracts and impact rules in force, editable through the API (server/catalogue). */
  readonly contracts: LiveCatalogue;
  readonly live: LiveUpdates;
  /** Its dispatcher sends the test messages of POST /notifications/test (not started on followers: sendTest needs no loop). */
  readonly notifications: NotificationService;
  /** The intake queue (server/intake): e-mail that did not become a ticket by itself. */
  readonly intake?: MailIntake;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The bus to the other instances on the same store: token changes are announced on it (server/auth/authChanges.ts). */
  readonly bus?: ClusterBus;
  /** Where FLEETDESK_ADMIN_TOKEN is read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly authFailures?: { maxFailures: number; windowMs: number; maxTracked: number };
}

/** What route modules get. */
export interface ApiContext extends ApiDeps {
  readonly dataDir: string;
  readonly verifier: ApiTokenVerifier;
  readonly streamTokens: StreamTokens;
}

/** Zod validation whose failure keeps the zod error, so the error body can name the field. */
const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const r = schema.safeParse(data, { reportInput: true });
    return r.success ? { value: r.data } : { error: new RequestValidationError(r.error) };
  };

/**
 * Responses are checked against their schema before they are sent (unknown keys stripped, so a
 * stored field never leaks by accident). Response schemas have no transforms, so parsing gives
 * the same result as zod's encode at about half the cost (a page of 100 devices: ~0.9 vs ~1.6 ms).
 */
const serializerCompiler: FastifySerializerCompiler<z.ZodType> =
  ({ schema, method, url }) =>
  (data) => {
    const r = schema.safeParse(data);
    if (!r.success)
      throw new Error(`response of ${method} ${url} does not match its schema: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return JSON.stringify(r.data);
  };

const SECURITY_SCHEME = 'bearerAuth';

/** How often open event streams are checked against revocations and expiry made elsewhere. */
const TOKEN_SWEEP_MS = 5_000;

const Me = z.object({
  tokenId: z.string(),
  name: z.string(),
  role: ApiRole,
  customerId: z.string().nullable(),
  /** IANA zone of the caller's contract calendar (the default contract's for vendor roles): the dashboard shows times in it. */
  timeZone: z.string(),
});

export async function registerApi(http: FastifyInstance, deps: ApiDeps): Promise<{ close(): void }> {
  const dataDir = resolve(deps.config.dataDir);
  const admin = await ensureAdminToken(deps.repo, dataDir, deps.env ?? process.env, new Date(deps.clock.now()));
  if (admin.source === 'env') deps.logger.info('API admin token taken from FLEETDESK_ADMIN_TOKEN');
  else if (admin.source === 'other-instance')
    deps.logger.info('API admin token was generated by another instance on this store: it is in the admin-token file of that instance');
  else
    deps.logger.info(
      { file: admin.file },
      admin.source === 'generated' ? 'API admin token generated; read it from this file (owner-only)' : 'API admin token is in this file (owner-only)',
    );
  // Tokens are read from the store again at most once a second (and at once when unknown or announced changed).
  const verifier = new ApiTokenVerifier(
    deps.repo,
    () => performance.now(),
    1000,
    () => deps.clock.now(),
  );
  const limiter = new AuthFailureLimiter({ maxFailures: 20, windowMs: 60_000, maxTracked: 10_000, ...deps.authFailures, now: () => deps.clock.now() });
  const streamTokens = new StreamTokens(deps.repo, () => deps.clock.now());
  const ctx: ApiContext = { ...deps, dataDir, verifier, streamTokens };
  const detachLive = deps.live.attachToFleetEvents(deps.events);
  const closeStreamsOfRevoked = () => deps.live.disconnectWhere((p) => !verifier.isActive(p.tokenId), 'token revoked or expired');
  // Another instance created or revoked a token: read them again now, not at the next sweep.
  const stopAuthNotes = deps.bus
    ? onAuthChange(deps.bus, 'apiTokens', () => {
        verifier.refresh().then(closeStreamsOfRevoked, (err: Error) => deps.logger.warn({ err: err.message }, 'reading the API tokens failed'));
      })
    : () => undefined;
  // Event streams outlive their authentication: close those whose token was revoked (also by the
  // CLI or another instance) or has expired since they opened; drop expired stream tokens.
  let sweepTimer = deps.clock.setTimeout(function sweep() {
    verifier.refresh().then(closeStreamsOfRevoked, (err: Error) => deps.logger.warn({ err: err.message }, 'reading the API tokens failed'));
    streamTokens.prune().catch((err: Error) => deps.logger.warn({ err: err.message }, 'pruning expired stream tokens failed'));
    sweepTimer = deps.clock.setTimeout(sweep, TOKEN_SWEEP_MS);
  }, TOKEN_SWEEP_MS);

  await http.register(async (outer) => {
    outer.setValidatorCompiler(validatorCompiler);
    outer.setSerializerCompiler(serializerCompiler);
    outer.addHook('onSend', async (_req, reply, payload) => {
      applySecurityHeaders(reply);
      return payload;
    });
    await outer.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'FleetDesk API',
          version: VERSION,
          description: 'Printer fleet monitoring, tickets and SLA. Authenticate with `Authorization: Bearer <token>`.',
        },
        components: { securitySchemes: { [SECURITY_SCHEME]: { type: 'http', scheme: 'bearer' } } },
        security: [{ [SECURITY_SCHEME]: [] }],
      },
      transform: jsonSchemaTransform,
      transformObject: jsonSchemaTransformObject,
    });
    await outer.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });

    await outer.register(
      async (v1) => {
        v1.decorateRequest('principal', null);
        v1.setErrorHandler((err, req, reply) => sendError(req, reply, err));
        v1.setNotFoundHandler((req, reply) => sendError(req, reply, new ApiError(404, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));
        // Every route documents the error body for the statuses it can answer with.
        v1.addHook('onRoute', (route) => {
          const errors = Object.fromEntries([400, 401, 403, 404, 409, 429].map((code) => [code, ApiErrorBody]));
          route.schema = { ...route.schema, response: { ...errors, ...(route.schema?.response as object | undefined) } };
        });
        v1.addHook('onRequest', authenticate({ verifier, limiter, streamTokens, eventsPath: '/api/v1/events' }));
        v1.addHook('onSend', async (_req, reply, payload) => {
          applyApiHeaders(reply);
          return payload;
        });
        const app = v1.withTypeProvider<ZodTypeProvider>();
        app.get('/me', { schema: { tags: ['auth'], summary: 'the caller: token id, name, role, customer', response: { 200: Me } } }, (req) => {
          const p = principalOf(req);
          return {
            tokenId: p.tokenId,
            name: p.name,
            role: p.role,
            customerId: p.customerId,
            timeZone: ctx.contracts.get(ctx.contracts.contractIdOf(p.customerId)).calendar.zone,
          };
        });
        await v1.register(fleetRoutes, { ctx });
        await v1.register(historyRoutes, { ctx });
        await v1.register(meterRoutes, { ctx });
        await v1.register(serviceRecordRoutes, { ctx });
        await v1.register(ticketRoutes, { ctx });
        await v1.register(visitRoutes, { ctx });
        await v1.register(intakeRoutes, { ctx });
        await v1.register(triageRoutes, { ctx });
        await v1.register(finalReportRoutes, { ctx });
        await v1.register(catalogueRoutes, { ctx });
        await v1.register(reportRoutes, { ctx });
        await v1.register(credentialRoutes, { ctx });
        await v1.register(tokenRoutes, { ctx });
        await v1.register(liveRoutes, { ctx });
        await v1.register(notificationRoutes, { ctx });
        await v1.register(intakeQueueRoutes, { ctx });
      },
      { prefix: '/api/v1' },
    );
  });
  return {
    close: () => {
      deps.clock.clearTimeout(sweepTimer);
      detachLive();
      stopAuthNotes();
      deps.live.close();
    },
  };
}
