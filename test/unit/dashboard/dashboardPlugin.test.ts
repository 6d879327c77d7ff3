import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_JS_PATH, dashboardPlugin } from '../../../server/dashboard/dashboardPlugin.js';

const app = Fastify();

beforeAll(async () => {
  await app.register(dashboardPlugin);
  await app.ready();
});
afterAll(() => app.close());

describe('dashboard files', () => {
  it('serves Chart.js from node_modules with the dashboard headers (no CDN)', async () => {
    const res = await app.inject({ method: 'GET', url: CHART_JS_PATH });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['cache-control']).toBe('no-cache');
    // The UMD build defines the global the dashboard's charts.js uses.
    expect(res.body).toMatch(/Chart/);
    expect(res.body.length).toBeGreaterThan(50_000);
  });

  it('serves the chart modules and keeps the type declarations private', async () => {
    for (const file of ['charts.js', 'chartModel.js', 'reportModel.js', 'ticketActions.js', 'pages/reports.js', 'pages/agents.js']) {
      const res = await app.inject({ method: 'GET', url: `/dashboard/${file}` });
      expect(res.statusCode, file).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/dashboard/chartModel.d.ts' })).statusCode).toBe(404);
    const html = await app.inject({ method: 'GET', url: '/dashboard/' });
    expect(html.body).toContain('<script src="./vendor/chart.umd.js" defer></script>');
  });
});
