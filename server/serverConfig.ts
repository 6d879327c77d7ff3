/**
 * The server's configuration (server.yaml). Every key has a default, so `fleetdesk server` runs
 * with no file at all: an embedded MQTT broker on 127.0.0.1:1883, storage in ./fleetdesk-data,
 * health/metrics on 127.0.0.1:8080. Environment overrides use the prefix FLEETDESK_SERVER
 * (e.g. FLEETDESK_SERVER__BROKER__EXTERNAL__URL=mqtt://broker:1883).
 *
 * `broker.external` switches from the embedded broker to subscribing to an external one
 * (Mosquitto, EMQX, HiveMQ); `broker.external.shareGroup` makes the subscription shared
 * ($share/<group>/…) so several server instances split the stream.
 */
import { z } from 'zod';
import { BrokerConnection, ByteSize, Duration, LogSettings } from '../shared/config/common.js';
import { Host, isLoopbackHost } from '../shared/config/network.js';
import { unknownContractReferences } from './catalogue/catalogueRecords.js';
import { PRESET_IDS } from './sla/presets.js';
import type { TicketPolicyConfig } from './tickets/ticketPolicy.js';
import { loadConfig, type LoadOptions } from '../shared/config/loader.js';
import { FleetSettings } from './fleet/fleetModel.js';
import { DEFAULT_IMPACT_SETTINGS, ImpactSettings } from './impact/impactRules.js';
import { NotificationSettings } from './notifications/notificationSettings.js';
import { ContractsSettings } from './sla/contractCatalogue.js';
import { IntakeSettings } from './intake/mailSettings.js';
import { RetentionSettings } from './retention/retentionRules.js';

const DAY_MS = 86_400_000;

/** 0 = any free port (tests); otherwise 1-65535. */
const Port = z.number().int().min(0).max(65535);

export const EmbeddedBrokerSettings = z
  .strictObject({
    host: Host.default('127.0.0.1'),
    port: Port.default(1883),
    /** Accept clients without credentials: ONLY for a local demo. Never on a shared network. */
    allowAnonymous: z.boolean().default(false),
    /**
     * allowAnonymous on an address other clients can reach (not loopback) is refused at start
     * unless this is also set: anyone on the network could then publish as any agent.
     */
    allowAnonymousOnNetwork: z.boolean().default(false),
    /** Retained messages the broker keeps in memory; past either limit a retained publish is delivered but not kept. */
    retained: z
      .strictObject({
        maxMessages: z.number().int().min(0).max(10_000_000).default(100_000),
        maxBytes: ByteSize.prefault('256MiB'),
      })
      .prefault({}),
    /** A TLS listener, served in addition to the plain one when a certificate is configured. */
    tls: z
      .strictObject({
        host: Host.default('127.0.0.1'),
        port: Port.default(8883),
        cert: z.string().min(1),
        key: z.string().min(1),
        /** Disable the plain listener: TLS only. */
        only: z.boolean().default(false),
      })
      .optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.allowAnonymous || b.allowAnonymousOnNetwork) return;
    const open = [b.tls?.only ? undefined : b.host, b.tls?.host].filter((h): h is string => h !== undefined && !isLoopbackHost(h));
    if (open.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowAnonymous'],
        message: `false on ${open.join(', ')}: anonymous access there lets anyone on the network publish as any agent (listen on 127.0.0.1, use agent tokens, or set allowAnonymousOnNetwork: true to accept that)`,
        input: b.allowAnonymous,
      });
    }
  })
  .prefault({});
export type EmbeddedBrokerSettings = z.infer<typeof EmbeddedBrokerSettings>;

export const ExternalBrokerSettings = BrokerConnection.extend({
  /** Shared-subscription group: several instances with the same group split the messages. */
  shareGroup: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a group name of A-Z a-z 0-9 _ -')
    .optional(),
  /** MQTT v5 Receive Maximum: unacknowledged QoS 1 messages the broker may send us at once. */
  receiveMaximum: z.number().int().min(1).max(65535).default(4096),
  /** How long the broker keeps our session (and queues messages) while we are away. */
  sessionExpiry: Duration.prefault('1d'),
  /** The server speaks MQTT 5 only (PUBACK reason codes, receive maximum, session expiry). */
  protocolVersion: z.literal(5, 'MQTT 5: the server needs a broker that speaks MQTT 5 (Mosquitto 2, EMQX, HiveMQ)').optional(),
  /**
   * Agent partitions for a broker that deals round-robin (Mosquitto): this instance applies only the
   * messages of the agents that hash to `index` of `count` (shared/wire/topics.ts, docs/scale-out.md).
   */
  partition: z
    .strictObject({
      count: z.number().int().min(1).max(256),
      index: z.number().int().min(0).max(255),
    })
    .superRefine((p, ctx) => {
      if (p.index >= p.count)
        ctx.addIssue({
          code: 'custom',
          path: ['index'],
          input: p.index,
          message: `a partition from 0 to ${p.count - 1} (numbered from 0, below count ${p.count})`,
        });
    })
    .optional(),
}).superRefine((s, ctx) => {
  if (s.partition !== undefined && s.shareGroup === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['shareGroup'],
      input: undefined,
      message: 'a shareGroup with partition (each partition subscribes as <shareGroup>-p<index>-of-<count>)',
    });
});
export type ExternalBrokerSettings = z.infer<typeof ExternalBrokerSettings>;

