// Entry point of the agent release (`fleetdesk-agent`), bundled by scripts/package-agent.mjs.
import { buildAgentProgram } from './agentCli.js';
import { runProgram } from './runProgram.js';

process.exitCode = await runProgram(buildAgentProgram(), process.argv);
