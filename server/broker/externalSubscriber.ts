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
 *
 * The session is persistent (clean: false, session expiry), so messages published while the
 * server is down or restarting are queued by the broker and delivered after reconnecting; a
 * message whose PUBACK was never sent is redelivered and then dropped as a duplicate if it had
 * been committed after all.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from '../../shared/logging.js';
import { serverSubscriptions } from '../../shared/wire/topics.js';
import type { Ingest, IngestVerdict } from '../ingest/ingest.js';
import type { ExternalBrokerSettings } from '../serverConfig.js';

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, cbStorePut?: unknown, noStore?: boolean) => void;

export interface ExternalSubscriber {
  readonly client: MqttClient;
  /** Resolves once subscribed (first connection). */
  readonly ready: Promise<void>;
  connected(): boolean;
  close(): Promise<void>;
}

const YIELD_EVERY = 256;

/** PUBACK reason code for a message we dropped as invalid (MQTT v5 0x99 "payload format invalid"). */
const PAYLOAD_FORMAT_INVALID = 0x99;

export function startExternalSubscriber(settings: ExternalBrokerSettings, deps: { ingest: Ingest; logger: Logger; clientId: string }): ExternalSubscriber {
  const { ingest, logger } = deps;
  const pending = new Map<number, { verdict: Promise<IngestVerdict>; connection: number }>();
  let sinceYield = 0;
  /** Counts connections: a PUBACK is only ever sent on the connection that received the message. */
  let connection = 0;
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
      const id = packet.messageId;
      const verdict = ingest.handle(topic, message);
      if (id !== undefined) pending.set(id, { verdict, connection });
      // mqtt.js parses a whole socket buffer without yielding; every so often give the event loop a
      // turn so that finished commits release their PUBACKs and the broker keeps sending.
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
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
  const send = internal._sendPacket.bind(client);
  internal._sendPacket = (packet, cb, cbStorePut, noStore) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined && pending.has(packet.messageId)) {
      const { verdict, connection: receivedOn } = pending.get(packet.messageId)!;
      pending.delete(packet.messageId);
      cb?.(); // let mqtt.js read the next packet now
      void verdict.then((v) => {
        if (v.outcome === 'failed') {
          // Not durable: no PUBACK. Reconnect so that the broker redelivers it.
          logger.error({ messageId: packet.messageId }, 'message not stored; reconnecting so the broker redelivers it');
          client.stream?.destroy();
          return;
        }
        // After a reconnect the broker redelivers the message itself; ingest then answers "duplicate".
        if (!client.connected || receivedOn !== connection) return;
        send(v.outcome === 'rejected' ? { ...packet, reasonCode: PAYLOAD_FORMAT_INVALID } : packet);
      });
      return;
    }
    send(packet, cb, cbStorePut, noStore);
  };
  // QoS 0 messages never reach customHandleAcks.
  client.on('message', (topic, payload, packet) => {
    if (packet.qos === 0) void ingest.handle(topic, payload);
  });
  client.on('error', (err) => logger.warn({ err: err.message, url: settings.url }, 'MQTT broker connection error'));
  client.on('offline', () => logger.warn({ url: settings.url }, 'MQTT broker unreachable; reconnecting'));
  const ready = new Promise<void>((resolve) => {
    client.on('connect', (connack) => {
      connection += 1;
      logger.info({ url: settings.url, sessionPresent: connack.sessionPresent }, 'connected to the MQTT broker');
      client.subscribe(serverSubscriptions(settings.shareGroup), { qos: 1 }, (err, granted) => {
        if (err) {
          logger.error({ err: err.message }, 'subscription failed');
          return;
        }
        const refused = (granted ?? []).filter((g) => g.qos > 2);
        if (refused.length > 0) logger.error({ refused: refused.map((g) => g.topic) }, 'the broker refused subscriptions (check its ACL for the server user)');
        resolve();
      });
    });
  });
  return {
    client,
    ready,
    connected: () => client.connected,
    close: () => new Promise<void>((resolve) => client.end(false, {}, () => resolve())),
  };
}
