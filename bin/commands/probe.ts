/**
 * `fleetdesk probe <address>`: read one device once and print what FleetDesk concludes.
 *
 * Scheme dispatch: PROBE_SCHEMES maps a URL scheme to a prober returning a DeviceSnapshot.
 * The SNMP prober handles snmp: and snmpv3:. To add a protocol (ipp:, ipps:), add entries to
 * PROBE_SCHEMES and a line to HELP_ADDRESSES; printing, --json and exit codes are shared.
 *
 * Exit codes: 0 read and printed; 2 bad address/usage; 3 no answer; 4 credentials rejected;
 * 5 answers but is not a printer; 6 invalid/malformed answers or a misbehaving agent.
 */
import { Command, Option } from 'commander';
import type { DeviceSnapshot } from '../../shared/snapshot.js';
import { collectSnmp, SnmpCollectError, type SnmpErrorCode } from '../../agent/collect/snmp/collector.js';
import { normaliseSnmp } from '../../agent/normalise/snmpSnapshot.js';
import { renderSnapshot } from '../../agent/probe/render.js';
import { parseSnmpProbeAddress, ProbeAddressError } from '../../agent/probe/snmpProbeTarget.js';
import { IPP_EXIT_KIND, probeIppSnapshot } from '../../agent/probe/ippProbe.js';
import { IppError } from '../../agent/collect/ipp/ippTransport.js';
import { CliError } from '../cliError.js';

export interface ProbeOptions {
  /** Per request attempt, ms. */
  readonly timeoutMs: number;
  readonly retries: number;
  /** ipps:// only: SHA-256 fingerprints of self-signed printer certificates to trust. */
  readonly trustedFingerprints?: readonly string[];
}

export type Prober = (address: string, options: ProbeOptions) => Promise<DeviceSnapshot>;

export const EXIT = { ok: 0, usage: 2, noAnswer: 3, credentials: 4, notAPrinter: 5, protocol: 6 } as const;

const SNMP_EXIT: Readonly<Record<SnmpErrorCode, number>> = {
  noResponse: EXIT.noAnswer,
  authFailure: EXIT.credentials,
  badCredential: EXIT.usage,
  notAPrinter: EXIT.notAPrinter,
  malformedResponse: EXIT.protocol,
  requestFailed: EXIT.protocol,
  walkNotIncreasing: EXIT.protocol,
  walkTooLong: EXIT.protocol,
  timeBudget: EXIT.protocol,
};

/** Reads a device over SNMP exactly as the agent does (same collector, same normaliser). */
export const probeSnmp: Prober = async (address, options) => {
  const target = parseSnmpProbeAddress(address);
  const raw = await collectSnmp({ ...target, timeoutMs: options.timeoutMs, retries: options.retries, maxInFlight: 2 });
  return normaliseSnmp(raw.values, { address: raw.address, collectedAt: raw.collectedAt });
};

/** Reads a printer over IPP exactly as the agent does; non-fatal findings go to stderr. */
export const probeIpp: Prober = async (address, options) => {
  const { snapshot, notes } = await probeIppSnapshot(address, options);
  for (const note of notes) process.stderr.write(`fleetdesk: note: ${note}\n`);
  return snapshot;
};

export const PROBE_SCHEMES: Record<string, Prober> = {
  snmp: probeSnmp,
  snmpv3: probeSnmp,
  ipp: probeIpp,
  ipps: probeIpp,
};

const HELP_ADDRESSES = [
  'snmp://[community@]host[:port][?version=1|2c]     SNMP v1/v2c (community "public", port 161, v2c by default)',
  'snmpv3://user@host[:port]?auth=sha256:KEY&priv=aes:KEY[&context=NAME]',
  '                                                  SNMPv3: auth sha|sha256|sha512|md5, priv aes|aes256b|aes256r|des;',
  '                                                  no auth = noAuthNoPriv, auth only = authNoPriv, both = authPriv',
  'ipp://host[:port][/path]                          IPP Get-Printer-Attributes (port 631, path /ipp/print by default)',
  'ipps://host[:port][/path]                         IPP over TLS; a self-signed certificate needs --trust-cert <sha256>',
];

/** Probes `address` with the prober for its scheme; errors become CliError with the exit code. */
export async function probe(address: string, options: ProbeOptions): Promise<DeviceSnapshot> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(address)?.[1]?.toLowerCase();
  const prober = scheme ? PROBE_SCHEMES[scheme] : undefined;
  if (!prober) {
    throw new CliError(
      `cannot probe '${address.replace(/\/\/[^/@]*@/, '//***@')}': expected an address starting with ${Object.keys(PROBE_SCHEMES)
        .map((s) => `${s}://`)
        .join(', ')}`,
      EXIT.usage,
    );
  }
  try {
    return await prober(address, options);
  } catch (err) {
    if (err instanceof ProbeAddressError) throw new CliError(err.message, EXIT.usage);
    if (err instanceof SnmpCollectError) throw new CliError(`${err.message} [${err.code}]`, SNMP_EXIT[err.code]);
    if (err instanceof IppError) throw new CliError(`${err.message} [${err.code}]`, EXIT[IPP_EXIT_KIND[err.code]]);
    throw err;
  }
}

function positiveInt(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} must be an integer from ${min} to ${max} (found '${value}')`, EXIT.usage);
    return n;
  };
}

export function probeCommand(): Command {
  return new Command('probe')
    .description('read one printer once (SNMP or IPP) and print the normalised snapshot: identity, status, faults, supplies, counters')
    .argument('<address>', 'device address (see below)')
    .option('--json', 'print the snapshot as JSON')
    .addOption(new Option('--timeout <ms>', 'per request attempt').default(2000).argParser(positiveInt('timeout', 50, 60_000)))
    .addOption(new Option('--retries <n>', 'extra attempts per request').default(1).argParser(positiveInt('retries', 0, 5)))
    .addOption(
      new Option('--trust-cert <sha256>', 'ipps: trust a self-signed printer certificate with this SHA-256 fingerprint (repeatable)').argParser(
        (value: string, previous: string[] | undefined) => {
          if (!/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/.test(value))
            throw new CliError(`--trust-cert must be a SHA-256 fingerprint in hex (found '${value}')`, EXIT.usage);
          return [...(previous ?? []), value];
        },
      ),
    )
    .addHelpText(
      'after',
      `\nAddresses:\n${HELP_ADDRESSES.map((l) => `  ${l}`).join('\n')}\n\nExit codes: 0 ok, 2 bad address, 3 no answer (device off, SNMP disabled, or wrong community),\n4 credentials rejected (SNMPv3) or untrusted TLS certificate (ipps), 5 answers but is not a printer, 6 invalid answers.\n`,
    )
    .action(async (address: string, opts: { json?: boolean; timeout: number; retries: number; trustCert?: string[] }) => {
      const snapshot = await probe(address, { timeoutMs: opts.timeout, retries: opts.retries, trustedFingerprints: opts.trustCert });
      process.stdout.write(opts.json ? `${JSON.stringify(snapshot, null, 2)}\n` : renderSnapshot(snapshot));
    });
}
