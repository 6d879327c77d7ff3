/**
 * `fleetdesk demo` (what `npm start` runs): server with embedded broker and local storage, a
 * simulated mixed fleet with scripted faults, and an agent polling it. Tickets open by themselves
 * within seconds, with deadlines under the preset device-vendor contract.
 */
import { createServer } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { DateTime } from 'luxon';
import { createLogger } from '../../shared/logging.js';
import { StoreDamagedError } from '../../server/storage/storeFiles.js';
import { StoreLockedError } from '../../server/storage/storeLock.js';
import type { Notice } from '../../server/tickets/ticketPolicy.js';
import { CliError } from '../cliError.js';
import { DEMO_QUIET_PERIOD_MINUTES, DemoError, startDemo } from '../demo/startDemo.js';
import { untilSignal } from '../signals.js';

function intOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** True when nothing listens on 127.0.0.1:port yet. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function noticeLine(n: Notice): string {
  const at = DateTime.fromMillis(n.at, { zone: 'Europe/Warsaw' }).toFormat('HH:mm:ss');
  return `${at}  ${n.ticketId}  ${n.kind.padEnd(24)} ${n.detail}`;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('run the whole product locally: server (embedded broker, local storage, tickets, SLA), a simulated fleet with scripted faults, and an agent')
    .option('--devices <n>', 'number of simulated printers', intOption(1, 2000), 50)
    .option('--scenario <name|file>', 'simulator scenario (see docs/simulator.md)', 'demo')
    .option('--data-dir <dir>', 'where the demo keeps its data (cleared at each run)', './data/demo')
    .option('--http-port <port>', 'HTTP port of the server (API, health, metrics)', intOption(0, 65535), 8080)
    .option('--mqtt-port <port>', 'port of the embedded MQTT broker', intOption(0, 65535), 1883)
    .option('--poll <seconds>', 'seconds between polls of each device', intOption(2, 3600), 10)
    .option('--history-days <n>', 'days of supply history backfilled so forecasts and order tickets show at once (0 = none)', intOption(0, 120), 30)
    .option('--verbose', 'show the info logs of server, agent and simulator')
    .action(
      async (
        opts: { devices: number; scenario: string; dataDir: string; httpPort: number; mqttPort: number; poll: number; historyDays: number; verbose?: boolean },
        cmd: Command,
      ) => {
        const logger = createLogger({ name: 'fleetdesk-demo', level: opts.verbose ? 'info' : 'warn' });
        const out = (line: string) => process.stdout.write(`${line}\n`);
        // A default port already taken (e.g. a system Mosquitto on 1883) is swapped for a free one;
        // a port the user asked for is used as given, and a clash is an error.
        for (const [option, flag] of [
          ['httpPort', '--http-port'],
          ['mqttPort', '--mqtt-port'],
        ] as const) {
          if (cmd.getOptionValueSource(option) === 'default' && !(await portIsFree(opts[option]))) {
            out(`note: port ${opts[option]} is in use; the demo takes a free one instead (set ${flag} to choose)`);
            opts[option] = 0;
          }
        }
        let demo;
        try {
          demo = await startDemo({
            devices: opts.devices,
            dataDir: opts.dataDir,
            httpPort: opts.httpPort,
            mqttPort: opts.mqttPort,
            pollSeconds: opts.poll,
            scenario: opts.scenario,
            historyDays: opts.historyDays,
            logger,
            onNotice: (n) => out(noticeLine(n)),
          });
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          if (e.code === 'EADDRINUSE') throw new CliError(`a port is already in use (${e.message}); pick others with --http-port / --mqtt-port`, 1);
          if (err instanceof DemoError) throw new CliError(err.message, 1);
          // Another demo on the same --data-dir, or its store damaged: the same exit codes as `fleetdesk server`.
          if (err instanceof StoreLockedError) throw new CliError(`not starting: ${err.message}`, 4);
          if (err instanceof StoreDamagedError) throw new CliError(err.message, 3);
          throw err;
        }
        const s = demo.app.server;
        out('FleetDesk demo is running.');
        out(`  dashboard  ${demo.dashboardUrl}   (log in with the admin token below)`);
        out(`  API        ${demo.apiUrl}   (OpenAPI UI: http://127.0.0.1:${s.httpPort}/docs)`);
        out(`  admin      token in ${demo.adminTokenFile} (owner-only; use as "Authorization: Bearer <token>")`);
        out(`  server     health ${demo.healthUrl}   metrics http://127.0.0.1:${s.httpPort}/metrics`);
        out(`  broker     mqtt://127.0.0.1:${s.mqttPort} (embedded, agent credentials required)`);
        out(
          `  fleet      ${demo.simulator.devices.length} simulated printers (scenario "${demo.simulator.scenario.name}"), SNMP on udp/${demo.simulator.snmpPort}, IPP on tcp/${demo.simulator.ippPort ?? '-'}`,
        );
        out('  agent      demo/warsaw-hq, polling every ' + `${opts.poll}s, reporting over MQTT`);
        out('  customer   ACME Biuro Sp. z o.o., contract "device-vendor" (2 h / 6 h / 2 days / 5 days, Mon-Fri 8-17, Polish holidays)');
        out(`  data       ${demo.dataDir}`);
        out(
          `  tickets    open about 30 s after a fault starts; resolve by themselves ${DEMO_QUIET_PERIOD_MINUTES} min after it clears (short quiet period in demo mode; 15 min otherwise)`,
        );
        out('Ticket activity follows (time in Europe/Warsaw). Press Ctrl-C to stop.');
        const signal = await untilSignal();
        out(`\n${signal}: stopping the agent, the server and the simulator…`);
        await demo.stop();
        logger.flush();
        out('stopped.');
      },
    );
}
