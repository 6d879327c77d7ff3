/**
 * IPP over HTTP(S): one POST of an application/ipp body, with the limits a poller needs against
 * real printers and hostile peers: a connect timeout (TCP + TLS handshake), a total timeout over
 * the whole exchange including redirects, a response size cap, a bounded number of redirects, and
 * TLS that verifies normally and trusts a self-signed printer only by its pinned SHA-256 fingerprint.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Clock, TimerHandle } from '../../../shared/clock.js';

export type IppErrorCode =
  | 'INVALID_URI'
  | 'CONNECT_TIMEOUT'
  | 'TIMEOUT'
  | 'CONNECT'
  | 'TLS_UNTRUSTED'
  | 'HTTP_STATUS'
  | 'REDIRECT'
  | 'TOO_LARGE'
  | 'NOT_IPP'
  | 'DECODE'
  | 'IPP_STATUS'
  | 'CANCELLED';

/** Every collection failure: `code` for programs, `message` names the printer and what went wrong. */
export class IppError extends Error {
  constructor(
    readonly code: IppErrorCode,
    readonly uri: string,
    detail: string,
    readonly httpStatus?: number,
  ) {
    super(`IPP ${uri}: ${detail}`);
    this.name = 'IppError';
  }
}

export interface TransportOptions {
  readonly connectTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
  /** SHA-256 fingerprints (hex, colons optional, any case) of self-signed printer certificates to trust. */
  readonly trustedFingerprints: readonly string[];
}

export interface TlsInfo {
  /** Chain and host name verified by the system trust store. */
  readonly verified: boolean;
  /** Trusted because its fingerprint is pinned (verification failed or was not needed). */
  readonly pinned: boolean;
  readonly fingerprint256: string;
}

export interface IppHttpResponse {
  /** The URI that finally answered (after redirects), in ipp:// or ipps:// form. */
  readonly uri: string;
  readonly body: Buffer;
  readonly redirects: number;
  readonly tls?: TlsInfo;
}

export interface PrinterEndpoint {
  /** ipp:// or ipps:// form, used as printer-uri inside the request. */
  readonly printerUri: string;
  /** http:// or https:// form, used for the POST. */
  readonly httpUrl: URL;
  readonly secure: boolean;
}

/** Accepts ipp://, ipps://, http:// and https:// (default port 631, default path /ipp/print). */
export function parsePrinterUri(input: string): PrinterEndpoint {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new IppError('INVALID_URI', input, 'not a URI; expected ipp://host[:port]/path or ipps://host[:port]/path');
  }
  const scheme = url.protocol.replace(/:$/, '');
  const secure = scheme === 'ipps' || scheme === 'https';
  if (!['ipp', 'ipps', 'http', 'https'].includes(scheme)) {
    throw new IppError('INVALID_URI', input, `unsupported scheme '${scheme}'; expected ipp, ipps, http or https`);
  }
  if (!url.hostname) throw new IppError('INVALID_URI', input, 'no host');
  if (url.username || url.password) throw new IppError('INVALID_URI', input, 'credentials in the URI are not supported');
  const port = url.port || '631';
  const path = url.pathname === '' || url.pathname === '/' ? '/ipp/print' : url.pathname;
  const hostPort = `${url.hostname}:${port}`;
  return {
    printerUri: `${secure ? 'ipps' : 'ipp'}://${hostPort}${path}${url.search}`,
    httpUrl: new URL(`${secure ? 'https' : 'http'}://${hostPort}${path}${url.search}`),
    secure,
  };
}

/** "AA:BB:…" upper case with colons, the form Node reports as `fingerprint256`. */
export function canonicalFingerprint(fp: string): string {
  const hexOnly = fp.replace(/:/g, '').toUpperCase();
  return hexOnly.match(/.{2}/g)?.join(':') ?? '';
}

/**
 * Keep-alive agents shared by every request of one collector; `close()` ends idle sockets.
 */
