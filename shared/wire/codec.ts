/**
 * Decoding and encoding of wire messages. `decodeMessage` is the one gate every inbound MQTT
 * payload passes: it never throws, and a rejection carries a reason code (for counters) and a
 * sentence naming what is wrong (for the log line).
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { toProblems } from '../validation.js';
import { acceptFast } from './compiledValidators.js';
import { MAX_PAYLOAD_BYTES, SCHEMA_VERSION, TYPE_FOR_TOPIC, WireMessage } from './messages.js';
import { parseTopic, type ParsedTopic } from './topics.js';

export type RejectReason = 'too-large' | 'bad-topic' | 'not-json' | 'bad-version' | 'schema' | 'topic-mismatch';

export type DecodeResult = { ok: true; topic: ParsedTopic; message: WireMessage } | { ok: false; reason: RejectReason; error: string };

export interface DecodeOptions {
  maxBytes?: number;
}

/**
 * Topics seen recently and their parse: a fleet publishes on a few topics per device again and
 * again, and a lookup is cheaper than splitting and checking each time. Only valid topics are
 * kept, and the cache is emptied when full, so hostile topics cannot grow it.
 */
const knownTopics = new Map<string, ParsedTopic>();
const KNOWN_TOPICS_MAX = 50_000;

export function decodeMessage(topicName: string, payload: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const maxBytes = options.maxBytes ?? MAX_PAYLOAD_BYTES;
  let topic = knownTopics.get(topicName);
  if (topic === undefined) {
    const parsedTopic = parseTopic(topicName);
    if (!parsedTopic.ok) return { ok: false, reason: 'bad-topic', error: parsedTopic.error };
    topic = Object.freeze(parsedTopic.topic);
    if (knownTopics.size >= KNOWN_TOPICS_MAX) knownTopics.clear();
    knownTopics.set(topicName, topic);
  }
  if (payload.byteLength > maxBytes) {
    return { ok: false, reason: 'too-large', error: `payload of ${payload.byteLength} bytes exceeds the limit of ${maxBytes}` };
  }
  let json: unknown;
  // MQTT clients hand over Buffers already: decode in place rather than wrapping a new view first.
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  // JSON is UTF-8 (RFC 8259): invalid bytes would be stored as U+FFFD, silently changing the text.
  if (!isUtf8(bytes)) return { ok: false, reason: 'not-json', error: 'payload is not JSON: it is not valid UTF-8' };
  try {
    const text = bytes.toString('utf8');
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'not-json', error: `payload is not JSON: ${(err as Error).message}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, reason: 'schema', error: 'payload is not a JSON object' };
  }
  const version = (json as { v?: unknown }).v;
  if (version !== SCHEMA_VERSION) {
    return {
      ok: false,
      reason: 'bad-version',
      error: `unsupported schema version ${JSON.stringify(version) ?? 'missing'} (this build reads v${SCHEMA_VERSION})`,
    };
  }
  // Accept path: the validator compiled from the zod schemas (compiledValidators.ts). Whatever it
  // does not accept goes to zod, which decides and says precisely what is wrong.
  let message = acceptFast(json);
  if (message === undefined) {
    const result = WireMessage.safeParse(json, { reportInput: true });
    if (!result.success) {
      const problems = toProblems(result.error);
      const shown = problems
        .slice(0, 3)
        .map((p) => p.message)
        .join('; ');
      const more = problems.length > 3 ? ` (+${problems.length - 3} more)` : '';
      return { ok: false, reason: 'schema', error: `invalid message: ${shown}${more}` };
    }
    message = result.data;
  }
  const expectedType = TYPE_FOR_TOPIC[topic.kind];
  if (message.type !== expectedType) {
    return { ok: false, reason: 'topic-mismatch', error: `a ${message.type} message on a ${topic.kind} topic (expected ${expectedType})` };
  }
  if (message.tenant !== topic.tenant || message.agentId !== topic.agentId) {
    return {
      ok: false,
      reason: 'topic-mismatch',
      error: `payload names ${message.tenant}/${message.agentId} but the topic is ${topic.tenant}/${topic.agentId}`,
    };
  }
  if ('deviceId' in message && 'deviceId' in topic && message.deviceId !== topic.deviceId) {
    return { ok: false, reason: 'topic-mismatch', error: `payload device ${message.deviceId} differs from topic device ${topic.deviceId}` };
  }
  return { ok: true, topic, message };
}

export function encodeMessage(message: WireMessage): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

/** Common envelope fields for a new message; `now` comes from the caller's clock. */
export function envelope(now: Date, tenant: string, agentId: string): { v: typeof SCHEMA_VERSION; id: string; ts: string; tenant: string; agentId: string } {
  return { v: SCHEMA_VERSION, id: randomUUID(), ts: now.toISOString(), tenant, agentId };
}
