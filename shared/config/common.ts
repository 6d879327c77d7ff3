/** Config blocks that agent and server share: the broker connection and logging. */
import { z } from 'zod';
import { LOG_LEVELS } from '../logging.js';

export const BrokerUrl = z.string().regex(/^(mqtts?|wss?):\/\/[^\s/]+(:\d{1,5})?(\/.*)?$/, 'an mqtt://, mqtts://, ws:// or wss:// URL');

export const BrokerConnection = z.strictObject({
  url: BrokerUrl,
  username: z.string().min(1).max(256).optional(),
  password: z.string().min(1).max(1024).optional(),
  /** PEM file paths for TLS: CA bundle to trust, and an optional client certificate and key. */
  ca: z.string().min(1).optional(),
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  /** Only for lab setups: accept a broker certificate that does not verify. */
  insecureSkipVerify: z.boolean().default(false),
  keepaliveSeconds: z.number().int().min(5).max(3600).default(30),
  /** MQTT 3.1.1 (4) or 5; unset = try 5 and fall back to 3.1.1 when the broker refuses it (e.g. aedes). */
  protocolVersion: z.union([z.literal(4), z.literal(5)]).optional(),
  clientId: z.string().min(1).max(128).optional(),
});
export type BrokerConnection = z.infer<typeof BrokerConnection>;

export const LogSettings = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info'),
    format: z.enum(['auto', 'json', 'pretty']).default('auto'),
  })
  .default({ level: 'info', format: 'auto' });
export type LogSettings = z.infer<typeof LogSettings>;

/** "10s", "5m", "2h", "1d" or a number of seconds → milliseconds. */
export const Duration = z.union([
  z
    .number()
    .nonnegative()
    .transform((s) => s * 1000),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, 'a duration such as 500ms, 30s, 5m, 2h or 1d')
    .transform((text) => {
      const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text)!;
      const n = Number(m[1]);
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
      return n * unit;
    }),
]);

/** "64MiB", "1GiB", "500KiB" or a number of bytes. */
export const ByteSize = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+\s*(B|KiB|MiB|GiB)$/, 'a size such as 512KiB, 64MiB or 1GiB')
    .transform((text) => {
      const m = /^(\d+)\s*(B|KiB|MiB|GiB)$/.exec(text)!;
      return Number(m[1]) * { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2] as 'B' | 'KiB' | 'MiB' | 'GiB'];
    }),
]);
