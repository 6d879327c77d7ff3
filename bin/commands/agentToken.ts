/** `fleetdesk agent-token create --tenant T --agent A`: issues MQTT credentials for one agent. */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { agentUsername, parseAgentUsername } from '../../server/broker/acl.js';
import { createAgentToken, credentialsFile } from '../../server/broker/credentials.js';
import { loadServerConfig } from '../../server/serverConfig.js';
import { CliError } from '../cliError.js';

export function agentTokenCommand(): Command {
  const cmd = new Command('agent-token').description('manage the MQTT credentials of agents (embedded broker)');
  cmd
    .command('create')
    .description('create or replace the token of an agent; prints the username and token once (only a scrypt hash is stored)')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .requiredOption('--agent <agentId>', 'agent id')
    .option('-c, --config <file>', 'server.yaml, for its dataDir')
    .option('--data-dir <dir>', 'data directory (overrides the config)')
    .action(async (opts: { tenant: string; agent: string; config?: string; dataDir?: string }) => {
      const who = parseAgentUsername(`${opts.tenant}/${opts.agent}`);
      if (!who)
        throw new CliError(
          `invalid tenant or agent id ${JSON.stringify(opts.tenant)}/${JSON.stringify(opts.agent)}: expected 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit`,
          2,
        );
      const dataDir = resolve(opts.dataDir ?? loadServerConfig(opts.config).dataDir);
      const token = await createAgentToken(dataDir, who, new Date());
      process.stdout.write(
        [
          `# credentials for agent ${agentUsername(who)} (stored hashed in ${credentialsFile(dataDir)}); the token is shown only now`,
          `username: ${agentUsername(who)}`,
          `password: ${token}`,
          '',
        ].join('\n'),
      );
    });
  return cmd;
}
