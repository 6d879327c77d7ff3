import { describe, expect, it } from 'vitest';
import { LockLeadership, SingleProcessLeadership, type LeaderLock } from '../../../server/cluster/leadership.js';
import { staleAgents } from '../../../server/fleet/fleetState.js';
import type { AgentRecord } from '../../../server/fleet/fleetModel.js';
import { ManualClock } from '../../harness/manualClock.js';

/** A lock "database": at most one holder; each instance's lock is a session that can be cut. */
class LockServer {
  holder: string | undefined;
}

class FakeLock implements LeaderLock {
  hang = false;
  failing = false;
  released = 0;
  private lost: (reason: string) => void = () => undefined;
  constructor(
    private readonly server: LockServer,
    readonly id: string,
  ) {}
  onLost(cb: (reason: string) => void): void {
    this.lost = cb;
  }
  tryAcquire(): Promise<boolean> {
    if (this.hang) return new Promise<boolean>(() => undefined);
    if (this.failing) return Promise.reject(new Error('connection refused'));
    if (this.server.holder === undefined) this.server.holder = this.id;
    return Promise.resolve(this.server.holder === this.id);
  }
  stillHeld(): Promise<boolean> {
    if (this.hang) return new Promise<boolean>(() => undefined);
    return Promise.resolve(this.server.holder === this.id);
  }
  release(): Promise<void> {
    this.released += 1;
    if (this.server.holder === this.id) this.server.holder = undefined;
    return Promise.resolve();
  }
  /** The session dies (database restarted, connection cut): the lock is gone at once. */
  cut(): void {
    if (this.server.holder === this.id) this.server.holder = undefined;
    this.lost('connection closed');
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

function instance(server: LockServer, clock: ManualClock, id: string) {
  const lock = new FakeLock(server, id);
  const leadership = new LockLeadership({ lock, clock, checkIntervalMs: 1000, checkTimeoutMs: 3000, instanceId: id });
  const changes: boolean[] = [];
  leadership.onChange((l) => changes.push(l));
  return { lock, leadership, changes };
}

/** Advances the clock in steps, letting the async lock calls finish between them. */
async function run(clock: ManualClock, ms: number, step = 250): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await settle();
  }
}

describe('SingleProcessLeadership', () => {
  it('leads from start to stop', async () => {
    const l = new SingleProcessLeadership();
    const seen: boolean[] = [];
    l.onChange((x) => seen.push(x));
    expect(l.isLeader()).toBe(false);
    l.start();
    l.start();
    expect(l.isLeader()).toBe(true);
    await l.stop();
    expect(l.isLeader()).toBe(false);
    expect(seen).toEqual([true, false]);
  });
});

describe('LockLeadership', () => {
  it('elects exactly one of several instances and hands over when the leader stops', async () => {
    const clock = new ManualClock();
    const server = new LockServer();
    const all = ['a', 'b', 'c'].map((id) => instance(server, clock, id));
    for (const i of all) i.leadership.start();
    await run(clock, 3000);
    expect(all.filter((i) => i.leadership.isLeader())).toHaveLength(1);
    const first = all.find((i) => i.leadership.isLeader())!;
    expect(server.holder).toBe(first.lock.id);

    await first.leadership.stop();
    expect(first.changes).toEqual([true, false]);
    expect(server.holder).toBeUndefined();
    await run(clock, 2000);
    const second = all.filter((i) => i.leadership.isLeader());
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first);
  });

  it('steps down at once when the lock connection is lost, and another instance takes over', async () => {
    const clock = new ManualClock();
    const server = new LockServer();
    const a = instance(server, clock, 'a');
    const b = instance(server, clock, 'b');
    a.leadership.start();
    await run(clock, 1000);
    b.leadership.start();
    await run(clock, 1000);
    expect([a.leadership.isLeader(), b.leadership.isLeader()]).toEqual([true, false]);
    a.lock.cut();
    // No clock movement needed: the loss is reported by the connection.
    expect(a.leadership.isLeader()).toBe(false);
    expect(a.changes).toEqual([true, false]);
    await run(clock, 1500);
    expect(b.leadership.isLeader()).toBe(true);
    // a comes back as a follower: b keeps the lock.
    await run(clock, 3000);
    expect([a.leadership.isLeader(), b.leadership.isLeader()]).toEqual([false, true]);
  });

  it('steps down when confirming the lock hangs longer than checkTimeout', async () => {
    const clock = new ManualClock();
    const server = new LockServer();
    const a = instance(server, clock, 'a');
    a.leadership.start();
    await run(clock, 500);
    expect(a.leadership.isLeader()).toBe(true);
    a.lock.hang = true;
    await run(clock, 1000 + 2500);
    expect(a.leadership.isLeader()).toBe(true); // still within the timeout
    await run(clock, 1000);
    expect(a.leadership.isLeader()).toBe(false);
    expect(a.lock.released).toBeGreaterThan(0);
  });

  it('stays a follower while the database is unreachable and leads once it answers', async () => {
    const clock = new ManualClock();
    const server = new LockServer();
    const a = instance(server, clock, 'a');
    a.lock.failing = true;
    a.leadership.start();
    await run(clock, 5000);
    expect(a.leadership.isLeader()).toBe(false);
    a.lock.failing = false;
    await run(clock, 1500);
    expect(a.leadership.isLeader()).toBe(true);
    expect(a.changes).toEqual([true]);
  });

  it('never has two leaders at once over a long run with cuts', async () => {
    const clock = new ManualClock();
    const server = new LockServer();
    const all = ['a', 'b', 'c'].map((id) => instance(server, clock, id));
    for (const i of all) i.leadership.start();
    let leaderless = 0;
    for (let round = 0; round < 60; round++) {
      await run(clock, 500);
      const leaders = all.filter((i) => i.leadership.isLeader());
      expect(leaders.length).toBeLessThanOrEqual(1);
      if (leaders.length === 0) leaderless++;
      if (round % 7 === 3) leaders[0]?.lock.cut();
    }
    // Every cut costs at most a couple of rounds without a leader.
    expect(leaderless).toBeLessThan(30);
    for (const i of all) await i.leadership.stop();
    expect(server.holder).toBeUndefined();
  });
});

describe('staleAgents with several instances', () => {
  const agent = (lastSeen: string): AgentRecord => ({ key: 'acme/a1', tenant: 'acme', agentId: 'a1', state: 'online', lastSeen }) as unknown as AgentRecord;
  const now = Date.parse('2026-01-05T08:10:00Z');
  it('trusts a stored lastSeen (written by another instance) that is newer than this process memory', () => {
    const memory = now - 9 * 60_000; // this instance heard the agent 9 minutes ago
    expect(staleAgents([agent('2026-01-05T08:09:30Z')], () => memory, now, 5 * 60_000)).toEqual([]);
    expect(staleAgents([agent('2026-01-05T08:01:00Z')], () => memory, now, 5 * 60_000)).toHaveLength(1);
  });
  it('trusts this process memory when it is newer than the stored record', () => {
    expect(staleAgents([agent('2026-01-05T08:01:00Z')], () => now - 1000, now, 5 * 60_000)).toEqual([]);
  });
});