/** Settings for running several instances against one PostgreSQL database and one broker (issue 10). */
export const ClusterSettings = z
  .strictObject({
    /**
     * This instance's name, unique in the group and STABLE across restarts: the MQTT client id is
     * `fleetdesk-server-<instanceId>` and the broker keeps this instance's share of the stream
     * under it while it restarts. Default: <hostname>-<pid> (fine for one instance only).
     */
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an instance id of A-Z a-z 0-9 . _ - (1-64 characters)')
      .optional(),
    /** Instances that work together: one leader and one live-update channel per group. */
    group: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, 'a group name of A-Z a-z 0-9 _ - (1-40 characters)')
      .default('fleetdesk'),
    leadership: z
      .strictObject({
        /** How often a follower tries to become leader and the leader confirms it still is. */
        checkInterval: Duration.prefault('2s').refine((ms) => ms >= 100 && ms <= 60_000, 'between 100ms and 60s'),
        /** A lock query slower than this makes the leader step down (it may have lost the database). */
        checkTimeout: Duration.prefault('5s').refine((ms) => ms >= 100 && ms <= 60_000, 'between 100ms and 60s'),
      })
      .prefault({}),
  })
  .prefault({});
export type ClusterSettings = z.infer<typeof ClusterSettings>;

/** The embedded store (server/storage/journaledStore.ts): one instance, files under dataDir. */
export const LowdbStorageSettings = z.strictObject({
  kind: z.literal('lowdb'),
  /** Defaults to <dataDir>/store. */
  dir: z.string().min(1).optional(),
  /** Extra wait before a commit so more messages share one fsync; bounded, 0 = next tick. */
  commitDelay: Duration.prefault('0ms').refine((ms) => ms <= 1000, 'at most 1s'),
  /** Rewrite the snapshot and empty the journal when the journal grows past this. */
  compactJournal: ByteSize.prefault('32MiB'),
  /** Processed message ids remembered for deduplication. */
  dedupWindow: z.number().int().min(1000).max(10_000_000).default(200_000),
});
export type LowdbStorageSettings = z.infer<typeof LowdbStorageSettings>;

/** PostgreSQL (server/storage/postgresStore.ts): shared by several server instances. */
export const PostgresStorageSettings = z.strictObject({
  kind: z.literal('postgres'),
  /** postgres://user[:password]@host[:port]/database[?sslmode=require]: a secret, never logged. */
  url: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres://user@host:port/database URL'),
  /** The password, when kept out of the URL (e.g. FLEETDESK_SERVER__STORAGE__PASSWORD). */
  password: z.string().min(1).optional(),
  /** Connections per server instance. */
  poolSize: z.number().int().min(1).max(200).default(10),
  /** Processed message ids remembered for deduplication (shared by all instances). */
  dedupWindow: z.number().int().min(1000).max(10_000_000).default(200_000),
  /** Attempts of a unit of work that meets serialization failures (other instances' changes). */
  maxAttempts: z.number().int().min(1).max(100).default(10),
  connectTimeout: Duration.prefault('5s'),
  /** A statement running longer is cancelled (0 = no limit). */
  statementTimeout: Duration.prefault('30s'),
  /** Longest wait for a row another instance's transaction holds before the unit is retried. */
  lockTimeout: Duration.prefault('50ms'),
  /** How often connectivity is checked for /readyz. */
  healthCheckInterval: Duration.prefault('5s'),
});
export type PostgresStorageSettings = z.infer<typeof PostgresStorageSettings>;

/** `kind` defaults to lowdb, so existing files without it keep working. */
export const StorageSettings = z
  .preprocess(
    (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { ...v, kind: 'lowdb' } : v),
    z.discriminatedUnion('kind', [LowdbStorageSettings, PostgresStorageSettings]),
  )
  .prefault({});
export type StorageSettings = z.infer<typeof StorageSettings>;

