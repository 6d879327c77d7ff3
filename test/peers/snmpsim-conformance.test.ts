/**
 * Conformance over the whole recording corpus: real Debian `snmpsimd` serves every file in
 * ../shared/corpus/snmprec/, `fleetdesk probe`'s code path reads each one, and the result must
 * match the hand-written golden file test/golden/snmp/<name>.json (format in its README.md).
 * Also: SNMPv1 reads the same as v2c, SNMPv3 authNoPriv/authPriv (SHA, SHA-256, AES) through
 * snmpsimd's USM, and the CLI's exit codes.
 */
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../bin/commands/probe.js';
import { CliError } from '../../bin/cliError.js';
import { DeviceSnapshot } from '../../shared/snapshot.js';
import { freeUdpPort, makeTempDir, startPeer, startSnmpsim, LOOPBACK, type PeerProcess, type SnmpsimPeer } from '../harness/peers.js';
import { CORPUS_DIR, REPO_ROOT } from '../harness/repo.js';

const RECORDINGS = join(CORPUS_DIR, 'snmprec');
const GOLDEN = join(REPO_ROOT, 'test', 'golden', 'snmp');

interface Golden {
  recording: string;
  community: string;
  notes: string;
  expect: 'snapshot' | 'notAPrinter';
  identity?: Record<string, string>;
  status?: string;
  supplies?: Array<[number, string, string, string | null, number | null, string]>;
  faults?: Array<[string, string, number | null]>;
  inputs?: Array<[number, string, number | null, string]>;
  counters?: Record<string, number>;
  counterOrigins?: Record<string, [string, string]>;
}

const recordings = readdirSync(RECORDINGS)
  .filter((f) => f.endsWith('.snmprec'))
  .sort();
const goldens = new Map(
  readdirSync(GOLDEN)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f.slice(0, -5), JSON.parse(readFileSync(join(GOLDEN, f), 'utf8')) as Golden]),
);

const url = (community: string, port: number, version = '2c') => `snmp://${encodeURIComponent(community)}@${LOOPBACK}:${port}?version=${version}`;
const OPTIONS = { timeoutMs: 2000, retries: 1 };

function compare(snapshot: DeviceSnapshot, g: Golden): void {
  expect(() => DeviceSnapshot.parse(snapshot)).not.toThrow();
  const identity = snapshot.identity as Record<string, string | undefined>;
  for (const [k, v] of Object.entries(g.identity ?? {})) expect(identity[k], `identity.${k}`).toBe(v);
  expect(snapshot.status, 'status').toBe(g.status);
  expect(
    snapshot.supplies.map((s) => [s.index, s.name, s.kind, s.color, s.levelPercent, s.state]),
    'supplies',
  ).toEqual(g.supplies);
  const faults = (list: Array<[string, string, number | null]>) => list.map((f) => JSON.stringify(f)).sort();
  expect(faults(snapshot.faults.map((f) => [f.code, f.severity, f.subunit?.index ?? null])), 'faults').toEqual(faults(g.faults ?? []));
  if (g.inputs)
    expect(
      snapshot.inputs.map((t) => [t.index, t.name, t.levelPercent, t.state]),
      'inputs',
    ).toEqual(g.inputs);
  if (g.counters) expect(snapshot.counters, 'counters').toEqual(g.counters);
  const origins = snapshot.counterProvenance?.origins ?? {};
  for (const [key, [source, confidence]] of Object.entries(g.counterOrigins ?? {}))
    expect(origins[key], `counter origin ${key}`).toEqual({ source, confidence });
}

