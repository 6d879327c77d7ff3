/**
 * Subscribing to an external broker (Mosquitto, EMQX, HiveMQ) with mqtt.js v5.
 *
 * Acknowledgement after durability: mqtt.js handles incoming packets one at a time and sends the
 * PUBACK as soon as `customHandleAcks` calls back, so waiting there for our commit would allow
 * one message per fsync. Instead we let mqtt.js move on at once and hold the PUBACK itself: the
 * client's packet writer is wrapped so that a PUBACK for a message still being ingested is
 * written only when ingest has made it durable. The broker may have up to `receiveMaximum`
 * unacknowledged messages in flight to us, which is what lets one commit cover many messages.
 * The wrapper relies on mqtt.js' internal `_sendPacket` (checked at start-up; mqtt is pinned).
 * The messages parsed in one run are ingested as one batch (one transaction, a savepoint each) and
 * their PUBACKs written together, as ready-made bytes, once that transaction is durable.
 *
 * The session is persistent (clean: false, session expiry), so messages published while the
 * server is down or restarting are queued by the broker and delivered after reconnecting; a
 * message whose PUBACK was never sent is redelivered and then dropped as a duplicate if it had
 * been committed after all.
 *
 * close() drains: messages read after it began are not ingested and never acknowledged (mqtt.js
 * then stops reading; the broker keeps them in the session and redelivers them after the restart),
 * every batch already handed to ingest is committed and its PUBACKs written, then the connection is
 * closed with DISCONNECT once the broker has read them; the session stays on the broker side (no
 * unsubscribe: that would drop what it queues meanwhile).
 *
 * With `partition` (agent partitions, docs/scale-out.md) every message of another partition's agents
 * is acknowledged at once without being read: that partition's share group has its own copy.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from '../../shared/logging.js';
import { partitionOfTopic, serverSubscriptions } from '../../shared/wire/topics.js';
import type { Ingest, IngestVerdict } from '../ingest/ingest.js';
import type { ExternalBrokerSettings } from '../serverConfig.js';

type PubackPacket = Extract<Packet, { cmd: 'puback' }>;
type SendPacket = (packet: Packet, cb?: (err?: Error) => void, cbStorePut?: unknown, noStore?: boolean) => void;

export interface ExternalSubscriber {
  readonly client: MqttClient;
  /** Resolves once subscribed (first connection). */
  readonly ready: Promise<void>;
  /**
   * Why no message can reach us now, or undefined when connected AND subscribed on this connection.
   * Between CONNECT and SUBACK a session the broker has never seen has no subscription yet: what
   * agents publish meanwhile matches nothing and is dropped by the broker, so that is "not ready".
   */
  problem(): string | undefined;
  close(): Promise<void>;
}

/**
 * mqtt.js parses a whole socket buffer without yielding, so the subscriber yields every so many
 * messages (see customHandleAcks). Each run between yields is one ingest batch (one transaction):
 * bigger runs mean fewer, larger commits (each device record serialised once per commit, not once
 * per message), but at least a few yields per receive window keep PUBACKs flowing.
 */
function yieldEvery(receiveMaximum: number): number {
  return Math.max(16, Math.min(1024, Math.floor(receiveMaximum / 4)));
}

/** How long close() waits for the broker to close the connection after our DISCONNECT. */
const CLOSE_HANDSHAKE_MS = 3000;

/** PUBACK reason code for a message we dropped as invalid (MQTT v5 0x99 "payload format invalid"). */
const PAYLOAD_FORMAT_INVALID = 0x99;

/**
 * One MQTT v5 PUBACK written at `at` as ready-made bytes: 0x40, remaining length, packet id, and the
 * reason code only when it is not 0 (success: 4 bytes, else 5). Returns the offset after it.
 */
