/**
 * Starting and stopping real peer programs (Debian packages) on free loopback ports.
 *
 * A peer that is not installed is a test failure naming the Debian package to install, never a
 * silent skip: `bash scripts/install-peers.sh` installs them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { accessSync, chmodSync, constants, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import snmp from 'net-snmp';

export const LOOPBACK = '127.0.0.1';

/** Absolute path of a program on PATH (or in the sbin folders), or an error naming its package. */
export function requireProgram(program: string, debPackage: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`peer program '${program}' is not installed: install the Debian package '${debPackage}' (bash scripts/install-peers.sh)`);
}

export function freeTcpPort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, host, () => {
      const port = sock.address().port;
      sock.close(() => resolve(port));
    });
  });
}

export function tcpAnswers(port: number, host = LOOPBACK, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/**
 * A `fleetdesk server` answers /readyz with 200: storage healthy and, with an external broker, its
 * subscription granted (before that, what agents publish matches no subscriber and the broker drops it).
 */
export async function serverReady(httpPort: number): Promise<boolean> {
  try {
    return (await fetch(`http://${LOOPBACK}:${httpPort}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200;
  } catch {
    return false;
  }
}

export async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
}

export function makeTempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `fleetdesk-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface PeerProcess {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL at once (crash tests). */
  kill(): Promise<void>;
}

export interface StartPeerOptions {
  name: string;
  program: string;
  debPackage: string;
  args: string[];
  port: number;
  /** Gets everything the process printed so far. */
  ready: (output: string) => Promise<boolean> | boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

export async function startPeer(options: StartPeerOptions): Promise<PeerProcess> {
  const path = requireProgram(options.program, options.debPackage);
  const child = spawn(path, options.args, { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const append = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const stopWith = async (signal: NodeJS.Signals) => {
    if (exited) return;
    child.kill(signal);
    const grace = new Promise<void>((r) => setTimeout(r, 3000));
    await Promise.race([exitPromise, grace]);
    if (!exited) {
      child.kill('SIGKILL');
      await exitPromise;
    }
  };
  const peer: PeerProcess = {
    name: options.name,
    port: options.port,
    child,
    output: () => out,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error(`${options.name} exited early with code ${child.exitCode}: ${out.trim().slice(-2000)}`);
        return options.ready(out);
      },
      `${options.name} to answer on port ${options.port}`,
      options.timeoutMs ?? 20_000,
    );
  } catch (err) {
    await peer.stop();
    throw new Error(`${(err as Error).message}\n--- ${options.name} output ---\n${out.slice(-4000)}`);
  }
  return peer;
}

export interface MosquittoOptions {
  /** Extra mosquitto.conf lines (e.g. password_file, acl_file). Anonymous access is on unless set. */
  extraConfig?: string[];
  allowAnonymous?: boolean;
}

export interface MosquittoPeer extends PeerProcess {
  readonly url: string;
  readonly dir: string;
}

/** Mosquitto 2 on a free loopback port, with persistence off and a private config. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoPeer> {
  const port = await freeTcpPort();
  const tmp = makeTempDir('mosquitto');
  const conf = join(tmp.path, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} ${LOOPBACK}`,
      `allow_anonymous ${options.allowAnonymous === false ? 'false' : 'true'}`,
      'persistence false',
      'log_dest stdout',
      'log_type error',
      'log_type warning',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const peer = await startPeer({
    name: 'mosquitto',
    program: 'mosquitto',
    debPackage: 'mosquitto',
    args: ['-c', conf],
    port,
    ready: () => tcpAnswers(port),
  });
  return {
    ...peer,
    url: `mqtt://${LOOPBACK}:${port}`,
    dir: tmp.path,
    stop: async () => {
      await peer.stop();
      tmp.remove();
    },
  };
}

export interface SnmpsimPeer extends PeerProcess {
  readonly host: string;
}

/**
 * snmpsimd serving a folder of .snmprec files; the SNMP community selects the file
 * (community "jetdirect" serves jetdirect.snmprec). snmpsimd does not answer unknown
 * communities, so readiness is its "Listening" line followed by one warm-up GET per recording
 * (which also builds its index, so the test's first request is not slow).
 */
export async function startSnmpsim(dataDir: string): Promise<SnmpsimPeer> {
  const port = await freeUdpPort();
  const tmp = makeTempDir('snmpsim');
  // snmpsimd refuses to run as root and drops to an unprivileged user: it must read the data
  // and write its index cache.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(tmp.path, 0o777);
    chmodSync(dataDir, 0o755);
    for (const f of readdirSync(dataDir)) chmodSync(join(dataDir, f), 0o644);
  }
  const args = [
    `--data-dir=${dataDir}`,
    `--agent-udpv4-endpoint=${LOOPBACK}:${port}`,
    `--cache-dir=${tmp.path}`,
    ...(asRoot ? ['--process-user=nobody', '--process-group=nogroup'] : []),
  ];
  const peer = await startPeer({
    name: 'snmpsimd',
    program: 'snmpsimd',
    debPackage: 'snmpsim',
    args,
    port,
    timeoutMs: 60_000,
    ready: (output) => output.includes('Listening at UDP/IPv4 endpoint'),
  });
  const communities = readdirSync(dataDir)
    .filter((f) => f.endsWith('.snmprec'))
    .map((f) => f.slice(0, -'.snmprec'.length));
  for (const community of communities) {
    await waitUntil(() => snmpAnswers(port, community), `snmpsimd to serve ${community}`, 30_000, 10);
  }
  return {
    ...peer,
    host: LOOPBACK,
    stop: async () => {
      await peer.stop();
      tmp.remove();
    },
  };
}

/** Any SNMP response (even "no such name") to a GET of sysDescr.0 means snmpsimd is serving. */
function snmpAnswers(port: number, community: string): Promise<boolean> {
  return new Promise((resolve) => {
    const session = snmp.createSession(LOOPBACK, community, { port, timeout: 1000, retries: 0, version: snmp.Version2c });
    session.on('error', () => undefined);
    session.get(['1.3.6.1.2.1.1.1.0'], (error: Error | null) => {
      session.close();
      resolve(error === null || error.name !== 'RequestTimedOutError');
    });
  });
}
