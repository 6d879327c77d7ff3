/**
 * MQTT reporting (mqtt.js, protocol v5) per shared/wire: a persistent session (fixed client id,
 * clean: false), a retained birth message on every connect and a retained last will, the latest
 * device.state per device (retained, only the newest is kept while offline), and the outbox
 * drained in order at QoS 1 with a bounded window of unacknowledged messages.
 *
 * Reconnects back off exponentially (with jitter) up to `maxBackoffMs`. On a lost connection the
 * outbox cursor goes back to the oldest unacknowledged record, so everything not acknowledged is
 * sent again after reconnect (same message ids; the server drops repeats).
 *
 * An MQTT v5 broker that has no subscription for a message says so in its PUBACK (reason 0x10, "no
 * matching subscribers") and keeps no copy: the FleetDesk server has never connected to it, or its
 * session expired while it was down. Such an outbox record is not acknowledged: the outbox holds it,
 * and the lane is offered again after a back-off until a subscriber takes it. Retained messages
 * (states, status) stay with the broker either way. MQTT 3.1.1 has no reason codes: nothing to see.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { BrokerConnection } from '../../shared/config/common.js';
import type { Logger } from '../../shared/logging.js';
import { decodeMessage, encodeMessage, envelope } from '../../shared/wire/codec.js';
import type { AgentCommandMessage, AgentStatusMessage, DeviceStateMessage } from '../../shared/wire/messages.js';
import { commandsTopic, deviceTopic, statusTopic, TOPIC_POLICY } from '../../shared/wire/topics.js';
import type { Outbox, OutboxRecord } from '../outbox/outbox.js';

export interface PublisherOptions {
  broker: BrokerConnection;
  tenant: string;
  agentId: string;
  version: string;
  startedAt: Date;
  clock: Clock;
  log: Logger;
  outbox: Outbox;
  /** Unacknowledged QoS 1 messages allowed at once. */
  window?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Numbers for the birth message. */
  describe?: () => { devices: number; outboxDepth: number };
  onCommand?: (command: AgentCommandMessage['command']) => void;
}

export interface PublisherStats {
  readonly connected: boolean;
  readonly connects: number;
  readonly published: number;
  readonly publishErrors: number;
  readonly lastPublishAt: number | null;
  readonly lastError: string | null;
  readonly inFlight: number;
  readonly pendingStates: number;
  /** Since when the broker has had no subscriber for the outbox's messages (they wait); null when it has. */
  readonly waitingForSubscriberSince: number | null;
}

/** MQTT v5 PUBACK reason: the broker accepted the message, but no subscription matched, so nobody will get it. */
const NO_MATCHING_SUBSCRIBERS = 0x10;

/**
 * Client id used when the config names none: the agent's username "<tenant>/<agentId>". Stable, so
 * the broker keeps the session, and bound to the credential: the embedded broker (and Mosquitto with
 * use_username_as_clientid) refuses it to any other login, so no other agent can take the session over.
 */
export function defaultClientId(tenant: string, agentId: string): string {
  return `${tenant}/${agentId}`;
}

export class Publisher {
  private client: MqttClient | null = null;
  private connected = false;
  private window: OutboxRecord[] = [];
  /** Latest state per device not yet acknowledged by the broker. */
  private readonly states = new Map<string, DeviceStateMessage>();
  private readonly statesInFlight = new Set<string>();
  private backoff: number;
  private connects = 0;
  private published = 0;
  private publishErrors = 0;
  private lastPublishAt: number | null = null;
  private lastError: string | null = null;
  private stopping = false;
  private generation = 0;
  /** Packet ids (this connection) the broker answered with "no matching subscribers". */
  private readonly unmatched = new Set<number>();
  private waitingSince: number | null = null;
  private waitTimer: TimerHandle | undefined;
  private waitBackoff: number;

