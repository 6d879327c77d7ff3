/**
 * `fleetdesk probe ipp://…` / `ipps://…`: one Get-Printer-Attributes through the agent's own
 * collector and normaliser, so the probe shows exactly what the agent would conclude.
 */
import { systemClock, type Clock } from '../../shared/clock.js';
import type { DeviceSnapshot } from '../../shared/snapshot.js';
import { DEFAULT_IPP_OPTIONS, collectIpp } from '../collect/ipp/ippCollector.js';
import type { IppErrorCode } from '../collect/ipp/ippTransport.js';
import { normaliseIpp } from '../normalise/ipp/ippPrinter.js';

export interface IppProbeOptions {
  /** Connect timeout; the whole exchange gets (retries + 1) times this. */
  readonly timeoutMs: number;
  readonly retries: number;
  readonly trustedFingerprints?: readonly string[];
  readonly clock?: Clock;
}

export interface IppProbeResult {
  readonly snapshot: DeviceSnapshot;
  /** Odd but non-fatal findings (malformed alerts, unsupported attributes). */
  readonly notes: readonly string[];
}

export async function probeIppSnapshot(address: string, options: IppProbeOptions): Promise<IppProbeResult> {
  const clock = options.clock ?? systemClock;
  const collection = await collectIpp(
    address,
    {
      ...DEFAULT_IPP_OPTIONS,
      connectTimeoutMs: options.timeoutMs,
      totalTimeoutMs: options.timeoutMs * (options.retries + 1),
      trustedFingerprints: options.trustedFingerprints ?? [],
    },
    clock,
  );
  const { snapshot, problems } = normaliseIpp({
    address: collection.uri,
    collectedAt: new Date(clock.now()).toISOString(),
    attributes: collection.attributes,
  });
  const notes = [...problems];
  if (collection.answeredBy !== collection.uri) notes.push(`redirected to ${collection.answeredBy}`);
  if (collection.duplicates.length > 0) notes.push(`repeated attributes (first kept): ${collection.duplicates.join(', ')}`);
  if (collection.tls?.pinned && !collection.tls.verified) notes.push(`TLS certificate trusted by its pinned fingerprint ${collection.tls.fingerprint256}`);
  return { snapshot, notes };
}

/** Probe exit code for each collection failure (see bin/commands/probe.ts EXIT). */
export const IPP_EXIT_KIND: Readonly<Record<IppErrorCode, 'usage' | 'noAnswer' | 'credentials' | 'notAPrinter' | 'protocol'>> = {
  INVALID_URI: 'usage',
  CONNECT_TIMEOUT: 'noAnswer',
  TIMEOUT: 'noAnswer',
  CONNECT: 'noAnswer',
  TLS_UNTRUSTED: 'credentials',
  HTTP_STATUS: 'notAPrinter',
  REDIRECT: 'protocol',
  TOO_LARGE: 'protocol',
  NOT_IPP: 'notAPrinter',
  DECODE: 'protocol',
  IPP_STATUS: 'notAPrinter',
  CANCELLED: 'noAnswer',
};
