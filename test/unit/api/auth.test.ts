/** API tokens (hashed storage, bootstrap admin), the failure limiter, stream tokens, the CLI. */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { adminTokenFile, ApiTokenVerifier, createApiToken, ensureAdminToken, listApiTokens, revokeApiToken } from '../../../server/auth/apiTokens.js';
import { listAgentCredentials } from '../../../server/broker/credentials.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { AuthFailureLimiter } from '../../../server/auth/authFailureLimiter.js';
import { STREAM_TOKENS, StreamTokens } from '../../../server/api/streamTokens.js';
import { makeTempDir, waitUntil } from '../../harness/peers.js';
import { REPO_ROOT } from '../../harness/repo.js';
import { ADMIN_TOKEN, makeApiKit, type ApiKit } from './apiTestKit.js';

const temps: Array<{ remove(): void }> = [];
const temp = () => {
  const t = makeTempDir('auth');
  temps.push(t);
  return t.path;
};
const stores: JournaledStore[] = [];
let kit: ApiKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
  for (const s of stores.splice(0)) await s.close();
  for (const t of temps.splice(0)) t.remove();
});

const NOW = new Date('2026-01-05T08:00:00Z');

async function tempStore(): Promise<{ store: JournaledStore; dir: string }> {
  const dir = temp();
  const store = new JournaledStore({ dir: join(dir, 'store') });
  await store.open();
  stores.push(store);
  return { store, dir };
}