  constructor(private readonly opts: PublisherOptions) {
    this.backoff = opts.initialBackoffMs ?? 1000;
    this.waitBackoff = this.backoff;
  }

  private statusMessage(state: 'online' | 'offline', reason: AgentStatusMessage['reason']): AgentStatusMessage {
    const d = this.opts.describe?.();
    return {
      ...envelope(new Date(this.opts.clock.now()), this.opts.tenant, this.opts.agentId),
      type: 'agent.status',
      state,
      reason,
      agentVersion: this.opts.version.slice(0, 64),
      startedAt: this.opts.startedAt.toISOString(),
      hostname: hostname().slice(0, 255),
      ...(d ? { devices: d.devices, outboxDepth: d.outboxDepth } : {}),
    };
  }

  /** Id of the will registered with the connection being made: the birth names it (wire `willId`). */
  private willId: string | undefined;

  private will(): NonNullable<IClientOptions['will']> {
    const message = this.statusMessage('offline', 'will');
    this.willId = message.id;
    return {
      topic: statusTopic(this.opts.tenant, this.opts.agentId),
      payload: encodeMessage(message),
      qos: TOPIC_POLICY.status.qos,
      retain: TOPIC_POLICY.status.retain,
    };
  }

  private clientOptions(): IClientOptions {
    const b = this.opts.broker;
    const readPem = (what: string, path: string | undefined) => {
      if (!path) return undefined;
      try {
        return readFileSync(path);
      } catch (err) {
        throw new Error(`cannot read broker.${what} file ${path}: ${(err as Error).message}`);
      }
    };
    const v5 = (b.protocolVersion ?? 5) === 5;
    return {
      protocolVersion: v5 ? 5 : 4,
      clientId: b.clientId ?? defaultClientId(this.opts.tenant, this.opts.agentId),
      clean: false,
      // Keep the session a week: long outages must not lose the broker-side state.
      // (MQTT 3.1.1 has no expiry: a clean=false session lives until the broker drops it.)
      ...(v5 ? { properties: { sessionExpiryInterval: 7 * 24 * 3600 } } : {}),
      keepalive: b.keepaliveSeconds,
      username: b.username,
      password: b.password,
      ca: readPem('ca', b.ca),
      cert: readPem('cert', b.cert),
      key: readPem('key', b.key),
      rejectUnauthorized: !b.insecureSkipVerify,
      reconnectPeriod: this.backoff,
      // mqtt.js stops for good after a refused CONNACK (bad credentials, not authorised, protocol
      // version) unless told otherwise. An unattended agent keeps trying with back-off: the
      // credentials may be fixed on the server, or the broker may have been mid-restart.
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      will: this.will(),
      // We keep our own durable queue; mqtt.js must not queue while offline.
      queueQoSZero: false,
    };
  }

