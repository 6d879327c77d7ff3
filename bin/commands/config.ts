/** `fleetdesk config check`: validate a config file the way the daemon would at start. */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { loadAgentConfig } from '../../agent/agentConfig.js';
import { loadServerConfig } from '../../server/serverConfig.js';
import { redactSecrets } from '../../shared/secrets.js';

export function configCommand(): Command {
  const config = new Command('config').description('work with configuration files');
  config
    .command('check')
    .description('validate a configuration file (plus environment overrides) and print the effective settings, secrets redacted')
    .argument('<file>', 'path of the YAML file')
    .addOption(new Option('--kind <kind>', 'which program the file is for').choices(['agent', 'server']).default('agent'))
    .option('--quiet', 'print nothing when the file is valid')
    .action((file: string, opts: { kind: 'agent' | 'server'; quiet?: boolean }) => {
      const effective = opts.kind === 'server' ? loadServerConfig(file) : loadAgentConfig(file);
      if (!opts.quiet) {
        process.stdout.write(`# ${file}: valid ${opts.kind} configuration; effective settings (durations in ms, sizes in bytes):\n`);
        process.stdout.write(stringify(redactSecrets(effective)));
      }
    });
  return config;
}
