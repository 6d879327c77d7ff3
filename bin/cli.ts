/**
 * The `fleetdesk` command line. Each subcommand lives in bin/commands/<name>.ts as a thin shell
 * over agent/ or server/ code and is registered here.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../shared/config/loader.js';
import { CliError } from './cliError.js';
import { configCommand } from './commands/config.js';
import { slaCommand } from './commands/sla.js';
import { probeCommand } from './commands/probe.js';
import { agentCommand } from './commands/agent.js';
import { discoverCommand } from './commands/discover.js';
import { serverCommand } from './commands/server.js';
import { agentTokenCommand } from './commands/agentToken.js';
import { apiTokenCommand } from './commands/apiToken.js';
import { simulateCommand } from './commands/simulate.js';
import { demoCommand } from './commands/demo.js';
import { storeCommand } from './commands/store.js';
import { VERSION } from '../shared/version.js';

export function buildProgram(): Command {
  const program = new Command('fleetdesk')
    .description('FleetDesk: printer/MFP fleet monitoring with automatic tickets and SLA tracking')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride();
  program.addCommand(demoCommand());
  program.addCommand(serverCommand());
  program.addCommand(agentCommand());
  program.addCommand(simulateCommand());
  program.addCommand(probeCommand());
  program.addCommand(discoverCommand());
  program.addCommand(slaCommand());
  program.addCommand(agentTokenCommand());
  program.addCommand(apiTokenCommand());
  program.addCommand(configCommand());
  program.addCommand(storeCommand());
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI and returns the process exit code; errors become one line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one-line reason (or the help/version text).
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`fleetdesk: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`fleetdesk: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`fleetdesk: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
