import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../bin/cli.js';
import { REPO_ROOT } from '../../harness/repo.js';

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'fleetdesk.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('fleetdesk CLI', () => {
  it('--help lists every registered command', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    const names = buildProgram().commands.map((c) => c.name());
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(r.out).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
  });

  it('every command (and subcommand) has its own --help', () => {
    // Rendered in-process: one tsx start-up per command would make this test slow on a busy box.
    const visit = (cmd: Command, path: string[]) => {
      for (const sub of cmd.commands) {
        const full = [...path, sub.name()];
        const help = sub.helpInformation();
        expect(help, full.join(' ')).toContain(`Usage: fleetdesk ${full.join(' ')}`);
        expect(sub.description().length, `${full.join(' ')} has a description`).toBeGreaterThan(10);
        visit(sub, full);
      }
    };
    visit(buildProgram(), []);
  });

  it('an unknown command exits non-zero with a one-line reason', () => {
    const r = run('frobnicate');
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')[0]).toMatch(/unknown command 'frobnicate'/);
  });

  it('config check reports an invalid file precisely and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-cli-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'tenant: acme\nagentId: a1\nbroker:\n  url: mqtt://127.0.0.1:1883\n  password: topsecret\npolling:\n  jitter: 3\n');
    const r = run('config', 'check', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:7:11: polling.jitter: expected a value <= 0.5, found number 3`);
    expect(r.err).not.toContain('topsecret');
  });

  it('config check prints the effective settings with secrets redacted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-cli-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(
      file,
      'tenant: acme\nagentId: a1\nbroker:\n  url: mqtt://127.0.0.1:1883\n  password: topsecret\nsnmp:\n  credentials:\n    - {version: "2c", community: corp-ro}\n',
    );
    const r = run('config', 'check', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('interval: 60000');
    expect(r.out).not.toContain('topsecret');
    expect(r.out).not.toContain('corp-ro');
    expect(r.out).toContain('[redacted]');
  });
});
