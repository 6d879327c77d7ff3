/**
 * The agent runtime with the scripted collector, as a separate process the peer tests can
 * kill -9: `tsx scriptedAgent.ts <agent.yaml> <script.json>`.
 */
import { loadAgentConfig } from '../../../agent/agentConfig.js';
import { AgentRuntime } from '../../../agent/runtime/agentRuntime.js';
import { createLogger } from '../../../shared/logging.js';
import { ScriptedCollector } from './scriptedCollector.js';

const [configPath, scriptPath] = process.argv.slice(2);
const config = loadAgentConfig(configPath!);
const log = createLogger({ name: 'agent', level: config.log.level, format: 'json' });
const runtime = await AgentRuntime.start({ config, collector: new ScriptedCollector(scriptPath!), log, version: 'test' });
const stop = () => {
  void runtime.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
