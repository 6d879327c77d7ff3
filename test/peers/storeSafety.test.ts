/**
 * Operational safety of the embedded store against a real `fleetdesk server` process (issue 16):
 * a damaged store stops the start without changing a file and `fleetdesk store repair` makes it
 * start again; a second server on the same data directory is refused; a full disk (a small
 * tmpfs, filled while an agent streams QoS 1) acknowledges nothing, answers 503, and after space
 * returns the server recovers by itself with every acknowledged message stored.
 *
 * The tmpfs test needs `mount` (CI runs as root): where that is not permitted it fails and says so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { issueAgentToken } from '../harness/agentCredentials.js';
import { JournaledStore } from '../../server/storage/journaledStore.js';
import type { DeviceTelemetryMessage } from '../../shared/wire/messages.js';
import { freeTcpPort, makeTempDir, serverReady, startPeer, tcpAnswers, waitUntil, type PeerProcess } from '../harness/peers.js';
import { REPO_ROOT } from '../harness/repo.js';
import { bytes, telemetryMsg, topicOf } from '../unit/server/wireFixtures.js';

const tmp = makeTempDir('store-safety');
const servers: PeerProcess[] = [];
const clients: MqttClient[] = [];
const mounts: string[] = [];

afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  for (const s of servers) await s.stop();
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  tmp.remove();
});

const CLI = join(REPO_ROOT, 'bin/fleetdesk.mjs');
const ADMIN = 'store-safety-admin-token-0123456789abcdef';

async function serverConfig(name: string, dataDir: string): Promise<{ file: string; mqttPort: number; httpPort: number }> {
  const mqttPort = await freeTcpPort();
  const httpPort = await freeTcpPort();
  const file = join(tmp.path, `${name}.yaml`);
  writeFileSync(
    file,
    [`dataDir: ${dataDir}`, 'broker:', '  embedded:', `    port: ${mqttPort}`, 'http:', `  port: ${httpPort}`, 'log:', '  format: json', ''].join('\n'),
  );
  return { file, mqttPort, httpPort };
}

async function startServer(configFile: string, httpPort: number): Promise<PeerProcess> {
  const p = await startPeer({
    name: 'fleetdesk-server',
    program: 'node',
    debPackage: 'nodejs',
    args: [CLI, 'server', '--config', configFile],
    port: httpPort,
    env: { FLEETDESK_LOG_LEVEL: 'warn', FLEETDESK_ADMIN_TOKEN: ADMIN },
    ready: () => tcpAnswers(httpPort),
    timeoutMs: 30_000,
  });
  servers.push(p);
  return p;
}

/** Runs the CLI to completion: exit code and everything printed. */
function cli(args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, FLEETDESK_LOG_LEVEL: 'warn' } });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** A store with committed records (the format the server writes), closed. */
async function storeWith(dir: string, commits: number, o: { compactJournalBytes?: number } = {}): Promise<void> {
  const s = new JournaledStore({ dir, ...o });
  await s.open();
  for (let i = 1; i <= commits; i++) await s.transaction((tx) => tx.put('samples', `s${i}`, { i, pad: 'x'.repeat(200) }));
  await s.close();
}

function lineOffset(file: string, index: number): number {
  const data = readFileSync(file);
  let at = 0;
  for (let i = 0; i < index; i++) at = data.indexOf(0x0a, at) + 1;
  return at;
}

