import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgentToken, credentialsFile, CredentialVerifier } from '../../../server/broker/credentials.js';
import { mayPublish, maySubscribe, parseAgentUsername } from '../../../server/broker/acl.js';
import { makeTempDir } from '../../harness/peers.js';

const temps: { remove: () => void }[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) t.remove();
});

describe('agent credentials', () => {
  it('stores only a scrypt hash, verifies the token, and picks up a replaced token without restart', async () => {
    const tmp = makeTempDir('cred');
    temps.push(tmp);
    const token = await createAgentToken(tmp.path, { tenant: 'acme', agentId: 'a1' }, new Date('2026-01-05T08:00:00Z'));
    const stored = readFileSync(credentialsFile(tmp.path), 'utf8');
    expect(stored).not.toContain(token);
    expect(JSON.parse(stored)).toMatchObject({ agents: { 'acme/a1': { N: 32768, r: 8, p: 1, createdAt: '2026-01-05T08:00:00.000Z' } } });
    const verifier = new CredentialVerifier(tmp.path);
    expect(await verifier.verify('acme/a1', Buffer.from(token))).toBe(true);
    expect(await verifier.verify('acme/a1', Buffer.from(`${token}x`))).toBe(false);
    expect(await verifier.verify('acme/a2', Buffer.from(token))).toBe(false);
    expect(await verifier.verify('__proto__', Buffer.from(token))).toBe(false);
    await new Promise((r) => setTimeout(r, 20)); // a distinct mtime for the replaced file
    const replaced = await createAgentToken(tmp.path, { tenant: 'acme', agentId: 'a1' }, new Date());
    expect(await verifier.verify('acme/a1', Buffer.from(token))).toBe(false);
    expect(await verifier.verify('acme/a1', Buffer.from(replaced))).toBe(true);
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
