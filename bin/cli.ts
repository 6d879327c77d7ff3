/**
 * The `fleetdesk` command line. Each subcommand lives in bin/commands/<name>.ts as a thin shell
 * over agent/ or server/ code and is registered here.
 */
import { Command } from 'commander';
import { runProgram } from './runProgram.js';
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

/** Runs `fleetdesk` with the arguments and returns the process exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}
