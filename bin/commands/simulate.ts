/** `fleetdesk simulate`: serve simulated printers over SNMP and IPP on loopback until Ctrl-C. */
import { Command, Option } from 'commander';
import { createLogger } from '../../shared/logging.js';
import { CatalogError } from '../../agent/simulator/deviceCatalog.js';
import { BUILT_IN_SCENARIOS, ScenarioError } from '../../agent/simulator/scenario.js';
import { SimulatorError, startSimulator, type RunningSimulator } from '../../agent/simulator/simulator.js';
import { MODELS } from '../../agent/simulator/syntheticModels.js';
import { CliError } from '../cliError.js';

interface SimulateOptions {
  devices?: string;
  models?: string;
  snmprecDir?: string;
  scenario: string;
  snmpPort: string;
  snmpPortBase?: string;
  ippPort: string;
  ipp: boolean;
  host: string;
  json?: boolean;
}

function integer(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${name}: expected a whole number, found ${JSON.stringify(value)}`, 2);
  return Number(value);
}

function printDevices(sim: RunningSimulator): void {
  const out = process.stdout;
  out.write(`FleetDesk simulator: ${sim.devices.length} printers, scenario "${sim.scenario.name}"\n`);
  out.write(
    `SNMP v1/v2c on udp ${sim.host}:${sim.snmpPort} (community = device id)${sim.ippPort !== null ? `; IPP on http ${sim.host}:${sim.ippPort}` : ''}\n\n`,
  );
  const rows = sim.devices.map((d) => [
    d.id,
    d.model,
    `${d.community}@${sim.host}:${d.snmpPort}${d.devicePort !== undefined ? ` | public@${sim.host}:${d.devicePort}` : ''}`,
    d.ippUrl ?? '-',
  ]);
  const header = ['DEVICE', 'MODEL', 'SNMP (community@host:port)', 'IPP'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) out.write(`${r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ')}\n`);
  out.write(`\nTry: snmpwalk -v2c -c ${sim.devices[0]!.community} ${sim.host}:${sim.snmpPort} 1.3.6.1.2.1.43\n`);
  if (sim.devices[0]!.ippUrl) out.write(`     ipptool -tv ${sim.devices[0]!.ippUrl} get-printer-attributes.test\n`);
  out.write('Ctrl-C stops.\n');
}

export function simulateCommand(): Command {
  return new Command('simulate')
    .description('serve simulated printers (SNMP v1/v2c and IPP Get-Printer-Attributes) on loopback, for demos, training and load tests')
    .option('--devices <n>', 'number of synthetic devices (default 10, or 0 with --snmprec-dir)')
    .option('--models <names>', `comma-separated built-in models to cycle through (default all): ${MODELS.map((m) => m.name).join(', ')}`)
    .option('--snmprec-dir <dir>', 'also serve every .snmprec recording in this folder (community = file name)')
    .option('--scenario <name|file>', `built-in scenario (${Object.keys(BUILT_IN_SCENARIOS).join(', ')}) or a YAML/JSON scenario file`, 'steady')
    .option('--snmp-port <port>', 'shared SNMP UDP port (0 = any free port)', '16100')
    .option('--snmp-port-base <port>', 'also give device i its own UDP port <port>+i (community "public")')
    .option('--ipp-port <port>', 'IPP (HTTP) port (0 = any free port)', '8631')
    .option('--no-ipp', 'do not start the IPP server')
    .option('--host <address>', 'loopback address to listen on (127.0.0.0/8 or ::1)', '127.0.0.1')
    .addOption(new Option('--json', 'print the device list as JSON instead of a table'))
    .addHelpText('after', '\nSNMPv3 is not simulated (v3 requests are dropped). Scenario file format and examples: docs/simulator.md.')
    .action(async (opts: SimulateOptions) => {
      const logger = createLogger({ name: 'simulator' });
      let sim: RunningSimulator;
      try {
        sim = await startSimulator({
          devices: opts.devices !== undefined ? integer(opts.devices, '--devices') : undefined,
          models: opts.models
            ? opts.models
                .split(',')
                .map((m) => m.trim())
                .filter(Boolean)
            : undefined,
          snmprecDir: opts.snmprecDir,
          scenario: opts.scenario,
          host: opts.host,
          snmpPort: integer(opts.snmpPort, '--snmp-port'),
          snmpPortBase: opts.snmpPortBase !== undefined ? integer(opts.snmpPortBase, '--snmp-port-base') : undefined,
          ippPort: opts.ipp ? integer(opts.ippPort, '--ipp-port') : false,
          logger,
        });
      } catch (err) {
        if (
          err instanceof SimulatorError ||
          err instanceof ScenarioError ||
          err instanceof CatalogError ||
          (err as NodeJS.ErrnoException).message?.startsWith('cannot listen')
        ) {
          throw new CliError((err as Error).message, 2);
        }
        throw err;
      }
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify({ host: sim.host, snmpPort: sim.snmpPort, ippPort: sim.ippPort, scenario: sim.scenario.name, devices: sim.devices }, null, 2)}\n`,
        );
      else printDevices(sim);

      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          const { snmp, ipp } = sim.stats();
          logger.info(
            { signal, snmpRequests: snmp.requests, snmpResponses: snmp.responses, dropped: snmp.dropped, ippRequests: ipp?.requests ?? 0 },
            'simulator stopping',
          );
          void sim.stop().then(resolve, resolve);
        };
        const onInt = () => stop('SIGINT');
        const onTerm = () => stop('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
      });
    });
}
