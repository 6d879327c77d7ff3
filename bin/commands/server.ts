/** `fleetdesk server [--config server.yaml]`: runs the server until SIGINT/SIGTERM. */
import { Command } from 'commander';
import { createLogger } from '../../shared/logging.js';
import { loadServerConfig } from '../../server/serverConfig.js';
import { startServer } from '../../server/server.js';
import { contractCatalogue } from '../../server/sla/contractCatalogue.js';
import { ContractError } from '../../server/sla/contract.js';
import { StoredTicketRepository } from '../../server/tickets/ticketRepository.js';
import { TicketService } from '../../server/tickets/ticketService.js';
import { CliError } from '../cliError.js';

export function serverCommand(): Command {
  return new Command('server')
    .description('run the FleetDesk server: MQTT ingest (embedded broker or an external one), fleet state, tickets, health and metrics')
    .option('-c, --config <file>', 'server.yaml (without it: embedded defaults, see docs/server.md)')
    .action(async (opts: { config?: string }) => {
      const config = loadServerConfig(opts.config);
      const logger = createLogger({ name: 'fleetdesk-server', level: config.log.level, format: config.log.format });
      let contracts: ReturnType<typeof contractCatalogue>;
      try {
        contracts = contractCatalogue(config.contracts);
        contracts.get(config.tickets.defaultContract);
      } catch (err) {
        if (err instanceof ContractError) throw new CliError(`${opts.config ?? '(defaults)'}: ${err.message}`, 2);
        throw err;
      }
      const server = await startServer(config, logger, {
        beforeListen: ({ repo, events, clock }) => {
          // Tickets and SLA (server/tickets): opened inside the ingest transaction of the fault.
          const tickets = new TicketService({
            repository: new StoredTicketRepository(repo),
            clock,
            contractFor: (id) => contracts.get(id),
            defaultContractId: config.tickets.defaultContract,
            logger: logger.child({ component: 'tickets' }),
          });
          const detach = tickets.attachToFleetEvents(events);
          tickets.start();
          return () => {
            tickets.stop();
            detach();
          };
        },
      });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'stopping');
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
      logger.flush();
    });
}
