/**
 * API tokens through the API: list without secrets, create with an expiry, revoke with immediate
 * effect (requests and open event streams, also for revocations made in the store by the CLI or
 * another instance),
 * expiry, and the last-admin guard.
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKENS, createApiToken, revokeApiToken, type StoredApiToken } from '../../../server/auth/apiTokens.js';
import { waitUntil } from '../../harness/peers.js';
import { makeApiKit, type ApiKit } from './apiTestKit.js';

let kit: ApiKit;
const open: IncomingMessage[] = [];

interface TokenRow {
  id: string;
  name: string;
  role: string;
  customerId: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  state: string;
}

beforeAll(async () => {
  kit = await makeApiKit();
});
afterAll(async () => {
  for (const res of open) res.destroy();
  await kit.close();
});

/** Opens the event stream and collects what arrives until it ends. */
const stream = (token: string) =>
  new Promise<{ res: IncomingMessage; text: () => string; ended: () => boolean }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: kit.app.server.httpPort, path: '/api/v1/events', headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      let ended = false;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => (ended = true));
      res.on('close', () => (ended = true));
      open.push(res);
      resolve({ res, text: () => text, ended: () => ended });
    });
    req.on('error', reject);
    req.end();
  });

describe('API tokens (admin)', () => {
  it('lists tokens without secrets or hashes, with filters and pagination', async () => {
    const res = await kit.call('GET', '/api/v1/api-tokens?limit=500');
    expect(res.statusCode).toBe(200);
    const page = kit.json<{ items: TokenRow[]; total: number }>(res);
    expect(page.items.map((t) => t.name).sort()).toEqual(['acme-viewer', 'admin', 'disp', 'globex-viewer', 'ola', 'tomek']);
    const hashes = (await kit.app.server.repo.list<StoredApiToken>(API_TOKENS)).map((t) => t.sha256);
    expect(hashes.length).toBeGreaterThanOrEqual(6);
    for (const h of hashes) expect(res.body).not.toContain(h);
    for (const token of Object.values(kit.tokens)) expect(res.body).not.toContain(token);
    const customers = kit.json<{ items: TokenRow[] }>(await kit.call('GET', '/api/v1/api-tokens?role=customer&customer=acme'));
    expect(customers.items.map((t) => t.name)).toEqual(['acme-viewer']);
    const paged = kit.json<{ items: TokenRow[]; nextOffset: number | null }>(await kit.call('GET', '/api/v1/api-tokens?limit=2&offset=1'));
    expect(paged.items).toHaveLength(2);
    expect(paged.nextOffset).toBe(3);
    expect(kit.json(await kit.call('GET', '/api/v1/api-tokens?state=gone'))).toMatchObject({ statusCode: 400, field: 'querystring.state' });
  });

  it('creates a token (secret only in the response) and checks the role/customer rule and the expiry', async () => {
    const res = await kit.call('POST', '/api/v1/api-tokens', kit.tokens.admin, {
      role: 'customer',
      name: 'acme-portal',
      customerId: 'acme',
      expiresAt: '2026-02-01T00:00:00Z',
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = kit.json<TokenRow & { token: string }>(res);
    expect(created).toMatchObject({ role: 'customer', customerId: 'acme', expiresAt: '2026-02-01T00:00:00.000Z', state: 'active' });
    expect((await kit.call('GET', '/api/v1/me', created.token)).statusCode).toBe(200);
    expect((await kit.call('GET', '/api/v1/api-tokens')).body).not.toContain(created.token);
    expect(JSON.stringify(await kit.app.server.repo.list(API_TOKENS))).not.toContain(created.token);

    const noCustomer = await kit.call('POST', '/api/v1/api-tokens', kit.tokens.admin, { role: 'customer', name: 'x' });
    expect(kit.json(noCustomer)).toMatchObject({ statusCode: 400, field: 'body.customerId' });
    const past = await kit.call('POST', '/api/v1/api-tokens', kit.tokens.admin, { role: 'technician', name: 'x', expiresAt: '2025-12-31T00:00:00Z' });
    expect(kit.json(past)).toMatchObject({ statusCode: 400, field: 'body.expiresAt' });
    const notADate = await kit.call('POST', '/api/v1/api-tokens', kit.tokens.admin, { role: 'technician', name: 'x', expiresAt: 'tomorrow' });
    expect(kit.json(notADate)).toMatchObject({ statusCode: 400, field: 'body.expiresAt' });
  });

  it('an expired token is refused (401) and listed as expired', async () => {
    const res = await kit.call('POST', '/api/v1/api-tokens', kit.tokens.admin, {
      role: 'technician',
      name: 'shortlived',
      expiresAt: new Date(kit.clock.now() + 60_000).toISOString(),
    });
    const t = kit.json<TokenRow & { token: string }>(res);
    expect((await kit.call('GET', '/api/v1/me', t.token)).statusCode).toBe(200);
    kit.clock.advance(61_000);
    expect((await kit.call('GET', '/api/v1/me', t.token)).statusCode).toBe(401);
    const row = kit.json<{ items: TokenRow[] }>(await kit.call('GET', '/api/v1/api-tokens?state=expired')).items.find((x) => x.id === t.id);
    expect(row?.state).toBe('expired');
  });

  it('revokes at once: the next request is refused and open event streams of the token are closed', async () => {
    const created = kit.json<TokenRow & { token: string }>(
      await kit.call('POST', '/api/v1/api-tokens', kit.tokens.admin, { role: 'dispatcher', name: 'leaving' }),
    );
    const other = await stream(kit.tokens.dispatcher);
    const victim = await stream(created.token);
    // A stream token obtained before the revocation must not open a stream after it either.
    const grant = kit.json<{ token: string }>(await kit.call('POST', '/api/v1/events/token', created.token));
    await waitUntil(() => victim.text().includes(': connected') && other.text().includes(': connected'), 'both streams connected', 5000);

    const res = await kit.call('DELETE', `/api/v1/api-tokens/${created.id}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(kit.json(res)).toMatchObject({ id: created.id, state: 'revoked', revokedBy: 'admin' });
    expect((await kit.call('GET', '/api/v1/me', created.token)).statusCode).toBe(401);
    await waitUntil(() => victim.ended(), "the revoked token's stream closed", 5000);
    expect(victim.text()).toContain('token revoked');
    expect(other.ended()).toBe(false);
    expect((await kit.call('GET', `/api/v1/events?token=${grant.token}`, null)).statusCode).toBe(401);

    expect(kit.json(await kit.call('DELETE', `/api/v1/api-tokens/${created.id}`))).toMatchObject({ statusCode: 409, code: 'CONFLICT' });
    expect((await kit.call('DELETE', '/api/v1/api-tokens/no-such-token')).statusCode).toBe(404);
  });

  it('closes the streams of a token revoked in the store (CLI, another instance) on the next sweep', async () => {
    const made = await createApiToken(kit.app.server.repo, { role: 'technician', name: 'cli-revoked', customerId: null }, new Date(kit.clock.now()));
    // Made behind the server's back: an unknown token makes it read the store at once.
    expect((await kit.call('GET', '/api/v1/me', made.token)).statusCode).toBe(200);
    const s = await stream(made.token);
    await waitUntil(() => s.text().includes(': connected'), 'stream connected', 5000);
    const r = await revokeApiToken(kit.app.server.repo, made.id, new Date(kit.clock.now()), 'cli:test');
    expect(r.outcome).toBe('revoked');
    // The sweep runs on the server's (manual) clock every 5 s.
    kit.clock.advance(5_000);
    await waitUntil(() => s.ended(), 'the stream of the token revoked in the store closed', 5000);
  });

  it('never revokes the last active admin token; customers and staff other than admin get 403', async () => {
    const list = kit.json<{ items: TokenRow[] }>(await kit.call('GET', '/api/v1/api-tokens?role=admin&state=active'));
    expect(list.items.map((t) => t.id)).toEqual(['bootstrap-admin']);
    const res = await kit.call('DELETE', '/api/v1/api-tokens/bootstrap-admin');
    expect(res.statusCode).toBe(409);
    expect(kit.json<{ message: string }>(res).message).toContain('last active admin token');
    expect((await kit.call('GET', '/api/v1/me')).statusCode).toBe(200);
    for (const who of ['dispatcher', 'tech', 'acme'] as const) {
      expect((await kit.call('GET', '/api/v1/api-tokens', kit.tokens[who])).statusCode, who).toBe(403);
      expect((await kit.call('DELETE', '/api/v1/api-tokens/bootstrap-admin', kit.tokens[who])).statusCode, who).toBe(403);
    }
  });
});
