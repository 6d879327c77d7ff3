import { Command } from 'commander';
import { agentCommand } from './commands/agent.js';
import { configCommand } from './commands/config.js';
import { discoverCommand } from './commands/discover.js';
import { probeCommand } from './commands/probe.js';
import { VERSION } from '../shared/version.js';

/**
 * The agent release's `fleetdesk-agent`: the same commands an IT admin uses from `fleetdesk`
 * (agent, agent init, config check, discover, probe), without the server's.
 */
export function buildAgentProgram(): Command {
  const program = new Command('fleetdesk-agent')
    .description('FleetDesk agent: discovers and polls printers over SNMP/IPP and reports them over MQTT')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride();
  program.addCommand(agentCommand());
  program.addCommand(configCommand());
  program.addCommand(discoverCommand());
  program.addCommand(probeCommand());
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}
