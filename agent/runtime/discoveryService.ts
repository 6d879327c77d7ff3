/**
 * Periodic discovery inside the agent: sweep `discovery.ranges` at start and every
 * `discovery.interval` (or when the server sends a discover command), and start polling every
 * printer found that is not polled yet.
 */
import { sweep } from '../discover/sweep.js';
import type { FoundPrinter } from '../discover/probe.js';
import type { AgentRuntime, RuntimeService } from './agentRuntime.js';
import { parseTarget } from './targets.js';

/** The address the agent will poll a discovered printer at: SNMP when it answers, else IPP. */
export function addressFor(found: FoundPrinter, defaultSnmpPort: number): string | null {
  if (found.snmp) return found.snmp.port === defaultSnmpPort ? found.host : `${found.host}:${found.snmp.port}`;
  return found.ipp?.uri ?? null;
}

export function discoveryService(rt: AgentRuntime): Promise<RuntimeService> {
  const c = rt.config;
  const log = rt.logger.child({ component: 'discovery' });
  if (c.discovery.ranges.length === 0) return Promise.resolve({ name: 'discovery', stop: () => undefined });
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> | null = null;
  const run = (): Promise<void> => {
    if (running) return running;
    running = (async () => {
      const result = await sweep({
        ranges: c.discovery.ranges,
        concurrency: c.discovery.concurrency,
        signal: controller.signal,
        probe: {
          credentials: c.snmp.credentials,
          snmpPort: c.snmp.port,
          snmpTimeoutMs: c.discovery.snmpTimeout,
          snmpRetries: c.discovery.retries,
          ipp: c.discovery.ipp && c.ipp.enabled,
          ippPort: c.discovery.ippPort,
          ippTimeoutMs: c.ipp.timeout,
          ippPaths: c.discovery.ippPaths,
        },
      });
      let added = 0;
      for (const f of result.found) {
        if (rt.devicesAtHost(f.host).length > 0) continue;
        const address = addressFor(f, c.snmp.port);
        if (!address) continue;
        try {
          const alsoIpp = f.snmp && f.ipp ? { ipp: f.ipp.uri } : {};
          if (rt.addTarget(parseTarget({ address, ...alsoIpp }, c.snmp.port))) added++;
        } catch (err) {
          log.warn({ host: f.host, err: (err as Error).message }, 'cannot poll a discovered printer');
        }
      }
      log.info({ scanned: result.scanned, found: result.found.length, added, elapsedMs: result.elapsedMs }, 'discovery sweep finished');
    })()
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'discovery sweep failed'))
      .finally(() => {
        running = null;
      });
    return running;
  };
  const schedule = (ms: number) => {
    timer = setTimeout(() => {
      void run().then(() => {
        if (!controller.signal.aborted) schedule(c.discovery.interval);
      });
    }, ms);
  };
  schedule(1000);
  rt.onDiscoverCommand = () => void run();
  return Promise.resolve({
    name: 'discovery',
    stop: async () => {
      controller.abort();
      if (timer) clearTimeout(timer);
      await running;
    },
  });
}
