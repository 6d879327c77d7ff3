/**
 * `fleetdesk api-token create|list|revoke`, run in-process on a temp data dir (one tsx start-up
 * per case would make the suite slow), against the embedded store no server holds: list never
 * shows secrets, revoke refuses the last admin, --expires takes a duration or a date.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiTokenCommand, parseExpiry } from '../../../bin/commands/apiToken.js';
import { CliError } from '../../../bin/cliError.js';
import { API_TOKENS, ApiTokenVerifier, createApiToken, type StoredApiToken } from '../../../server/auth/apiTokens.js';
import { withTokenStore } from '../../../server/auth/tokenStore.js';
import { ServerConfig } from '../../../server/serverConfig.js';
import { makeTempDir } from '../../harness/peers.js';

let dir: ReturnType<typeof makeTempDir>;
let out = '';

beforeEach(() => {
  dir = makeTempDir('api-token-cli');
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  dir.remove();
});

/** The embedded store of the temp data dir, opened as the CLI opens it. */
function onStore<T>(work: Parameters<typeof withTokenStore<T>>[1]): Promise<T> {
  return withTokenStore(ServerConfig.parse({ dataDir: dir.path }), work);
}

async function cli(...args: string[]): Promise<string> {
  out = '';
  await apiTokenCommand().parseAsync([...args, '--data-dir', dir.path], { from: 'user' });
  return out;
}

describe('fleetdesk api-token', () => {
  it('creates, lists (no secrets, with state) and revokes; the revoked token no longer verifies', async () => {
    const admin = (await cli('create', '--role', 'admin', '--name', 'boss')).split('\n')[1]!;
    const created = await cli('create', '--role', 'customer', '--customer', 'acme', '--name', 'acme-portal', '--expires', '30d');
    const token = created.split('\n')[1]!;
    expect(token).toMatch(/^fdk_/);
    const id = /API token (\S+) /.exec(created)![1]!;
    expect(created).toMatch(/expires \d{4}-\d{2}-\d{2}T/);

    const table = await cli('list');
    expect(table).toMatch(/^ID\s+NAME\s+ROLE\s+CUSTOMER\s+CREATED\s+EXPIRES\s+STATE/);
    expect(table).toContain(id);
    expect(table).toMatch(new RegExp(`${id}\\s+acme-portal\\s+customer\\s+acme\\s+\\S+\\s+\\d{4}-.*\\s+active`));
    for (const secret of [admin, token]) expect(table).not.toContain(secret);
    const hashes = await onStore(async (repo) => (await repo.list<StoredApiToken>(API_TOKENS)).map((t) => t.sha256));
    expect(hashes).toHaveLength(2);
    for (const h of hashes) expect(table).not.toContain(h);

    expect(await onStore((repo) => new ApiTokenVerifier(repo, () => 0, 0).verify(token))).toMatchObject({ tokenId: id, role: 'customer', customerId: 'acme' });
    expect(await cli('revoke', id)).toContain(`revoked API token ${id}`);
    expect(await onStore((repo) => new ApiTokenVerifier(repo, () => 0, 0).verify(token))).toBeUndefined();

    const json = JSON.parse(await cli('list', '--json')) as Array<{ id: string; state: string; revokedBy: string | null }>;
    const row = json.find((t) => t.id === id);
    expect(row?.state).toBe('revoked');
    expect(row?.revokedBy).toMatch(/^cli:/);
    const active = JSON.parse(await cli('list', '--json', '--state', 'active')) as Array<{ id: string }>;
    expect(active.map((t) => t.id)).not.toContain(id);

    await expect(cli('revoke', id)).rejects.toThrow(/already revoked/);
    await expect(cli('revoke', 'no-such-id')).rejects.toThrow(/no API token "no-such-id"/);
  });

  it('never revokes the last active admin token', async () => {
    const made = await onStore((repo) => createApiToken(repo, { role: 'admin', name: 'only', customerId: null }, new Date()));
    const err = await cli('revoke', made.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toContain('last active admin token');
    await cli('create', '--role', 'admin', '--name', 'second');
    expect(await cli('revoke', made.id)).toContain('revoked');
  });

  it('rejects bad input with the flag at fault and exit code 2', async () => {
    for (const [args, pattern] of [
      [['create', '--role', 'customer'], /--customer: /],
      [['create', '--role', 'wizard'], /--role: expected one of/],
      [['create', '--role', 'technician', '--expires', 'someday'], /--expires: expected a duration/],
      [['create', '--role', 'technician', '--expires', '2001-01-01'], /--expires: .*in the future/],
      [['list', '--state', 'sleeping'], /--state: expected one of active, expired, revoked/],
    ] as const) {
      const err = await cli(...args).catch((e: unknown) => e);
      expect(err, args.join(' ')).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
      expect((err as CliError).message).toMatch(pattern);
    }
  });

  it('parses --expires as a duration from now or an ISO date/instant', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    expect(parseExpiry('90d', now)).toBe('2026-05-30T10:00:00.000Z');
    expect(parseExpiry('12h', now)).toBe('2026-03-01T22:00:00.000Z');
    expect(parseExpiry('2027-01-31', now)).toBe('2027-01-31T00:00:00.000Z');
    expect(parseExpiry('2027-01-31T12:30:00+01:00', now)).toBe('2027-01-31T11:30:00.000Z');
    expect(() => parseExpiry('0d', now)).toThrow(CliError);
    expect(() => parseExpiry('2027-13-45', now)).toThrow(CliError);
  });
});
