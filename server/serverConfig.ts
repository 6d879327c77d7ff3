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
import { loadConfig, type LoadOptions } from '../shared/config/loader.js';
import { FleetSettings } from './fleet/fleetModel.js';
import { DEFAULT_IMPACT_SETTINGS, ImpactSettings } from './impact/impactRules.js';
import { ContractsSettings } from './sla/contractCatalogue.js';

const Port = z.number().int().min(0).max(65535);
const Host = z.string().min(1).max(255);

export const EmbeddedBrokerSettings = z
  .strictObject({
    host: Host.default('127.0.0.1'),
    port: Port.default(1883),
    /** Accept clients without credentials: ONLY for a local demo. Never on a shared network. */
    allowAnonymous: z.boolean().default(false),
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
  .prefault({});
export type EmbeddedBrokerSettings = z.infer<typeof EmbeddedBrokerSettings>;

export const ExternalBrokerSettings = BrokerConnection.extend({
  /** Shared-subscription group: several instances with the same group split the messages. */
  shareGroup: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a group name of A-Z a-z 0-9 _ -').optional(),
  /** MQTT v5 Receive Maximum: unacknowledged QoS 1 messages the broker may send us at once. */
  receiveMaximum: z.number().int().min(1).max(65535).default(4096),
  /** How long the broker keeps our session (and queues messages) while we are away. */
  sessionExpiry: Duration.prefault('1d'),
  /** The server speaks MQTT 5 only (PUBACK reason codes, receive maximum, session expiry). */
  protocolVersion: z.literal(5, 'MQTT 5: the server needs a broker that speaks MQTT 5 (Mosquitto 2, EMQX, HiveMQ)').optional(),
});
export type ExternalBrokerSettings = z.infer<typeof ExternalBrokerSettings>;

export const ServerConfig = z.strictObject({
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
  storage: z
    .strictObject({
      kind: z.literal('lowdb').default('lowdb'),
      /** Defaults to <dataDir>/store. */
      dir: z.string().min(1).optional(),
      /** Extra wait before a commit so more messages share one fsync; bounded, 0 = next tick. */
      commitDelay: Duration.prefault('0ms').refine((ms) => ms <= 1000, 'at most 1s'),
      /** Rewrite the snapshot and empty the journal when the journal grows past this. */
      compactJournal: ByteSize.prefault('32MiB'),
      /** Processed message ids remembered for deduplication. */
      dedupWindow: z.number().int().min(1000).max(10_000_000).default(200_000),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      maxPayload: ByteSize.prefault('256KiB'),
      /** An agent silent for this long is offline even without a last will. */
      agentStaleAfter: Duration.prefault('5m'),
      staleCheckInterval: Duration.prefault('30s'),
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
    })
    .prefault({}),
  log: LogSettings,
});
export type ServerConfig = z.infer<typeof ServerConfig>;

export function loadServerConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env, extra: Omit<LoadOptions, 'file' | 'env' | 'envPrefix'> = {}): ServerConfig {
  return loadConfig(ServerConfig, { ...extra, ...(file !== undefined ? { file } : {}), env, envPrefix: 'FLEETDESK_SERVER' });
}
