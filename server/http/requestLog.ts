/**
 * One log line per HTTP request, at a level that keeps a busy dashboard out of the log: debug for
 * ordinary requests, warn for slow ones, error for 5xx (with the error's message). Fastify's own
 * two lines per request (incoming, completed) are turned off where the instance is created.
 *
 * The line carries the path without its query string: a query may hold a stream token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A request slower than this is logged at warn (dashboard pages answer in a few ms). */
export const SLOW_REQUEST_MS = 1000;

export type RequestLogLevel = 'error' | 'warn' | 'debug';

export interface FinishedRequest {
  readonly status: number;
  readonly ms: number;
  /** Server-sent event streams stay open for minutes by design: never "slow". */
  readonly streaming: boolean;
}

/** Pure: which level a finished request is logged at. */
export function requestLogLevel(r: FinishedRequest, slowMs = SLOW_REQUEST_MS): RequestLogLevel {
  if (r.status >= 500) return 'error';
  if (!r.streaming && r.ms > slowMs) return 'warn';
  return 'debug';
}

/** A URL without its query string: the only form of a URL that is logged. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** What any log line says about a request (fastify's `req` serializer): method, path, remote address. */
export function requestForLog(req: { method?: string; url?: string; ip?: string; id?: unknown }): Record<string, unknown> {
  return { id: req.id, method: req.method, path: pathOf(req.url ?? ''), remoteAddress: req.ip };
}

/** Probes and scrapes every few seconds: not logged at all, not even at debug. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function installRequestLog(app: FastifyInstance, slowMs = SLOW_REQUEST_MS): void {
  const errors = new WeakMap<FastifyRequest, Error>();
  app.addHook('onError', (request, _reply, error, done) => {
    errors.set(request, error);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const path = pathOf(request.url);
    if (QUIET_PATHS.has(path)) return done();
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const contentType = reply.getHeader('content-type');
    const level = requestLogLevel(
      { status: reply.statusCode, ms, streaming: typeof contentType === 'string' && contentType.startsWith('text/event-stream') },
      slowMs,
    );
    const err = errors.get(request);
    request.log[level](
      { method: request.method, path, status: reply.statusCode, ms, ...(err ? { err: err.message } : {}) },
      level === 'warn' ? 'slow request' : 'request',
    );
    done();
  });
}
