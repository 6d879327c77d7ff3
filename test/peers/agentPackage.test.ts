/**
 * The agent release as an IT admin gets it: `npm run package:agent` builds the tarball (and the
 * .deb), install.sh puts it into a scratch prefix (not root: no systemd steps), `fleetdesk-agent
 * agent init` writes the config after checking the broker and the device, and the installed agent
 * reports a simulated printer to a server with the embedded broker, all on loopback. The commands
 * are the ones docs/install-agent.md gives; the test checks the page still says them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../agent/simulator/simulator.js';
import { createAgentToken } from '../../server/broker/credentials.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServerApp, type ServerApp } from '../../server/serverApp.js';
import { createLogger } from '../../shared/logging.js';
import { VERSION } from '../../shared/version.js';
import { makeTempDir, requireProgram, waitUntil } from '../harness/peers.js';
import { REPO_ROOT } from '../harness/repo.js';

const dir = makeTempDir('agent-package');
const ADMIN = 'package-test-admin-token-0123456789abcdef';
let app: ServerApp;
let simulator: RunningSimulator;
let agent: ChildProcess | undefined;
let agentOutput = '';

beforeAll(async () => {
  simulator = await startSimulator({
    devices: 2,
    host: '127.0.0.1',
    snmpPort: 0,
    ippPort: false,
    logger: createLogger({ name: 'sim', level: 'warn', format: 'json' }),
  });
  const config = ServerConfig.parse({
    dataDir: join(dir.path, 'server'),
    broker: { embedded: { host: '127.0.0.1', port: 0 } },
    http: { host: '127.0.0.1', port: 0 },
  });
  app = await startServerApp(config, createLogger({ name: 'server', level: 'warn', format: 'json' }), { env: { FLEETDESK_ADMIN_TOKEN: ADMIN } });
}, 60_000);

afterAll(async () => {
  agent?.kill('SIGTERM');
  if (agent && agent.exitCode === null) await new Promise((r) => agent!.once('exit', r));
  await app?.close();
  await simulator?.stop();
  dir.remove();
});

/** Asynchronous: the server and the simulator answer from this process while the command runs. */
function run(program: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, out }));
  });
}

it('builds, installs into a prefix, writes its config with agent init and reports a device', async () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'install-agent.md'), 'utf8');
  for (const command of [
    'tar -xzf fleetdesk-agent-',
    'install.sh --prefix',
    'fleetdesk-agent agent init',
    '--broker-url',
    'fleetdesk-agent config check',
    'uninstall.sh',
  ])
    expect(doc).toContain(command);

  const out = join(dir.path, 'out');
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'package-agent.mjs'), '--out', out], { stdio: 'pipe', timeout: 180_000 });
  const tarball = join(out, `fleetdesk-agent-${VERSION}-linux.tar.gz`);
  expect(existsSync(tarball)).toBe(true);
  if (existsSync('/usr/bin/dpkg-deb')) {
    const contents = execFileSync('dpkg-deb', ['--contents', join(out, `fleetdesk-agent_${VERSION}_all.deb`)], { encoding: 'utf8' });
    for (const path of ['./opt/fleetdesk-agent/lib/fleetdesk-agent.mjs', './lib/systemd/system/fleetdesk-agent.service', './usr/bin/fleetdesk-agent'])
      expect(contents).toContain(path);
  }

  execFileSync(requireProgram('tar', 'tar'), ['-C', dir.path, '-xzf', tarball]);
  const prefix = join(dir.path, 'prefix');
  // --no-systemd: a CI runner may be root on a systemd host; this test must not install a service there.
  const install = await run(join(dir.path, `fleetdesk-agent-${VERSION}`, 'install.sh'), ['--prefix', prefix, '--no-systemd']);
  expect(install.out).toContain(`installed FleetDesk agent ${VERSION} in ${prefix}`);
  expect(install.out).toContain('systemd steps skipped');
  expect(install.status).toBe(0);
  const bin = join(prefix, 'bin', 'fleetdesk-agent');
  expect((await run(bin, ['--version'])).out.trim()).toBe(VERSION);

  const password = await createAgentToken(app.server.repo, { tenant: 'acme-pl', agentId: 'warsaw-hq' }, new Date());
  const env = { FLEETDESK_AGENT__BROKER__PASSWORD: password, FLEETDESK_LOG_FORMAT: 'json' };
  const device = simulator.devices[0]!;
  const configFile = join(dir.path, 'agent.yaml');
  const initArgs = [
    'agent',
    'init',
    '--output',
    configFile,
    '--tenant',
    'acme-pl',
    '--agent-id',
    'warsaw-hq',
    '--broker-url',
    `mqtt://127.0.0.1:${app.server.mqttPort}`,
    '--device',
    `snmp://${device.community}@127.0.0.1:${simulator.snmpPort}`,
    '--no-traps',
    '--health-listen',
    '127.0.0.1:0',
    '--outbox-dir',
    join(dir.path, 'outbox'),
  ];
  // A wrong password: nothing is written.
  const refused = await run(bin, initArgs, { ...env, FLEETDESK_AGENT__BROKER__PASSWORD: 'not-the-token' });
  expect(refused.status, refused.out).toBe(3);
  expect(existsSync(configFile)).toBe(false);

  const init = await run(bin, initArgs, env);
  expect(init.status, init.out).toBe(0);
  expect(init.out).toContain('connected as acme-pl/warsaw-hq (MQTT 3.1.1)');
  expect(init.out).toMatch(/device snmp:\/\/.*: answers/);
  const written = readFileSync(configFile, 'utf8');
  expect(written).toContain('username: acme-pl/warsaw-hq');
  expect(written).toContain('protocolVersion: 4');
  expect(written).not.toContain(password);
  expect((await run(bin, initArgs, env)).status).toBe(2); // exists: needs --force
  const check = await run(bin, ['config', 'check', configFile], env);
  expect(check.status, check.out).toBe(0);
  expect(check.out).toContain('valid agent configuration');

  agent = spawn(bin, ['agent', '--config', configFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout?.on('data', (c: Buffer) => (agentOutput += c.toString()));
  agent.stderr?.on('data', (c: Buffer) => (agentOutput += c.toString()));
  const api = `http://127.0.0.1:${app.server.httpPort}/api/v1/devices`;
  await waitUntil(
    async () => {
      if (agent!.exitCode !== null) throw new Error(`the installed agent exited: ${agentOutput.slice(-2000)}`);
      const res = await fetch(api, { headers: { authorization: `Bearer ${ADMIN}` } });
      const body = (await res.json()) as { items: Array<{ agentId: string; identity: { serial?: string } }> };
      return body.items.some((d) => d.agentId === 'warsaw-hq');
    },
    'the installed agent to report its device',
    60_000,
    250,
  );
  // The broker's version was written down by init: no MQTT 5 attempt, no fallback message.
  expect(agentOutput).not.toMatch(/MQTT 5/);
  agent.kill('SIGTERM');
  await new Promise((r) => agent!.once('exit', r));

  const removed = await run(join(prefix, 'uninstall.sh'), []);
  expect(removed.status, removed.out).toBe(0);
  expect(existsSync(join(prefix, 'lib'))).toBe(false);
}, 300_000);
