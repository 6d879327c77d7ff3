/**
 * One SNMP session to one device (net-snmp), as promises, with a bound on requests in flight.
 *
 * This is the imperative edge: sockets and net-snmp's timers live here. Everything above it
 * (walks, the collector) talks to the `SnmpTransport` interface so tests can substitute a fake.
 * Secrets (community, v3 keys) are handed to net-snmp and never put into an error message.
 */
import snmp from 'net-snmp';
import type { SnmpCredential } from '../../agentConfig.js';
import { SnmpCollectError } from './snmpErrors.js';
import type { SnmpValue } from './raw.js';

export interface SnmpEndpoint {
  readonly host: string;
  readonly port: number;
  readonly credential: SnmpCredential;
  /** Per request attempt, ms. */
  readonly timeoutMs: number;
  /** Extra attempts after the first one times out. */
  readonly retries: number;
  /** Requests in flight at once on this device (>= 1). */
  readonly maxInFlight: number;
}

/** A varbind as the walks see it: a value, or one of the SNMPv2 exceptions. */
export type Varbind =
  { readonly oid: string; readonly value: SnmpValue } | { readonly oid: string; readonly exception: 'noSuchObject' | 'noSuchInstance' | 'endOfMibView' };

export interface SnmpTransport {
  readonly version: '1' | '2c' | '3';
  /** Requests sent so far (each retry of a request is not counted again). */
  readonly requests: number;
  get(oids: readonly string[]): Promise<Varbind[]>;
  /**
   * v1: a noSuchName error status on a one-OID request (the end of the MIB) is returned as
   * endOfMibView; on a request for several OIDs it fails (requestFailed), since it does not say
   * which walk ended.
   */
  getNext(oids: readonly string[]): Promise<Varbind[]>;
  /**
   * GETBULK (v2c/v3): one list per requested OID, in request order. The first `nonRepeaters`
   * OIDs get (at most) one varbind each, the successor of the OID (GETNEXT semantics); every
   * other OID gets up to `maxRepetitions` successive varbinds of its own walk. Agents may return
   * fewer repetitions than asked (message size), and some lists may then be short or empty.
   */
  getBulk(oids: readonly string[], nonRepeaters: number, maxRepetitions: number): Promise<Varbind[][]>;
  close(): void;
}

/** Describes where we talk to, without any secret: for errors and logs. */
export function describeEndpoint(e: Pick<SnmpEndpoint, 'host' | 'port' | 'credential'>): string {
  const c = e.credential;
  const how = c.version === '3' ? `SNMPv3 user '${c.user}' ${c.level}` : `SNMPv${c.version}`;
  return `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port} (${how})`;
}

/** Converts a net-snmp varbind; unknown ASN.1 types become a 'malformed' error. */
/** net-snmp's ObjectType codes as plain numbers (its enum type does not compare with number). */
const T = {
  Boolean: Number(snmp.ObjectType.Boolean),
  Integer: Number(snmp.ObjectType.Integer),
  BitString: Number(snmp.ObjectType.BitString),
  OctetString: Number(snmp.ObjectType.OctetString),
  Null: Number(snmp.ObjectType.Null),
  OID: Number(snmp.ObjectType.OID),
  IpAddress: Number(snmp.ObjectType.IpAddress),
  Counter: Number(snmp.ObjectType.Counter),
  Gauge: Number(snmp.ObjectType.Gauge),
  TimeTicks: Number(snmp.ObjectType.TimeTicks),
  Opaque: Number(snmp.ObjectType.Opaque),
  Counter64: Number(snmp.ObjectType.Counter64),
  NoSuchObject: Number(snmp.ObjectType.NoSuchObject),
  NoSuchInstance: Number(snmp.ObjectType.NoSuchInstance),
  EndOfMibView: Number(snmp.ObjectType.EndOfMibView),
} as const;

