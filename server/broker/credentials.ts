/**
 * Per-agent MQTT credentials issued by the server (`fleetdesk agent-token create`). The username
 * is "<tenant>/<agentId>", the password a random 256-bit token shown once; only a scrypt hash
 * (random salt) is stored, in <dataDir>/credentials.json, written atomically. The running server
 * re-reads the file when it changes, so a token created by the CLI works without a restart.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, createHash } from 'node:crypto';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DurableJsonFile } from '../storage/durableFile.js';
import { agentUsername, type AgentIdentity } from './acl.js';

const scrypt = promisify(scryptCb) as (
  password: string | Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** scrypt cost: N=2^15, r=8, p=1 (the OWASP baseline); ~32 MiB and tens of ms per check. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32 };

export interface StoredCredential {
  readonly tenant: string;
  readonly agentId: string;
  readonly salt: string;
  readonly hash: string;
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly createdAt: string;
}

interface CredentialFile {
  format: 1;
  agents: Record<string, StoredCredential>;
}

export function credentialsFile(dataDir: string): string {
  return join(dataDir, 'credentials.json');
}

async function hashToken(token: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return scrypt(token, salt, SCRYPT.keylen, { ...params, maxmem: 128 * params.N * params.r * 2 });
}

/** Serialises writers of a JSON file across processes (server, CLI) with a lock file next to it. */
export async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const h = await open(lock, 'wx', 0o600);
      await h.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 50) {
        throw new Error(`cannot lock ${lock}: ${(err as Error).message} (remove it if no other fleetdesk command is running)`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** Creates (or replaces) the token of one agent; returns the token, which is never stored. */
export async function createAgentToken(dataDir: string, who: AgentIdentity, now: Date): Promise<string> {
  const file = credentialsFile(dataDir);
  await mkdir(dirname(file), { recursive: true });
  return withLock(file, async () => {
    const adapter = new DurableJsonFile<CredentialFile>(file);
    const data = (await adapter.read()) ?? { format: 1, agents: {} };
    const token = randomBytes(32).toString('base64url');
    const salt = randomBytes(16);
    const hash = await hashToken(token, salt, SCRYPT);
    data.agents[agentUsername(who)] = {
      tenant: who.tenant,
      agentId: who.agentId,
      salt: salt.toString('base64'),
      hash: hash.toString('base64'),
      N: SCRYPT.N,
      r: SCRYPT.r,
      p: SCRYPT.p,
      createdAt: now.toISOString(),
    };
    await adapter.write(data);
    return token;
  });
}

/** Thrown when too many logins wait for a check: the client is told "server unavailable" and retries. */
export class VerifierBusyError extends Error {
  constructor(waiting: number) {
    super(`${waiting} logins already wait for a credential check`);
    this.name = 'VerifierBusyError';
  }
}

/**
 * scrypt runs on libuv's thread pool (4 threads), which also does the store's file writes and
 * fsyncs: unbounded parallel checks during a login flood held back every agent's acknowledgement.
 * Checks run at most this many at a time, and at most WAITING_MAX wait; more are refused at once.
 */
const CONCURRENT_CHECKS = 1;
/** How often the known-token path checks the credentials file for changes. */
const RELOAD_EVERY_MS = 1000;
const WAITING_MAX = 64;

/**
 * Verifies agent credentials against the file; caches successes (by a hash of the token) to spare
 * reconnect storms. An unknown username costs the same scrypt as a known one, so the answer time
 * does not tell whether a username exists.
 */
export class CredentialVerifier {
  private agents: Record<string, StoredCredential> = {};
  private loadedMtime = -1;
  private readonly verified = new Map<string, string>();
  /** Hashed against when the username is unknown: same cost, never a match. */
  private readonly decoy = { salt: randomBytes(16), hash: randomBytes(SCRYPT.keylen) };
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  private checkedAt = Number.NEGATIVE_INFINITY;

  /** `now` (ms) spaces the checks of the file: one stat a second, not one per login attempt. */
  constructor(
    private readonly dataDir: string,
    private readonly now: () => number = () => Number.NaN,
  ) {}

  /**
   * Re-reads the file when it changed. `spaced`: at most once a second (the cheap path every login
   * attempt takes must not turn a flood into stat() calls on the thread pool the store's fsyncs need).
   */
  private async reload(spaced = false): Promise<void> {
    const now = this.now();
    if (spaced && now - this.checkedAt < RELOAD_EVERY_MS) return;
    this.checkedAt = now;
    const file = credentialsFile(this.dataDir);
    let mtime: number;
    try {
      mtime = (await stat(file)).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.agents = {};
        this.loadedMtime = -1;
        return;
      }
      throw err;
    }
    if (mtime === this.loadedMtime) return;
    const data = await new DurableJsonFile<CredentialFile>(file).read();
    this.agents = data?.agents ?? {};
    this.loadedMtime = mtime;
    this.verified.clear();
  }

  /** True when this exact token was verified for this username before (no scrypt needed). */
  private cached(username: string, password: Buffer): boolean {
    return this.verified.get(username) === createHash('sha256').update(password).digest('base64');
  }

  private async hashLimited(token: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
    if (this.running >= CONCURRENT_CHECKS) {
      if (this.waiting.length >= WAITING_MAX) throw new VerifierBusyError(this.waiting.length);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running += 1;
    try {
      return await hashToken(token, salt, params);
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }

  /**
   * True when this exact token was verified for this username before and the file has not changed
   * since: the agent reconnecting, let in without a scrypt and without asking the login throttle.
   */
  async knownToken(username: string, password: Buffer): Promise<boolean> {
    // A token revoked less than a second ago may still pass here once; verify() always reads afresh.
    await this.reload(true);
    return Object.hasOwn(this.agents, username) && this.cached(username, password);
  }

  async verify(username: string, password: Buffer): Promise<boolean> {
    await this.reload();
    if (Object.hasOwn(this.agents, username) && this.cached(username, password)) return true;
    const cred = Object.hasOwn(this.agents, username) ? this.agents[username]! : undefined;
    const expected = cred ? Buffer.from(cred.hash, 'base64') : this.decoy.hash;
    const actual = await this.hashLimited(password.toString('utf8'), cred ? Buffer.from(cred.salt, 'base64') : this.decoy.salt, cred ?? SCRYPT);
    const ok = cred !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected);
    if (ok) this.verified.set(username, createHash('sha256').update(password).digest('base64'));
    return ok;
  }
}

/** Issued agent credentials without their hashes (for listings). */
export interface AgentCredentialInfo {
  readonly username: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly createdAt: string;
}

export async function listAgentCredentials(dataDir: string): Promise<AgentCredentialInfo[]> {
  const data = await new DurableJsonFile<CredentialFile>(credentialsFile(dataDir)).read();
  return Object.entries(data?.agents ?? {})
    .map(([username, c]) => ({ username, tenant: c.tenant, agentId: c.agentId, createdAt: c.createdAt }))
    .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
}

/**
 * Removes the token of one agent; false when it had none. The broker re-reads the file on the
 * next connection attempt, so the agent cannot reconnect; a session already open stays open.
 */
export async function revokeAgentToken(dataDir: string, who: AgentIdentity): Promise<boolean> {
  const file = credentialsFile(dataDir);
  return withLock(file, async () => {
    const adapter = new DurableJsonFile<CredentialFile>(file);
    const data = await adapter.read();
    const key = agentUsername(who);
    if (!data || !Object.hasOwn(data.agents, key)) return false;
    delete data.agents[key];
    await adapter.write(data);
    return true;
  });
}
