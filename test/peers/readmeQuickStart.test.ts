/**
 * The README as a new user follows it: `npm start` (the quick start), the curl command that lists
 * tickets, the sample output's fixed lines, Ctrl-C, and the README's commands that run on loopback
 * without a configuration (`--help`, `sla deadline`). Commands are read from README.md, so a changed
 * command in the README is what runs here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTempDir, waitUntil } from '../harness/peers.js';
import { REPO_ROOT } from '../harness/repo.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const dir = makeTempDir('readme');
let demo: ChildProcess | undefined;

afterAll(async () => {
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    process.kill(-demo.pid!, 'SIGKILL');
    await new Promise((r) => demo!.once('exit', r));
  }
  dir.remove();
});

function run(command: string, cwd = REPO_ROOT): Promise<{ status: number | null; stdout: string; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, out }));
  });
}

/** The lines of the first fenced block of `lang` after `heading`. */
function block(heading: string, lang: string): string[] {
  const from = readme.indexOf(heading);
  const start = readme.indexOf('```' + lang + '\n', from);
  const end = readme.indexOf('\n```', start + 4);
  expect(from >= 0 && start >= 0, `README: a ${lang} block after "${heading}"`).toBe(true);
  return readme.slice(start + lang.length + 4, end).split('\n');
}

it('runs the quick start: npm start opens tickets, the curl command lists them, Ctrl-C stops', async () => {
  expect(readme).toContain('npm install && npm start');
  const sample = block('## What `npm start` does', '');
  // Ticket lines: the same layout, and the scripted door (first in the scenario) on the same model.
  const opened = sample.filter((l) => /^\d\d:\d\d:\d\d {2}T\d{6} {2}ticket\.opened {12}/.test(l));
  expect(opened.length).toBeGreaterThan(2);
  const doorLine = opened.find((l) => l.includes('Door or cover open'))!;
  const door = doorLine.slice(doorLine.indexOf('Door or cover open'), doorLine.indexOf(';'));
  const data = join(dir.path, 'demo');
  // `npm start`; only the data folder is moved out of the checkout (the README's ./data/demo).
  // Its own process group: Ctrl-C at a terminal signals npm and the demo under it together.
  demo = spawn('npm', ['start', '--', '--data-dir', data], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, FLEETDESK_LOG_FORMAT: 'json' },
  });
  let out = '';
  demo.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  demo.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  await waitUntil(
    () => {
      if (demo!.exitCode !== null) throw new Error(`npm start exited: ${out.slice(-2000)}`);
      return out.includes(door);
    },
    `npm start to print "${door}"`,
    120_000,
    250,
  );

  // The sample output's fixed lines are printed as the README shows them.
  for (const fixed of sample.filter((l) => /^(FleetDesk demo is running\.| {2}tickets |Ticket activity follows)/.test(l))) expect(out).toContain(fixed);
  expect(out).toMatch(/\d\d:\d\d:\d\d {2}T\d{6} {2}ticket\.opened {12}Order .+ for .+ at Warszawa, ul\. Prosta 20; impact low/);

  // The README's curl command, with the demo's port and data folder.
  const port = /dashboard {2}http:\/\/127\.0\.0\.1:(\d+)\/dashboard\//.exec(out)?.[1];
  expect(port).toBeDefined();
  const curl = block('While it runs, the API shows the same tickets', 'sh').find((l) => l.startsWith('curl '))!;
  const listed = await run(curl.replaceAll('data/demo/', `${data}/`).replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`));
  expect(listed.status, listed.out).toBe(0);
  const body = JSON.parse(listed.stdout) as { items: Array<{ id: string; title: string }> };
  expect(body.items.length).toBeGreaterThan(0);
  expect(body.items.length).toBeLessThanOrEqual(5);

  process.kill(-demo.pid!, 'SIGINT');
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => demo!.once('exit', (c, s) => r([c, s])));
  // The demo stopped cleanly; npm itself then ends by the same signal, as at a terminal.
  expect(out).toContain('stopped.');
  expect(code === 0 || signal === 'SIGINT', `npm start ended with ${code ?? signal}`).toBe(true);
}, 240_000);

it("runs the README's commands that need no configuration", async () => {
  const commands = block('## Commands', 'sh').map((l) => l.replace(/\s+#.*$/, '').trim());
  for (const command of commands.filter((c) => /^npx fleetdesk (--help|sla deadline )/.test(c))) {
    const r = await run(command);
    expect(r.status, `${command}\n${r.out}`).toBe(0);
  }
  const sla = await run(commands.find((c) => c.startsWith('npx fleetdesk sla deadline '))!);
  expect(sla.out).toMatch(/2026-12-2\d/);
}, 120_000);