export function toVarbind(vb: { oid: string; type: number; value: unknown }): Varbind {
  switch (vb.type) {
    case T.NoSuchObject:
      return { oid: vb.oid, exception: 'noSuchObject' };
    case T.NoSuchInstance:
      return { oid: vb.oid, exception: 'noSuchInstance' };
    case T.EndOfMibView:
      return { oid: vb.oid, exception: 'endOfMibView' };
    case T.Integer:
      return { oid: vb.oid, value: { type: 'integer', value: Number(vb.value) } };
    case T.Counter:
      return { oid: vb.oid, value: { type: 'counter32', value: Number(vb.value) } };
    case T.Gauge:
      return { oid: vb.oid, value: { type: 'gauge32', value: Number(vb.value) } };
    case T.TimeTicks:
      return { oid: vb.oid, value: { type: 'timeticks', value: Number(vb.value) } };
    case T.Counter64: {
      const buf = Buffer.isBuffer(vb.value) ? vb.value : Buffer.alloc(0);
      const n = buf.length === 0 ? 0n : BigInt(`0x${buf.toString('hex')}`);
      return { oid: vb.oid, value: { type: 'counter64', value: n.toString() } };
    }
    case T.OctetString:
    case T.Opaque:
    case T.BitString: {
      const buf = Buffer.isBuffer(vb.value) ? vb.value : Buffer.from(typeof vb.value === 'string' ? vb.value : '', 'latin1');
      return { oid: vb.oid, value: { type: vb.type === T.Opaque ? 'opaque' : 'octets', hex: buf.toString('hex') } };
    }
    case T.OID:
      return { oid: vb.oid, value: { type: 'oid', value: typeof vb.value === 'string' ? vb.value : '' } };
    case T.IpAddress:
      return { oid: vb.oid, value: { type: 'ipAddress', value: typeof vb.value === 'string' ? vb.value : '' } };
    case T.Null:
      return { oid: vb.oid, value: { type: 'null' } };
    case T.Boolean:
      return { oid: vb.oid, value: { type: 'integer', value: vb.value ? 1 : 0 } };
    default:
      throw new SnmpCollectError('malformedResponse', `unknown ASN.1 type ${vb.type} for ${vb.oid}`);
  }
}

/** A small FIFO semaphore: at most `limit` requests of this session in flight. */
export class InFlightLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

const AUTH: Record<string, snmp.AuthProtocols> = {
  md5: snmp.AuthProtocols.md5,
  sha: snmp.AuthProtocols.sha,
  sha256: snmp.AuthProtocols.sha256,
  sha512: snmp.AuthProtocols.sha512,
};
const PRIV: Record<string, snmp.PrivProtocols> = {
  des: snmp.PrivProtocols.des,
  aes: snmp.PrivProtocols.aes,
  aes256b: snmp.PrivProtocols.aes256b,
  aes256r: snmp.PrivProtocols.aes256r,
};