/** Every byte the store wrote (journal, snapshot). */
function storeBytes(dir: string): string {
  return readdirSync(join(dir, 'store'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n');
}

describe('API tokens', () => {
  it('stores only a hash and resolves the token to its role and customer', async () => {
    const { store, dir } = await tempStore();
    const { token, id } = await createApiToken(store, { role: 'customer', name: 'jan', customerId: 'acme' }, NOW);
    const stored = storeBytes(dir);
    expect(stored).not.toContain(token);
    expect(stored).toContain(id);
    const verifier = new ApiTokenVerifier(store, () => 0);
    expect(await verifier.verify(token)).toEqual({ tokenId: id, name: 'jan', role: 'customer', customerId: 'acme' });
    expect(await verifier.verify(`${token}x`)).toBeUndefined();
  });

  it('sees a token created elsewhere at once, and a revocation made elsewhere after the recheck interval or at once when invalidated', async () => {
    const { store } = await tempStore();
    let t = 0;
    const verifier = new ApiTokenVerifier(
      store,
      () => t,
      1000,
      () => NOW.getTime(),
    );
    const first = await createApiToken(store, { role: 'admin', name: 'a', customerId: null }, NOW);
    expect(await verifier.verify(first.token)).toMatchObject({ role: 'admin' });
    // Not yet in the copy: read again at once, no waiting for the interval.
    const second = await createApiToken(store, { role: 'dispatcher', name: 'd', customerId: null }, NOW);
    expect(await verifier.verify(second.token)).toMatchObject({ role: 'dispatcher', name: 'd' });
    expect(await verifier.principalOf(second.id)).toMatchObject({ role: 'dispatcher' });

    expect(await revokeApiToken(store, second.id, NOW, 'other-instance')).toMatchObject({ outcome: 'revoked' });
    expect(await verifier.verify(second.token)).toMatchObject({ role: 'dispatcher' });
    t = 1000;
    expect(await verifier.verify(second.token)).toBeUndefined();
    expect(await verifier.principalOf(second.id)).toBeUndefined();

    const third = await createApiToken(store, { role: 'technician', name: 'x', customerId: null }, NOW);
    expect(await verifier.verify(third.token)).toMatchObject({ role: 'technician' });
    await revokeApiToken(store, third.id, NOW, 'other-instance');
    verifier.invalidate();
    expect(await verifier.verify(third.token)).toBeUndefined();
  });

  it('does not take a read that started before a revocation for fresh', async () => {
    const { store } = await tempStore();
    const made = await createApiToken(store, { role: 'technician', name: 't', customerId: null }, NOW);
    // A store whose next listing is held back until released: the read in flight predates the revocation.
    let release: (() => void) | undefined;
    const slow = {
      list: async <T>(collection: string): Promise<T[]> => {
        const rows = await store.list<T>(collection);
        if (release === undefined) await new Promise<void>((r) => (release = r));
        return rows;
      },
    };
    const verifier = new ApiTokenVerifier(
      slow,
      () => 0,
      1000,
      () => NOW.getTime(),
    );
    const first = verifier.verify(made.token);
    await waitUntil(() => release !== undefined, 'the first read is in flight', 2000, 5);
    await revokeApiToken(store, made.id, NOW, 'admin');
    verifier.invalidate();
    const second = verifier.verify(made.token);
    release!();
    expect(await first).toMatchObject({ tokenId: made.id });
    expect(await second).toBeUndefined();
  });

  it('never revokes the last active admin token', async () => {
    const { store } = await tempStore();
    const only = await createApiToken(store, { role: 'admin', name: 'a', customerId: null }, NOW);
    expect(await revokeApiToken(store, only.id, NOW, 'me')).toMatchObject({ outcome: 'last-admin' });
    await createApiToken(store, { role: 'admin', name: 'b', customerId: null }, NOW);
    expect(await revokeApiToken(store, only.id, NOW, 'me')).toMatchObject({ outcome: 'revoked', token: { revokedBy: 'me', state: 'revoked' } });
    expect(await revokeApiToken(store, only.id, NOW, 'me')).toMatchObject({ outcome: 'already-revoked' });
    expect(await revokeApiToken(store, 'nope', NOW, 'me')).toEqual({ outcome: 'not-found' });
    expect((await listApiTokens(store, NOW)).map((t) => [t.name, t.state])).toEqual([
      ['a', 'revoked'],
      ['b', 'active'],
    ]);
  });

  it('refuses inconsistent token specs, naming the field', async () => {
    const { store } = await tempStore();
    await expect(createApiToken(store, { role: 'customer', name: 'x', customerId: null }, NOW)).rejects.toThrow(ZodError);
    await expect(createApiToken(store, { role: 'admin', name: 'x', customerId: 'acme' }, NOW)).rejects.toThrow(/customerId/);
    await expect(createApiToken(store, { role: 'root' as never, name: 'x', customerId: null }, NOW)).rejects.toThrow(/role/);
  });

  it('generates the bootstrap admin token once, in an owner-only file; a second instance on the store keeps it', async () => {
    const { store, dir } = await tempStore();
    const first = await ensureAdminToken(store, dir, {}, NOW);
    expect(first).toEqual({ source: 'generated', file: adminTokenFile(dir) });
    expect(statSync(adminTokenFile(dir)).mode & 0o777).toBe(0o600);
    const token = readFileSync(adminTokenFile(dir), 'utf8').trim();
    expect(storeBytes(dir)).not.toContain(token);
    expect(await new ApiTokenVerifier(store, () => 0).verify(token)).toMatchObject({ role: 'admin' });
    expect(await ensureAdminToken(store, dir, {}, NOW)).toEqual({ source: 'existing', file: adminTokenFile(dir) });
    expect(readFileSync(adminTokenFile(dir), 'utf8').trim()).toBe(token);
    const otherDir = temp();
    expect(await ensureAdminToken(store, otherDir, {}, NOW)).toEqual({ source: 'other-instance' });
    expect(() => statSync(adminTokenFile(otherDir))).toThrow();
    expect(await new ApiTokenVerifier(store, () => 0).verify(token)).toMatchObject({ role: 'admin' });
  });

  it('takes the admin token from FLEETDESK_ADMIN_TOKEN and rejects a short one', async () => {
    const { store, dir } = await tempStore();
    const env = { FLEETDESK_ADMIN_TOKEN: 'a-long-enough-random-admin-secret-123' };
    expect(await ensureAdminToken(store, dir, env, NOW)).toEqual({ source: 'env' });
    expect(await new ApiTokenVerifier(store, () => 0).verify(env.FLEETDESK_ADMIN_TOKEN)).toMatchObject({ role: 'admin', tokenId: 'bootstrap-admin' });
    expect(() => statSync(adminTokenFile(dir))).toThrow();
    await expect(ensureAdminToken(store, dir, { FLEETDESK_ADMIN_TOKEN: 'short' }, NOW)).rejects.toThrow(/at least 24 characters/);
  });
});

describe('AuthFailureLimiter', () => {
  it('blocks an address after too many failures within the window, then lets it try again', () => {
    let now = 0;
    const l = new AuthFailureLimiter({ maxFailures: 3, windowMs: 60_000, maxTracked: 100, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterMs('10.0.0.1')).toBe(0);
      l.recordFailure('10.0.0.1');
    }
    expect(l.retryAfterMs('10.0.0.1')).toBe(60_000);
    expect(l.retryAfterMs('10.0.0.2')).toBe(0);
    now = 59_000;
    expect(l.retryAfterMs('10.0.0.1')).toBe(1_000);
    now = 60_000;
    expect(l.retryAfterMs('10.0.0.1')).toBe(0);
  });

  it('remembers at most maxTracked addresses, forgetting the least recent first', () => {
    const l = new AuthFailureLimiter({ maxFailures: 1, windowMs: 60_000, maxTracked: 2, now: () => 0 });
    l.recordFailure('a');
    l.recordFailure('b');
    l.recordFailure('c');
    expect(l.tracked).toBe(2);
    expect(l.retryAfterMs('a')).toBe(0);
    expect(l.retryAfterMs('c')).toBeGreaterThan(0);
  });
});

describe('StreamTokens', () => {
  it('are single-use across instances on one store, expire, and are pruned', async () => {
    const { store, dir } = await tempStore();
    let now = 0;
    const here = new StreamTokens(store, () => now, 60_000);
    const there = new StreamTokens(store, () => now, 60_000);
    const p = { tokenId: 't', name: 'n', role: 'admin' as const, customerId: null };
    const a = await here.issue(p);
    expect(storeBytes(dir)).not.toContain(a.token);
    expect(await there.take(a.token)).toBe('t');
    expect(await here.take(a.token)).toBeUndefined();
    const b = await here.issue(p);
    now = 60_000;
    expect(await there.take(b.token)).toBeUndefined();
    await here.issue(p);
    now = 120_000;
    const live = await here.issue(p);
    expect(await there.prune()).toBe(1);
    expect(await store.list(STREAM_TOKENS)).toHaveLength(1);
    expect(await here.take(live.token)).toBe('t');
  });
});

describe('through the API', () => {
  it('answers 429 with Retry-After once an address failed too often, also for a valid token', async () => {
    kit = await makeApiKit();
    let last = 0;
    for (let i = 0; i < 25 && last !== 429; i++) last = (await kit.call('GET', '/api/v1/me', `fdk_wrong-token-${String(i).padStart(30, '0')}`)).statusCode;
    expect(last).toBe(429);
    const blocked = await kit.call('GET', '/api/v1/me', kit.tokens.admin);
    expect(blocked.statusCode).toBe(429);
    expect(kit.json(blocked)).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    kit.clock.advance(60_000);
    expect((await kit.call('GET', '/api/v1/me', kit.tokens.admin)).statusCode).toBe(200);
  });

  it('the CLI works while the server holds the embedded store (through its API): a token it creates works at once', async () => {
    kit = await makeApiKit();
    const configFile = join(kit.dir, 'cli.yaml');
    writeFileSync(configFile, `# server.yaml\ndataDir: ${kit.dir}\nhttp:\n  port: ${kit.app.server.httpPort}\n`);
    // Asynchronous: the server answers from this process while the command runs.
    const cli = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(REPO_ROOT, 'bin', 'fleetdesk.mjs'), ...args, '--config', configFile],
          { encoding: 'utf8', timeout: 60_000, env: { ...process.env, FLEETDESK_ADMIN_TOKEN: ADMIN_TOKEN } },
          (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
        );
      });
    const r = await cli('api-token', 'create', '--role', 'technician', '--name', 'marek');
    expect(r.status, r.stderr).toBe(0);
    const token = r.stdout.split('\n').find((l) => l.startsWith('fdk_'))!;
    expect(token).toBeDefined();
    const res = await kit.call('GET', '/api/v1/me', token);
    expect(kit.json(res)).toMatchObject({ role: 'technician', name: 'marek' });
    const id = /API token (\S+) /.exec(r.stdout)![1]!;
    expect((await cli('api-token', 'list')).stdout).toMatch(new RegExp(`${id}\\s+marek\\s+technician`));
    const revoked = await cli('api-token', 'revoke', id);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect((await kit.call('GET', '/api/v1/me', token)).statusCode).toBe(401);
    const agent = await cli('agent-token', 'create', '--tenant', 'acme', '--agent', 'a9');
    expect(agent.status, agent.stderr).toBe(0);
    expect(agent.stdout).toMatch(/^password: \S{40,}$/m);
    expect((await listAgentCredentials(kit.app.server.repo)).map((c) => c.username)).toContain('acme/a9');
    const bad = await cli('api-token', 'create', '--role', 'customer');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--customer');
    // Five CLI start-ups (tsx) on a loaded machine.
  }, 120_000);
});