export const ServerConfig = z
  .strictObject({
    dataDir: z.string().min(1).default('./fleetdesk-data'),
    broker: z
      .strictObject({
        embedded: EmbeddedBrokerSettings,
        external: ExternalBrokerSettings.optional(),
      })
      .prefault({}),
    http: z
      .strictObject({
        host: Host.default('127.0.0.1'),
        port: Port.default(8080),
      })
      .prefault({}),
    storage: StorageSettings,
    ingest: z
      .strictObject({
        maxPayload: ByteSize.prefault('256KiB'),
        /**
         * An agent silent for this long is offline even without a last will. At least 1m: instances
         * store an agent's last-seen time every 30 s, and the leader judges by the stored time for
         * agents heard by other instances (a shorter window marks them offline while they report).
         */
        agentStaleAfter: Duration.prefault('5m').refine((ms) => ms >= 60_000 && ms <= 7 * DAY_MS, 'between 1m and 7d'),
        staleCheckInterval: Duration.prefault('30s').refine((ms) => ms >= 1000 && ms <= 3_600_000, 'between 1s and 1h'),
      })
      .prefault({}),
    impact: ImpactSettings.prefault(DEFAULT_IMPACT_SETTINGS),
    fleet: FleetSettings,
    /** Contracts in addition to the presets (server/sla, docs/tickets-and-sla.md). */
    contracts: ContractsSettings,
    tickets: z
      .strictObject({
        /** Contract of customers whose `fleet.customers.<id>.contract` is not set. */
        defaultContract: z.string().min(1).max(64).default('device-vendor'),
        // The ticket rule windows (server/tickets/ticketPolicy.ts DEFAULT_POLICY, docs/tickets-and-sla.md).
        /** Every fault of a ticket must stay cleared this long before the device resolves it (flap damping). */
        quietPeriod: Duration.prefault('15m').refine((ms) => ms <= 7 * DAY_MS, 'at most 7d'),
        /** A fault back within this long after the resolution reopens the ticket; afterwards it closes. */
        reopenWindow: Duration.prefault('24h').refine((ms) => ms <= 90 * DAY_MS, 'at most 90d'),
        /** A related fault of the device joins a ticket opened less than this long ago. */
        relatedWindow: Duration.prefault('10m').refine((ms) => ms <= 7 * DAY_MS, 'at most 7d'),
        /** An agent that stopped cleanly (planned stop) opens a ticket only when not back within this long. */
        agentOfflineGrace: Duration.prefault('5m').refine((ms) => ms <= DAY_MS, 'at most 1d'),
      })
      .prefault({}),
    /** Several instances of one installation (server/cluster, docs/scale-out.md); inert with lowdb storage. */
    cluster: ClusterSettings,
    /** Webhooks and e-mail on ticket notices (server/notifications, docs/notifications.md); nothing is sent unless configured. */
    notifications: NotificationSettings,
    /** Reports that people send: the e-mail mailbox polled over IMAP (server/intake, docs/email-intake.md). */
    intake: IntakeSettings,
    /** How long audit entries and e-mail records are kept (server/retention, docs/configuration.md). */
    retention: RetentionSettings,
    log: LogSettings,
  })
  .superRefine((config, ctx) => {
    // Contract references fail at start, with file:line, rather than when the first ticket opens.
    const known = new Set([...PRESET_IDS, ...config.contracts.map((c) => c.id)]);
    const list = [...known].sort().join(', ');
    const unknown = (id: string, path: (string | number)[]) =>
      ctx.addIssue({ code: 'custom', path, message: `a known contract (${list}); ${JSON.stringify(id)} is not one`, input: id });
    if (!known.has(config.tickets.defaultContract)) unknown(config.tickets.defaultContract, ['tickets', 'defaultContract']);
    for (const [id, customer] of Object.entries(config.fleet.customers)) {
      if (customer.contract !== undefined && !known.has(customer.contract)) unknown(customer.contract, ['fleet', 'customers', id, 'contract']);
    }
    for (const id of Object.keys(config.intake.mail?.senders ?? {})) {
      if (!Object.hasOwn(config.fleet.customers, id))
        ctx.addIssue({
          code: 'custom',
          path: ['intake', 'mail', 'senders', id],
          message: `a customer of fleet.customers; ${JSON.stringify(id)} is not one`,
          input: id,
        });
    }
    for (const p of unknownContractReferences(config.impact, known)) {
      const path = [
        'impact',
        ...p.path
          .split(/[.[\]]+/)
          .filter((seg) => seg !== '')
          .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg)),
      ];
      ctx.addIssue({ code: 'custom', path, message: `${p.expected} (${p.message})`, input: p.found });
    }
  });
export type ServerConfig = z.infer<typeof ServerConfig>;

/** The ticket policy windows of a server.yaml, in milliseconds. */
export function ticketPolicyOf(tickets: ServerConfig['tickets']): TicketPolicyConfig {
  return {
    quietPeriodMs: tickets.quietPeriod,
    reopenWindowMs: tickets.reopenWindow,
    relatedWindowMs: tickets.relatedWindow,
    agentOfflineGraceMs: tickets.agentOfflineGrace,
  };
}

export function loadServerConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  extra: Omit<LoadOptions, 'file' | 'env' | 'envPrefix'> = {},
): ServerConfig {
  return loadConfig(ServerConfig, { ...extra, ...(file !== undefined ? { file } : {}), env, envPrefix: 'FLEETDESK_SERVER' });
}
