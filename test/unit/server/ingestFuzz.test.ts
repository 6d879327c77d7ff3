/**
 * 10,000 malformed and hostile payloads through ingest: every one is rejected with a reason, the
 * process stays up, nothing is written and nothing is polluted. Deterministic (seeded PRNG).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeKit, type Kit } from './serverTestKit.js';
import { bytes, fault, raisedMsg, stateMsg, statusMsg, telemetryMsg, topicOf } from './wireFixtures.js';

let kit: Kit;
afterEach(async () => {
  await kit.close();
});

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KNOWN_REASONS = new Set(['too-large', 'bad-topic', 'not-json', 'bad-version', 'schema', 'topic-mismatch', 'not-authorized', 'wrong-direction']);

function deep(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

describe('ingest fuzz', () => {
  it('rejects 10,000 hostile payloads with a reason and changes nothing', async () => {
    kit = await makeKit();
    const rand = prng(20261121);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const valid = [stateMsg('acme', 'a1', 'p1'), raisedMsg('acme', 'a1', 'p1', fault('jam')), telemetryMsg('acme', 'a1', 'p1', 5), statusMsg('acme', 'a1', 'online')];
    const wrongValues: unknown[] = [null, true, -1, 1e308, 'x', '', [], {}, [1, 2], { $gt: '' }, 'A'.repeat(5000), Number.MAX_SAFE_INTEGER + 2];
    const topics = ['fleetdesk/v1/acme/a1/devices/p1/state', 'fleetdesk/v1/acme/a1/status', 'fleetdesk/v1/acme/a1/devices/p1/events', 'fleetdesk/v1/acme/a1/devices/p1/telemetry'];

    const generators: (() => { topic: string; payload: Buffer })[] = [
      // random bytes
      () => ({ topic: pick(topics), payload: Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256))) }),
      // deep nesting
      () => ({ topic: pick(topics), payload: Buffer.from(deep(1000 + Math.floor(rand() * 20_000), pick(['array', 'object'] as const))) }),
      // deep nesting inside an otherwise valid message
      () => {
        const m = JSON.parse(JSON.stringify(pick(valid))) as Record<string, unknown>;
        return { topic: topicOf(m as never), payload: Buffer.from(JSON.stringify(m).replace(/}$/, `,"x":${deep(3000, 'object')}}`)) };
      },
      // huge strings: over the payload limit, and inside a field under it
      () => ({ topic: pick(topics), payload: Buffer.from(JSON.stringify({ v: 1, s: 'x'.repeat(300 * 1024) })) }),
      () => {
        const m = JSON.parse(JSON.stringify(valid[0])) as { snapshot: { identity: { model: string } } };
        m.snapshot.identity.model = 'M'.repeat(100_000 + Math.floor(rand() * 100_000));
        return { topic: topicOf(valid[0]!), payload: Buffer.from(JSON.stringify(m)) };
      },
      // wrong types in a random field of a valid message
      () => {
        const base = pick(valid);
        const m = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
        const keys = Object.keys(m).filter((k) => k !== 'v');
        const key = pick(keys);
        const kindOf = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
        const candidates = wrongValues.filter((w) => kindOf(w) !== kindOf(m[key]));
        m[key] = pick(candidates);
        return { topic: topicOf(base), payload: Buffer.from(JSON.stringify(m)) };
      },
      // prototype pollution keys, at the top and nested
      () => {
        const base = pick(valid);
        const text = JSON.stringify(base);
        const where = pick(['top', 'nested', 'constructor'] as const);
        const payload =
          where === 'top'
            ? text.replace(/^\{/, '{"__proto__":{"polluted":true},')
            : where === 'nested'
              ? text.replace('"ts":', '"x":{"__proto__":{"polluted":true}},"ts":')
              : text.replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},');
        return { topic: topicOf(base), payload: Buffer.from(payload) };
      },
      // wrong schema versions and missing envelope
      () => {
        const m = JSON.parse(JSON.stringify(pick(valid))) as Record<string, unknown>;
        m.v = pick([0, 2, '1', null, 1.5]);
        return { topic: pick(topics), payload: Buffer.from(JSON.stringify(m)) };
      },
      // valid message on a hostile or wrong topic
      () => ({
        topic: pick(['', '#', 'fleetdesk/v1/+/a1/status', 'fleetdesk/v1/acme/a1/devices/p1/state/extra', `fleetdesk/v1/${'t'.repeat(200)}/a1/status`, 'fleetdesk/v1/__proto__/a1/status', '$SYS/x', 'fleetdesk/v1/acme/a1/commands', 'fleetdesk/v1/other/a1/devices/p1/state']),
        payload: bytes(pick(valid)),
      }),
      // JSON that is not an object
      () => ({ topic: pick(topics), payload: Buffer.from(JSON.stringify(pick([[], 1, 'str', null, true, [valid[0]]]))) }),
    ];

    const reasons = new Map<string, number>();
    const N = 10_000;
    for (let i = 0; i < N; i++) {
      const { topic, payload } = generators[i % generators.length]!();
      const verdict = await kit.ingest.handle(topic, payload, { tenant: 'acme', agentId: 'a1' });
      if (verdict.outcome !== 'rejected') throw new Error(`payload #${i} on ${topic} was not rejected: ${JSON.stringify(verdict)} ${payload.toString('utf8', 0, 200)}`);
      expect(verdict.error.length).toBeGreaterThan(0);
      expect(KNOWN_REASONS.has(verdict.reason)).toBe(true);
      reasons.set(verdict.reason, (reasons.get(verdict.reason) ?? 0) + 1);
    }
    expect([...reasons.values()].reduce((a, b) => a + b, 0)).toBe(N);
    for (const r of ['not-json', 'too-large', 'schema', 'bad-version', 'bad-topic']) expect(reasons.get(r) ?? 0).toBeGreaterThan(0);
    // nothing written, nothing polluted
    expect(kit.store.stats().commits).toBe(0);
    expect(await kit.store.list('devices')).toEqual([]);
    expect(await kit.store.list('agents')).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(kit.events).toEqual([]);
    expect(kit.metrics.rejected.get({ reason: 'schema' })).toBe(reasons.get('schema'));
    // and the server still works
    expect(await kit.ingest.handle(topicOf(valid[0]!), bytes(valid[0]!), { tenant: 'acme', agentId: 'a1' })).toEqual({ outcome: 'accepted' });
  });
});
