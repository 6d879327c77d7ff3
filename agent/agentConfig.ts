/**
 * The agent's configuration file (agent.yaml). See docs/agent.example.yaml for a commented example.
 * Environment overrides use the prefix FLEETDESK_AGENT (e.g. FLEETDESK_AGENT__BROKER__PASSWORD).
 */
import { z } from 'zod';
import { BrokerConnection, ByteSize, Duration, LogSettings } from '../shared/config/common.js';
import { loadConfig, type LoadOptions } from '../shared/config/loader.js';
import { ID_PATTERN } from '../shared/wire/topics.js';
import { HostPort, Ipv4Cidr } from '../shared/config/network.js';
import { parseTarget, TargetError } from './runtime/targets.js';

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

export const DeviceTarget = z
  .strictObject({
    /** host, host:port, snmp://[community@]host[:port] or ipp(s)://host[:port]/path */
    address: z.string().min(1).max(512),
    /** Device id used in MQTT topics; derived from the address when omitted (agent/runtime/targets.ts). */
    id: Id.optional(),
    /** Also poll this printer URI over IPP and merge it with the SNMP snapshot (agent/normalise/merge.ts). */
    ipp: z
      .string()
      .regex(/^ipps?:\/\/\S+$/, 'an ipp:// or ipps:// printer URI')
      .max(512)
      .optional(),
    name: z.string().max(128).optional(),
    /** The only MFP of its site, or otherwise business-critical: raises impact on the server. */
    critical: z.boolean().optional(),
  })
  .superRefine((target, ctx) => {
    // The same parse the runtime does, so a bad address is reported with file:line at load.
    try {
      parseTarget(target);
    } catch (err) {
      if (!(err instanceof TargetError)) throw err;
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: `host, host:port, snmp://host[:port] or ipp(s)://host[:port]/path (${err.message})`,
        input: target.address,
      });
    }
  });

export const AgentConfig = z.strictObject({
  tenant: Id,
  agentId: Id,
  broker: BrokerConnection,
  snmp: z
    .strictObject({
      credentials: z
        .array(SnmpCredential)
        .min(1)
        .max(32)
        .default([{ version: '2c', community: 'public' }]),
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
  devices: z
    .array(DeviceTarget)
    .max(100_000)
    .default([])
    .superRefine((devices, ctx) => {
      // The agent keys a device (its polls, session, reports) by its id: a second entry with the id
      // of another would never be polled. The derived id leaves the community out (it is a secret),
      // so two communities at one host:port need an `id` each.
      const seen = new Map<string, number>();
      devices.forEach((entry, i) => {
        let id: string;
        try {
          id = parseTarget(entry).deviceId;
        } catch {
          return; // reported by DeviceTarget
        }
        const first = seen.get(id);
        if (first === undefined) {
          seen.set(id, i);
          return;
        }
        // Named by index and id, not address: an snmp:// address may carry the community.
        ctx.addIssue({
          code: 'custom',
          path: [i, entry.id !== undefined ? 'id' : 'address'],
          message: `device id ${JSON.stringify(id)} is also the id of devices[${first}]: one id is one device (polled once); give each entry its own \`id\``,
          input: id,
        });
      });
    }),
  discovery: z
    .strictObject({
      ranges: z.array(Ipv4Cidr).max(256).default([]),
      interval: Duration.prefault('6h'),
      concurrency: z.number().int().min(1).max(4096).default(256),
      /** Per-credential SNMP wait while sweeping; short, as most addresses hold no device. */
      snmpTimeout: Duration.prefault('1s'),
      retries: z.number().int().min(0).max(3).default(1),
      /** Also look for IPP printers (TCP connect to ippPort, then Get-Printer-Attributes). */
      ipp: z.boolean().default(true),
      ippPort: z.number().int().min(1).max(65535).default(631),
      /** Printer URI paths tried on an open IPP port, in order. */
      ippPaths: z
        .array(z.string().regex(/^\/[\x21-\x7e]*$/, 'a URI path starting with /'))
        .min(1)
        .max(8)
        .default(['/ipp/print', '/ipp']),
    })
    .prefault({}),
  polling: z
    .strictObject({
      interval: Duration.prefault('60s'),
      /** Share of the interval used as random jitter, so devices are not polled in lock-step. */
      jitter: z.number().min(0).max(0.5).default(0.1),
      concurrency: z.number().int().min(1).max(4096).default(128),
      unreachableAfter: z.number().int().min(1).max(100).default(3),
      /** Longest a single poll of one device may take before it counts as failed. */
      timeout: Duration.prefault('15s'),
      /** Longest wait between polls of a device that keeps failing (back-off cap). */
      maxBackoff: Duration.prefault('15m'),
      /** Re-publish the retained device.state at least this often even when nothing changed. */
      stateRefresh: Duration.prefault('15m'),
    })
    .prefault({}),
  thresholds: z
    .strictObject({
      lowPercent: z.number().min(0).max(100).default(10),
      nearFullPercent: z.number().min(0).max(100).default(90),
      /** A supply level rising by at least this many points between polls means it was replaced. */
      replacementJumpPercent: z.number().min(1).max(100).default(20),
    })
    .prefault({}),
  hysteresis: z
    .strictObject({
      raiseAfter: z.number().int().min(1).max(20).default(2),
      clearAfter: z.number().int().min(1).max(20).default(2),
      /** Polls a new supply state (ok/low/empty) must hold before supply.changed. */
      supplyConfirmAfter: z.number().int().min(1).max(20).default(2),
    })
    .prefault({}),
  outbox: z
    .strictObject({
      dir: z.string().min(1).default('./data/agent-outbox'),
      maxBytes: ByteSize.prefault('256MiB'),
      segmentSize: ByteSize.prefault('4MiB'),
      /** Telemetry is fsynced at most this often (events always before they are published). */
      telemetryFsync: Duration.prefault('1s'),
      /** Warn when the outbox holds more than this share of maxBytes. */
      warnAtPercent: z.number().min(1).max(100).default(80),
    })
    .prefault({}),
  traps: z
    .strictObject({
      enabled: z.boolean().default(false),
      listen: HostPort.default('0.0.0.0:162'),
    })
    .prefault({}),
  reporting: z
    .strictObject({
      /** First and longest wait between broker reconnect attempts (exponential back-off with jitter). */
      reconnectMin: Duration.prefault('1s'),
      reconnectMax: Duration.prefault('60s'),
      /** QoS 1 messages sent but not yet acknowledged, at most. */
      window: z.number().int().min(1).max(1024).default(64),
    })
    .prefault({}),
  health: z
    .strictObject({
      listen: HostPort.default('127.0.0.1:9464'),
      /** A one-line status summary is logged this often. */
      statusLogInterval: Duration.prefault('5m'),
    })
    .prefault({}),
  log: LogSettings,
});
export type AgentConfig = z.infer<typeof AgentConfig>;

export const AGENT_ENV_PREFIX = 'FLEETDESK_AGENT';

export function loadAgentConfig(file: string, options: Omit<LoadOptions, 'file' | 'envPrefix'> = {}): AgentConfig {
  return loadConfig(AgentConfig, { ...options, file, envPrefix: AGENT_ENV_PREFIX, env: options.env ?? process.env });
}
