/**
 * The one thing the runtime needs from the protocol collectors: poll a target, get a normalised
 * snapshot or a reason why not. Real implementations wrap the SNMP and IPP collectors
 * (agent/runtime/protocolCollector.ts); tests use fakes.
 */
import type { DeviceSnapshot } from '../../shared/snapshot.js';
import type { PollTarget } from './targets.js';

export type CollectResult = { readonly ok: true; readonly snapshot: DeviceSnapshot } | { readonly ok: false; readonly error: string };

export interface Collector {
  /** Must settle soon after `signal` aborts; must not throw (a rejection is treated as a failure). */
  collect(target: PollTarget, signal: AbortSignal): Promise<CollectResult>;
  /** Releases sockets; called once at shutdown. */
  close?(): void;
}
