/** `fleetdesk agent --config agent.yaml`: run the on-premise agent until SIGTERM/SIGINT. */
import { Command } from 'commander';
import { loadAgentConfig } from '../../agent/agentConfig.js';
import { AgentRuntime } from '../../agent/runtime/agentRuntime.js';
import { ProtocolCollector } from '../../agent/runtime/protocolCollector.js';
import { OutboxLockedError } from '../../agent/outbox/outbox.js';
import { discoveryService } from '../../agent/runtime/discoveryService.js';
import { trapService } from '../../agent/traps/trapListener.js';
import { systemClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/logging.js';
import { VERSION } from '../../shared/version.js';
import { CliError } from '../cliError.js';
import { agentInitCommand } from './agentInit.js';

export function agentCommand(): Command {
  return (
    new Command('agent')
      .description('run the on-premise agent: discover, poll and report printers over MQTT')
      // Not a required option: `agent init` (a subcommand) has no config yet.
      .option('-c, --config <file>', 'agent configuration (see docs/agent.example.yaml; `agent init` writes one)')
      .addCommand(agentInitCommand())
      .action(async (opts: { config?: string }) => {
        if (opts.config === undefined) throw new CliError("agent: missing --config <file> (write one with 'fleetdesk agent init')", 2);
        const config = loadAgentConfig(opts.config);
        const log = createLogger({ name: 'fleetdesk-agent', level: config.log.level, format: config.log.format });
        let runtime: AgentRuntime;
        try {
          runtime = await AgentRuntime.start({
            config,
            collector: new ProtocolCollector(config, systemClock),
            log,
            version: VERSION,
            services: [discoveryService, trapService],
          });
        } catch (err) {
          if (err instanceof OutboxLockedError) throw new CliError(err.message, 1);
          throw new CliError(`agent failed to start: ${(err as Error).message}`, 1);
        }
        await new Promise<void>((resolve) => {
          let stopping = false;
          const stop = (signal: string) => {
            if (stopping) {
              log.warn({ signal }, 'second signal: exiting at once');
              process.exit(1);
            }
            stopping = true;
            log.info({ signal }, 'stopping');
            runtime.stop().then(resolve, (err: unknown) => {
              log.error({ err: (err as Error).message }, 'unclean stop');
              resolve();
            });
          };
          process.on('SIGTERM', () => stop('SIGTERM'));
          process.on('SIGINT', () => stop('SIGINT'));
        });
      })
  );
}
