/**
 * Which configuration and log fields are secret. SNMP communities, SNMPv3 keys, MQTT passwords
 * and API tokens never reach a log line or an error message.
 */
export const SECRET_KEYS = [
  'password',
  'passphrase',
  'community',
  'communities',
  'authKey',
  'privKey',
  'token',
  'apiToken',
  'adminToken',
  'secret',
  'key',
  'privateKey',
  'authorization',
] as const;

const secretSet = new Set<string>(SECRET_KEYS.map((k) => k.toLowerCase()));

export const REDACTED = '[redacted]';

export function isSecretKey(key: string): boolean {
  return secretSet.has(key.toLowerCase());
}

/**
 * A URL's password replaced (`postgres://user:pw@host` → `postgres://user:[redacted]@host`):
 * connection URLs (storage.url, broker URLs) may carry credentials whatever their key is called.
 */
export function maskUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#:@\s]*):[^/?#@\s]*@/i, `$1:${REDACTED}@`);
}

/** A deep copy with every secret-named field replaced, for printing a config or logging an object. */
export function redactSecrets<T>(value: T): T {
  if (typeof value === 'string') return maskUrlPassword(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactSecrets(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : redactSecrets(v);
    }
    return out as T;
  }
  return value;
}

/** pino `redact` paths for the secret keys at the top level and up to three levels down. */
export function pinoRedactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    paths.push(key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`);
  }
  paths.push('req.headers.authorization', 'headers.authorization');
  return paths;
}
