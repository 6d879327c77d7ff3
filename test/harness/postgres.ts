/**
 * A private PostgreSQL 15 cluster (Debian package `postgresql`) for tests: initdb in a temp dir,
 * the server on a free loopback port with its socket in that dir, trust auth for the `postgres`
 * role. Durability is switched off (fsync, synchronous_commit, full_page_writes) unless
 * `durable` (benchmarks): FOR TESTS ONLY.
 *
 * PostgreSQL refuses to run as root; when the tests run as root, initdb and postgres run as the
 * `postgres` OS user (spawned with its uid/gid, the temp dir chowned to it). `stop()` asks for a
 * fast shutdown (SIGINT), kills after a grace period and removes the directory.
 *
 * `newDatabase()` creates an empty database in the same cluster: one cluster per test file, one
 * database per test keeps tests independent at ~30 ms each instead of ~1 s per cluster.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { accessSync, chownSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freeTcpPort, LOOPBACK, makeTempDir, waitUntil } from './peers.js';

const BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface PostgresPeer {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Creates an empty database and returns its URL. */
  newDatabase(prefix?: string): Promise<string>;
  /** Everything the server printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

function program(name: string): string {
  const path = join(BIN_DIR, name);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`PostgreSQL 15 program ${path} is not installed: install the Debian package 'postgresql' (bash scripts/install-peers.sh)`);
  }
  return path;
}

/** uid/gid of the `postgres` OS user when we are root (PostgreSQL will not run as root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error('running as root and there is no `postgres` OS user to run PostgreSQL as (Debian package postgresql creates it)');
  return { uid, gid };
}

let databaseCounter = 0;

export interface StartPostgresOptions {
  /**
   * Keep PostgreSQL's production durability settings (fsync, synchronous_commit, full page
   * writes) instead of switching them off: for benchmarks that measure commit and WAL cost.
   */
  durable?: boolean;
  /** More postgresql.conf lines (e.g. log settings for a benchmark that reads the log). */
  settings?: string[];
  /** How much of PostgreSQL's output `output()` keeps (default 64 KiB). */
  outputBytes?: number;
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresPeer> {
  const initdb = program('initdb');
  const postgres = program('postgres');
  const tmp = makeTempDir('postgres');
  const user = runAs();
  if (user) chownSync(tmp.path, user.uid, user.gid);
  const dataDir = join(tmp.path, 'data');
  const init = spawnSync(initdb, ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
    encoding: 'utf8',
    ...(user ?? {}),
    timeout: 60_000,
  });
  if (init.status !== 0) {
    tmp.remove();
    throw new Error(`initdb failed (exit ${String(init.status)}): ${(init.stderr || init.stdout || String(init.error)).slice(-2000)}`);
  }
  const port = await freeTcpPort();
  writeFileSync(
    join(dataDir, 'postgresql.auto.conf'),
    [
      `listen_addresses = '${LOOPBACK}'`,
      `port = ${port}`,
      `unix_socket_directories = '${tmp.path}'`,
      // Tests only: a crash loses the cluster, which is thrown away anyway.
      ...(options.durable ? [] : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']),
      'shared_buffers = 32MB',
      'max_connections = 100',
      "log_min_messages = 'warning'",
      ...(options.settings ?? []),
      '',
    ].join('\n'),
  );
  if (user) chownSync(join(dataDir, 'postgresql.auto.conf'), user.uid, user.gid);
  const child = spawn(postgres, ['-D', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) });
  let out = '';
  const append = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-(options.outputBytes ?? 64 * 1024));
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `postgres://postgres@${LOOPBACK}:${port}/postgres`;
  const stop = async () => {
    if (!exited) {
      child.kill('SIGINT'); // fast shutdown: disconnects clients, no checkpoint wait beyond the minimum
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) {
        child.kill('SIGKILL');
        await exit;
      }
    }
    tmp.remove();
  };
  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error(`postgres exited early with code ${String(child.exitCode)}`);
        const c = new pg.Client({ connectionString: url });
        c.on('error', () => undefined);
        try {
          await c.connect();
          await c.query('SELECT 1');
          return true;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      `postgres to accept connections on ${LOOPBACK}:${port}`,
      30_000,
      100,
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- postgres output ---\n${out.slice(-4000)}`);
  }
  return {
    url,
    port,
    dir: tmp.path,
    output: () => out,
    stop,
    async newDatabase(prefix = 'test') {
      const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${++databaseCounter}`;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@${LOOPBACK}:${port}/${name}`;
    },
  };
}
