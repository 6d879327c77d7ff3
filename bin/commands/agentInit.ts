/**
 * `fleetdesk agent init`: write agent.yaml from the commented template. Asks for what the flags
 * leave out when run at a terminal (asks nothing when given flags), checks the broker connection
 * and each device as the agent will, and only then writes; an existing file needs --force.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { AgentConfig, AGENT_ENV_PREFIX } from '../../agent/agentConfig.js';
import { renderAgentConfig, type AgentInitAnswers } from '../../agent/setup/configTemplate.js';
import { checkBroker, checkDevices } from '../../agent/setup/connectionCheck.js';
import { loadConfig } from '../../shared/config/loader.js';
import { systemClock } from '../../shared/clock.js';
import { CliError } from '../cliError.js';

/** Where the template is: beside the bundled agent (release) or in docs/ (source tree). */
function findTemplate(explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, '..', 'share', 'agent.example.yaml'),
    join(here, '..', '..', 'docs', 'agent.example.yaml'),
    join(here, '..', '..', '..', 'docs', 'agent.example.yaml'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new CliError(`agent init: the config template agent.example.yaml is not in ${candidates.join(' or ')}; give --template`, 1);
  return found;
}

interface InitOptions {
  output: string;
  tenant?: string;
  agentId?: string;
  brokerUrl?: string;
  username?: string;
  ca?: string;
  community?: string[];
  device: string[];
  range: string[];
  outboxDir?: string;
  traps: boolean;
  healthListen?: string;
  template?: string;
  force?: boolean;
  check: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

async function askMissing(opts: InitOptions): Promise<Required<Pick<InitOptions, 'tenant' | 'agentId' | 'brokerUrl'>>> {
  const missing = (['tenant', 'agentId', 'brokerUrl'] as const).filter((k) => opts[k] === undefined);
  if (missing.length === 0) return { tenant: opts.tenant!, agentId: opts.agentId!, brokerUrl: opts.brokerUrl! };
  const flag = { tenant: '--tenant', agentId: '--agent-id', brokerUrl: '--broker-url' };
  if (!process.stdin.isTTY) throw new CliError(`agent init: missing ${missing.map((k) => flag[k]).join(', ')} (not at a terminal, so nothing is asked)`, 2);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const prompt = {
    tenant: 'Tenant (customer id from the vendor): ',
    agentId: 'Agent id (unique within the tenant): ',
    brokerUrl: 'Broker URL (mqtts://host:8883): ',
  };
  const answers = { ...opts };
  try {
    for (const k of missing) answers[k] = (await rl.question(prompt[k])).trim();
  } finally {
    rl.close();
  }
  return { tenant: answers.tenant!, agentId: answers.agentId!, brokerUrl: answers.brokerUrl! };
}

export function agentInitCommand(): Command {
  return new Command('init')
    .description('write agent.yaml from the template, after checking the broker connection and each device')
    .option('-o, --output <file>', 'config file to write', '/etc/fleetdesk/agent.yaml')
    .option('--tenant <id>', 'customer id at the service vendor')
    .option('--agent-id <id>', 'this agent, unique within the tenant')
    .option('--broker-url <url>', 'mqtts://host:8883 (or mqtt:// on a lab network)')
    .option('--username <name>', 'broker user name (default <tenant>/<agentId>)')
    .option('--ca <file>', 'CA bundle that signed the broker certificate')
    .option('--community <name>', 'SNMP v1/v2c community to try (repeatable; default public)', collect, undefined)
    .option('--device <address>', 'a printer: host, host:port or ipp://host/path (repeatable)', collect, [])
    .option('--range <cidr>', 'a subnet to discover printers in, e.g. 10.1.2.0/24 (repeatable)', collect, [])
    .option('--outbox-dir <dir>', 'where unsent reports are kept (default /var/lib/fleetdesk-agent/outbox)')
    .option('--no-traps', 'do not listen for SNMP traps (no UDP 162 socket)')
    .option('--health-listen <host:port>', 'address of /healthz and /metrics (default 127.0.0.1:9464)')
    .option('--template <file>', 'the commented template (default: the one shipped with the agent)')
    .option('--force', 'overwrite an existing file')
    .option('--no-check', 'write without checking the broker and the devices')
    .addHelpText(
      'after',
      `\nThe broker password is read from ${AGENT_ENV_PREFIX}__BROKER__PASSWORD and never written to the file:\nkeep it in /etc/fleetdesk/agent.env (see docs/install-agent.md).`,
    )
    .action(async (opts: InitOptions, command: Command) => {
      if (existsSync(opts.output) && !opts.force) throw new CliError(`agent init: ${opts.output} exists; give --force to overwrite it`, 2);
      const required = await askMissing(opts);
      const templateFile = findTemplate(opts.template);
      const answers: AgentInitAnswers = {
        ...required,
        username: opts.username,
        ca: opts.ca,
        communities: opts.community,
        devices: opts.device,
        ranges: opts.range,
        outboxDir: opts.outboxDir,
        traps: opts.traps,
        healthListen: opts.healthListen,
      };
      let text = renderAgentConfig(readFileSync(templateFile, 'utf8'), answers);
      // Validated exactly as the agent will read it, environment (the password) included.
      let config = loadConfig(AgentConfig, { file: opts.output, text, envPrefix: AGENT_ENV_PREFIX, env: process.env });
      if (opts.check) {
        const broker = await checkBroker(config);
        if (!broker.ok)
          throw new CliError(
            `agent init: the broker ${config.broker.url} refused or did not answer (user ${config.broker.username ?? '(none)'}): ${broker.error}; nothing written`,
            3,
          );
        process.stdout.write(
          `broker ${config.broker.url}: connected as ${config.broker.username ?? '(anonymous)'} (MQTT ${broker.protocolVersion === 5 ? '5' : '3.1.1'})\n`,
        );
        // The version the broker speaks is written down, so the agent starts with it.
        text = renderAgentConfig(readFileSync(templateFile, 'utf8'), { ...answers, protocolVersion: broker.protocolVersion });
        config = loadConfig(AgentConfig, { file: opts.output, text, envPrefix: AGENT_ENV_PREFIX, env: process.env });
        const devices = await checkDevices(config, systemClock);
        for (const d of devices) process.stdout.write(`device ${d.address}: ${d.ok ? 'answers' : 'FAILED'}: ${d.detail}\n`);
        const failed = devices.filter((d) => !d.ok);
        if (failed.length > 0)
          throw new CliError(
            `agent init: ${failed.length} of ${devices.length} devices did not answer (${failed.map((d) => d.address).join(', ')}); nothing written`,
            3,
          );
      }
      // 0640: the service group reads it; it holds no secret (the password stays in the environment).
      writeFileSync(opts.output, text, { mode: 0o640, flag: opts.force ? 'w' : 'wx' });
      process.stdout.write(`wrote ${opts.output}; check it with: ${command.parent?.parent?.name() ?? 'fleetdesk'} config check ${opts.output}\n`);
    });
}
