/**
 * The web dashboard: plain ES modules, CSS and translation catalogues served as static files
 * under /dashboard/ (no bundler, no build server). The page talks to the REST API with the
 * operator's bearer token and to the event stream with a single-use stream token; this plugin
 * only serves files, so it needs no authentication of its own (the files hold no data).
 *
 *   await http.register(dashboardPlugin);   // GET /dashboard/…, GET / → /dashboard/
 *
 * Files are read from `static/` next to this module (copied to dist/ by scripts/build.mjs),
 * with a fixed extension → content-type table; any path that leaves the folder is a 404.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { FAULTS } from '../../shared/faults.js';
import { SECURITY_HEADERS } from '../api/securityHeaders.js';

export const DASHBOARD_PATH = '/dashboard/';

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

/**
 * Chart.js is served from node_modules (never a CDN: the server must work offline). Its UMD
 * build defines the global `Chart` used by static/charts.js. Resolved through the package's
 * main entry (its exports map hides dist/ subpaths); works from the sources (tsx) and from dist/.
 */
export const CHART_JS_PATH = '/dashboard/vendor/chart.umd.js';

function chartJsFile(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return resolve(main, '..', 'chart.umd.min.js');
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Only our own scripts and styles; the API is same-origin (fetch and EventSource). */
const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function dashboardHeaders(reply: FastifyReply, type: string): FastifyReply {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) void reply.header(k, v);
  // Revalidated on each load, so an upgraded server never runs with yesterday's scripts.
  return reply.header('content-security-policy', DASHBOARD_CSP).header('cache-control', 'no-cache').type(type);
}

/** Fault labels in both languages, taken from the canonical taxonomy (shared/faults.ts). */
function faultLabels(): Record<string, { en: string; pl: string; category: string; inkOrHead: boolean }> {
  return Object.fromEntries(
    Object.entries(FAULTS).map(([code, d]) => [code, { en: d.label.en, pl: d.label.pl, category: d.category, inkOrHead: d.inkOrHead }]),
  );
}

export const dashboardPlugin: FastifyPluginAsync = (app) => {
  const labels = JSON.stringify(faultLabels());

  app.get('/', (_req, reply) => reply.redirect(DASHBOARD_PATH));
  app.get('/dashboard', (_req, reply) => reply.redirect(DASHBOARD_PATH));
  app.get('/dashboard/fault-labels.json', (_req, reply) => dashboardHeaders(reply, CONTENT_TYPES['.json']!).send(labels));
  let chartJs: Promise<Buffer> | null = null;
  app.get(CHART_JS_PATH, async (_req, reply) => {
    chartJs ??= readFile(chartJsFile());
    try {
      return dashboardHeaders(reply, CONTENT_TYPES['.js']!).send(await chartJs);
    } catch (err) {
      chartJs = null;
      // The pages still show every chart's data as a table without it.
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send(`chart.js is not installed: ${(err as Error).message}`);
    }
  });
  app.get('/dashboard/*', async (req, reply) => {
    const rel = (req.params as { '*': string })['*'] || 'index.html';
    const file = resolve(STATIC_DIR, rel);
    const type = CONTENT_TYPES[extname(file)];
    if (!file.startsWith(STATIC_DIR.endsWith(sep) ? STATIC_DIR : STATIC_DIR + sep) || type === undefined) {
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send(`no dashboard file ${JSON.stringify(rel)}`);
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR')
        return reply
          .code(404)
          .type('text/plain; charset=utf-8')
          .send(`no dashboard file ${JSON.stringify(rel)}`);
      throw err;
    }
    return dashboardHeaders(reply, type).send(body);
  });
  return Promise.resolve();
};