export class IppTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly pinned: ReadonlySet<string>;

  constructor(
    private readonly options: TransportOptions,
    private readonly clock: Clock,
  ) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 64, timeout: 60_000 });
    this.pinned = new Set(options.trustedFingerprints.map(canonicalFingerprint));
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      maxFreeSockets: 64,
      timeout: 60_000,
      // Node still verifies chain and host name (socket.authorized); letting the handshake finish
      // means `verifyTls` can check a pin and name the fingerprint in the error. It runs on
      // 'secureConnect', before any response byte is read, and refuses what is neither verified
      // nor pinned. The request itself carries no secret.
      rejectUnauthorized: false,
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** POSTs `encode(printerUri)` to the endpoint, following redirects; resolves with the IPP body. */
  async post(endpoint: PrinterEndpoint, encode: (printerUri: string) => Buffer, signal?: AbortSignal): Promise<IppHttpResponse> {
    const started = this.clock.now();
    let current = endpoint;
    for (let redirects = 0; ; redirects++) {
      const remaining = this.options.totalTimeoutMs - (this.clock.now() - started);
      if (remaining <= 0) throw new IppError('TIMEOUT', endpoint.printerUri, `no answer within ${this.options.totalTimeoutMs} ms`);
      const result = await this.once(current, encode(current.printerUri), remaining, endpoint.printerUri, signal);
      if (result.kind === 'body') return { uri: current.printerUri, body: result.body, redirects, tls: result.tls };
      if (redirects >= this.options.maxRedirects) {
        throw new IppError('REDIRECT', endpoint.printerUri, `more than ${this.options.maxRedirects} redirects (last to ${result.location})`);
      }
      current = redirectTarget(current, result.location, endpoint.printerUri);
    }
  }

  private once(
    endpoint: PrinterEndpoint,
    body: Buffer,
    budgetMs: number,
    originalUri: string,
    signal: AbortSignal | undefined,
    retried = false,
  ): Promise<{ kind: 'body'; body: Buffer; tls?: TlsInfo } | { kind: 'redirect'; location: string }> {
    const uri = endpoint.printerUri;
    const options = this.options;
    return new Promise((resolve, reject) => {
      let settled = false;
      const startedAt = this.clock.now();
      let connectTimer: TimerHandle | undefined;
      let tls: TlsInfo | undefined;
      const finish = (err: Error | null, value?: { kind: 'body'; body: Buffer; tls?: TlsInfo } | { kind: 'redirect'; location: string }) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        this.clock.clearTimeout(totalTimer);
        if (connectTimer) this.clock.clearTimeout(connectTimer);
        if (err) {
          req.destroy();
          reject(err);
        } else if (value) {
          resolve(value);
        }
      };
      const onAbort = () => finish(new IppError('CANCELLED', originalUri, 'poll cancelled'));
      const totalTimer = this.clock.setTimeout(
        () => finish(new IppError('TIMEOUT', originalUri, `no complete answer within ${options.totalTimeoutMs} ms (from ${uri})`)),
        budgetMs,
      );
      const requestOptions: https.RequestOptions = {
        method: 'POST',
        agent: endpoint.secure ? this.httpsAgent : this.httpAgent,
        headers: {
          'Content-Type': 'application/ipp',
          'Content-Length': body.length,
          Accept: 'application/ipp',
          'User-Agent': 'FleetDesk-agent',
        },
      };
      const req = (endpoint.secure ? https : http).request(endpoint.httpUrl, requestOptions, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && status !== 304) {
          res.resume();
          const location = res.headers.location;
          if (!location) return finish(new IppError('HTTP_STATUS', originalUri, `HTTP ${status} redirect without a Location header`, status));
          return finish(null, { kind: 'redirect', location });
        }
        if (status !== 200) {
          res.resume();
          return finish(new IppError('HTTP_STATUS', originalUri, httpStatusStory(status, res.statusMessage), status));
        }
        const type = (res.headers['content-type'] ?? '').toLowerCase();
        if (type !== '' && !type.startsWith('application/ipp')) {
          res.resume();
          return finish(new IppError('NOT_IPP', originalUri, `answered with Content-Type '${type}', not application/ipp: not an IPP printer endpoint?`));
        }
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && declared > options.maxResponseBytes) {
          return finish(new IppError('TOO_LARGE', originalUri, `response of ${declared} bytes exceeds the ${options.maxResponseBytes}-byte limit`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxResponseBytes) {
            finish(new IppError('TOO_LARGE', originalUri, `response exceeds the ${options.maxResponseBytes}-byte limit`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish(null, { kind: 'body', body: Buffer.concat(chunks, size), tls }));
        res.on('close', () => {
          if (!res.complete) finish(new IppError('CONNECT', originalUri, `connection closed after ${size} bytes of the response`));
        });
        res.on('error', (err) => finish(new IppError('CONNECT', originalUri, `response failed after ${size} bytes: ${err.message}`)));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof IppError) return finish(err);
        // A kept-alive socket the printer closed while idle fails on reuse: that is not the
        // printer's answer, so the request goes once more on a fresh connection.
        const left = budgetMs - (this.clock.now() - startedAt);
        if (req.reusedSocket && !retried && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !settled && left > 0) {
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          this.clock.clearTimeout(totalTimer);
          if (connectTimer) this.clock.clearTimeout(connectTimer);
          this.once(endpoint, body, left, originalUri, signal, true).then(resolve, reject);
          return;
        }
        finish(new IppError('CONNECT', originalUri, describeSocketError(err)));
      });
      req.on('socket', (socket: Socket) => {
        // A reused keep-alive socket is already connected (and was verified when it connected).
        if (!socket.connecting) return;
        connectTimer = this.clock.setTimeout(
          () => finish(new IppError('CONNECT_TIMEOUT', originalUri, `could not connect to ${endpoint.httpUrl.host} within ${options.connectTimeoutMs} ms`)),
          Math.min(options.connectTimeoutMs, budgetMs),
        );
        const connected = () => {
          if (connectTimer) this.clock.clearTimeout(connectTimer);
          connectTimer = undefined;
        };
        if (endpoint.secure) {
          socket.once('secureConnect', () => {
            connected();
            try {
              tls = this.verifyTls(socket as TLSSocket, originalUri);
            } catch (err) {
              // Destroyed before any response is read: an untrusted peer's answer is never parsed.
              (socket as TLSSocket).destroy();
              finish(err as Error);
            }
          });
        } else {
          socket.once('connect', connected);
        }
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  private verifyTls(socket: TLSSocket, uri: string): TlsInfo {
    const cert = socket.getPeerCertificate();
    const fingerprint256 = cert?.fingerprint256 ?? '';
    const pinned = this.pinned.has(fingerprint256);
    if (socket.authorized || pinned) return { verified: socket.authorized, pinned, fingerprint256 };
    const reason = String(socket.authorizationError ?? 'unverified certificate');
    throw new IppError(
      'TLS_UNTRUSTED',
      uri,
      `TLS certificate not trusted (${reason}); its SHA-256 fingerprint is ${fingerprint256}: add it to ipp.trustedFingerprints only if you have checked it on the printer`,
    );
  }
}

function redirectTarget(from: PrinterEndpoint, location: string, originalUri: string): PrinterEndpoint {
  let target: URL;
  try {
    target = new URL(location, from.httpUrl);
  } catch {
    throw new IppError('REDIRECT', originalUri, `redirect to an invalid Location '${location.slice(0, 200)}'`);
  }
  const next = parsePrinterUri(target.href);
  if (from.secure && !next.secure) {
    throw new IppError('REDIRECT', originalUri, `refusing a redirect from TLS to plain ${target.href}`);
  }
  return next;
}

function httpStatusStory(status: number, message: string | undefined): string {
  const base = `HTTP ${status}${message ? ` ${message}` : ''}`;
  switch (status) {
    case 400:
      return `${base}: the printer rejected the request`;
    case 401:
    case 403:
      return `${base}: the printer requires authentication or refuses this client; FleetDesk only reads public printer attributes`;
    case 404:
      return `${base}: no printer at this path (try /ipp/print or the path in the printer's web page)`;
    case 426:
      return `${base}: the printer only accepts TLS; use ipps://`;
    default:
      return status >= 500 ? `${base}: the printer's web server failed` : base;
  }
}

function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused (no IPP service on that port)`;
    case 'ECONNRESET':
      return `connection reset by the printer`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name does not resolve (${err.code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${err.code})`;
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_STATUS':
      return `the peer does not speak HTTP (${err.code})`;
    default:
      return err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') ? `TLS failed: ${err.message}` : err.message;
  }
}
