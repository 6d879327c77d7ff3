/** `fleetdesk api-token create --role R [--customer C] [--name N]`: issues an API bearer token. */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ApiRole, apiTokensFile, createApiToken } from '../../server/auth/apiTokens.js';
import { loadServerConfig } from '../../server/serverConfig.js';
import { toProblems } from '../../shared/validation.js';
import { CliError } from '../cliError.js';

export function apiTokenCommand(): Command {
  const cmd = new Command('api-token').description('manage API bearer tokens (REST API and dashboard)');
  cmd
    .command('create')
    .description('create a token; prints it once (only its SHA-256 is stored)')
    .requiredOption('--role <role>', `one of ${ApiRole.options.join(', ')}`)
    .option('--customer <id>', 'the customer a customer token belongs to (required for --role customer)')
    .option('--name <name>', 'operator name recorded in ticket history (default: the role)')
    .option('-c, --config <file>', 'server.yaml, for its dataDir')
    .option('--data-dir <dir>', 'data directory (overrides the config)')
    .action(async (opts: { role: string; customer?: string; name?: string; config?: string; dataDir?: string }) => {
      const dataDir = resolve(opts.dataDir ?? loadServerConfig(opts.config).dataDir);
      let created: { id: string; token: string };
      try {
        created = await createApiToken(dataDir, { role: opts.role as ApiRole, name: opts.name ?? opts.role, customerId: opts.customer ?? null }, new Date());
      } catch (err) {
        if (err instanceof z.ZodError) {
          const flag: Record<string, string> = { role: '--role', name: '--name', customerId: '--customer' };
          throw new CliError(toProblems(err).map((p) => `${flag[p.path] ?? p.path}: expected ${p.expected}, found ${p.found}`).join('; '), 2);
        }
        throw err;
      }
      process.stdout.write(
        [`# API token ${created.id} (role ${opts.role}${opts.customer ? `, customer ${opts.customer}` : ''}), stored hashed in ${apiTokensFile(dataDir)}; shown only now`, created.token, ''].join('\n'),
      );
    });
  return cmd;
}