function putPuback(bytes: Buffer, at: number, packetId: number, reasonCode: number): number {
  bytes[at] = 0x40;
  bytes[at + 1] = reasonCode === 0 ? 2 : 3;
  bytes.writeUInt16BE(packetId, at + 2);
  if (reasonCode === 0) return at + 4;
  bytes[at + 4] = reasonCode;
  return at + 5;
}

/**
 * The QoS 1 messages parsed in one run of mqtt.js (one socket read, at most yieldEvery()): ingested
 * together as one transaction; their PUBACKs are held here until its commit.
 */
interface Batch {
  readonly connection: number;
  readonly messages: { topic: string; payload: Uint8Array }[];
  /** PUBACK packet per message, once mqtt.js has tried to send it. */
  readonly pubacks: (PubackPacket | undefined)[];
  verdicts: IngestVerdict[] | undefined;
}

export interface ExternalSubscriberDeps {
  ingest: Ingest;
  logger: Logger;
  clientId: string;
  /**
   * Ingest one batch at a time (PostgreSQL storage, server/cluster): concurrent units of one process
   * conflict with each other (batches of one agent write the same agent and device records) and are
   * re-run, which costs more than it overlaps. The journaled store serialises commits itself and keeps overlapping.
   */
  serialBatches?: boolean;
  /** Counts the messages left to another partition (acknowledged, not applied here). */
  onOtherPartition?: () => void;
}

