/**
 * The agent's configuration file (agent.yaml). See docs/agent.example.yaml for a commented example.
 * Environment overrides use the prefix FLEETDESK_AGENT (e.g. FLEETDESK_AGENT__BROKER__PASSWORD).
 */
import { z } from 'zod';
import { BrokerConnection, ByteSize, Duration, LogSettings } from '../shared/config/common.js';
import { loadConfig, type LoadOptions } from '../shared/config/loader.js';
import { ID_PATTERN } from '../shared/wire/topics.js';

const Id = z.string().regex(ID_PATTERN, 'an identifier of A-Z a-z 0-9 . _ - (1-128 characters)');

export const SnmpCredential = z.discriminatedUnion('version', [
  z.strictObject({ version: z.literal('1'), community: z.string().min(1).max(256) }),
  z.strictObject({ version: z.literal('2c'), community: z.string().min(1).max(256) }),
  z.strictObject({
    version: z.literal('3'),
    user: z.string().min(1).max(64),
    level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']),
    authProtocol: z.enum(['sha', 'sha256', 'sha512', 'md5']).optional(),
    authKey: z.string().min(8).max(256).optional(),
    privProtocol: z.enum(['aes', 'aes256b', 'aes256r', 'des']).optional(),
    privKey: z.string().min(8).max(256).optional(),
    context: z.string().max(64).optional(),
  }),
]);
export type SnmpCredential = z.infer<typeof SnmpCredential>;

const Cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, 'an IPv4 range in CIDR form such as 10.1.2.0/24');

export const DeviceTarget = z.strictObject({
  /** host, host:port, snmp://[community@]host[:port] or ipp(s)://host[:port]/path */
  address: z.string().min(1).max(512),
  name: z.string().max(128).optional(),
  /** The only MFP of its site, or otherwise business-critical: raises impact on the server. */
  critical: z.boolean().optional(),
});

export const AgentConfig = z.strictObject({
  tenant: Id,
  agentId: Id,
  broker: BrokerConnection,
  snmp: z
    .strictObject({
      credentials: z.array(SnmpCredential).min(1).max(32).default([{ version: '2c', community: 'public' }]),
      port: z.number().int().min(1).max(65535).default(161),
      timeout: Duration.prefault('2s'),
      retries: z.number().int().min(0).max(5).default(1),
      maxInFlightPerDevice: z.number().int().min(1).max(16).default(2),
    })
    .prefault({}),
  ipp: z
    .strictObject({
      enabled: z.boolean().default(true),
      timeout: Duration.prefault('5s'),
      /** SHA-256 fingerprints (hex) of self-signed printer certificates to trust for ipps://. */
      trustedFingerprints: z.array(z.string().regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'a SHA-256 fingerprint in hex')).default([]),
    })
    .prefault({}),
  devices: z.array(DeviceTarget).max(100_000).default([]),
  discovery: z
    .strictObject({
      ranges: z.array(Cidr).max(256).default([]),
      interval: Duration.prefault('6h'),
      concurrency: z.number().int().min(1).max(4096).default(256),
    })
    .prefault({}),
  polling: z
    .strictObject({
      interval: Duration.prefault('60s'),
      /** Share of the interval used as random jitter, so devices are not polled in lock-step. */
      jitter: z.number().min(0).max(0.5).default(0.1),
      concurrency: z.number().int().min(1).max(4096).default(128),
      unreachableAfter: z.number().int().min(1).max(100).default(3),
    })
    .prefault({}),
  thresholds: z
    .strictObject({
      lowPercent: z.number().min(0).max(100).default(10),
      nearFullPercent: z.number().min(0).max(100).default(90),
    })
    .prefault({}),
  hysteresis: z
    .strictObject({
      raiseAfter: z.number().int().min(1).max(20).default(2),
      clearAfter: z.number().int().min(1).max(20).default(2),
    })
    .prefault({}),
  outbox: z
    .strictObject({
      dir: z.string().min(1).default('./data/agent-outbox'),
      maxBytes: ByteSize.prefault('256MiB'),
    })
    .prefault({}),
  traps: z
    .strictObject({
      enabled: z.boolean().default(false),
      listen: z.string().default('0.0.0.0:162'),
    })
    .prefault({}),
  health: z
    .strictObject({
      listen: z.string().default('127.0.0.1:9464'),
    })
    .prefault({}),
  log: LogSettings,
});
export type AgentConfig = z.infer<typeof AgentConfig>;

export const AGENT_ENV_PREFIX = 'FLEETDESK_AGENT';

export function loadAgentConfig(file: string, options: Omit<LoadOptions, 'file' | 'envPrefix'> = {}): AgentConfig {
  return loadConfig(AgentConfig, { ...options, file, envPrefix: AGENT_ENV_PREFIX, env: options.env ?? process.env });
}
