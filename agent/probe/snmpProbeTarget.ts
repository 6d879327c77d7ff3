/**
 * `fleetdesk probe` SNMP addresses -> collector target. Pure.
 *
 *   snmp://[community@]host[:port][?version=1|2c]
 *       community defaults to "public", port to 161, version to 2c. Percent-encode special
 *       characters; "@" inside the community (snmpsim contexts: "name@Context") is allowed
 *       because the LAST "@" separates the host.
 *   snmpv3://user@host[:port]?auth=sha|sha256|sha512|md5:AUTHKEY&priv=aes|aes256b|aes256r|des:PRIVKEY&context=NAME
 *       level follows from what is given: no auth -> noAuthNoPriv, auth only -> authNoPriv,
 *       auth + priv -> authPriv. Keys must be 8+ characters.
 *
 * Errors name the part of the address that is wrong and never repeat a community or key.
 */
import type { SnmpCredential } from '../agentConfig.js';

export interface SnmpProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly credential: SnmpCredential;
}

export class ProbeAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeAddressError';
  }
}

const AUTH = ['sha', 'sha256', 'sha512', 'md5'] as const;
const PRIV = ['aes', 'aes256b', 'aes256r', 'des'] as const;

function hostAndPort(url: URL, address: string): { host: string; port: number } {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new ProbeAddressError(`'${redact(address)}': no host`);
  const port = url.port === '' ? 161 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ProbeAddressError(`'${redact(address)}': port must be 1-65535`);
  return { host, port };
}

/** The address with credentials replaced, for messages. */
export function redact(address: string): string {
  return address.replace(/^([a-z0-9+.-]+:\/\/)[^/?#]*@/i, '$1***@').replace(/(auth|priv)=([a-z0-9]+):[^&]*/gi, '$1=$2:***');
}

export function parseSnmpProbeAddress(address: string): SnmpProbeTarget {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new ProbeAddressError(
      `'${redact(address)}' is not a URL; expected snmp://[community@]host[:port][?version=1|2c] or snmpv3://user@host?auth=sha256:KEY&priv=aes:KEY`,
    );
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const { host, port } = hostAndPort(url, address);
  const known = scheme === 'snmp' ? ['version'] : ['auth', 'priv', 'context'];
  for (const key of url.searchParams.keys()) {
    if (!known.includes(key)) throw new ProbeAddressError(`'${redact(address)}': unknown option '${key}' (expected ${known.join(', ')})`);
  }

  if (scheme === 'snmp') {
    const version = url.searchParams.get('version') ?? '2c';
    if (version !== '1' && version !== '2c') {
      throw new ProbeAddressError(`'${redact(address)}': version must be 1 or 2c (found '${version}'); use snmpv3://… for SNMPv3`);
    }
    if (url.password) throw new ProbeAddressError(`'${redact(address)}': a community has no password part; percent-encode ':' as %3A`);
    const community = url.username ? decodeURIComponent(url.username) : 'public';
    return { host, port, credential: { version, community } };
  }

  if (scheme === 'snmpv3') {
    const user = decodeURIComponent(url.username);
    if (!user) throw new ProbeAddressError(`'${redact(address)}': SNMPv3 needs a user name: snmpv3://user@host`);
    const split = (param: 'auth' | 'priv') => {
      const v = url.searchParams.get(param);
      if (v === null) return null;
      const i = v.indexOf(':');
      const protocol = (i < 0 ? v : v.slice(0, i)).toLowerCase();
      const key = i < 0 ? '' : v.slice(i + 1);
      if (key.length < 8) throw new ProbeAddressError(`'${redact(address)}': ${param} needs PROTOCOL:KEY with a key of at least 8 characters`);
      return { protocol, key };
    };
    const auth = split('auth');
    const priv = split('priv');
    if (auth && !(AUTH as readonly string[]).includes(auth.protocol))
      throw new ProbeAddressError(`'${redact(address)}': auth protocol must be one of ${AUTH.join(', ')} (found '${auth.protocol}')`);
    if (priv && !(PRIV as readonly string[]).includes(priv.protocol))
      throw new ProbeAddressError(`'${redact(address)}': priv protocol must be one of ${PRIV.join(', ')} (found '${priv.protocol}')`);
    if (priv && !auth) throw new ProbeAddressError(`'${redact(address)}': privacy (priv=) needs authentication (auth=) too`);
    const context = url.searchParams.get('context') ?? undefined;
    const credential: SnmpCredential = {
      version: '3',
      user,
      level: priv ? 'authPriv' : auth ? 'authNoPriv' : 'noAuthNoPriv',
      ...(auth ? { authProtocol: auth.protocol as (typeof AUTH)[number], authKey: auth.key } : {}),
      ...(priv ? { privProtocol: priv.protocol as (typeof PRIV)[number], privKey: priv.key } : {}),
      ...(context ? { context } : {}),
    };
    return { host, port, credential };
  }
  throw new ProbeAddressError(`'${redact(address)}': unsupported scheme '${scheme}:' here (expected snmp: or snmpv3:)`);
}
