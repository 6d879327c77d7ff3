/**
 * `fleetdesk server [--config server.yaml]`: runs the server until SIGINT/SIGTERM. Exit 2: bad
 * configuration; 3: the store is damaged (nothing changed, see `fleetdesk store check`); 4: the
 * store is in use by another process; 5: the storage cannot be reached or refuses writes
 * (PostgreSQL down, wrong password): transient, so a service manager's restart may succeed.
 */
import { Command } from 'commander';
import { createLogger } from '../../shared/logging.js';
import { loadServerConfig } from '../../server/serverConfig.js';
import { ServerSetupError, startServerApp } from '../../server/serverApp.js';
import { ListenError } from '../../server/listenError.js';
import { StoreDamagedError } from '../../server/storage/storeFiles.js';
import { StoreLockedError } from '../../server/storage/storeLock.js';
import { StoreFailedError } from '../../server/storage/repository.js';
import { CliError } from '../cliError.js';
import { untilSignal } from '../signals.js';

export function serverCommand(): Command {
  return new Command('server')
    .description('run the FleetDesk server: MQTT ingest (embedded broker or an external one), fleet state, tickets, health and metrics')
    .option('-c, --config <file>', 'server.yaml (without it: embedded defaults, see docs/server.md)')
    .action(async (opts: { config?: string }) => {
      const config = loadServerConfig(opts.config);
      const logger = createLogger({ name: 'fleetdesk-server', level: config.log.level, format: config.log.format });
      let app;
      try {
        app = await startServerApp(config, logger);
      } catch (err) {
        if (err instanceof ServerSetupError) throw new CliError(`${opts.config ?? '(defaults)'}: ${err.message}`, 2);
        if (err instanceof ListenError) throw new CliError(err.message, 1);
        if (err instanceof StoreDamagedError) throw new CliError(err.message, 3);
        if (err instanceof StoreLockedError) throw new CliError(`not starting: ${err.message}`, 4);
        // Its message names the database without the password (postgresStore.ts redactedUrl).
        if (err instanceof StoreFailedError) throw new CliError(`not starting: ${err.message}`, 5);
        throw err;
      }
      const signal = await untilSignal();
      // Drains in order (server/shutdownSequence.ts): not ready, broker side, tickets, HTTP, storage.
      logger.info({ signal }, 'stopping');
      await app.close();
      logger.info('stopped: everything acknowledged is stored');
      logger.flush();
    });
}
