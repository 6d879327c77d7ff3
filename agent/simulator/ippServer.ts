/**
 * HTTP server for the simulator's IPP side: POST application/ipp to /ipp/print/<deviceId>
 * answers Get-Printer-Attributes from the device's IPP view. GET / lists the devices.
 * A silent device accepts the connection but never answers, like a printer that hangs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logging.js';
import { parseIppRequest, selectAttributes, serializeIppResponse } from './ippWire.js';
import type { SimulatedDevice } from './simulatedDevice.js';

export const IPP_PATH_PREFIX = '/ipp/print/';
const MAX_BODY_BYTES = 64 * 1024;
/** How long a silent device keeps a request hanging before dropping the connection. */
const SILENT_HOLD_MS = 60_000;

export interface IppServer {
  readonly port: number;
  readonly stats: { requests: number; answered: number; rejected: number; held: number };
  printerUri(deviceId: string): string;
  close(): Promise<void>;
}

export interface IppServerOptions {
  readonly host: string;
  readonly port: number;
  readonly devices: readonly SimulatedDevice[];
  readonly logger: Logger;
}

function hostForUri(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startIppServer(options: IppServerOptions): Promise<IppServer> {
  const { logger } = options;
  const byId = new Map(options.devices.map((d) => [d.id, d]));
  const stats = { requests: 0, answered: 0, rejected: 0, held: 0 };
  let port = options.port;
  const printerUri = (id: string) => `ipp://${hostForUri(options.host)}:${port}${IPP_PATH_PREFIX}${encodeURIComponent(id)}`;
  const ippLog = (line: string) => logger.debug({ line }, 'ipp package output');

  const plain = (res: ServerResponse, status: number, text: string) => {
    stats.rejected++;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end(`${text}\n`);
  };

  const handleIpp = (req: IncomingMessage, res: ServerResponse, device: SimulatedDevice | undefined, body: Buffer) => {
    let request;
    try {
      request = parseIppRequest(body, ippLog);
    } catch (err) {
      plain(res, 400, (err as Error).message);
      return;
    }
    const send = (statusCode: string, printerAttributes?: Record<string, unknown>, statusMessage?: string) => {
      const payload = serializeIppResponse(
        { statusCode, requestId: request.requestId, version: request.version, printerAttributes: printerAttributes as never, statusMessage },
        ippLog,
      );
      stats.answered++;
      res.writeHead(200, { 'content-type': 'application/ipp', 'content-length': payload.length });
      res.end(payload);
    };
    if (!device) {
      send('client-error-not-found', undefined, `no simulated printer at ${req.url ?? ''}`);
      return;
    }
    if (request.operation !== 'Get-Printer-Attributes') {
      send(
        'server-error-operation-not-supported',
        undefined,
        `the simulator answers Get-Printer-Attributes only, not ${request.operation ?? 'this operation'}`,
      );
      return;
    }
    const attrs = device.ippAttributes(printerUri(device.id));
    if (attrs === 'silent') {
      stats.held++;
      const timer = setTimeout(() => req.socket.destroy(), SILENT_HOLD_MS);
      req.socket.once('close', () => clearTimeout(timer));
      return;
    }
    send('successful-ok', selectAttributes(attrs, request.requestedAttributes));
  };

  const server: Server = createServer((req, res) => {
    stats.requests++;
    const url = req.url ?? '/';
    if (req.method === 'GET' && (url === '/' || url === '/index.txt')) {
      const lines = options.devices.map((d) => `${d.id}\t${d.ref.model}\t${printerUri(d.id)}`);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`FleetDesk simulator: ${options.devices.length} printers (Get-Printer-Attributes over IPP)\n${lines.join('\n')}\n`);
      return;
    }
    if (!url.startsWith(IPP_PATH_PREFIX)) return plain(res, 404, `not found: printers are at ${IPP_PATH_PREFIX}<deviceId>`);
    if (req.method !== 'POST') return plain(res, 405, 'IPP requests are POSTed');
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/ipp') return plain(res, 415, `expected content-type application/ipp, found ${type || 'none'}`);
    let id: string;
    try {
      id = decodeURIComponent(url.slice(IPP_PATH_PREFIX.length).split('?')[0]!);
    } catch {
      return plain(res, 400, 'malformed device id in the path');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        if (!tooBig) {
          tooBig = true;
          plain(res, 413, `IPP request larger than ${MAX_BODY_BYTES} bytes`);
          req.socket.destroy();
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooBig) return;
      try {
        handleIpp(req, res, byId.get(id), Buffer.concat(chunks));
      } catch (err) {
        logger.error({ err: (err as Error).message, device: id }, 'IPP request failed');
        if (!res.headersSent) plain(res, 500, 'internal error');
      }
    });
    req.on('error', () => req.socket.destroy());
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen for IPP on TCP ${options.host}:${options.port}: ${err.message}`)));
    server.listen(options.port, options.host, () => resolve());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : options.port;
  return {
    port,
    stats,
    printerUri,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
