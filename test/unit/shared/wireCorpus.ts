/**
 * Wire payloads shared by the ingest fuzz test (server) and the validator equivalence test
 * (shared/wire): the protocol examples of docs/protocol.md, fixture messages, systematic
 * mutations of them, and seeded hostile payloads. Deterministic: same seed, same payloads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WireMessage } from '../../../shared/wire/messages.js';
import { REPO_ROOT } from '../../harness/repo.js';
import { bytes, fault, raisedMsg, stateMsg, statusMsg, telemetryMsg, topicOf } from '../server/wireFixtures.js';

import { seededRandom as prng } from '../../harness/seededRandom.js';

export { prng };

export interface DocExample {
  topic: string;
  json: string;
  line: number;
}

/** The `<!-- example: topic -->` JSON blocks of docs/protocol.md. */
export function protocolExamples(): DocExample[] {
  const text = readFileSync(join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');
  const found: DocExample[] = [];
  const re = /<!-- example: (\S+) -->\n```json\n([\s\S]*?)\n```/g;
  for (const m of text.matchAll(re)) found.push({ topic: m[1]!, json: m[2]!, line: text.slice(0, m.index).split('\n').length });
  return found;
}

/** Valid messages of every type: the fixtures used across the server tests. */
export function fixtureMessages(): WireMessage[] {
  return [
    stateMsg('acme', 'a1', 'p1'),
    stateMsg('acme', 'a1', 'p2', {
      faults: [fault('jam'), { ...fault('toner.low', 'warning'), subunit: { group: 'markerSupplies', index: 1, name: 'Black' }, rawCode: '1101' }],
      identity: { serial: 'X', mac: '00:11:22:aa:bb:cc', sysObjectId: '1.3.6.1.4.1.11' },
    }),
    raisedMsg('acme', 'a1', 'p1', fault('jam')),
    telemetryMsg('acme', 'a1', 'p1', 5),
    statusMsg('acme', 'a1', 'online'),
    statusMsg('acme', 'a1', 'offline', '2026-01-05T09:00:00.123+01:00', 'shutdown'),
  ];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values of every JSON kind and the edges the schemas care about (lengths, ranges, integers). */
const REPLACEMENTS: Json[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1,
  1.5,
  100,
  100.5,
  101,
  1e308,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  '',
  'x',
  'ok',
  'toner',
  'idle',
  'jam',
  '1.3.6',
  '00:11:22:aa:bb:cc',
  '00:11:22:AA:BB:CC',
  '2026-01-05T08:00:00Z',
  '2026-01-05T08:00:00.5+02:00',
  '2026-01-05T08:00:00',
  '2026-01-05t08:00:00z',
  '2024-02-29T00:00:00Z',
  '2026-02-29T00:00:00Z',
  '2026-01-05T24:00:00Z',
  '00000000-0000-4000-8000-000000000001',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  '00000000-0000-0000-0000-000000000000',
  '00000000-0000-9000-8000-000000000001',
  '00000000-0000-4000-c000-000000000001',
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(128),
  'a'.repeat(129),
  'a'.repeat(256),
  'a'.repeat(257),
  'a'.repeat(512),
  'a'.repeat(513),
  'a'.repeat(4097),
  // astral characters (2 UTF-16 code units, 1 code point each) and lone surrogates around the limits
  '😀'.repeat(32),
  '😀'.repeat(33),
  '😀'.repeat(64),
  '😀'.repeat(65),
  '😀'.repeat(512),
  '😀'.repeat(513),
  '\ud800'.repeat(65),
  '\udc00'.repeat(64),
  `${'😀'.repeat(63)}\ud800`,
  `${'a'.repeat(63)}😀`,
  `${'a'.repeat(64)}😀`,
  'ab/c',
  '-abc',
  'a\u0000b',
  [],
  [1],
  ['snmp'],
  ['snmp', 'ipp'],
  ['snmp', 'ipp', 'snmp'],
  ['x'],
  {},
  { total: 1 },
  { $gt: '' },
  { index: 1 },
  { group: 'g' },
];

type Path = (string | number)[];

function paths(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function at(root: Json, path: Path): { parent: Json; key: string | number } | undefined {
  let parent = root;
  for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[step]!;
  return path.length === 0 ? undefined : { parent, key: path[path.length - 1]! };
}

/**
 * Systematic variants of a valid message: at every path, the value replaced by each of
 * REPLACEMENTS, deleted, and (for objects) given an unknown key; arrays emptied and doubled;
 * counters at and over the 64-key limit. Each variant is returned as JSON text.
 */
export function mutations(message: unknown): string[] {
  const base = JSON.parse(JSON.stringify(message)) as Json;
  const out: string[] = [];
  for (const path of paths(base)) {
    const loc = at(base, path);
    const current = loc ? (loc.parent as Record<string | number, Json>)[loc.key]! : base;
    const variant = (change: (copy: Json) => void) => {
      const copy = JSON.parse(JSON.stringify(base)) as Json;
      change(copy);
      out.push(JSON.stringify(copy));
    };
    const set = (copy: Json, value: Json) => {
      const l = at(copy, path);
      if (l) (l.parent as Record<string | number, Json>)[l.key] = value;
    };
    if (loc) {
      for (const r of REPLACEMENTS) variant((copy) => set(copy, r));
      variant((copy) => {
        const l = at(copy, path)!;
        if (Array.isArray(l.parent)) l.parent.splice(Number(l.key), 1);
        else delete (l.parent as Record<string, Json>)[l.key];
      });
    }
    if (Array.isArray(current)) {
      variant((copy) => set(copy, [...current, ...current]));
      variant((copy) =>
        set(
          copy,
          Array.from({ length: 257 }, () => current[0] ?? null),
        ),
      );
    } else if (current !== null && typeof current === 'object') {
      variant((copy) => {
        const l = at(copy, path);
        (l ? ((l.parent as Record<string | number, Json>)[l.key] as Record<string, Json>) : (copy as Record<string, Json>)).unexpected = 1;
      });
      // prototype-pollution keys as JSON.parse creates them: own properties named __proto__ / constructor
      const text = JSON.stringify(base);
      const inner = JSON.stringify(current);
      if (inner.length > 2 && text.includes(inner)) {
        out.push(text.replace(inner, `{"__proto__":{"polluted":true},${inner.slice(1)}`));
        out.push(text.replace(inner, `{"constructor":{"prototype":{"polluted":true}},${inner.slice(1)}`));
      }
      if (path[path.length - 1] === 'counters') {
        for (const n of [63, 64, 65]) variant((copy) => set(copy, Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, i]))));
        for (const key of ['total', 'copy.color', '1x', 'a-b', 'a'.repeat(64), 'a'.repeat(65), '__proto__']) variant((copy) => set(copy, { [key]: 1 }));
      }
    }
  }
  return out;
}

