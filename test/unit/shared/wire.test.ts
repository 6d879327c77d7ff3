import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, envelope } from '../../../shared/wire/codec.js';
import { MAX_PAYLOAD_BYTES, type WireMessage } from '../../../shared/wire/messages.js';
import { deviceTopic, parseTopic, partitionOfTopic, serverSubscriptions, statusTopic, TOPIC_POLICY } from '../../../shared/wire/topics.js';
import { stateMsg, topicOf } from '../server/wireFixtures.js';

const now = new Date('2026-11-20T08:00:00Z');
const topic = deviceTopic('acme', 'office-1', 'dev-1', 'events');

function raised(): WireMessage {
  return {
    ...envelope(now, 'acme', 'office-1'),
    type: 'device.event',
    deviceId: 'dev-1',
    seq: 1,
    event: {
      kind: 'fault.raised',
      fault: { code: 'jam', severity: 'critical', source: 'hrErrorState', message: 'jammed' },
      firstSeen: now.toISOString(),
    },
  };
}

describe('topics', () => {
  it('builds and parses every topic kind', () => {
    expect(parseTopic(statusTopic('acme', 'office-1'))).toEqual({ ok: true, topic: { kind: 'status', tenant: 'acme', agentId: 'office-1' } });
    for (const kind of ['state', 'events', 'telemetry'] as const) {
      expect(parseTopic(deviceTopic('acme', 'office-1', 'd.1', kind))).toEqual({
        ok: true,
        topic: { kind, tenant: 'acme', agentId: 'office-1', deviceId: 'd.1' },
      });
    }
  });

  it('refuses identifiers that could smuggle wildcards or separators', () => {
    for (const bad of ['a/b', '+', '#', '$SYS', '', '-lead', 'x'.repeat(129)]) {
      expect(() => statusTopic(bad, 'agent')).toThrow(/invalid tenant/);
    }
  });

  it('names what is wrong with a foreign topic', () => {
    const cases: [string, RegExp][] = [
      ['other/v1/a/b/status', /not under fleetdesk\/v1/],
      ['fleetdesk/v2/a/b/status', /not under/],
      ['fleetdesk/v1/a+/b/status', /invalid tenant/],
      ['fleetdesk/v1/a/b/devices/d/unknown', /unknown device topic kind "unknown"/],
      ['fleetdesk/v1/a/b/devices/d', /unknown topic layout/],
      ['fleetdesk/v1/a/b/devices//state', /invalid device id/],
    ];
    for (const [t, re] of cases) {
      const r = parseTopic(t);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(re);
    }
  });

  it('retains status and state only, QoS 1 for all', () => {
    expect(
      Object.entries(TOPIC_POLICY)
        .filter(([, p]) => p.retain)
        .map(([k]) => k)
        .sort(),
    ).toEqual(['state', 'status']);
    expect(new Set(Object.values(TOPIC_POLICY).map((p) => p.qos))).toEqual(new Set([1]));
  });

  it('offers shared subscriptions for several servers', () => {
    expect(serverSubscriptions('fd')).toEqual(['$share/fd/fleetdesk/v1/+/+/status', '$share/fd/fleetdesk/v1/+/+/devices/+/+']);
  });

  it('gives each agent partition its own share group, named after the layout', () => {
    expect(serverSubscriptions('fd', { count: 3, index: 1 })).toEqual([
      '$share/fd-p1-of-3/fleetdesk/v1/+/+/status',
      '$share/fd-p1-of-3/fleetdesk/v1/+/+/devices/+/+',
    ]);
    expect(() => serverSubscriptions(undefined, { count: 2, index: 0 })).toThrow(/needs a shared-subscription group/);
  });
});

describe('partitionOfTopic', () => {
  const agents = Array.from({ length: 600 }, (_, i) => ({ tenant: `t${i % 7}`, agent: `agent-${i}` }));

  it("puts every topic of one agent (status and each device's kinds) in one partition", () => {
    for (const { tenant, agent } of agents.slice(0, 50)) {
      const topics = [
        statusTopic(tenant, agent),
        ...['p1', 'p2', 'some.printer-3'].flatMap((dev) => (['state', 'events', 'telemetry'] as const).map((k) => deviceTopic(tenant, agent, dev, k))),
      ];
      expect(new Set(topics.map((t) => partitionOfTopic(t, 5))).size).toBe(1);
    }
  });

  it('spreads agents over the partitions, and tells apart the same agent id in two tenants', () => {
    for (const count of [2, 3, 8]) {
      const sizes = Array.from({ length: count }, () => 0);
      for (const { tenant, agent } of agents) sizes[partitionOfTopic(statusTopic(tenant, agent), count)]! += 1;
      // Even within ±35 % of the mean for 600 agents (a hash, not a round-robin).
      for (const n of sizes) expect(Math.abs(n - agents.length / count)).toBeLessThan((0.35 * agents.length) / count);
    }
    const perTenant = Array.from({ length: 40 }, (_, t) => partitionOfTopic(statusTopic(`tenant-${t}`, 'a1'), 4));
    expect(new Set(perTenant).size).toBe(4);
  });

  it('is the same function on every instance: FNV-1a of "<tenant>/<agent>" (fixed values)', () => {
    // FNV-1a 32 of "acme/office-1" and "t0/a0"; a change here moves agents between running instances.
    expect([partitionOfTopic(statusTopic('acme', 'office-1'), 1000), partitionOfTopic(deviceTopic('t0', 'a0', 'p0', 'events'), 1000)]).toEqual([
      fnv1a('acme/office-1') % 1000,
      fnv1a('t0/a0') % 1000,
    ]);
  });

  it('gives a topic outside the tree to exactly one partition (which then rejects it)', () => {
    for (const t of ['other/topic', 'fleetdesk/v1/only-tenant', 'fleetdesk/v2/a/b/status', '']) {
      const p = partitionOfTopic(t, 4);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(4);
      expect(partitionOfTopic(t, 4)).toBe(p);
    }
  });
});

