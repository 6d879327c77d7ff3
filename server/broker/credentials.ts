/**
 * Per-agent MQTT credentials issued by the server (`fleetdesk agent-token create`, or POST
 * /api/v1/agent-credentials). The username is "<tenant>/<agentId>", the password a random 256-bit
 * token shown once; only a scrypt hash (random salt) is stored, as a record of the collection
 * `agentCredentials` in the server's store, so the embedded broker of every instance on one store
 * accepts it. A revocation deletes the record.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, createHash } from 'node:crypto';
import { promisify } from 'node:util';
import type { Repository } from '../storage/repository.js';
import { agentUsername, type AgentIdentity } from './acl.js';

/** The store collection of agent credentials (id: the username "<tenant>/<agentId>"). */
export const AGENT_CREDENTIALS = 'agentCredentials';

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

async function hashToken(token: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return scrypt(token, salt, SCRYPT.keylen, { ...params, maxmem: 128 * params.N * params.r * 2 });
}

/** Creates (or replaces) the token of one agent; returns the token, which is never stored. */
export async function createAgentToken(repo: Pick<Repository, 'transaction'>, who: AgentIdentity, now: Date): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const salt = randomBytes(16);
  // The key derivation runs before the unit of work, so no transaction waits for it.
  const hash = await hashToken(token, salt, SCRYPT);
  const record: StoredCredential = {
    tenant: who.tenant,
    agentId: who.agentId,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
    createdAt: now.toISOString(),
  };
  await repo.transaction((tx) => tx.put(AGENT_CREDENTIALS, agentUsername(who), record));
  return token;
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
/** How often the known-token path reads the stored credentials again. */
const RELOAD_EVERY_MS = 1000;
const WAITING_MAX = 64;

/**
 * Verifies agent credentials against the store; caches successes (by a hash of the token, tied to
 * the stored hash it matched) to spare reconnect storms. An unknown username costs the same
 * scrypt as a known one, so the answer time does not tell whether a username exists.
 */
export class CredentialVerifier {
  private agents = new Map<string, StoredCredential>();
  /** username → "<stored hash>:<sha256 of the token that matched it>". */
  private readonly verified = new Map<string, string>();
  /** Hashed against when the username is unknown: same cost, never a match. */
  private readonly decoy = { salt: randomBytes(16), hash: randomBytes(SCRYPT.keylen) };
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  private checkedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  /** `now` (ms) spaces the reads of the store: one a second, not one per login attempt. */
  constructor(
    private readonly repo: Pick<Repository, 'get' | 'list'>,
    private readonly now: () => number = () => Number.NaN,
  ) {}

  /**
   * Reads the stored credentials, at most once a second (the cheap path every login attempt takes
   * must not turn a flood into store reads), or at once after invalidate().
   */
  private async reload(): Promise<void> {
    const now = this.now();
    if (now - this.checkedAt < RELOAD_EVERY_MS) return;
    this.loading ??= (async () => {
      try {
        const list = await this.repo.list<StoredCredential>(AGENT_CREDENTIALS);
        this.agents = new Map(list.map((c) => [agentUsername(c), c]));
        this.checkedAt = now;
      } finally {
        this.loading = undefined;
      }
    })();
    await this.loading;
  }

  /** The next login reads the store (a credential changed here or, said the cluster bus, elsewhere). */
  invalidate(): void {
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private static fingerprint(cred: StoredCredential, password: Buffer): string {
    return `${cred.hash}:${createHash('sha256').update(password).digest('base64')}`;
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
   * True when this exact token was verified for this username before and its credential is still
   * the stored one: the agent reconnecting, let in without a scrypt and without asking the login
   * throttle.
   */
  async knownToken(username: string, password: Buffer): Promise<boolean> {
    // A token revoked less than a second ago may still pass here once; verify() always reads afresh.
    await this.reload();
    const cred = this.agents.get(username);
    return cred !== undefined && this.verified.get(username) === CredentialVerifier.fingerprint(cred, password);
  }

  async verify(username: string, password: Buffer): Promise<boolean> {
    const cred = await this.repo.get<StoredCredential>(AGENT_CREDENTIALS, username);
    if (cred && this.verified.get(username) === CredentialVerifier.fingerprint(cred, password)) return true;
    const expected = cred ? Buffer.from(cred.hash, 'base64') : this.decoy.hash;
    const actual = await this.hashLimited(password.toString('utf8'), cred ? Buffer.from(cred.salt, 'base64') : this.decoy.salt, cred ?? SCRYPT);
    const ok = cred !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected);
    if (ok) this.verified.set(username, CredentialVerifier.fingerprint(cred, password));
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

export async function listAgentCredentials(repo: Pick<Repository, 'list'>): Promise<AgentCredentialInfo[]> {
  return (await repo.list<StoredCredential>(AGENT_CREDENTIALS))
    .map((c) => ({ username: agentUsername(c), tenant: c.tenant, agentId: c.agentId, createdAt: c.createdAt }))
    .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
}

/**
 * Removes the token of one agent; false when it had none. Every instance's broker refuses the
 * agent's next connection attempt (within a second: CredentialVerifier); a session already open
 * stays open.
 */
export async function revokeAgentToken(repo: Pick<Repository, 'transaction'>, who: AgentIdentity): Promise<boolean> {
  return repo.transaction(async (tx) => {
    const key = agentUsername(who);
    if (!(await tx.get(AGENT_CREDENTIALS, key))) return false;
    await tx.delete(AGENT_CREDENTIALS, key);
    return true;
  });
}
