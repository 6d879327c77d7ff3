/** Running a command-line program: errors become one line on stderr and an exit code. */
import { type Command, CommanderError } from 'commander';
import { ConfigError } from '../shared/config/loader.js';
import { CliError } from './cliError.js';

/** Runs the CLI and returns the process exit code; errors become one line on stderr. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one-line reason (or the help/version text).
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${program.name()}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${program.name()}: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`${program.name()}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
