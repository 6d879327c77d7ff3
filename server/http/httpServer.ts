/**
 * The server's HTTP side: a fastify instance with the health plugin registered. The REST API and
 * dashboard (a later issue) are further plugins registered on the same instance:
 *
 *   const http = createHttpServer({ logger, health });
 *   await http.register(apiPlugin, { prefix: '/api/v1', repo, events });  // encapsulated
 *   await http.listen({ host, port });
 *
 * Health routes:
 *   GET /healthz   liveness: the process runs (200 always)
 *   GET /readyz    readiness: storage healthy and the broker side up (200, or 503 with the reasons)
 *   GET /metrics   Prometheus text format
 */
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../shared/logging.js';
import type { MetricsRegistry } from './metrics.js';

export interface HealthSource {
  /** Problems that make the server not ready; empty = ready. */
  readinessProblems(): string[];
  metrics: MetricsRegistry;
}

export const healthPlugin: FastifyPluginAsync<{ health: HealthSource }> = (app, opts) => {
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const problems = opts.health.readinessProblems();
    if (problems.length > 0) return reply.code(503).send({ status: 'not ready', problems });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(opts.health.metrics.render()));
  return Promise.resolve();
};

/** What a request log line says about the request: method, path without its query, remote address. */
export function requestForLog(req: { method?: string; url?: string; ip?: string; id?: unknown }): Record<string, unknown> {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return { id: req.id, method: req.method, path: q < 0 ? url : url.slice(0, q), remoteAddress: req.ip };
}

export function createHttpServer(options: { logger: Logger; health: HealthSource }): FastifyInstance {
  // Probes and scrapes every few seconds would drown the log: no per-request lines for them.
  const quiet = new Set(['/healthz', '/readyz', '/metrics']);
  const app = Fastify({
    // Request lines carry the path only: a query may hold a token (?token=…), which is never logged.
    loggerInstance: options.logger.child({ component: 'http' }, { serializers: { req: requestForLog } }),
    bodyLimit: 1024 * 1024,
    logController: new LogController({ disableRequestLogging: (req) => quiet.has(req.url.split('?')[0]!) }),
  });
  // fastify's own 404 logs and answers the URL with its query; this one names the path only.
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `Route ${req.method}:${req.url.split('?')[0]} not found` }));
  void app.register(healthPlugin, { health: options.health });
  return app as unknown as FastifyInstance;
}
