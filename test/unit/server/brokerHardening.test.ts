/** Pure parts of broker hardening: login throttle bookkeeping, the clock-skew window, client-id binding, the stop order. */
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../server/broker/loginThrottle.js';
import { agentClientIdAllowed } from '../../../server/broker/embeddedBroker.js';
import { boundTimestamps, MAX_CLOCK_SKEW_MS, olderThanStored } from '../../../server/fleet/clockSkew.js';
import { ShutdownSequence } from '../../../server/shutdownSequence.js';
import { createLogger } from '../../../shared/logging.js';
import { fault, raisedMsg, stateMsg, telemetryMsg } from './wireFixtures.js';

const settings = { windowMs: 60_000, maxFailuresPerAddress: 3, maxFailuresPerUsername: 2, maxPendingPerAddress: 2, maxTracked: 4 };

describe('login throttle', () => {
  it('refuses an address after its failures in the window, and lets it try again in the next window', () => {
    let now = 1_000_000;
    const t = new LoginThrottle(() => now, settings);
    for (let i = 0; i < 3; i++) {
      expect(t.check('10.0.0.9', `acme/x${i}`).allowed).toBe(true);
      t.failed('10.0.0.9', `acme/x${i}`, 'bad-credentials');
    }
    expect(t.check('10.0.0.9', 'acme/other')).toEqual({ allowed: false, why: 'too many failed logins from 10.0.0.9 in the last 60 s' });
    expect(t.check('10.0.0.10', 'acme/other').allowed).toBe(true);
    now += 60_000;
    expect(t.check('10.0.0.9', 'acme/other').allowed).toBe(true);
  });

  it('refuses a username guessed from many addresses', () => {
    const t = new LoginThrottle(() => 0, settings);
    t.failed('10.0.0.1', 'acme/a1', 'bad-credentials');
    t.failed('10.0.0.2', 'acme/a1', 'bad-credentials');
    expect(t.check('10.0.0.3', 'acme/a1')).toEqual({ allowed: false, why: 'too many failed logins as acme/a1 in the last 60 s' });
    expect(t.check('10.0.0.3', 'acme/a2').allowed).toBe(true);
  });

  it('refuses parallel tries from one address beyond the checks already running', () => {
    const t = new LoginThrottle(() => 0, settings);
    t.started('10.0.0.1');
    t.started('10.0.0.1');
    expect(t.check('10.0.0.1', 'acme/a1')).toEqual({ allowed: false, why: '2 logins from 10.0.0.1 are being checked already' });
    expect(t.check('10.0.0.2', 'acme/a1').allowed).toBe(true);
    t.finished('10.0.0.1');
    expect(t.check('10.0.0.1', 'acme/a1').allowed).toBe(true);
  });

  it('does not count throttled or busy refusals towards the limits, only towards the summary', () => {
    const t = new LoginThrottle(() => 0, settings);
    for (let i = 0; i < 10; i++) t.failed('10.0.0.1', 'acme/a1', 'throttled');
    t.failed('10.0.0.1', 'acme/a1', 'busy');
    expect(t.check('10.0.0.1', 'acme/a1').allowed).toBe(true);
    expect(t.takeSummary()).toEqual({ failures: 11, byReason: { throttled: 10, busy: 1 }, topAddresses: [['10.0.0.1', 11]], topUsernames: [['acme/a1', 11]] });
  });

  it('summarises a window once: counts by reason and the top addresses and usernames, then starts afresh', () => {
    const t = new LoginThrottle(() => 0, settings);
    expect(t.takeSummary()).toBeUndefined();
    t.failed('10.0.0.1', 'acme/a1', 'bad-credentials');
    t.failed('10.0.0.1', 'acme/a2', 'bad-credentials');
    t.failed('10.0.0.2', undefined, 'anonymous');
    const s = t.takeSummary()!;
    expect(s.failures).toBe(3);
    expect(s.byReason).toEqual({ 'bad-credentials': 2, anonymous: 1 });
    expect(s.topAddresses).toEqual([
      ['10.0.0.1', 2],
      ['10.0.0.2', 1],
    ]);
    expect(s.topUsernames).toEqual([
      ['acme/a1', 1],
      ['acme/a2', 1],
    ]);
    expect(t.takeSummary()).toBeUndefined();
  });

  it('tracks a bounded number of usernames in the summary (a flood of names cannot grow memory)', () => {
    const t = new LoginThrottle(() => 0, settings);
    for (let i = 0; i < 100; i++) t.failed('10.0.0.1', `acme/x${i}`, 'throttled');
    const s = t.takeSummary()!;
    expect(s.failures).toBe(100);
    // maxTracked 4: only the most recent names are kept, and at most 5 are shown.
    expect(s.topUsernames.map(([u]) => u).sort()).toEqual(['acme/x96', 'acme/x97', 'acme/x98', 'acme/x99']);
  });
});

