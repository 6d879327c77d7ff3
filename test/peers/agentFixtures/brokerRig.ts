/**
 * Peer-test rig for the agent: a Mosquitto that can be stopped and started again on the same
 * port with persistence (so a subscriber's QoS 1 session survives the outage), and a
 * subscriber that records every message of the tenant.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { decodeMessage } from '../../../shared/wire/codec.js';
import type { WireMessage } from '../../../shared/wire/messages.js';
import { freeTcpPort, LOOPBACK, makeTempDir, startPeer, tcpAnswers, type PeerProcess } from '../../harness/peers.js';

export class RestartableBroker {
  private peer: PeerProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: { path: string; remove: () => void },
  ) {}

  static async create(): Promise<RestartableBroker> {
    return new RestartableBroker(await freeTcpPort(), makeTempDir('agent-broker'));
  }

  get url(): string {
    return `mqtt://${LOOPBACK}:${this.port}`;
  }

  async start(): Promise<void> {
    const data = join(this.dir.path, 'data');
    mkdirSync(data, { recursive: true });
    const conf = join(this.dir.path, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${this.port} ${LOOPBACK}`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${data}/`,
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        'log_dest stdout',
        'log_type error',
        '',
      ].join('\n'),
    );
    this.peer = await startPeer({
      name: 'mosquitto',
      program: 'mosquitto',
      debPackage: 'mosquitto',
      args: ['-c', conf],
      port: this.port,
      ready: () => tcpAnswers(this.port),
    });
  }

  /** SIGTERM: Mosquitto saves its persistence file on the way out. */
  async stop(): Promise<void> {
    await this.peer?.stop();
    this.peer = null;
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.dir.remove();
  }
}

export interface Received {
  topic: string;
  message: WireMessage;
}

export class Subscriber {
  readonly received: Received[] = [];
  readonly rejected: string[] = [];
  private constructor(private readonly client: MqttClient) {}

  /** A persistent QoS 1 session, so messages published while it reconnects are queued for it. */
  static async connect(url: string, filter: string, clientId = `sub-${process.pid}-${Date.now()}`): Promise<Subscriber> {
    const client = mqtt.connect(url, { clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 200 });
    const sub = new Subscriber(client);
    client.on('error', () => undefined);
    client.on('message', (topic, payload) => {
      const d = decodeMessage(topic, payload);
      if (d.ok) sub.received.push({ topic, message: d.message });
      else sub.rejected.push(`${topic}: ${d.error}`);
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => client.subscribe(filter, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    });
    return sub;
  }

  /** Messages of one type, first occurrence of each id only. */
  unique<T extends WireMessage['type']>(type: T): Extract<WireMessage, { type: T }>[] {
    const seen = new Set<string>();
    const out: Extract<WireMessage, { type: T }>[] = [];
    for (const r of this.received) {
      if (r.message.type !== type || seen.has(r.message.id)) continue;
      seen.add(r.message.id);
      out.push(r.message as Extract<WireMessage, { type: T }>);
    }
    return out;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.client.end(true, {}, () => r()));
  }
}

/** Compact description of device events per device: "jam:fault.raised" etc., in arrival order. */
export function eventsByDevice(events: Extract<WireMessage, { type: 'device.event' }>[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of events) {
    const e = m.event;
    const what =
      e.kind === 'fault.raised' || e.kind === 'fault.cleared'
        ? `${e.kind}:${e.fault.code}`
        : e.kind === 'supply.changed'
          ? `${e.kind}:${e.from}->${e.to}${e.replaced ? ':replaced' : ''}`
          : e.kind;
    (out[m.deviceId] ??= []).push(what);
  }
  return out;
}

export function agentYaml(options: { brokerUrl: string; outboxDir: string; devices: { id: string; address: string }[]; extra?: string }): string {
  return [
    'tenant: t1',
    'agentId: a1',
    'broker:',
    `  url: ${options.brokerUrl}`,
    `  clientId: agent-test-${process.pid}-${Date.now()}`,
    'devices:',
    ...options.devices.map((d) => `  - { id: ${d.id}, address: "${d.address}" }`),
    'polling: { interval: 200ms, jitter: 0.1, timeout: 1s, unreachableAfter: 3, maxBackoff: 1s }',
    'reporting: { reconnectMin: 100ms, reconnectMax: 500ms }',
    `outbox: { dir: "${options.outboxDir}", telemetryFsync: 100ms }`,
    'health: { listen: "127.0.0.1:0" }',
    `log: { level: ${process.env.AGENT_TEST_LOG ?? 'warn'}, format: json }`,
    options.extra ?? '',
    '',
  ].join('\n');
}
