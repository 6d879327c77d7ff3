/** `fleetdesk discover <cidr>…`: sweep address ranges for printers (SNMP and IPP). */
import { Command, Option } from 'commander';
import { AgentConfig, loadAgentConfig, type SnmpCredential } from '../../agent/agentConfig.js';
import { CidrError, expandRanges } from '../../agent/discover/cidr.js';
import type { FoundPrinter, ProbeSettings } from '../../agent/discover/probe.js';
import { progressBar, progressLine } from '../../agent/discover/progress.js';
import { sweep } from '../../agent/discover/sweep.js';
import { Duration } from '../../shared/config/common.js';
import { CliError } from '../cliError.js';

interface DiscoverOptions {
  json?: boolean;
  config?: string;
  community?: string[];
  concurrency?: string;
  timeout?: string;
  retries?: string;
  snmpPort?: string;
  ippPort?: string;
  ippPath?: string[];
  ipp: boolean;
  progress?: boolean;
}

function int(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} must be an integer ${min}-${max}, found ${JSON.stringify(value)}`, 2);
  return n;
}

function describe(f: FoundPrinter): string {
  const parts = [f.host];
  if (f.snmp)
    parts.push(
      `snmp v${f.snmp.version} (credential #${f.snmp.credential + 1}, ${f.snmp.printerBy})${f.snmp.sysDescr ? ` "${f.snmp.sysDescr.slice(0, 60)}"` : ''}`,
    );
  if (f.ipp) parts.push(`ipp ${f.ipp.uri}${f.ipp.makeAndModel ? ` "${f.ipp.makeAndModel}"` : ''}`);
  return parts.join('  ');
}

export function discoverCommand(): Command {
  return new Command('discover')
    .description('sweep IPv4 ranges for printers (SNMP with each configured credential, and IPP)')
    .argument('<cidr...>', 'ranges such as 192.168.1.0/24 (a bare address is a /32)')
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .option('-c, --config <file>', 'agent.yaml whose snmp.credentials and discovery settings to use')
    .addOption(new Option('--community <community...>', 'SNMP v2c communities to try (instead of the config)'))
    .option('--concurrency <n>', 'addresses probed at once')
    .option('--timeout <duration>', 'SNMP wait per credential, e.g. 1s')
    .option('--retries <n>', 'SNMP retries per credential')
    .option('--snmp-port <port>', 'SNMP port')
    .option('--ipp-port <port>', 'IPP port')
    .addOption(new Option('--ipp-path <path...>', 'printer URI paths to try on an open IPP port (default /ipp/print /ipp)'))
    .option('--no-ipp', 'do not look for IPP printers')
    .option('--no-progress', 'no progress output')
    .action(async (ranges: string[], opts: DiscoverOptions) => {
      const config: AgentConfig = opts.config
        ? loadAgentConfig(opts.config)
        : AgentConfig.parse({ tenant: 'discover', agentId: 'discover', broker: { url: 'mqtt://127.0.0.1' } });
      let credentials: SnmpCredential[] = config.snmp.credentials;
      if (opts.community?.length) credentials = opts.community.map((community) => ({ version: '2c', community }));
      let timeoutMs = config.discovery.snmpTimeout;
      if (opts.timeout !== undefined) {
        const parsed = Duration.safeParse(opts.timeout);
        if (!parsed.success) throw new CliError(`--timeout must be a duration such as 500ms or 2s, found ${JSON.stringify(opts.timeout)}`, 2);
        timeoutMs = parsed.data;
      }
      try {
        expandRanges(ranges);
      } catch (err) {
        if (err instanceof CidrError) throw new CliError(err.message, 2);
        throw err;
      }
      const probe: ProbeSettings = {
        credentials,
        snmpPort: int('snmp-port', opts.snmpPort, 1, 65535) ?? config.snmp.port,
        snmpTimeoutMs: timeoutMs,
        snmpRetries: int('retries', opts.retries, 0, 5) ?? config.discovery.retries,
        ipp: opts.ipp && config.discovery.ipp,
        ippPort: int('ipp-port', opts.ippPort, 1, 65535) ?? config.discovery.ippPort,
        ippTimeoutMs: config.ipp.timeout,
        ippPaths: opts.ippPath?.length ? opts.ippPath : config.discovery.ippPaths,
      };
      const tty = process.stderr.isTTY === true && opts.progress !== false;
      let lastLine = 0;
      const result = await sweep({
        ranges,
        concurrency: int('concurrency', opts.concurrency, 1, 4096) ?? config.discovery.concurrency,
        probe,
        onProgress: (p) => {
          if (opts.progress === false) return;
          if (tty) {
            process.stderr.write(`\r${progressBar(p)}\x1b[K`);
          } else if (p.done === p.total || Date.now() - lastLine >= 2000) {
            lastLine = Date.now();
            process.stderr.write(`${progressLine(p)}\n`);
          }
        },
        onFound: (f) => {
          if (opts.json) return;
          if (tty) process.stderr.write('\r\x1b[K');
          process.stdout.write(`found ${describe(f)}\n`);
        },
      });
      if (tty) process.stderr.write('\n');
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ scanned: result.scanned, total: result.total, elapsedMs: result.elapsedMs, found: result.found }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(`${result.found.length} printer(s) in ${result.total} addresses, ${(result.elapsedMs / 1000).toFixed(1)} s\n`);
      }
    });
}
