/**
 * docs/protocol.md is the contract's public face: every example in it must pass the decoder on
 * its stated topic, and a broken variant of each must be rejected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../shared/wire/codec.js';
import { REPO_ROOT } from '../../harness/repo.js';

interface DocExample {
  topic: string;
  json: string;
  line: number;
}

function examples(): DocExample[] {
  const text = readFileSync(join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');
  const found: DocExample[] = [];
  const re = /<!-- example: (\S+) -->\n```json\n([\s\S]*?)\n```/g;
  for (const m of text.matchAll(re)) {
    found.push({ topic: m[1]!, json: m[2]!, line: text.slice(0, m.index).split('\n').length });
  }
  return found;
}

const all = examples();
const buf = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('docs/protocol.md examples', () => {
  it('documents at least one example of every message type and every device event kind', () => {
    const types = new Set<string>();
    const kinds = new Set<string>();
    for (const ex of all) {
      const o = JSON.parse(ex.json) as { type: string; event?: { kind: string } };
      types.add(o.type);
      if (o.event) kinds.add(o.event.kind);
    }
    expect([...types].sort()).toEqual(['agent.command', 'agent.status', 'device.event', 'device.state', 'device.telemetry']);
    expect([...kinds].sort()).toEqual(['device.reachable', 'device.unreachable', 'fault.cleared', 'fault.raised', 'identity.changed', 'supply.changed']);
  });

  it.each(all.map((e) => [`line ${e.line}: ${e.topic}`, e] as const))('%s decodes', (_name, ex) => {
    const result = decodeMessage(ex.topic, Buffer.from(ex.json));
    if (!result.ok) throw new Error(`example at line ${ex.line} rejected: ${result.error}`);
    expect(result.message).toEqual(JSON.parse(ex.json));
  });

  it.each(all.map((e) => [`line ${e.line}`, e] as const))('%s: a malformed variant is rejected', (_name, ex) => {
    const good = JSON.parse(ex.json) as Record<string, unknown>;
    const variants: [string, Record<string, unknown>, string][] = [
      ['missing id', { ...good, id: undefined }, 'schema'],
      ['bad timestamp', { ...good, ts: 'yesterday' }, 'schema'],
      ['unknown field', { ...good, extra: true }, 'schema'],
      ['wrong version', { ...good, v: 2 }, 'bad-version'],
      ['other tenant', { ...good, tenant: 'other' }, 'topic-mismatch'],
    ];
    for (const [what, payload, reason] of variants) {
      const result = decodeMessage(ex.topic, buf(payload));
      expect(result.ok, what).toBe(false);
      if (!result.ok) expect(result.reason, what).toBe(reason);
    }
  });
});