  /** Connects in the background; never throws for an unreachable broker (it keeps retrying). */
  start(): void {
    const client = mqtt.connect(this.opts.broker.url, this.clientOptions());
    this.client = client;
    const log = this.opts.log;
    client.on('connect', (connack) => {
      this.connected = true;
      this.connects++;
      this.lastError = null;
      this.backoff = this.opts.initialBackoffMs ?? 1000;
      client.options.reconnectPeriod = this.backoff;
      log.info({ broker: this.opts.broker.url, sessionPresent: connack.sessionPresent, connects: this.connects }, 'connected to broker');
      const birth = this.statusMessage('online', 'birth');
      this.publishRaw(
        statusTopic(this.opts.tenant, this.opts.agentId),
        encodeMessage(this.willId !== undefined ? { ...birth, willId: this.willId } : birth),
        true,
      );
      client.subscribe(commandsTopic(this.opts.tenant, this.opts.agentId), { qos: 1 }, (err) => {
        if (err) log.warn({ err: err.message }, 'cannot subscribe to the commands topic');
      });
      this.pump();
    });
    // The PUBACK's reason code does not reach the publish callback: note it as the packet arrives.
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback' && packet.reasonCode === NO_MATCHING_SUBSCRIBERS && packet.messageId !== undefined) this.unmatched.add(packet.messageId);
    });
    client.on('close', () => {
      if (this.connected && !this.stopping) log.warn({ broker: this.opts.broker.url }, 'lost the broker connection; reporting continues into the outbox');
      this.onDisconnect();
      // Exponential back-off with jitter; mqtt.js reads reconnectPeriod when it schedules the next try.
      const max = this.opts.maxBackoffMs ?? 60_000;
      client.options.reconnectPeriod = Math.min(max, Math.round(this.backoff * (0.75 + Math.random() * 0.5)));
      this.backoff = Math.min(this.backoff * 2, max);
      // A fresh will (new message id) for the next connection.
      client.options.will = this.will();
    });
    client.on('error', (err) => {
      // Brokers without MQTT 5 (aedes, older Mosquitto) refuse the CONNECT; unless the config pins
      // a version, the next attempt speaks 3.1.1, which keeps the persistent session (clean=false).
      if (this.opts.broker.protocolVersion === undefined && client.options.protocolVersion === 5 && /unacceptable protocol version/i.test(err.message)) {
        log.info({ broker: this.opts.broker.url }, 'broker does not accept MQTT 5; using MQTT 3.1.1');
        client.options.protocolVersion = 4;
        delete client.options.properties;
        client.options.reconnectPeriod = 100;
        return;
      }
      // One warning per outage; the retries that follow are debug noise (the agent may be cut off for days).
      if (this.lastError !== err.message) log.warn({ broker: this.opts.broker.url, err: err.message }, 'broker connection error; retrying with back-off');
      else log.debug({ broker: this.opts.broker.url, err: err.message }, 'broker connection error');
      this.lastError = err.message;
    });
    client.on('message', (topic, payload) => {
      const decoded = decodeMessage(topic, payload);
      if (!decoded.ok) {
        log.warn({ topic, reason: decoded.reason, err: decoded.error }, 'ignored an invalid command');
        return;
      }
      if (decoded.message.type === 'agent.command') this.opts.onCommand?.(decoded.message.command);
    });
  }

  private onDisconnect(): void {
    this.connected = false;
    this.generation++;
    this.unmatched.clear();
    // Everything handed out but not acknowledged goes out again after reconnect, in order.
    const oldest = this.window[0];
    for (const rec of this.window) this.opts.outbox.retry(rec);
    if (oldest) this.opts.outbox.retry(oldest);
    this.window = [];
    this.statesInFlight.clear();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Queues the newest retained state of a device; an older unsent state is replaced. */
  publishState(message: DeviceStateMessage): void {
    this.states.set(message.deviceId, message);
    this.pump();
  }

  /** New outbox records are waiting. */
  kick(): void {
    this.pump();
  }

  /** `unmatched`: the broker took the message but had no subscriber for it (see the file comment). */
  private publishRaw(topic: string, payload: Buffer, retain: boolean, done?: (err: Error | undefined, unmatched: boolean) => void): void {
    this.client?.publish(topic, payload, { qos: 1, retain }, (err, packet) => {
      // mqtt.js hands back the PUBLISH it sent; its id is the one the PUBACK answered.
      const id = packet?.messageId;
      const unmatched = id !== undefined && this.unmatched.delete(id);
      if (err) {
        this.publishErrors++;
        this.lastError = err.message;
      } else {
        this.published++;
        this.lastPublishAt = this.opts.clock.now();
      }
      done?.(err ?? undefined, unmatched);
    });
  }

  /**
   * The broker had no subscriber for an outbox record: stop handing out records, and offer the lane
   * again after a back-off (doubling up to maxBackoffMs), until a subscriber takes one.
   */
  private waitForSubscriber(): void {
    if (this.waitingSince === null) {
      this.waitingSince = this.opts.clock.now();
      this.opts.log.warn(
        { broker: this.opts.broker.url },
        'the broker has no subscriber for this agent’s messages (the FleetDesk server has not connected to it yet, or its session expired); they stay in the outbox and are offered again',
      );
    }
    if (this.waitTimer || this.stopping) return;
    this.waitTimer = this.opts.clock.setTimeout(() => {
      this.waitTimer = undefined;
      this.pump();
    }, this.waitBackoff);
    this.waitBackoff = Math.min(this.waitBackoff * 2, this.opts.maxBackoffMs ?? 60_000);
  }

  /** A record reached a subscriber: the wait (if any) is over. */
  private subscriberSeen(): void {
    if (this.waitingSince === null) return;
    this.opts.log.info(
      { broker: this.opts.broker.url, waitedMs: this.opts.clock.now() - this.waitingSince },
      'the broker has a subscriber again; delivering the outbox',
    );
    this.waitingSince = null;
    this.waitBackoff = this.opts.initialBackoffMs ?? 1000;
  }

  private pump(): void {
    if (!this.connected || !this.client || this.stopping) return;
    const max = this.opts.window ?? 64;
    const gen = this.generation;
    for (const [deviceId, msg] of this.states) {
      if (this.window.length + this.statesInFlight.size >= max) return;
      if (this.statesInFlight.has(deviceId)) continue;
      this.statesInFlight.add(deviceId);
      this.publishRaw(deviceTopic(msg.tenant, msg.agentId, deviceId, 'state'), encodeMessage(msg), TOPIC_POLICY.state.retain, (err) => {
        if (gen !== this.generation) return;
        this.statesInFlight.delete(deviceId);
        if (!err && this.states.get(deviceId) === msg) this.states.delete(deviceId);
        this.pump();
      });
    }
    // Waiting for a subscriber: one record at a time probes whether one has come.
    const limit = this.waitingSince === null ? max : 1;
    while (!this.waitTimer && this.window.length + this.statesInFlight.size < limit) {
      const rec = this.opts.outbox.next();
      if (!rec) return;
      this.window.push(rec);
      const kind = rec.lane === 'events' ? 'events' : 'telemetry';
      this.publishRaw(rec.topic, Buffer.from(JSON.stringify(rec.message), 'utf8'), TOPIC_POLICY[kind].retain, (err, unmatched) => {
        if (err || unmatched) {
          if (gen === this.generation) {
            this.opts.outbox.retry(rec);
            this.window = this.window.filter((r) => r !== rec);
            if (unmatched) this.waitForSubscriber();
          }
          return;
        }
        this.subscriberSeen();
        this.opts.outbox.ack(rec);
        if (gen !== this.generation) return;
        this.window = this.window.filter((r) => r !== rec);
        this.pump();
      });
    }
  }

  stats(): PublisherStats {
    return {
      connected: this.connected,
      connects: this.connects,
      published: this.published,
      publishErrors: this.publishErrors,
      lastPublishAt: this.lastPublishAt,
      lastError: this.lastError,
      inFlight: this.window.length + this.statesInFlight.size,
      pendingStates: this.states.size,
      waitingForSubscriberSince: this.waitingSince,
    };
  }

  /**
   * Clean stop: waits briefly for unacknowledged messages, publishes the retained "offline,
   * shutdown" status and disconnects (no last will then).
   */
  async stop(graceMs = 3000): Promise<void> {
    const client = this.client;
    if (!client) return;
    const deadline = Date.now() + graceMs;
    while (this.connected && this.window.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.stopping = true;
    if (this.waitTimer) this.opts.clock.clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    if (this.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(200, deadline - Date.now()));
        this.publishRaw(statusTopic(this.opts.tenant, this.opts.agentId), encodeMessage(this.statusMessage('offline', 'shutdown')), true, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    await new Promise<void>((resolve) => client.end(!this.connected, {}, () => resolve()));
    this.connected = false;
  }
}
