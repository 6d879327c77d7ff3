/**
 * Device targets: what the agent polls, parsed from config addresses (pure).
 *
 *   host | host:port | snmp://[community@]host[:port]  → SNMP (port 161 by default)
 *   ipp://host[:port]/path | ipps://…                  → IPP (the printer URI)
 * An SNMP target may name an `ipp` URI as well: both are polled and the snapshots merged.
 *
 * The device id (used in MQTT topics) is derived from the address, so it is stable across
 * restarts: "10.0.0.5" → "10.0.0.5", "10.0.0.5:1161" → "10.0.0.5_1161",
 * "ipp://10.0.0.5:631/ipp/print" → "ipp_10.0.0.5_631_ipp_print". A config entry may set `id`.
 */
import { ID_PATTERN } from '../../shared/wire/topics.js';
import { hostProblem } from '../../shared/config/network.js';

export interface PollTarget {
  readonly deviceId: string;
  readonly protocol: 'snmp' | 'ipp';
  /** The address as configured. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** SNMP community given in the address itself (snmp://community@host). Never logged. */
  readonly community?: string;
  /** IPP printer URI: the target itself (protocol 'ipp'), or a second source merged with SNMP. */
  readonly uri?: string;
  readonly name?: string;
  readonly critical?: boolean;
}

export class TargetError extends Error {
  constructor(
    readonly address: string,
    reason: string,
  ) {
    super(`invalid device address ${JSON.stringify(address)}: ${reason}`);
    this.name = 'TargetError';
  }
}

export function deviceIdFor(address: string): string {
  const cleaned = address
    .replace(/^snmp:\/\/([^@/]*@)?/, '')
    .replace(/^(ipps?):\/\//, '$1_')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/_+$/, '')
    .slice(0, 128);
  if (!ID_PATTERN.test(cleaned)) throw new TargetError(address, 'no usable device id can be derived from it; set `id`');
  return cleaned;
}

const HOST_RE = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)$/;

export function parseTarget(entry: { address: string; id?: string; name?: string; critical?: boolean; ipp?: string }, defaultSnmpPort = 161): PollTarget {
  const address = entry.address.trim();
  const extra = { ...(entry.name !== undefined ? { name: entry.name } : {}), ...(entry.critical !== undefined ? { critical: entry.critical } : {}) };
  const id = entry.id ?? deviceIdFor(address);
  if (!ID_PATTERN.test(id)) throw new TargetError(address, `device id ${JSON.stringify(id)} is not an identifier of A-Z a-z 0-9 . _ -`);
  if (/^ipps?:\/\//i.test(address)) {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw new TargetError(address, 'not a valid ipp:// or ipps:// URI');
    }
    const port = url.port ? Number(url.port) : 631;
    return { deviceId: id, protocol: 'ipp', address, host: url.hostname, port, uri: address, ...extra };
  }
  let rest = address;
  let community: string | undefined;
  if (/^snmp:\/\//i.test(rest)) {
    rest = rest.slice('snmp://'.length);
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      community = decodeURIComponent(rest.slice(0, at));
      rest = rest.slice(at + 1);
    }
    rest = rest.replace(/\/$/, '');
  }
  let host = rest;
  let port = defaultSnmpPort;
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(rest);
  const hostPort = /^([^:]+):(\d{1,5})$/.exec(rest);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (hostPort) {
    host = hostPort[1]!;
    port = Number(hostPort[2]);
  }
  if (!HOST_RE.test(host) && !/^[0-9a-fA-F:]+$/.test(host))
    throw new TargetError(address, `expected host, host:port or snmp://host[:port], found host ${JSON.stringify(host)}`);
  const notAnAddress = hostProblem(host);
  if (notAnAddress) throw new TargetError(address, notAnAddress);
  if (port < 1 || port > 65535) throw new TargetError(address, `port ${port} is outside 1-65535`);
  if (entry.ipp !== undefined) {
    try {
      if (!/^ipps?:$/.test(new URL(entry.ipp).protocol)) throw new Error('scheme');
    } catch {
      throw new TargetError(address, `its ipp URI ${JSON.stringify(entry.ipp)} is not a valid ipp:// or ipps:// URI`);
    }
  }
  return {
    deviceId: id,
    protocol: 'snmp',
    address,
    host,
    port,
    ...(community !== undefined ? { community } : {}),
    ...(entry.ipp !== undefined ? { uri: entry.ipp } : {}),
    ...extra,
  };
}
