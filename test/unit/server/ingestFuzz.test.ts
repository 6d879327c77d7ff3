/**
 * 10,000 malformed and hostile payloads through ingest: every one is rejected with a reason, the
 * process stays up, nothing is written and nothing is polluted. Deterministic (seeded PRNG).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeKit, type Kit } from './serverTestKit.js';
import { fixtureMessages, hostilePayloads } from '../shared/wireCorpus.js';
import { bytes, topicOf } from './wireFixtures.js';

let kit: Kit;
afterEach(async () => {
  await kit.close();
});

const KNOWN_REASONS = new Set(['too-large', 'bad-topic', 'not-json', 'bad-version', 'schema', 'topic-mismatch', 'not-authorized', 'wrong-direction']);

describe('ingest fuzz', () => {
  it('rejects 10,000 hostile payloads with a reason and changes nothing', async () => {
    kit = await makeKit();
    const valid = fixtureMessages()[0]!;

    const reasons = new Map<string, number>();
    const N = 10_000;
    let i = 0;
    for (const { topic, payload } of hostilePayloads(N, 20261121)) {
      i += 1;
      const verdict = await kit.ingest.handle(topic, payload, { tenant: 'acme', agentId: 'a1' });
      if (verdict.outcome !== 'rejected')
        throw new Error(`payload #${i} on ${topic} was not rejected: ${JSON.stringify(verdict)} ${payload.toString('utf8', 0, 200)}`);
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
    expect(await kit.ingest.handle(topicOf(valid), bytes(valid), { tenant: 'acme', agentId: 'a1' })).toEqual({ outcome: 'accepted' });
  }, 120_000); // 10,000 payloads through the real pipeline: minutes on a loaded 2-core machine
});
