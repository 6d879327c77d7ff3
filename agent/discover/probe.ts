/**
 * Is there a printer at this address? SNMP: one GETNEXT per configured credential for
 * sysDescr, sysObjectID, hrDeviceType and prtGeneralPrinterName; a printer is a device whose
 * hrDeviceType is hrDevicePrinter or that implements the Printer-MIB. IPP: a TCP connect to the
 * IPP port and, when it opens, Get-Printer-Attributes. Network edge; credentials never leave
 * this module except as an index into the configured list.
 */
import { Socket } from 'node:net';
import snmp from 'net-snmp';
import { OID } from '../../mibs/oids.generated.js';
import type { SnmpCredential } from '../agentConfig.js';
import { collectIpp, DEFAULT_IPP_OPTIONS } from '../collect/ipp/ippCollector.js';

export interface ProbeSettings {
  readonly credentials: readonly SnmpCredential[];
  readonly snmpPort: number;
  readonly snmpTimeoutMs: number;
  readonly snmpRetries: number;
  readonly ipp: boolean;
  readonly ippPort: number;
  readonly ippTimeoutMs: number;
  /** Paths tried in order on an open IPP port (default /ipp/print, /ipp). */
  readonly ippPaths?: readonly string[];
}

export interface FoundPrinter {
  readonly host: string;
  readonly snmp?: {
    readonly port: number;
    /** Index into the configured credentials that answered (the secret itself is never reported). */
    readonly credential: number;
    readonly version: SnmpCredential['version'];
    readonly printerBy: 'hrDeviceType' | 'printerMib';
    readonly sysObjectId?: string;
    readonly sysDescr?: string;
    readonly name?: string;
  };
  readonly ipp?: { readonly uri: string; readonly makeAndModel?: string };
}

function under(oid: string, prefix: string): boolean {
  return oid.startsWith(`${prefix}.`);
}

export function snmpSession(host: string, port: number, cred: SnmpCredential, timeoutMs: number, retries: number): snmp.Session {
  const base = { port, timeout: timeoutMs, retries, backoff: 1, idBitsSize: 32 as const };
  if (cred.version === '3') {
    const levels = { noAuthNoPriv: snmp.SecurityLevel.noAuthNoPriv, authNoPriv: snmp.SecurityLevel.authNoPriv, authPriv: snmp.SecurityLevel.authPriv };
    const auth = { sha: snmp.AuthProtocols.sha, sha256: snmp.AuthProtocols.sha256, sha512: snmp.AuthProtocols.sha512, md5: snmp.AuthProtocols.md5 };
    const priv = { aes: snmp.PrivProtocols.aes, aes256b: snmp.PrivProtocols.aes256b, aes256r: snmp.PrivProtocols.aes256r, des: snmp.PrivProtocols.des };
    const user: snmp.User = {
      name: cred.user,
      level: levels[cred.level],
      ...(cred.authProtocol ? { authProtocol: auth[cred.authProtocol] } : {}),
      ...(cred.authKey ? { authKey: cred.authKey } : {}),
      ...(cred.privProtocol ? { privProtocol: priv[cred.privProtocol] } : {}),
      ...(cred.privKey ? { privKey: cred.privKey } : {}),
    };
    return snmp.createV3Session(host, user, { ...base, ...(cred.context ? { context: cred.context } : {}) });
  }
  return snmp.createSession(host, cred.community, { ...base, version: cred.version === '1' ? snmp.Version1 : snmp.Version2c });
}

function text(value: unknown): string | undefined {
  if (Buffer.isBuffer(value))
    return value
      .toString('utf8')
      .replace(/[^\x20-\x7e\u00a0-\uffff]/g, '')
      .slice(0, 512);
  if (typeof value === 'string') return value.slice(0, 512);
  return undefined;
}

async function probeSnmp(host: string, cred: SnmpCredential, index: number, s: ProbeSettings): Promise<FoundPrinter['snmp'] | null> {
  const session = snmpSession(host, s.snmpPort, cred, s.snmpTimeoutMs, s.snmpRetries);
  session.on('error', () => undefined);
  try {
    const varbinds = await new Promise<snmp.Varbind[] | null>((resolve) => {
      session.getNext([OID.sysDescr, OID.sysObjectID, OID.hrDeviceType, OID.prtGeneralPrinterName], (error, vbs) => resolve(error ? null : (vbs ?? null)));
    });
    if (!varbinds) return null;
    const [descr, objectId, deviceType, printerName] = varbinds;
    const ok = (vb: snmp.Varbind | undefined, prefix: string) => vb !== undefined && !snmp.isVarbindError(vb) && under(vb.oid, prefix);
    const hrPrinter = ok(deviceType, OID.hrDeviceType) && String(deviceType!.value) === OID.hrDevicePrinter;
    const printerMib = ok(printerName, OID.prtGeneralPrinterName);
    if (!hrPrinter && !printerMib) return null;
    return {
      port: s.snmpPort,
      credential: index,
      version: cred.version,
      printerBy: hrPrinter ? 'hrDeviceType' : 'printerMib',
      ...(ok(objectId, OID.sysObjectID) ? { sysObjectId: String(objectId!.value) } : {}),
      ...(ok(descr, OID.sysDescr) && text(descr!.value) ? { sysDescr: text(descr!.value)! } : {}),
      ...(printerMib && text(printerName!.value) ? { name: text(printerName!.value)! } : {}),
    };
  } finally {
    session.close();
  }
}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

async function probeIpp(host: string, s: ProbeSettings): Promise<FoundPrinter['ipp'] | null> {
  if (!(await tcpOpen(host, s.ippPort, Math.min(s.ippTimeoutMs, 2000)))) return null;
  for (const path of s.ippPaths ?? ['/ipp/print', '/ipp']) {
    const uri = `ipp://${host}:${s.ippPort}${path}`;
    try {
      const got = await collectIpp(uri, { ...DEFAULT_IPP_OPTIONS, totalTimeoutMs: s.ippTimeoutMs, connectTimeoutMs: Math.min(2000, s.ippTimeoutMs) });
      const mm = got.attributes.get('printer-make-and-model')?.values[0];
      const makeAndModel = mm?.kind === 'string' ? mm.value : undefined;
      return { uri, ...(makeAndModel ? { makeAndModel: makeAndModel.slice(0, 256) } : {}) };
    } catch {
      // Not an IPP printer at this path; try the next.
    }
  }
  return null;
}

/** Probes one address with every credential (first that identifies a printer wins) and IPP, in parallel. */
export async function probeHost(host: string, s: ProbeSettings): Promise<FoundPrinter | null> {
  const snmpPart = (async () => {
    for (let i = 0; i < s.credentials.length; i++) {
      const r = await probeSnmp(host, s.credentials[i]!, i, s);
      if (r) return r;
    }
    return null;
  })();
  const ippPart = s.ipp ? probeIpp(host, s) : Promise.resolve(null);
  const [snmpFound, ippFound] = await Promise.all([snmpPart, ippPart]);
  if (!snmpFound && !ippFound) return null;
  return { host, ...(snmpFound ? { snmp: snmpFound } : {}), ...(ippFound ? { ipp: ippFound } : {}) };
}
