/**
 * The server's stop order, the way fastify orders its onClose hooks: every part registers how it
 * stops at the moment it starts, and closing runs those steps in reverse (last started, first
 * stopped). Storage starts first and so closes last; the broker starts last and so is drained
 * first, before the ticket engine that processes what it acknowledged is detached.
 *
 * `draining` turns true before the first step runs: /readyz answers 503 from then on.
 */
import type { Logger } from '../shared/logging.js';

export type CloseStep = () => Promise<void> | void;

export class ShutdownSequence {
  private readonly steps: { name: string; close: CloseStep }[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** True from the first moment of close(): the server takes no new work. */
  get draining(): boolean {
    return this.closing !== undefined;
  }

  /** Registers how the part that just started stops; it runs before every part registered earlier. */
  onClose(name: string, close: CloseStep): void {
    if (this.closing) throw new Error(`cannot register the close step "${name}": the server is already stopping`);
    this.steps.push({ name, close });
  }

  /**
   * Runs every step once, in reverse order of registration. A failing step is logged and does not
   * keep the later ones (storage above all) from closing; the first failure is thrown at the end.
   */
  close(): Promise<void> {
    this.closing ??= this.run();
    return this.closing;
  }

  private async run(): Promise<void> {
    let first: Error | undefined;
    for (const step of this.steps.slice().reverse()) {
      try {
        await step.close();
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        this.logger.error({ step: step.name, err: error.message }, 'a shutdown step failed; continuing with the next');
        first ??= new Error(`shutdown step "${step.name}" failed: ${error.message}`);
      }
    }
    if (first) throw first;
  }
}