describe('a damaged store stops the server start; store repair makes it start', () => {
  const cases: { name: string; damage: (store: string) => void; expect: RegExp }[] = [
    {
      name: 'a corrupt journal line in the middle',
      damage: (store) => {
        const file = join(store, 'journal.log');
        const data = readFileSync(file);
        const at = lineOffset(file, 2);
        expect(data.length).toBeGreaterThan(at + 100);
        data[at + 30] = data[at + 30]! ^ 0x04;
        writeFileSync(file, data);
      },
      expect: /journal\.log \(byte \d+\): line 3 at byte \d+ is damaged: checksum mismatch/,
    },
    {
      name: 'a journal cut in half',
      damage: (store) => truncateSync(join(store, 'journal.log'), Math.floor(readFileSync(join(store, 'journal.log')).length / 2)),
      expect: /journal\.log \(byte \d+\): ends at byte \d+ but \d+ bytes were committed/,
    },
    {
      name: 'a missing hot.json',
      damage: (store) => unlinkSync(join(store, 'hot.json')),
      expect: /hot\.json: missing, but journal\.log starts after a compaction at sequence \d+: the snapshot existed/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 3 naming file and offset, files byte-identical, repair drops and reports, then the server starts`, async () => {
      const dataDir = join(tmp.path, c.name.replace(/\W+/g, '-'));
      const store = join(dataDir, 'store');
      mkdirSync(store, { recursive: true });
      await storeWith(store, 40, { compactJournalBytes: 4000 });
      c.damage(store);
      const snapshotOf = () => ['journal.log', 'hot.json'].map((f) => spawnSync('sha256sum', [join(store, f)], { encoding: 'utf8' }).stdout).join('');
      const before = snapshotOf();
      const { file, httpPort } = await serverConfig(c.name.replace(/\W+/g, '-'), dataDir);

      const start = cli(['server', '--config', file]);
      expect(start.code, start.out).toBe(3);
      expect(start.out).toMatch(c.expect);
      expect(start.out).toContain('not starting, no file was changed');
      expect(snapshotOf()).toBe(before);

      const check = cli(['store', 'check', '--data-dir', dataDir]);
      expect(check.code, check.out).toBe(3);
      expect(check.out).toMatch(c.expect);
      expect(snapshotOf()).toBe(before);

      const repair = cli(['store', 'repair', '--data-dir', dataDir]);
      expect(repair.code, repair.out).toBe(3);
      expect(repair.out).toMatch(/repaired; copies of the changed files are in .*repair-/);
      expect(repair.out).toMatch(/dropped|accepted the loss|replaced by an empty snapshot/);
      expect(cli(['store', 'check', '--data-dir', dataDir]).code).toBe(0);

      const server = await startServer(file, httpPort);
      const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      expect(ready.status).toBe(200);
      await server.stop();
    });
  }
});

describe('one server per data directory', () => {
  it('refuses a second server with exit 4 naming the first; after kill -9 of the first a new one starts', async () => {
    const dataDir = join(tmp.path, 'two-servers');
    const a = await serverConfig('two-a', dataDir);
    const b = await serverConfig('two-b', dataDir);
    const first = await startServer(a.file, a.httpPort);
    const second = cli(['server', '--config', b.file]);
    expect(second.code, second.out).toBe(4);
    expect(second.out).toMatch(
      new RegExp(`store ${join(dataDir, 'store').replace(/[/.]/g, '\\$&')} is in use by a FleetDesk server \\(pid ${first.child.pid}`),
    );
    expect((await fetch(`http://127.0.0.1:${a.httpPort}/readyz`)).status).toBe(200);
    const repair = cli(['store', 'repair', '--data-dir', dataDir]);
    expect(repair.code, repair.out).toBe(1);
    expect(repair.out).toContain('not repairing');
    await first.kill();
    const third = await startServer(b.file, b.httpPort);
    expect((await fetch(`http://127.0.0.1:${b.httpPort}/readyz`)).status).toBe(200);
    await third.stop();
  });
});

describe('storage out of reach at start', () => {
  it('PostgreSQL not answering: exit 5, one line naming the database without its password, no stack trace', async () => {
    const port = await freeTcpPort(); // nothing listens there
    const file = join(tmp.path, 'pg-down.yaml');
    writeFileSync(
      file,
      [
        'dataDir: ' + join(tmp.path, 'pg-down'),
        'storage:',
        '  kind: postgres',
        `  url: postgres://fleetdesk:db-secret-9@127.0.0.1:${port}/fleetdesk`,
        '  connectTimeout: 2s',
        'broker:',
        '  embedded:',
        `    port: ${await freeTcpPort()}`,
        'http:',
        `  port: ${await freeTcpPort()}`,
        'log:',
        '  format: json',
        '',
      ].join('\n'),
    );
    const r = cli(['server', '--config', file]);
    expect(r.code, r.out).toBe(5);
    const line = r.out.split('\n').find((l) => l.startsWith('fleetdesk: '));
    expect(line).toMatch(
      new RegExp(`^fleetdesk: not starting: cannot connect to PostgreSQL at postgres://fleetdesk:\\*\\*\\*@127\\.0\\.0\\.1:${port}/fleetdesk`),
    );
    expect(r.out).not.toContain('db-secret-9');
    expect(r.out).not.toMatch(/^\s+at /m);
  });
});

/** Mounts a tmpfs of `size`; fails (does not skip) where mount is not permitted. */
function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `the disk-full test needs a small tmpfs: \`mount -t tmpfs\` failed (${(err as Error).message.trim()}); run the peer suite as root (CI does) or with CAP_SYS_ADMIN`,
    );
  }
  mounts.push(dir);
}

