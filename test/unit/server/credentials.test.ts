import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_CREDENTIALS, createAgentToken, CredentialVerifier, listAgentCredentials, revokeAgentToken } from '../../../server/broker/credentials.js';
import { mayPublish, maySubscribe, parseAgentUsername } from '../../../server/broker/acl.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { makeTempDir } from '../../harness/peers.js';

const temps: { remove: () => void }[] = [];
const stores: JournaledStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const t of temps.splice(0)) t.remove();
});

async function tempStore(): Promise<{ store: JournaledStore; dir: string }> {
  const tmp = makeTempDir('cred');
  temps.push(tmp);
  const store = new JournaledStore({ dir: join(tmp.path, 'store') });
  await store.open();
  stores.push(store);
  return { store, dir: join(tmp.path, 'store') };
}

/** Every byte the store wrote (journal, snapshot). */
function storeBytes(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n');
}

describe('agent credentials', () => {
  it('stores only a scrypt hash, verifies the token, and picks up a replaced token without restart', async () => {
    const { store, dir } = await tempStore();
    const token = await createAgentToken(store, { tenant: 'acme', agentId: 'a1' }, new Date('2026-01-05T08:00:00Z'));
    expect(storeBytes(dir)).not.toContain(token);
    expect(await store.get(AGENT_CREDENTIALS, 'acme/a1')).toMatchObject({ N: 32768, r: 8, p: 1, createdAt: '2026-01-05T08:00:00.000Z' });
    expect(await listAgentCredentials(store)).toEqual([{ username: 'acme/a1', tenant: 'acme', agentId: 'a1', createdAt: '2026-01-05T08:00:00.000Z' }]);
    const verifier = new CredentialVerifier(store, () => 0);
    expect(await verifier.verify('acme/a1', Buffer.from(token))).toBe(true);
    expect(await verifier.verify('acme/a1', Buffer.from(`${token}x`))).toBe(false);
    expect(await verifier.verify('acme/a2', Buffer.from(token))).toBe(false);
    expect(await verifier.verify('__proto__', Buffer.from(token))).toBe(false);
    const replaced = await createAgentToken(store, { tenant: 'acme', agentId: 'a1' }, new Date());
    expect(await verifier.verify('acme/a1', Buffer.from(token))).toBe(false);
    expect(await verifier.verify('acme/a1', Buffer.from(replaced))).toBe(true);
  });

  it('lets a known token back in without a key derivation until it is revoked (within the re-read interval, at once when invalidated)', async () => {
    const { store } = await tempStore();
    let now = 0;
    const verifier = new CredentialVerifier(store, () => now);
    const token = await createAgentToken(store, { tenant: 'acme', agentId: 'a1' }, new Date());
    expect(await verifier.knownToken('acme/a1', Buffer.from(token))).toBe(false);
    expect(await verifier.verify('acme/a1', Buffer.from(token))).toBe(true);
    expect(await verifier.knownToken('acme/a1', Buffer.from(token))).toBe(true);
    expect(await verifier.knownToken('acme/a1', Buffer.from(`${token}x`))).toBe(false);
    expect(await revokeAgentToken(store, { tenant: 'acme', agentId: 'a1' })).toBe(true);
    expect(await revokeAgentToken(store, { tenant: 'acme', agentId: 'a1' })).toBe(false);
    // The full check reads the store every time.
    expect(await verifier.verify('acme/a1', Buffer.from(token))).toBe(false);
    now += 1000;
    expect(await verifier.knownToken('acme/a1', Buffer.from(token))).toBe(false);

    const again = await createAgentToken(store, { tenant: 'acme', agentId: 'a1' }, new Date());
    expect(await verifier.verify('acme/a1', Buffer.from(again))).toBe(true);
    await revokeAgentToken(store, { tenant: 'acme', agentId: 'a1' });
    verifier.invalidate();
    expect(await verifier.knownToken('acme/a1', Buffer.from(again))).toBe(false);
  });
});

describe('agent ACL', () => {
  const who = { tenant: 'acme', agentId: 'a1' };
  it('lets an agent publish only its own status and device topics', () => {
    expect(mayPublish(who, 'fleetdesk/v1/acme/a1/status').allowed).toBe(true);
    expect(mayPublish(who, 'fleetdesk/v1/acme/a1/devices/p1/events').allowed).toBe(true);
    expect(mayPublish(who, 'fleetdesk/v1/acme/a2/status')).toMatchObject({ allowed: false, why: expect.stringContaining('acme/a2') as string });
    expect(mayPublish(who, 'fleetdesk/v1/globex/a1/status').allowed).toBe(false);
    expect(mayPublish(who, 'fleetdesk/v1/acme/a1/commands').allowed).toBe(false);
    expect(mayPublish(who, '$SYS/broker').allowed).toBe(false);
  });
  it('lets an agent subscribe only to its own commands', () => {
    expect(maySubscribe(who, 'fleetdesk/v1/acme/a1/commands').allowed).toBe(true);
    expect(maySubscribe(who, 'fleetdesk/v1/acme/+/commands').allowed).toBe(false);
    expect(maySubscribe(who, 'fleetdesk/v1/#').allowed).toBe(false);
  });
  it('parses usernames of the form tenant/agent only', () => {
    expect(parseAgentUsername('acme/a1')).toEqual(who);
    expect(parseAgentUsername('acme')).toBeUndefined();
    expect(parseAgentUsername('acme/a1/x')).toBeUndefined();
    expect(parseAgentUsername('acme/+')).toBeUndefined();
  });
});
