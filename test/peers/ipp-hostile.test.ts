/**
 * `fleetdesk probe ipp://…` as a separate process against hostile loopback servers: it must end
 * with a clear one-line error and the documented exit code, within its time budget, and without
 * its memory growing with what the server sends.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CORPUS_DIR, REPO_ROOT } from '../harness/repo.js';

interface ProbeRun {
  code: number | null;
  stderr: string;
  elapsedMs: number;
  /** Highest resident set size seen while it ran (from /proc), in MiB. */
  peakRssMiB: number;
}

function probe(uri: string): Promise<ProbeRun> {
  return new Promise((done, fail) => {
    const started = Date.now();
    const child = spawn(process.execPath, [resolve(REPO_ROOT, 'bin/fleetdesk.mjs'), 'probe', '--timeout', '1000', '--retries', '1', uri], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let peak = 0;
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const sample = setInterval(() => {
      try {
        const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        if (kb) peak = Math.max(peak, Number(kb) / 1024);
      } catch {
        // exited between samples
      }
    }, 25);
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(sample);
      clearTimeout(kill);
      done({ code, stderr, elapsedMs: Date.now() - started, peakRssMiB: Math.round(peak) });
    });
  });
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function serve(handler: http.RequestListener): Promise<string> {
  const sockets = new Set<Socket>();
  const server = http.createServer(handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  );
  return `ipp://127.0.0.1:${(server.address() as AddressInfo).port}/ipp/print`;
}

const figures: string[] = [];

describe('fleetdesk probe against hostile IPP servers', () => {
  it('gives up on a server that never answers within timeout × (retries + 1)', async () => {
    const run = await probe(await serve(() => undefined));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^fleetdesk: IPP ipp:\/\/127\.0\.0\.1:\d+\/ipp\/print: no complete answer within 2000 ms .*\[TIMEOUT\]\n$/);
    // 2 s budget plus process start-up (tsx compiles on first run); a hang would take 60 s.
    expect(run.elapsedMs).toBeLessThan(20_000);
    figures.push(`silent server: exit 3 after ${run.elapsedMs} ms, peak RSS ${run.peakRssMiB} MiB`);
  });

  it('gives up on a server that trickles one byte every 100 ms', async () => {
    const body = readFileSync(resolve(CORPUS_DIR, 'ipp/python-ipp/get-printer-attributes-hp6830.bin'));
    const timers: NodeJS.Timeout[] = [];
    closers.push(() => Promise.resolve(timers.forEach(clearInterval)));
    const run = await probe(
      await serve((req, res) => {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'application/ipp', 'Content-Length': body.length });
        let i = 0;
        const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(body.subarray(i, ++i))), 100);
        timers.push(t);
      }),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/\[TIMEOUT\]/);
    expect(run.elapsedMs).toBeLessThan(20_000);
  });

  it('cuts off a 200 MiB flood at the 1 MiB cap without the memory following it', async () => {
    let sent = 0;
    const run = await probe(
      await serve((req, res) => {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'application/ipp' });
        const chunk = Buffer.alloc(64 * 1024, 0x21);
        const pump = () => {
          while (!res.destroyed && sent < 200 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        pump();
      }),
    );
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/response exceeds the 1048576-byte limit \[TOO_LARGE\]/);
    expect(sent).toBeLessThan(200 * 1024 * 1024);
    expect(run.peakRssMiB).toBeLessThan(400);
    figures.push(`flood: exit 6 after ${Math.round(sent / 1024)} KiB of 200 MiB written by the server, peak RSS ${run.peakRssMiB} MiB`);
  });

  it('reports a truncated capture and a wrong tag as malformed IPP, naming the byte', async () => {
    const body = readFileSync(resolve(CORPUS_DIR, 'ipp/ipp-client-kotlin/Xerox_B210_Printer/printer-stopped-media-jam.res'));
    const cut = body.subarray(0, 3000);
    const truncated = await probe(
      await serve((req, res) => {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'application/ipp' });
        res.end(cut);
      }),
    );
    expect(truncated.code).toBe(6);
    expect(truncated.stderr).toMatch(/malformed IPP message at byte \d+: truncated.*\[DECODE\]/);

    const wrong = Buffer.from(body);
    wrong[8] = 0x00; // the first group delimiter becomes the reserved tag 0x00
    const wrongTag = await probe(
      await serve((req, res) => {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'application/ipp' });
        res.end(wrong);
      }),
    );
    expect(wrongTag.code).toBe(6);
    expect(wrongTag.stderr).toMatch(/malformed IPP message at byte 8: reserved delimiter 0x00/);
    figures.push(`malformed answers: exit 6 in ${truncated.elapsedMs} / ${wrongTag.elapsedMs} ms`);
    console.info(`IPP hostile-server figures:\n  ${figures.join('\n  ')}`);
  });
});
