/**
 * The server's HTTP side: a fastify instance with the health plugin and the request log (one line
 * per request: server/http/requestLog.ts). The REST API and dashboard are further plugins:
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
import { installRequestLog, pathOf, requestForLog } from './requestLog.js';

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

export function createHttpServer(options: { logger: Logger; health: HealthSource }): FastifyInstance {
  const app = Fastify({
    // Request lines carry the path only: a query may hold a token (?token=…), which is never logged.
    loggerInstance: options.logger.child({ component: 'http' }, { serializers: { req: requestForLog } }),
    bodyLimit: 1024 * 1024,
    // Fastify's two lines per request (at info) are off; installRequestLog writes one, at debug.
    logController: new LogController({ disableRequestLogging: true }),
  });
  installRequestLog(app as unknown as FastifyInstance);
  // fastify's own 404 logs and answers the URL with its query; this one names the path only.
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `Route ${req.method}:${pathOf(req.url)} not found` }),
  );
  void app.register(healthPlugin, { health: options.health });
  return app as unknown as FastifyInstance;
}
