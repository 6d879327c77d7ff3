/** `fleetdesk agent-token create --tenant T --agent A`: issues MQTT credentials for one agent. */
import { Command } from 'commander';
import { agentUsername, parseAgentUsername } from '../../server/broker/acl.js';
import { createAgentToken } from '../../server/broker/credentials.js';
import { describeStorage } from '../../server/storage/openRepository.js';
import { CliError } from '../cliError.js';
import { serverConfigOf } from './apiToken.js';
import { apiErrorMessage, onTokenStore } from './tokenStoreAccess.js';

export function agentTokenCommand(): Command {
  const cmd = new Command('agent-token').description('manage the MQTT credentials of agents (embedded broker of every instance on the store)');
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
      const config = serverConfigOf(opts);
      const token = await onTokenStore(
        config,
        (repo) => createAgentToken(repo, who, new Date()),
        async (api) => {
          const answer = await api('POST', '/agent-credentials', { tenant: who.tenant, agentId: who.agentId });
          if (answer.status !== 201) throw new CliError(`issuing the credentials through the running server failed: ${apiErrorMessage(answer)}`, 1);
          return (answer.body as { password: string }).password;
        },
      );
      process.stdout.write(
        [
          `# credentials for agent ${agentUsername(who)} (stored hashed in the store: ${describeStorage(config.storage, config.dataDir)}); the token is shown only now`,
          `username: ${agentUsername(who)}`,
          `password: ${token}`,
          '',
        ].join('\n'),
      );
    });
  return cmd;
}
