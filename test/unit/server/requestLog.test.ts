import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../../server/http/httpServer.js';
import { MetricsRegistry } from '../../../server/http/metrics.js';
import { requestLogLevel, SLOW_REQUEST_MS } from '../../../server/http/requestLog.js';
import { createLogger } from '../../../shared/logging.js';

describe('request log level', () => {
  it('is debug for ordinary requests, warn for slow ones, error for 5xx', () => {
    expect(requestLogLevel({ status: 200, ms: 3, streaming: false })).toBe('debug');
    expect(requestLogLevel({ status: 404, ms: 3, streaming: false })).toBe('debug');
    expect(requestLogLevel({ status: 200, ms: SLOW_REQUEST_MS + 1, streaming: false })).toBe('warn');
    expect(requestLogLevel({ status: 200, ms: 600_000, streaming: true })).toBe('debug');
    expect(requestLogLevel({ status: 503, ms: 1, streaming: false })).toBe('error');
    expect(requestLogLevel({ status: 200, ms: 50, streaming: false }, 10)).toBe('warn');
  });
});

describe('HTTP request logging', () => {
  async function serverLogging(level: 'debug' | 'info') {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const logger = createLogger({ name: 'test', level, format: 'json', destination });
    const app = createHttpServer({ logger, health: { readinessProblems: () => [], metrics: new MetricsRegistry() } });
    app.get('/api/v1/things', () => ({ ok: true }));
    app.get('/api/v1/broken', () => {
      throw new Error('the store is gone');
    });
    await app.ready();
    return { app, lines };
  }

  it('writes one debug line per request, without the query string; none for probes', async () => {
    const { app, lines } = await serverLogging('debug');
    await app.inject({ method: 'GET', url: '/api/v1/things?token=secret-stream-token' });
    await app.inject({ method: 'GET', url: '/healthz' });
    await app.close();
    const requests = lines.filter((l) => l.path !== undefined);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ level: 20, method: 'GET', path: '/api/v1/things', status: 200, msg: 'request' });
    expect(JSON.stringify(lines)).not.toContain('secret-stream-token');
  });

  it('logs nothing for ordinary requests at info, and a 5xx once at error with its reason', async () => {
    const { app, lines } = await serverLogging('info');
    await app.inject({ method: 'GET', url: '/api/v1/things' });
    await app.inject({ method: 'GET', url: '/api/v1/broken' });
    await app.close();
    const perRequest = lines.filter((l) => l.msg === 'request' || l.msg === 'incoming request' || l.msg === 'request completed');
    expect(perRequest).toHaveLength(1);
    expect(perRequest[0]).toMatchObject({ level: 50, path: '/api/v1/broken', status: 500, err: 'the store is gone' });
  });
});