function deep(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/**
 * Seeded hostile payloads (random bytes, deep nesting, huge strings, wrong types, prototype
 * pollution keys, wrong versions, hostile topics, JSON that is not an object). None is valid.
 */
export function* hostilePayloads(count: number, seed: number): Generator<{ topic: string; payload: Buffer }> {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const valid = [
    stateMsg('acme', 'a1', 'p1'),
    raisedMsg('acme', 'a1', 'p1', fault('jam')),
    telemetryMsg('acme', 'a1', 'p1', 5),
    statusMsg('acme', 'a1', 'online'),
  ];
  const wrongValues: unknown[] = [null, true, -1, 1e308, 'x', '', [], {}, [1, 2], { $gt: '' }, 'A'.repeat(5000), Number.MAX_SAFE_INTEGER + 2];
  const topics = [
    'fleetdesk/v1/acme/a1/devices/p1/state',
    'fleetdesk/v1/acme/a1/status',
    'fleetdesk/v1/acme/a1/devices/p1/events',
    'fleetdesk/v1/acme/a1/devices/p1/telemetry',
  ];

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
      topic: pick([
        '',
        '#',
        'fleetdesk/v1/+/a1/status',
        'fleetdesk/v1/acme/a1/devices/p1/state/extra',
        `fleetdesk/v1/${'t'.repeat(200)}/a1/status`,
        'fleetdesk/v1/__proto__/a1/status',
        '$SYS/x',
        'fleetdesk/v1/acme/a1/commands',
        'fleetdesk/v1/other/a1/devices/p1/state',
      ]),
      payload: bytes(pick(valid)),
    }),
    // JSON that is not an object
    () => ({ topic: pick(topics), payload: Buffer.from(JSON.stringify(pick([[], 1, 'str', null, true, [valid[0]]]))) }),
  ];
  // Made one at a time: a few hundred of them are over 100 KiB.
  for (let i = 0; i < count; i++) yield generators[i % generators.length]!();
}