/** Reference FNV-1a 32 over UTF-8 bytes (the ids are ASCII, so bytes and UTF-16 units agree). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5n;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x01000193n) & 0xffffffffn;
  }
  return Number(h);
}

describe('decodeMessage', () => {
  it('round-trips an encoded message', () => {
    const msg = raised();
    const r = decodeMessage(topic, encodeMessage(msg));
    expect(r).toEqual({ ok: true, topic: { kind: 'events', tenant: 'acme', agentId: 'office-1', deviceId: 'dev-1' }, message: msg });
  });

  it('reads only the payload bytes of a view into a larger buffer (Buffer or plain Uint8Array)', () => {
    const msg = raised();
    const bytes = encodeMessage(msg);
    // As an MQTT parser hands payloads over: a slice of the socket's buffer, with bytes around it.
    const socket = Buffer.concat([Buffer.from('xx{"junk":'), bytes, Buffer.from('}yy')]);
    const asBuffer = socket.subarray(10, 10 + bytes.length);
    const asView = new Uint8Array(socket.buffer, socket.byteOffset + 10, bytes.length);
    expect(Buffer.isBuffer(asView)).toBe(false);
    for (const payload of [asBuffer, asView]) {
      const r = decodeMessage(topic, payload);
      expect(r.ok && r.message).toEqual(msg);
    }
  });

  it('gives each message a fresh UUID', () => {
    expect(envelope(now, 'a', 'b').id).not.toBe(envelope(now, 'a', 'b').id);
  });

  const cases: [string, Uint8Array, string, RegExp][] = [
    ['oversized', Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), 'too-large', /exceeds the limit/],
    ['not JSON', Buffer.from('{"v":1,'), 'not-json', /not JSON/],
    ['random bytes', Buffer.from([0xff, 0xfe, 0x00, 0x13]), 'not-json', /not JSON/],
    ['JSON array', Buffer.from('[1,2]'), 'schema', /not a JSON object/],
    ['JSON null', Buffer.from('null'), 'schema', /not a JSON object/],
    ['missing version', Buffer.from('{"type":"device.event"}'), 'bad-version', /missing/],
    ['future version', Buffer.from('{"v":9}'), 'bad-version', /unsupported schema version 9/],
  ];
  it.each(cases)('rejects %s', (_n, payload, reason, re) => {
    const r = decodeMessage(topic, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.error).toMatch(re);
    }
  });

  it('names the field, the expectation and the value found', () => {
    const msg = raised() as Record<string, unknown>;
    const r = decodeMessage(topic, Buffer.from(JSON.stringify({ ...msg, seq: 'seven' })));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('seq: expected number, found string "seven"');
  });

  it('rejects an unknown fault code and names the allowed ones', () => {
    const msg = raised() as { event: { fault: { code: string } } };
    msg.event.fault.code = 'toner.exploded';
    const r = decodeMessage(topic, Buffer.from(JSON.stringify(msg)));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/event\.fault\.code: expected one of .*"jam"/);
  });

  it('rejects prototype-pollution keys and leaves Object.prototype alone', () => {
    const payload = `{"__proto__":{"polluted":true},${JSON.stringify(raised()).slice(1)}`;
    const r = decodeMessage(topic, Buffer.from(payload));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/unknown key "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a message of the wrong type for its topic', () => {
    const r = decodeMessage(deviceTopic('acme', 'office-1', 'dev-1', 'telemetry'), encodeMessage(raised()));
    expect(r).toMatchObject({ ok: false, reason: 'topic-mismatch' });
  });

  it('rejects a device id that differs from the topic', () => {
    const r = decodeMessage(deviceTopic('acme', 'office-1', 'dev-2', 'events'), encodeMessage(raised()));
    expect(r).toMatchObject({ ok: false, reason: 'topic-mismatch', error: expect.stringMatching(/dev-1 differs from topic device dev-2/) as unknown });
  });

  it('rejects deeply nested JSON without blowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = decodeMessage(topic, Buffer.from(`{"v":1,"event":${deep}}`));
    expect(r.ok).toBe(false);
  });

  it('rejects a huge string field by size, not by crashing', () => {
    const msg = raised() as { event: { fault: { message: string } } };
    msg.event.fault.message = 'x'.repeat(200_000);
    const r = decodeMessage(topic, Buffer.from(JSON.stringify(msg)));
    expect(r).toMatchObject({ ok: false, reason: 'schema' });
    if (!r.ok) expect(r.error).toMatch(/at most 4096 characters/);
  });
});

describe('payload encoding', () => {
  it('rejects invalid UTF-8 inside an otherwise valid message instead of storing U+FFFD', () => {
    const msg = stateMsg('acme', 'a1', 'p1', { address: 'ADDR' });
    const text = Buffer.from(JSON.stringify(msg));
    const at = text.indexOf('ADDR');
    expect(decodeMessage(topicOf(msg), text).ok).toBe(true);
    const broken = Buffer.from(text);
    broken[at] = 0xc3; // a lead byte without its continuation
    expect(decodeMessage(topicOf(msg), broken)).toEqual({ ok: false, reason: 'not-json', error: 'payload is not JSON: it is not valid UTF-8' });
  });
});
