/** API tokens (hashed storage, bootstrap admin), the failure limiter, stream tokens, the CLI. */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { adminTokenFile, ApiTokenVerifier, apiTokensFile, createApiToken, ensureAdminToken } from '../../../server/auth/apiTokens.js';
import { AuthFailureLimiter } from '../../../server/auth/authFailureLimiter.js';
import { StreamTokens } from '../../../server/api/streamTokens.js';
import { makeTempDir } from '../../harness/peers.js';
import { REPO_ROOT } from '../../harness/repo.js';
import { makeApiKit, type ApiKit } from './apiTestKit.js';

const temps: Array<{ remove(): void }> = [];
const temp = () => {
  const t = makeTempDir('auth');
  temps.push(t);
  return t.path;
};
let kit: ApiKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
  for (const t of temps.splice(0)) t.remove();
});

const NOW = new Date('2026-01-05T08:00:00Z');

describe('API tokens', () => {
  it('stores only a hash and resolves the token to its role and customer', async () => {
    const dir = temp();
    const { token, id } = await createApiToken(dir, { role: 'customer', name: 'jan', customerId: 'acme' }, NOW);
    const stored = readFileSync(apiTokensFile(dir), 'utf8');
    expect(stored).not.toContain(token);
    expect(stored).toContain(id);
    const verifier = new ApiTokenVerifier(dir, () => 0);
    expect(await verifier.verify(token)).toEqual({ tokenId: id, name: 'jan', role: 'customer', customerId: 'acme' });
    expect(await verifier.verify(`${token}x`)).toBeUndefined();
  });

  it('sees tokens created later by another process once the recheck interval passed', async () => {
    const dir = temp();
    let t = 0;
    const verifier = new ApiTokenVerifier(dir, () => t, 1000);
    const first = await createApiToken(dir, { role: 'admin', name: 'a', customerId: null }, NOW);
    expect(await verifier.verify(first.token)).toMatchObject({ role: 'admin' });
    const second = await createApiToken(dir, { role: 'dispatcher', name: 'd', customerId: null }, NOW);
    t = 1001;
    expect(await verifier.verify(second.token)).toMatchObject({ role: 'dispatcher', name: 'd' });
  });

  it('refuses inconsistent token specs, naming the field', async () => {
    const dir = temp();
    await expect(createApiToken(dir, { role: 'customer', name: 'x', customerId: null }, NOW)).rejects.toThrow(ZodError);
    await expect(createApiToken(dir, { role: 'admin', name: 'x', customerId: 'acme' }, NOW)).rejects.toThrow(/customerId/);
    await expect(createApiToken(dir, { role: 'root' as never, name: 'x', customerId: null }, NOW)).rejects.toThrow(/role/);
  });

  it('generates the bootstrap admin token once, in an owner-only file', async () => {
    const dir = temp();
    const first = await ensureAdminToken(dir, {}, NOW);
    expect(first).toEqual({ source: 'generated', file: adminTokenFile(dir) });
    expect(statSync(adminTokenFile(dir)).mode & 0o777).toBe(0o600);
    const token = readFileSync(adminTokenFile(dir), 'utf8').trim();
    expect(readFileSync(apiTokensFile(dir), 'utf8')).not.toContain(token);
    expect(await new ApiTokenVerifier(dir, () => 0).verify(token)).toMatchObject({ role: 'admin' });
    expect(await ensureAdminToken(dir, {}, NOW)).toEqual({ source: 'existing', file: adminTokenFile(dir) });
    expect(readFileSync(adminTokenFile(dir), 'utf8').trim()).toBe(token);
  });

  it('takes the admin token from FLEETDESK_ADMIN_TOKEN and rejects a short one', async () => {
    const dir = temp();
    const env = { FLEETDESK_ADMIN_TOKEN: 'a-long-enough-random-admin-secret-123' };
    expect(await ensureAdminToken(dir, env, NOW)).toEqual({ source: 'env' });
    expect(await new ApiTokenVerifier(dir, () => 0).verify(env.FLEETDESK_ADMIN_TOKEN)).toMatchObject({ role: 'admin', tokenId: 'bootstrap-admin' });
    expect(() => statSync(adminTokenFile(dir))).toThrow();
    await expect(ensureAdminToken(dir, { FLEETDESK_ADMIN_TOKEN: 'short' }, NOW)).rejects.toThrow(/at least 24 characters/);
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
  it('are single-use and expire', () => {
    let now = 0;
    const tokens = new StreamTokens(() => now, 60_000);
    const p = { tokenId: 't', name: 'n', role: 'admin' as const, customerId: null };
    const a = tokens.issue(p);
    expect(tokens.take(a.token)).toEqual(p);
    expect(tokens.take(a.token)).toBeUndefined();
    const b = tokens.issue(p);
    now = 60_000;
    expect(tokens.take(b.token)).toBeUndefined();
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

  it('a token created with the CLI works against the running server', async () => {
    kit = await makeApiKit();
    const r = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'fleetdesk.mjs'), 'api-token', 'create', '--role', 'technician', '--name', 'marek', '--data-dir', kit.dir],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const token = r.stdout.split('\n').find((l) => l.startsWith('fdk_'))!;
    expect(token).toBeDefined();
    // The server re-reads the token file at most once a second (wall clock): poll for up to 1.5 s,
    // fewer failures than the limiter allows.
    let res = await kit.call('GET', '/api/v1/me', token);
    for (let i = 0; i < 15 && res.statusCode !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      res = await kit.call('GET', '/api/v1/me', token);
    }
    expect(kit.json(res)).toMatchObject({ role: 'technician', name: 'marek' });
    const bad = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'fleetdesk.mjs'), 'api-token', 'create', '--role', 'customer', '--data-dir', kit.dir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--customer');
  });
});