describe('snmpsimd conformance over ../shared/corpus/snmprec', () => {
  let sim: SnmpsimPeer;
  const data = makeTempDir('snmprec-all');
  beforeAll(async () => {
    for (const f of recordings) copyFileSync(join(RECORDINGS, f), join(data.path, f));
    sim = await startSnmpsim(data.path);
  });
  afterAll(async () => {
    await sim?.stop();
    data.remove();
  });

  it('every recording has a golden file and every golden file a recording', () => {
    expect([...goldens.keys()].sort()).toEqual(recordings.map((f) => f.slice(0, -'.snmprec'.length)));
  });

  for (const file of recordings) {
    const name = file.slice(0, -'.snmprec'.length);
    it(`${name}: read through probe matches the golden file`, async () => {
      const g = goldens.get(name);
      expect(g, `test/golden/snmp/${name}.json`).toBeDefined();
      if (g!.expect === 'notAPrinter') {
        const err = await probe(url(g!.community, sim.port), OPTIONS).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(CliError);
        expect((err as CliError).exitCode).toBe(5);
        expect((err as Error).message).toMatch(/not a printer/);
        return;
      }
      compare(await probe(url(g!.community, sim.port), OPTIONS), g!);
    });
  }

  it('SNMPv1 (GETNEXT) reads the same as v2c (GETBULK)', async () => {
    for (const name of ['jetdirect_m880', 'sharp', 'epson']) {
      const v1 = await probe(url(name, sim.port, '1'), OPTIONS);
      compare(v1, goldens.get(name)!);
    }
  });

  it('the CLI: text and --json output, and exit code 3 with a reason for a wrong community', async () => {
    // Asynchronous on purpose: a blocked event loop would stop draining snmpsimd's log pipe.
    const run = (args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile(join(REPO_ROOT, 'bin', 'fleetdesk.mjs'), args, { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
          resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      });
    const text = await run(['probe', url('konica_2', sim.port)]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Konica Minolta bizhub 25e/);
    expect(text.stdout).toMatch(/WARNING\s+toner\.low/);
    const json = await run(['probe', url('utax', sim.port), '--json']);
    expect(json.status, json.stderr).toBe(0);
    expect(DeviceSnapshot.parse(JSON.parse(json.stdout)).identity.serial).toBe('R9L0309954');
    const wrong = await run(['probe', url('no-such-community', sim.port), '--timeout', '300', '--retries', '0']);
    expect(wrong.status).toBe(3);
    expect(wrong.stderr).toMatch(/no answer .* wrong community/);
    expect(wrong.stderr).not.toContain('no-such-community');
  });
});

describe('SNMPv3 through snmpsimd (USM)', () => {
  let sim: PeerProcess;
  let port: number;
  const data = makeTempDir('snmprec-v3');
  const cache = makeTempDir('snmpsim-v3-cache');
  beforeAll(async () => {
    copyFileSync(join(RECORDINGS, 'konica_c250i.snmprec'), join(data.path, 'konica_c250i.snmprec'));
    port = await freeUdpPort();
    const asRoot = process.getuid?.() === 0;
    if (asRoot) spawnSync('chmod', ['-R', 'a+rwX', data.path, cache.path]);
    sim = await startPeer({
      name: 'snmpsimd-v3',
      program: 'snmpsimd',
      debPackage: 'snmpsim',
      port,
      timeoutMs: 60_000,
      args: [
        `--data-dir=${data.path}`,
        `--cache-dir=${cache.path}`,
        `--agent-udpv4-endpoint=${LOOPBACK}:${port}`,
        ...(asRoot ? ['--process-user=nobody', '--process-group=nogroup'] : []),
        '--v3-user=privuser',
        '--v3-auth-key=authsecret256',
        '--v3-auth-proto=SHA256',
        '--v3-priv-key=privsecret128',
        '--v3-priv-proto=AES',
        '--v3-user=authuser',
        '--v3-auth-key=authsecret160',
        '--v3-auth-proto=SHA',
      ],
      ready: (output) => output.includes('Listening at UDP/IPv4 endpoint'),
    });
  });
  afterAll(async () => {
    await sim?.stop();
    data.remove();
    cache.remove();
  });

  const v3 = (user: string, query: string) => `snmpv3://${user}@${LOOPBACK}:${port}?${query}&context=konica_c250i`;

  it('authPriv with SHA-256 and AES reads the device', async () => {
    compare(await probe(v3('privuser', 'auth=sha256:authsecret256&priv=aes:privsecret128'), OPTIONS), goldens.get('konica_c250i')!);
  });

  it('authNoPriv with SHA reads the device', async () => {
    const s = await probe(v3('authuser', 'auth=sha:authsecret160'), OPTIONS);
    expect(s.identity.serial).toBe('AA2M021115700');
  });

  it('a wrong authentication key is exit code 4 with a clear reason and no key in it', async () => {
    const err = await probe(v3('privuser', 'auth=sha256:wrongsecret1&priv=aes:privsecret128'), { timeoutMs: 500, retries: 0 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(4);
    expect((err as Error).message).toMatch(/authentication failed: wrong authentication key/);
    expect((err as Error).message).not.toMatch(/wrongsecret1|privsecret128/);
  });
});
