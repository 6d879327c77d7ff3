/**
 * `fleetdesk discover` as a user runs it, on loopback only: a silent /22 finishes well inside
 * 30 s with default settings, and a simulated printer is identified over SNMP and IPP.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../agent/simulator/simulator.js';
import { createLogger } from '../../shared/logging.js';

const repoRoot = resolve(import.meta.dirname, '../..');
let sim: RunningSimulator | null = null;
afterEach(async () => {
  await sim?.stop();
  sim = null;
});

function cli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(repoRoot, 'bin/run.ts'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

it('sweeps a silent loopback /22 in under 30 s with default settings', async () => {
  const r = await cli(['discover', '127.0.4.0/22', '--json'], 60_000);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { scanned: number; total: number; found: unknown[]; elapsedMs: number };
  expect(out).toMatchObject({ scanned: 1022, total: 1022, found: [] });
  expect(out.elapsedMs).toBeLessThan(30_000);
  // Not a TTY: plain progress lines on stderr.
  expect(r.stderr).toMatch(/scanned 1022\/1022 addresses, found 0 printers/);
});

it('identifies a simulated printer by SNMP (with the right credential) and by IPP', async () => {
  sim = await startSimulator({ devices: 2, scenario: 'steady', logger: createLogger({ name: 'sim', level: 'silent', format: 'json' }) });
  const dev = sim.devices[1]!;
  const r = await cli(
    [
      'discover',
      '127.0.0.1/32',
      '--json',
      '--snmp-port',
      String(sim.snmpPort),
      '--ipp-port',
      String(sim.ippPort),
      '--ipp-path',
      '/ipp/print',
      `/ipp/print/${dev.id}`,
      '--community',
      'wrong',
      dev.community,
      '--timeout',
      '300ms',
    ],
    30_000,
  );
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { found: { host: string; snmp?: { credential: number; version: string }; ipp?: { uri: string } }[] };
  expect(out.found).toHaveLength(1);
  expect(out.found[0]!.host).toBe('127.0.0.1');
  expect(out.found[0]!.snmp).toMatchObject({ credential: 1, version: '2c' });
  expect(out.found[0]!.ipp?.uri).toBe(`ipp://127.0.0.1:${sim.ippPort}/ipp/print/${dev.id}`);
  // Secrets never printed (the simulator's community is the device id, which is also in its URI path).
  expect(JSON.stringify(out.found[0]!.snmp) + r.stderr).not.toContain(dev.community);
  expect(r.stdout + r.stderr).not.toContain('wrong');
});

it('refuses a malformed range with a one-line error', async () => {
  const r = await cli(['discover', '127.0.4.1/22'], 30_000);
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe('fleetdesk: invalid range "127.0.4.1/22": host bits are set; did you mean 127.0.4.0/22?');
});