describe('client id bound to the credential', () => {
  it('accepts the username as client id, and the old form only where it names one agent', () => {
    expect(agentClientIdAllowed({ tenant: 'acme', agentId: 'a1' }, 'acme/a1')).toBe(true);
    expect(agentClientIdAllowed({ tenant: 'acme', agentId: 'a1' }, 'other/b1')).toBe(false);
    expect(agentClientIdAllowed({ tenant: 'acme', agentId: 'a1' }, 'fleetdesk-agent-acme-a1')).toBe(true);
    // "a/b-c" and "a-b/c" would share fleetdesk-agent-a-b-c: neither may use it.
    expect(agentClientIdAllowed({ tenant: 'a', agentId: 'b-c' }, 'fleetdesk-agent-a-b-c')).toBe(false);
    expect(agentClientIdAllowed({ tenant: 'a-b', agentId: 'c' }, 'fleetdesk-agent-a-b-c')).toBe(false);
    expect(agentClientIdAllowed({ tenant: 'a', agentId: 'b-c' }, 'a/b-c')).toBe(true);
  });

  it("accepts the agent's own id with a purpose after a slash, never another agent's", () => {
    expect(agentClientIdAllowed({ tenant: 'acme', agentId: 'a1' }, 'acme/a1/init')).toBe(true);
    expect(agentClientIdAllowed({ tenant: 'acme', agentId: 'a1' }, 'acme/a10/init')).toBe(false);
    expect(agentClientIdAllowed({ tenant: 'acme', agentId: 'a1' }, 'acme/a1/')).toBe(false);
    expect(agentClientIdAllowed({ tenant: 'acme', agentId: 'a1' }, 'acme/a1/x/y')).toBe(false);
    expect(agentClientIdAllowed({ tenant: 'acme', agentId: 'a1' }, 'acme/a1-init')).toBe(false);
  });
});

describe('clock-skew window', () => {
  const received = Date.parse('2026-01-05T08:00:00Z');

  it('keeps timestamps within the window and replaces later ones by the receive time', () => {
    const near = telemetryMsg('acme', 'a1', 'p1', 10, new Date(received + MAX_CLOCK_SKEW_MS).toISOString());
    expect(boundTimestamps(near, received)).toBe(near);
    const far = telemetryMsg('acme', 'a1', 'p1', 10, '9999-12-31T23:59:59Z');
    expect(boundTimestamps(far, received).ts).toBe('2026-01-05T08:00:00.000Z');
    const state = stateMsg('acme', 'a1', 'p1', { collectedAt: '9999-12-31T23:59:59Z' });
    const bounded = boundTimestamps(state, received);
    expect([bounded.ts, bounded.snapshot.collectedAt]).toEqual(['2026-01-05T08:00:00.000Z', '2026-01-05T08:00:00.000Z']);
    const raised = boundTimestamps(raisedMsg('acme', 'a1', 'p1', fault('jam'), '3000-01-01T00:00:00Z'), received);
    expect(raised.event).toMatchObject({ kind: 'fault.raised', firstSeen: '2026-01-05T08:00:00.000Z' });
  });

  it('never lets a stored timestamp beyond the window make a message stale', () => {
    const now = '2026-01-05T08:00:00.000Z';
    expect(olderThanStored('2026-01-05T07:59:00Z', '2026-01-05T08:00:00Z', now)).toBe(true);
    expect(olderThanStored('2026-01-05T08:01:00Z', '2026-01-05T08:00:00Z', now)).toBe(false);
    expect(olderThanStored('2026-01-05T07:59:00Z', '9999-12-31T23:59:59Z', now)).toBe(false);
  });
});

describe('shutdown sequence', () => {
  it('closes in reverse order of start, is draining from the first step, runs once, and goes on past a failing step', async () => {
    const s = new ShutdownSequence(createLogger({ name: 'test', level: 'silent' }));
    const seen: string[] = [];
    s.onClose('storage', () => void seen.push(`storage draining=${s.draining}`));
    s.onClose('tickets', () => {
      seen.push('tickets');
      throw new Error('disk gone');
    });
    s.onClose('broker', async () => {
      await Promise.resolve();
      seen.push('broker');
    });
    expect(s.draining).toBe(false);
    const first = s.close();
    expect(s.draining).toBe(true);
    expect(s.close()).toBe(first);
    await expect(first).rejects.toThrow('shutdown step "tickets" failed: disk gone');
    expect(seen).toEqual(['broker', 'tickets', 'storage draining=true']);
    expect(() => s.onClose('late', () => undefined)).toThrow(/already stopping/);
  });
});