export function startExternalSubscriber(settings: ExternalBrokerSettings, deps: ExternalSubscriberDeps): ExternalSubscriber {
  const { ingest, logger } = deps;
  const pending = new Map<number, { batch: Batch; index: number }>();
  let sinceYield = 0;
  const YIELD_EVERY = yieldEvery(settings.receiveMaximum);
  const partition = settings.partition;
  const subscriptions = serverSubscriptions(settings.shareGroup, partition);
  const ours = (topic: string): boolean => {
    if (!partition || partitionOfTopic(topic, partition.count) === partition.index) return true;
    deps.onOtherPartition?.();
    return false;
  };
  /**
   * Packet ids of other partitions' messages: their PUBACKs go out together, as ready-made bytes in
   * one socket write per event-loop turn (each partition receives the whole stream, so most messages
   * an instance sees are these).
   */
  const foreign = new Set<number>();
  let foreignAcks: number[] = [];
  const writeForeignAcks = (): void => {
    const ids = foreignAcks;
    foreignAcks = [];
    const stream = client.stream;
    if (ids.length === 0 || !client.connected || stream.destroyed) return; // the broker redelivers them after the reconnect
    const bytes = Buffer.allocUnsafe(ids.length * 4);
    ids.reduce((at, id) => putPuback(bytes, at, id, 0), 0);
    stream.write(bytes);
  };
  /** Counts connections: a PUBACK is only ever sent on the connection that received the message. */
  let connection = 0;
  /** The subscription on the current connection. */
  let subscription: 'pending' | 'granted' | { refused: string } = 'pending';
  let collecting: Batch | undefined;
  let send: SendPacket = () => undefined;

  const acknowledge = (batch: Batch, index: number, packet: PubackPacket): void => {
    const v = batch.verdicts![index]!;
    // Not durable: no PUBACK (the whole batch failed; the caller reconnects once).
    if (v.outcome === 'failed') return;
    // After a reconnect the broker redelivers the message itself; ingest then answers "duplicate".
    if (!client.connected || batch.connection !== connection) return;
    send(v.outcome === 'rejected' ? { ...packet, reasonCode: PAYLOAD_FORMAT_INVALID } : packet);
  };

  /** The last batch handed to ingest (serialBatches: the next waits for it). */
  let previous: Promise<unknown> = Promise.resolve();
  /** Batches handed to ingest whose PUBACKs are not written yet: close() waits for them. */
  const inFlight = new Set<Promise<void>>();
  let draining = false;
  const dispatch = (batch: Batch): void => {
    if (collecting === batch) collecting = undefined;
    const run = (): Promise<IngestVerdict[]> => {
      const verdicts = ingest.handleBatch(batch.messages);
      // handleBatch has read the payloads already: let them go rather than hold them until the commit.
      batch.messages.length = 0;
      return verdicts;
    };
    const verdictsOf = deps.serialBatches ? previous.then(run, run) : run();
    previous = verdictsOf;
    const acknowledged = verdictsOf.then((verdicts) => {
      batch.verdicts = verdicts;
      if (client.connected && batch.connection === connection) writePubacks(batch);
      batch.pubacks.length = 0;
      if (verdicts.some((v) => v.outcome === 'failed')) {
        // Not durable: reconnect so that the broker redelivers what was not acknowledged.
        logger.error({ messages: verdicts.length }, 'messages not stored; reconnecting so the broker redelivers them');
        client.stream?.destroy();
      }
    });
    inFlight.add(acknowledged);
    void acknowledged.finally(() => inFlight.delete(acknowledged));
  };

  /**
   * The held PUBACKs of a committed batch as ONE socket write of ready-made bytes, instead of one
   * trip through mqtt.js' packet writer each (a measurable part of the CPU per message).
   */
  const writePubacks = (batch: Batch): void => {
    const stream = client.stream;
    let size = 0;
    for (let i = 0; i < batch.pubacks.length; i++) {
      const v = batch.verdicts![i];
      if (batch.pubacks[i] && v && v.outcome !== 'failed') size += v.outcome === 'rejected' ? 5 : 4;
    }
    if (size === 0 || stream.destroyed) return;
    const bytes = Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = 0; i < batch.pubacks.length; i++) {
      const packet = batch.pubacks[i];
      const v = batch.verdicts![i];
      if (!packet || !v || v.outcome === 'failed') continue;
      at = putPuback(bytes, at, packet.messageId!, v.outcome === 'rejected' ? PAYLOAD_FORMAT_INVALID : 0);
    }
    stream.write(bytes);
  };

  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: settings.clientId ?? deps.clientId,
    clean: false,
    keepalive: settings.keepaliveSeconds,
    reconnectPeriod: 1000,
    properties: { receiveMaximum: settings.receiveMaximum, sessionExpiryInterval: Math.round(settings.sessionExpiry / 1000) },
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(settings.ca !== undefined ? { ca: readFileSync(settings.ca) } : {}),
    ...(settings.cert !== undefined ? { cert: readFileSync(settings.cert) } : {}),
    ...(settings.key !== undefined ? { key: readFileSync(settings.key) } : {}),
    rejectUnauthorized: !settings.insecureSkipVerify,
    // mqtt.js calls its debug logger ~10 times per message even when DEBUG is off (about 1 µs of
    // CPU per message); keep it only when someone asked for debug output.
    ...(process.env.DEBUG ? {} : { log: () => undefined }),
    customHandleAcks: (topic: string, message: Buffer, packet: IPublishPacket, done: (error: Error | number, code?: number) => void) => {
      // Stopping: neither ingested nor acknowledged (done is never called, so mqtt.js reads no further).
      if (draining) return;
      // Another partition's agent: acknowledged now, not read (see `foreign`).
      if (!ours(topic)) {
        if (packet.messageId !== undefined) foreign.add(packet.messageId);
        return done(0);
      }
      const id = packet.messageId;
      // Everything mqtt.js parses before the event loop comes round joins one batch.
      if (!collecting) {
        const batch: Batch = { connection, messages: [], pubacks: [], verdicts: undefined };
        collecting = batch;
        queueMicrotask(() => {
          if (collecting === batch) dispatch(batch);
        });
      }
      const batch = collecting;
      const index = batch.messages.push({ topic, payload: message }) - 1;
      if (id !== undefined) pending.set(id, { batch, index });
      // mqtt.js parses a whole socket buffer without yielding; every so often give the event loop a
      // turn so that finished commits release their PUBACKs and the broker keeps sending.
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        dispatch(batch);
        setImmediate(() => done(0));
      } else done(0);
    },
  };
  const client = mqtt.connect(settings.url, options);
  const internal = client as unknown as { _sendPacket?: SendPacket };
  if (typeof internal._sendPacket !== 'function') {
    client.end(true);
    throw new Error('this mqtt.js version has no _sendPacket: manual PUBACK after durable commit is not possible (mqtt is pinned to 5.16.0)');
  }
  send = internal._sendPacket.bind(client);
  internal._sendPacket = (packet, cb, cbStorePut, noStore) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined && foreign.delete(packet.messageId)) {
      if (foreignAcks.push(packet.messageId) === 1) setImmediate(writeForeignAcks);
      cb?.();
      return;
    }
    if (packet.cmd === 'puback' && packet.messageId !== undefined && pending.has(packet.messageId)) {
      const { batch, index } = pending.get(packet.messageId)!;
      pending.delete(packet.messageId);
      cb?.(); // let mqtt.js read the next packet now
      if (batch.verdicts) acknowledge(batch, index, packet);
      else batch.pubacks[index] = packet;
      return;
    }
    send(packet, cb, cbStorePut, noStore);
  };
  // QoS 0 messages never reach customHandleAcks.
  client.on('message', (topic, payload, packet) => {
    if (packet.qos === 0 && !draining && ours(topic)) void ingest.handle(topic, payload);
  });
  client.on('error', (err) => logger.warn({ err: err.message, url: settings.url }, 'MQTT broker connection error'));
  client.on('offline', () => logger.warn({ url: settings.url }, 'MQTT broker unreachable; reconnecting'));
  const ready = new Promise<void>((resolve) => {
    client.on('connect', (connack) => {
      connection += 1;
      subscription = 'pending';
      // Packet ids are per connection: the broker redelivers what was not acknowledged on the last one.
      foreign.clear();
      foreignAcks = [];
      logger.info(
        { url: settings.url, sessionPresent: connack.sessionPresent, ...(partition ? { partition: `${partition.index} of ${partition.count}` } : {}) },
        'connected to the MQTT broker',
      );
      client.subscribe(subscriptions, { qos: 1 }, (err, granted) => {
        if (err) {
          subscription = { refused: err.message };
          logger.error({ err: err.message }, 'subscription failed');
          return;
        }
        const refused = (granted ?? []).filter((g) => g.qos > 2);
        if (refused.length > 0) {
          subscription = { refused: refused.map((g) => g.topic).join(', ') };
          logger.error({ refused: refused.map((g) => g.topic) }, 'the broker refused subscriptions (check its ACL for the server user)');
        } else subscription = 'granted';
        resolve();
      });
    });
  });
  return {
    client,
    ready,
    problem: () => {
      if (!client.connected) return `not connected to the MQTT broker ${settings.url}`;
      if (subscription === 'pending') return `subscribing at the MQTT broker ${settings.url}`;
      if (subscription !== 'granted') return `the MQTT broker ${settings.url} refused the subscription (${subscription.refused})`;
      return undefined;
    },
    close: async () => {
      draining = true;
      // The batch being collected right now still goes to ingest with the messages it holds.
      if (collecting) dispatch(collecting);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      const stream = client.stream;
      if (!client.connected || stream.destroyed) {
        await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
        return;
      }
      // A clean MQTT close (DISCONNECT, then FIN after the PUBACKs just written), finished only when
      // the broker closes its side, i.e. after it has read every PUBACK. Dropping the socket at once
      // let a quick restart take the session over before the broker had read them (it then discards
      // them and redelivers up to a receive window). mqtt.js reads nothing more while draining, so
      // read on here and throw away what comes: the held-back messages are redelivered after the restart.
      writeForeignAcks(); // other partitions' messages acknowledged this turn: before the DISCONNECT
      stream.unpipe();
      stream.on('data', () => undefined);
      stream.resume();
      const timer = setTimeout(() => stream.destroy(), CLOSE_HANDSHAKE_MS);
      await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
      clearTimeout(timer);
    },
  };
}
