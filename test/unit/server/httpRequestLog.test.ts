import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../../server/http/httpServer.js';
import { requestForLog } from '../../../server/http/requestLog.js';
import { MetricsRegistry } from '../../../shared/metrics.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('HTTP request log lines', () => {
  it('carry the path without the query, so a token in ?token= is never written', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    app = createHttpServer({ logger: pino({ level: 'debug' }, sink), health: { readinessProblems: () => [], metrics: new MetricsRegistry() } });
    app.get('/api/v1/things', () => ({ ok: true }));
    await app.ready();
    await app.inject({ method: 'GET', url: '/api/v1/things?token=SECRET-ADMIN-TOKEN&limit=5' });
    await app.inject({ method: 'GET', url: '/nowhere?token=SECRET-ADMIN-TOKEN' });
    const log = lines.join('');
    expect(log).toContain('"path":"/api/v1/things"');
    expect(log).toContain('"path":"/nowhere"');
    expect(log).not.toContain('SECRET-ADMIN-TOKEN');
  });

  it('describes a request by method, path and address', () => {
    expect(requestForLog({ id: 'req-1', method: 'GET', url: '/a/b?x=1', ip: '127.0.0.1' })).toEqual({
      id: 'req-1',
      method: 'GET',
      path: '/a/b',
      remoteAddress: '127.0.0.1',
    });
  });
});
