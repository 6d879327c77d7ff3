/**
 * The agent's local health endpoint: GET /healthz (JSON, 200 when the agent works, 503 when it
 * does not) and GET /metrics (Prometheus text). Bound to loopback by default.
 */
import { createServer, type Server } from 'node:http';

export interface HealthReport {
  readonly ok: boolean;
  readonly [key: string]: unknown;
}

export interface HealthSource {
  health(): HealthReport;
  metrics(): string;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen.trim());
  if (!m || Number(m[2]) > 65535) throw new Error(`health.listen must be host:port such as 127.0.0.1:9464, found ${JSON.stringify(listen)}`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

export async function startHealthServer(listen: string, source: HealthSource): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const { host, port } = parseListen(listen);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      if (path === '/healthz') {
        const report = source.health();
        res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      } else if (path === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(`${source.metrics()}\n`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`health endpoint failed: ${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen for health checks on ${listen}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
