/**
 * The IPP collector against in-process HTTP(S)/TCP servers on 127.0.0.1 that misbehave on purpose:
 * silence, trickling, floods, wrong content, redirects, broken TLS. Every failure must be an
 * IppError with a clear message, within the configured bounds, and the process must carry on.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_IPP_OPTIONS,
  IppCollector,
  REQUESTED_ATTRIBUTES,
  collectIpp,
  ippOptionsFromConfig,
  type IppCollectorOptions,
} from '../../../agent/collect/ipp/ippCollector.js';
import { IppError, parsePrinterUri } from '../../../agent/collect/ipp/ippTransport.js';
import { CORPUS_DIR, REPO_ROOT } from '../../harness/repo.js';
import { attr, response, v } from './ippWire.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const cert = readFileSync(resolve(FIXTURES, 'selfsigned-printer.crt'));
const key = readFileSync(resolve(FIXTURES, 'selfsigned-printer.key'));
const fingerprint = new X509Certificate(cert).fingerprint256;

const FAST: IppCollectorOptions = { ...DEFAULT_IPP_OPTIONS, connectTimeoutMs: 400, totalTimeoutMs: 800, maxResponseBytes: 64 * 1024 };
const okBody = response([attr('printer-state', v.enum(3)), attr('printer-state-reasons', v.keyword('none'))]);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function listen(server: net.Server): Promise<number> {
  return new Promise((res) => {
    server.listen(0, '127.0.0.1', () => res((server.address() as net.AddressInfo).port));
    cleanups.push(
      () =>
        new Promise<void>((done) => {
          (server as http.Server).closeAllConnections?.();
          server.close(() => done());
        }),
    );
  });
}

/** A server that tracks its sockets so the test can close everything it opened. */
function track<T extends net.Server>(server: T): T {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  cleanups.push(() => sockets.forEach((s) => s.destroy()));
  return server;
}

async function ippServer(handler: http.RequestListener): Promise<string> {
  const port = await listen(track(http.createServer(handler)));
  return `ipp://127.0.0.1:${port}/ipp/print`;
}

function answer(body: Buffer, status = 200, type = 'application/ipp'): http.RequestListener {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
      res.end(body);
    });
  };
}

async function failure(promise: Promise<unknown>): Promise<IppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(IppError);
    return err as IppError;
  }
  throw new Error('expected the collection to fail');
}

describe('parsePrinterUri', () => {
  it('maps ipp/ipps to http/https with port 631 and keeps the printer-uri form', () => {
    expect(parsePrinterUri('ipp://printer.lan/ipp/print')).toMatchObject({ printerUri: 'ipp://printer.lan:631/ipp/print', secure: false });
    expect(parsePrinterUri('ipps://10.0.0.5:8443/ipp/print').httpUrl.href).toBe('https://10.0.0.5:8443/ipp/print');
    expect(parsePrinterUri('ipp://10.0.0.5').printerUri).toBe('ipp://10.0.0.5:631/ipp/print');
  });

  it('names what is wrong with a bad URI', () => {
    expect(() => parsePrinterUri('snmp://x')).toThrow(/unsupported scheme 'snmp'/);
    expect(() => parsePrinterUri('not a uri')).toThrow(/not a URI/);
    expect(() => parsePrinterUri('ipp://user:pw@host/')).toThrow(/credentials/);
  });
});