export function openSession(endpoint: SnmpEndpoint): SnmpTransport {
  const { host, port, credential, timeoutMs, retries } = endpoint;
  const transport = host.includes(':') ? 'udp6' : 'udp4';
  const where = describeEndpoint(endpoint);
  let session: snmp.Session;
  if (credential.version === '3') {
    const level = snmp.SecurityLevel[credential.level];
    if (credential.level !== 'noAuthNoPriv' && (!credential.authProtocol || !credential.authKey)) {
      throw new SnmpCollectError('badCredential', `${where}: security level ${credential.level} needs authProtocol and authKey`);
    }
    if (credential.level === 'authPriv' && (!credential.privProtocol || !credential.privKey)) {
      throw new SnmpCollectError('badCredential', `${where}: security level authPriv needs privProtocol and privKey`);
    }
    const user: snmp.User = {
      name: credential.user,
      level,
      ...(credential.authProtocol ? { authProtocol: AUTH[credential.authProtocol], authKey: credential.authKey } : {}),
      ...(credential.privProtocol ? { privProtocol: PRIV[credential.privProtocol], privKey: credential.privKey } : {}),
    };
    session = snmp.createV3Session(host, user, {
      port,
      retries,
      timeout: timeoutMs,
      transport,
      version: snmp.Version3,
      ...(credential.context ? { context: credential.context } : {}),
    });
  } else {
    session = snmp.createSession(host, credential.community, {
      port,
      retries,
      timeout: timeoutMs,
      transport,
      version: credential.version === '1' ? snmp.Version1 : snmp.Version2c,
    });
  }

  // Undecodable datagrams (garbage, truncated BER) are reported by net-snmp as 'error' events,
  // not to the request; remember the last one so a timeout can say what really happened.
  let lastDecodeError: string | null = null;
  session.on('error', (err: Error) => {
    lastDecodeError = err.message.slice(0, 200);
  });

  const limit = new InFlightLimit(Math.max(1, endpoint.maxInFlight));
  let requests = 0;
  const version = credential.version;

  const fail = (err: unknown, what: string): SnmpCollectError => {
    const e = err as Error & { status?: number };
    if (e.name === 'RequestTimedOutError') {
      if (lastDecodeError) return new SnmpCollectError('malformedResponse', `${where}: ${what}: only undecodable answers (${lastDecodeError})`);
      return new SnmpCollectError(
        'noResponse',
        `${where}: no answer to ${what} within ${timeoutMs} ms x ${retries + 1} attempt(s): device off or unreachable, SNMP disabled, or wrong ${version === '3' ? 'user/keys' : 'community'}`,
      );
    }
    if (e.name === 'ResponseInvalidError') {
      const msg = e.message.slice(0, 300);
      if (/digest|wrongDigests/i.test(msg))
        return new SnmpCollectError('authFailure', `${where}: SNMPv3 authentication failed: wrong authentication key or protocol`);
      if (/decrypt|decryption/i.test(msg)) return new SnmpCollectError('authFailure', `${where}: SNMPv3 privacy failed: wrong privacy key or protocol`);
      if (/unknownUserNames|Unknown user|unsupportedSecLevels|usmStats|auth/i.test(msg)) {
        return new SnmpCollectError('authFailure', `${where}: SNMPv3 credentials rejected: ${msg.replace(/[0-9a-f]{16,}/gi, '…')}`);
      }
      return new SnmpCollectError('malformedResponse', `${where}: invalid response to ${what}: ${msg}`);
    }
    if (e.name === 'RequestFailedError') return new SnmpCollectError('requestFailed', `${where}: ${what} failed: ${e.message.slice(0, 200)}`);
    if (err instanceof SnmpCollectError) return err;
    return new SnmpCollectError('malformedResponse', `${where}: ${what}: ${e.message?.slice(0, 200) ?? String(err)}`);
  };

  const call = <T>(what: string, start: (cb: (error: Error | null, result?: T) => void) => void): Promise<T> =>
    limit.run(
      () =>
        new Promise<T>((resolve, reject) => {
          requests++;
          try {
            start((error, result) => {
              if (error) reject(fail(error, what));
              else resolve(result as T);
            });
          } catch (err) {
            reject(fail(err, what));
          }
        }),
    );

  const convertAll = (vbs: Array<{ oid: string; type: number; value: unknown }>): Varbind[] => vbs.map(toVarbind);

  return {
    version,
    get requests() {
      return requests;
    },
    async get(oids) {
      const vbs = await call<Array<{ oid: string; type: number; value: unknown }>>(`GET ${oids.length} object(s)`, (cb) =>
        session.get([...oids], cb as snmp.GetSetCallback),
      );
      return convertAll(vbs);
    },
    async getNext(oids) {
      try {
        const vbs = await call<Array<{ oid: string; type: number; value: unknown }>>(`GETNEXT ${oids[0]}`, (cb) =>
          session.getNext([...oids], cb as snmp.GetSetCallback),
        );
        return convertAll(vbs);
      } catch (err) {
        // SNMPv1 ends a walk with error-status noSuchName.
        if (oids.length === 1 && err instanceof SnmpCollectError && err.code === 'requestFailed' && version === '1' && /NoSuchName/i.test(err.message)) {
          return oids.map((oid) => ({ oid, exception: 'endOfMibView' as const }));
        }
        throw err;
      }
    },
    async getBulk(oids, nonRepeaters, maxRepetitions) {
      type Raw = { oid: string; type: number; value: unknown };
      const rows = await call<Array<Raw | Raw[]>>(`GETBULK ${oids[0]}${oids.length > 1 ? ` (+${oids.length - 1} more)` : ''}`, (cb) =>
        session.getBulk([...oids], nonRepeaters, maxRepetitions, cb as snmp.GetBulkCallback),
      );
      // net-snmp answers a non-repeater with a bare varbind and a repeater with a list.
      return oids.map((_, i) => {
        const got = rows[i];
        return got === undefined ? [] : Array.isArray(got) ? convertAll(got) : [toVarbind(got)];
      });
    },
    close() {
      try {
        session.close();
      } catch {
        // already closed
      }
    },
  };
}