/** Fills the file system of `dir` until ENOSPC; returns the filler's path. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  try {
    for (let n = 0; n < 100_000; n++) {
      try {
        writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        if (chunk.length === 1) break;
        return fillRest(fd, file);
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

function fillRest(fd: number, file: string): string {
  for (const size of [4096, 1]) {
    const small = Buffer.alloc(size, 0x55);
    for (let n = 0; n < 100_000; n++) {
      try {
        writeSync(fd, small);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        break;
      }
    }
  }
  return file;
}

function telemetry(from: number, count: number): DeviceTelemetryMessage[] {
  const start = Date.parse('2026-01-05T08:00:00Z');
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return telemetryMsg('acme', 'a1', `p${i % 10}`, i, new Date(start + i * 1000).toISOString(), i);
  });
}

/** Publishes with at most 50 in flight; `acked` collects acknowledged ids with their time. Resolves when all are acked or `until` says stop. */
function publish(client: MqttClient, msgs: DeviceTelemetryMessage[], acked: Map<string, number>): void {
  let next = 0;
  let inFlight = 0;
  const pump = () => {
    while (inFlight < 50 && next < msgs.length) {
      const m = msgs[next++]!;
      inFlight++;
      client.publish(topicOf(m), bytes(m), { qos: 1 }, (err) => {
        inFlight--;
        if (!err) acked.set(m.id, Date.now());
        pump();
      });
    }
  };
  pump();
}

describe('disk full (tmpfs) under a QoS 1 stream', () => {
  it('acknowledges nothing while the disk is full, answers 503, recovers by itself and loses nothing acknowledged', async () => {
    const mountPoint = join(tmp.path, 'small-disk');
    mountTmpfs(mountPoint, '6m');
    const dataDir = join(mountPoint, 'data');
    const cfg = await serverConfig('disk-full', dataDir);
    const token = await issueAgentToken(cfg.file, { tenant: 'acme', agentId: 'a1' });
    await startServer(cfg.file, cfg.httpPort);
    const connect = async () => {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${cfg.mqttPort}`, {
        username: 'acme/a1',
        clientId: 'acme/a1',
        password: token,
        reconnectPeriod: 0,
        protocolVersion: 4,
        clean: true,
      });
      clients.push(c);
      return c;
    };
    const acked = new Map<string, number>();
    const all = telemetry(0, 600);
    let agent = await connect();
    publish(agent, all.slice(0, 200), acked);
    await waitUntil(() => acked.size === 200, 'the first 200 messages acknowledged', 20_000);

    const filler = fill(mountPoint);
    publish(agent, all.slice(200, 400), acked);
    let failure = '';
    await waitUntil(
      async () => {
        const r = await fetch(`http://127.0.0.1:${cfg.httpPort}/readyz`);
        failure = await r.text();
        return r.status === 503;
      },
      '/readyz to turn 503 once the disk is full',
      20_000,
    );
    const fullSince = Date.now();
    expect(failure).toMatch(/ENOSPC|no space|short write/i);
    // An API write answers 503 with the storage error body.
    const api = await fetch(`http://127.0.0.1:${cfg.httpPort}/api/v1/agent-credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme', agentId: 'a2' }),
    });
    expect(api.status).toBe(503);
    expect(await api.json()).toMatchObject({ statusCode: 503, code: 'STORAGE_UNAVAILABLE' });
    // Still full a while later: nothing acknowledged since (an ack sent before the failure may still be on its way for a moment).
    await new Promise((r) => setTimeout(r, 3000));
    expect((await fetch(`http://127.0.0.1:${cfg.httpPort}/readyz`)).status).toBe(503);
    const ackedWhileFull = [...acked.values()].filter((t) => t > fullSince + 250);
    expect(ackedWhileFull).toEqual([]);
    const ackedBeforeFree = new Set(acked.keys());
    expect(ackedBeforeFree.size).toBeLessThan(400);

    rmSync(filler);
    await waitUntil(() => serverReady(cfg.httpPort), 'the server to recover by itself once space returns', 30_000, 200);
    // The agent resends what was never acknowledged (its outbox), then streams on.
    await agent.endAsync(true);
    agent = await connect();
    publish(
      agent,
      all.filter((m) => !acked.has(m.id)),
      acked,
    );
    await waitUntil(() => acked.size === all.length, 'every message acknowledged after the recovery', 30_000);
    await agent.endAsync();
    await servers[servers.length - 1]!.stop();

    const store = new JournaledStore({ dir: join(dataDir, 'store') });
    await store.open();
    const lost = [...ackedBeforeFree].filter((id) => !store.hasMessage(id));
    const missing = all.filter((m) => !store.hasMessage(m.id)).map((m) => m.id);
    await store.close();
    expect(lost).toEqual([]);
    expect(missing).toEqual([]);
  });
});
