/**
 * The compiled wire validators (shared/wire/compiledValidators.ts) must agree with zod: same
 * accept/reject on every payload, and on accept the message left in place equals zod's output.
 * The codec trusts the compiled validator's "accept" without asking zod, so an accept that zod
 * would reject is the one disagreement that would let bad data in; a reject that zod would accept
 * only costs time (the codec then asks zod) and is allowed for one known case, named below.
 */
import { describe, expect, it } from 'vitest';
import { compiledValidator } from '../../../shared/wire/compiledValidators.js';
import { decodeMessage } from '../../../shared/wire/codec.js';
import { WireMessage } from '../../../shared/wire/messages.js';
import { fixtureMessages, hostilePayloads, mutations, protocolExamples } from './wireCorpus.js';

interface Tally {
  accepted: number;
  rejected: number;
  /** Accepted by zod after the compiled validator declined (see compare). */
  zodOnly: number;
  /** Rejected by the codec before any schema (not JSON, not an object, not version 1). */
  beforeSchema: number;
}

/** Both verdicts on one JSON text; throws with the payload when they differ. */
function compare(text: string, tally: Tally): void {
  let forCompiled: unknown;
  try {
    forCompiled = JSON.parse(text);
  } catch {
    tally.beforeSchema += 1; // not JSON: the codec rejects it before any schema
    return;
  }
  // The codec rejects non-objects and other schema versions before any schema, too.
  if (forCompiled === null || typeof forCompiled !== 'object' || Array.isArray(forCompiled) || (forCompiled as { v?: unknown }).v !== 1) {
    tally.beforeSchema += 1;
    return;
  }
  const forZod: unknown = JSON.parse(text);
  const validate = compiledValidator((forCompiled as { type?: unknown }).type);
  const fast = validate ? validate(forCompiled) : false;
  const zod = WireMessage.safeParse(forZod);
  if (fast && !zod.success) throw new Error(`compiled validator accepts but zod rejects (${zod.error.issues[0]?.message}): ${text.slice(0, 600)}`);
  if (!fast && zod.success) {
    // The one known difference, on the safe side: zod's records skip an own "__proto__" key
    // (JSON.parse makes one) and drop it from their output; the compiled validator rejects it,
    // so such a message goes to zod, which accepts it without that key, as it always did.
    if (!text.includes('"__proto__"')) throw new Error(`compiled validator rejects but zod accepts: ${text.slice(0, 600)}`);
    expect(JSON.stringify(zod.data)).not.toContain('__proto__');
    tally.zodOnly += 1;
    return;
  }
  if (zod.success) {
    expect(forCompiled).toEqual(zod.data);
    tally.accepted += 1;
  } else tally.rejected += 1;
}

describe('compiled wire validators agree with zod', () => {
  it('on the docs/protocol.md examples and the fixture messages, and on systematic mutations of each', () => {
    const bases: unknown[] = [...protocolExamples().map((e) => JSON.parse(e.json) as unknown), ...fixtureMessages()];
    expect(bases.length).toBeGreaterThanOrEqual(15);
    const tally: Tally = { accepted: 0, rejected: 0, zodOnly: 0, beforeSchema: 0 };
    for (const base of bases) {
      compare(JSON.stringify(base), tally);
      for (const variant of mutations(base)) compare(variant, tally);
    }
    // Both sides of the boundary are exercised, many times.
    expect(tally.accepted).toBeGreaterThan(1000);
    expect(tally.rejected).toBeGreaterThan(10_000);
    expect(tally.zodOnly).toBeLessThan(100);
  }, 120_000);

  it('on the hostile payloads of the ingest fuzz test (its first 5,000: every kind 500 times)', () => {
    const tally: Tally = { accepted: 0, rejected: 0, zodOnly: 0, beforeSchema: 0 };
    for (const { payload } of hostilePayloads(5000, 20261121)) compare(payload.toString('utf8'), tally);
    expect(tally.accepted).toBeGreaterThan(0); // valid messages on hostile topics
    expect(tally.rejected).toBeGreaterThan(2000);
    expect(tally.accepted + tally.rejected + tally.zodOnly + tally.beforeSchema).toBe(5000);
  }, 120_000);

  it('fills defaults as zod does (a snapshot without inputs gets inputs: [])', () => {
    const state = JSON.parse(JSON.stringify(fixtureMessages()[0])) as { snapshot: Record<string, unknown> };
    delete state.snapshot.inputs;
    const result = decodeMessage('fleetdesk/v1/acme/a1/devices/p1/state', Buffer.from(JSON.stringify(state)));
    expect(result.ok && result.message.type === 'device.state' && result.message.snapshot.inputs).toEqual([]);
  });

  it('leaves the wording of errors to zod', () => {
    const telemetry = { ...fixtureMessages()[3]!, counters: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, i])) };
    const result = decodeMessage('fleetdesk/v1/acme/a1/devices/p1/telemetry', Buffer.from(JSON.stringify(telemetry)));
    expect(result).toMatchObject({ ok: false, reason: 'schema' });
    expect(!result.ok && result.error).toContain('at most 64 counters');
  });
});
