/**
 * A discovery sweep: probe every address of some ranges with bounded concurrency, report
 * progress and what was found. Used by `fleetdesk discover` and periodically by the agent.
 */
import { expandRanges } from './cidr.js';
import { probeHost, type FoundPrinter, type ProbeSettings } from './probe.js';
import type { Progress } from './progress.js';

export interface SweepOptions {
  readonly ranges: readonly string[];
  readonly concurrency: number;
  readonly probe: ProbeSettings;
  /** Replaced in tests. */
  readonly probeHost?: (host: string, s: ProbeSettings) => Promise<FoundPrinter | null>;
  readonly onProgress?: (p: Progress) => void;
  readonly onFound?: (f: FoundPrinter) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

export interface SweepResult {
  readonly found: FoundPrinter[];
  readonly scanned: number;
  readonly total: number;
  readonly elapsedMs: number;
  readonly aborted: boolean;
}

/** Throws CidrError for a bad range before any packet is sent. */
export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const hosts = expandRanges(options.ranges);
  const now = options.now ?? (() => Date.now());
  const probe = options.probeHost ?? probeHost;
  const started = now();
  const found: FoundPrinter[] = [];
  let next = 0;
  let done = 0;
  const report = () => options.onProgress?.({ done, total: hosts.length, found: found.length, elapsedMs: now() - started });
  const worker = async () => {
    while (next < hosts.length && !options.signal?.aborted) {
      const host = hosts[next++]!;
      let result: FoundPrinter | null = null;
      try {
        result = await probe(host, options.probe);
      } catch {
        // One broken answer must not stop the sweep; the host simply counts as not found.
      }
      done++;
      if (result) {
        found.push(result);
        options.onFound?.(result);
      }
      report();
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, hosts.length)) }, () => worker());
  await Promise.all(workers);
  // Results in address order, whatever order the answers came in.
  const order = new Map(hosts.map((h, i) => [h, i]));
  found.sort((a, b) => order.get(a.host)! - order.get(b.host)!);
  return { found, scanned: done, total: hosts.length, elapsedMs: now() - started, aborted: options.signal?.aborted ?? false };
}