describe('collector settings', () => {
  it('takes the total timeout and pins from the agent config, the connect timeout never longer', () => {
    expect(ippOptionsFromConfig({ timeout: 5000, trustedFingerprints: ['AA'] })).toMatchObject({
      totalTimeoutMs: 5000,
      connectTimeoutMs: 3000,
      trustedFingerprints: ['AA'],
    });
    expect(ippOptionsFromConfig({ timeout: 1000, trustedFingerprints: [] })).toMatchObject({ totalTimeoutMs: 1000, connectTimeoutMs: 1000 });
  });

  it('requests every attribute the normaliser reads', () => {
    const dir = resolve(REPO_ROOT, 'agent/normalise/ipp');
    const read = new Set<string>();
    for (const f of readdirSync(dir)) {
      for (const m of readFileSync(resolve(dir, f), 'utf8').matchAll(/attrs, '((?:printer|marker)-[a-z-]+)'/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(15);
    expect([...read].filter((name) => !(REQUESTED_ATTRIBUTES as readonly string[]).includes(name))).toEqual([]);
  });
});

describe('IppCollector over HTTP', () => {
  it('collects a corpus capture served by a local printer and requests only the needed attributes', async () => {
    const body = readFileSync(resolve(CORPUS_DIR, 'ipp/ipp-client-kotlin/Xerox_B210_Printer/printer-stopped-media-jam.res'));
    let requested: string[] = [];
    const uri = await ippServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // Request decoding is the decoder's job; here only the requested keywords are pulled out.
        requested =
          Buffer.concat(chunks)
            .toString('latin1')
            .match(/(printer|marker)-[a-z-]+/g) ?? [];
        res.writeHead(200, { 'Content-Type': 'application/ipp' });
        res.end(body);
      });
    });
    const got = await collectIpp(uri, FAST);
    expect(got.version).toBe('1.1');
    expect(got.attributes.get('printer-state')?.values[0]).toMatchObject({ value: 5 });
    expect(got.responseBytes).toBe(body.length);
    expect(requested).toContain('printer-alert');
    expect(requested).toContain('marker-levels');
    expect(requested).not.toContain('printer-resolution-supported');
  });

  it('reuses one keep-alive connection for consecutive polls', async () => {
    let connections = 0;
    const server = track(http.createServer(answer(okBody)));
    server.on('connection', () => connections++);
    const port = await listen(server);
    const collector = new IppCollector(FAST);
    cleanups.push(() => collector.close());
    for (let i = 0; i < 3; i++) await collector.getPrinterAttributes(`ipp://127.0.0.1:${port}/ipp/print`);
    expect(connections).toBe(1);
  });

  it('sends once more on a fresh connection when a kept-alive socket turns out dead', async () => {
    const served = new WeakMap<net.Socket, number>();
    let connections = 0;
    const server = track(
      http.createServer((req, res) => {
        req.resume();
        const n = (served.get(req.socket) ?? 0) + 1;
        served.set(req.socket, n);
        // The second request on a connection finds it closed, as after a printer's idle timeout.
        if (n === 2) return req.socket.destroy();
        answer(okBody)(req, res);
      }),
    );
    server.on('connection', () => connections++);
    const port = await listen(server);
    const collector = new IppCollector(FAST);
    cleanups.push(() => collector.close());
    await collector.getPrinterAttributes(`ipp://127.0.0.1:${port}/ipp/print`);
    const second = await collector.getPrinterAttributes(`ipp://127.0.0.1:${port}/ipp/print`);
    expect(second.attributes.get('printer-state')?.values[0]).toMatchObject({ value: 3 });
    expect(connections).toBe(2);
  });

  it('times out a server that accepts and never answers', async () => {
    const uri = await ippServer(() => undefined);
    const err = await failure(collectIpp(uri, FAST));
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/no complete answer within 800 ms/);
  });

  it('stops at once when the poll is cancelled', async () => {
    const uri = await ippServer(() => undefined);
    const collector = new IppCollector({ ...FAST, totalTimeoutMs: 60_000 });
    cleanups.push(() => collector.close());
    const abort = new AbortController();
    const pending = collector.getPrinterAttributes(uri, undefined, abort.signal);
    setTimeout(() => abort.abort(), 20);
    const err = await failure(pending);
    expect(err.code).toBe('CANCELLED');
    const already = new AbortController();
    already.abort();
    expect((await failure(collector.getPrinterAttributes(uri, undefined, already.signal))).code).toBe('CANCELLED');
  });

  it('times out a server that trickles one byte at a time', async () => {
    const uri = await ippServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/ipp' });
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(okBody.subarray(i % okBody.length, (i % okBody.length) + 1));
        i++;
      }, 50);
      res.on('close', () => clearInterval(timer));
      cleanups.push(() => clearInterval(timer));
    });
    expect((await failure(collectIpp(uri, FAST))).code).toBe('TIMEOUT');
  });

  it('refuses a response above the size cap, declared or streamed, without buffering it', async () => {
    const declared = await ippServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/ipp', 'Content-Length': 50 * 1024 * 1024 });
      res.write(Buffer.alloc(1024));
    });
    const e1 = await failure(collectIpp(declared, FAST));
    expect(e1.code).toBe('TOO_LARGE');
    expect(e1.message).toMatch(/52428800 bytes exceeds the 65536-byte limit/);

    let sent = 0;
    const flood = await ippServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/ipp' });
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = () => {
        while (!res.destroyed && sent < 8 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed && sent < 8 * 1024 * 1024) res.once('drain', pump);
      };
      pump();
    });
    const e2 = await failure(collectIpp(flood, FAST));
    expect(e2.code).toBe('TOO_LARGE');
    expect(sent).toBeLessThan(8 * 1024 * 1024);
  });

  it('tells HTTP errors apart: 404 path, 426 TLS required, 401 authentication, 500', async () => {
    for (const [status, pattern] of [
      [404, /HTTP 404 .*no printer at this path/],
      [426, /HTTP 426 .*use ipps:\/\//],
      [401, /HTTP 401 .*requires authentication/],
      [500, /HTTP 500 .*web server failed/],
    ] as const) {
      const err = await failure(collectIpp(await ippServer(answer(Buffer.from('nope'), status, 'text/plain')), FAST));
      expect(err.code).toBe('HTTP_STATUS');
      expect(err.httpStatus).toBe(status);
      expect(err.message).toMatch(pattern);
    }
  });

  it('rejects a web page served with 200 as not IPP', async () => {
    const err = await failure(collectIpp(await ippServer(answer(Buffer.from('<html></html>'), 200, 'text/html')), FAST));
    expect(err.code).toBe('NOT_IPP');
    expect(err.message).toMatch(/Content-Type 'text\/html'/);
  });

  it('follows a bounded number of redirects and names the loop', async () => {
    let port = 0;
    const moved = await ippServer((req, res) => {
      req.resume();
      if (req.url === '/ipp/print') {
        res.writeHead(301, { Location: `http://127.0.0.1:${port}/ipp/printer2` });
        return res.end();
      }
      answer(okBody)(req, res);
    });
    port = Number(new URL(moved).port);
    const got = await collectIpp(moved, FAST);
    expect(got.answeredBy).toBe(`ipp://127.0.0.1:${port}/ipp/printer2`);

    const loop = await ippServer((req, res) => {
      req.resume();
      res.writeHead(307, { Location: '/ipp/print' });
      res.end();
    });
    const err = await failure(collectIpp(loop, FAST));
    expect(err.code).toBe('REDIRECT');
    expect(err.message).toMatch(/more than 3 redirects/);
  });

  it('reports a truncated or malformed IPP body as DECODE with the byte offset', async () => {
    const err = await failure(collectIpp(await ippServer(answer(okBody.subarray(0, okBody.length - 6))), FAST));
    expect(err.code).toBe('DECODE');
    expect(err.message).toMatch(/malformed IPP message at byte \d+: truncated/);
  });

  it('asks an IPP/1.1-only printer again in version 1.1', async () => {
    const versions: string[] = [];
    const uri = await ippServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        versions.push(`${body[0]}.${body[1]}`);
        res.writeHead(200, { 'Content-Type': 'application/ipp' });
        res.end(body[0] === 2 ? response([], 0x0503) : okBody);
      });
    });
    const got = await collectIpp(uri, FAST);
    expect(versions).toEqual(['2.0', '1.1']);
    expect(got.attributes.get('printer-state')?.values[0]).toMatchObject({ value: 3 });
  });

  it('reports an IPP error status by name', async () => {
    const err = await failure(collectIpp(await ippServer(answer(response([], 0x0406))), FAST));
    expect(err.code).toBe('IPP_STATUS');
    expect(err.message).toMatch(/client-error-not-found/);
  });

  it('reports refused connections and peers that do not speak HTTP', async () => {
    const closed = await listen(net.createServer());
    await cleanups.pop()?.(); // close it again at once: the port is now (very likely) refused
    await new Promise((r) => setTimeout(r, 20));
    expect((await failure(collectIpp(`ipp://127.0.0.1:${closed}/ipp/print`, FAST))).message).toMatch(/connection refused|reset/);

    const garbage = track(net.createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n\r\n')));
    const port = await listen(garbage);
    const err = await failure(collectIpp(`ipp://127.0.0.1:${port}/ipp/print`, FAST));
    expect(err.code).toBe('CONNECT');
    expect(err.message).toMatch(/does not speak HTTP|reset|closed/);
  });
});

describe('IppCollector over TLS (ipps://)', () => {
  async function tlsServer(): Promise<number> {
    return listen(track(https.createServer({ cert, key }, answer(okBody))));
  }

  it('refuses a self-signed certificate that is not pinned, naming its fingerprint', async () => {
    const port = await tlsServer();
    const err = await failure(collectIpp(`ipps://127.0.0.1:${port}/ipp/print`, FAST));
    expect(err.code).toBe('TLS_UNTRUSTED');
    expect(err.message).toContain(fingerprint);
    expect(err.message).toMatch(/ipp\.trustedFingerprints/);
  });

  it('trusts it when its SHA-256 fingerprint is pinned (any case, with or without colons)', async () => {
    const port = await tlsServer();
    const pin = fingerprint.replace(/:/g, '').toLowerCase();
    const got = await collectIpp(`ipps://127.0.0.1:${port}/ipp/print`, { ...FAST, trustedFingerprints: [pin] });
    expect(got.tls).toEqual({ verified: false, pinned: true, fingerprint256: fingerprint });
    expect(got.attributes.get('printer-state')?.values[0]).toMatchObject({ value: 3 });
  });

  it('still refuses it when a different fingerprint is pinned', async () => {
    const port = await tlsServer();
    const other = 'AA:'.repeat(31) + 'AA';
    expect((await failure(collectIpp(`ipps://127.0.0.1:${port}/ipp/print`, { ...FAST, trustedFingerprints: [other] }))).code).toBe('TLS_UNTRUSTED');
  });

  it('refuses a redirect from ipps to plain ipp', async () => {
    const port = await listen(
      track(
        https.createServer({ cert, key }, (req, res) => {
          req.resume();
          res.writeHead(302, { Location: 'http://127.0.0.1:9/ipp/print' });
          res.end();
        }),
      ),
    );
    const err = await failure(collectIpp(`ipps://127.0.0.1:${port}/ipp/print`, { ...FAST, trustedFingerprints: [fingerprint] }));
    expect(err.code).toBe('REDIRECT');
    expect(err.message).toMatch(/refusing a redirect from TLS to plain/);
  });

  it('applies the connect timeout to a TLS handshake that never completes', async () => {
    const port = await listen(track(net.createServer(() => undefined)));
    const err = await failure(collectIpp(`ipps://127.0.0.1:${port}/ipp/print`, FAST));
    expect(err.code).toBe('CONNECT_TIMEOUT');
    expect(err.message).toMatch(/within 400 ms/);
  });
});
