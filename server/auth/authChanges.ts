/**
 * "API tokens changed" / "agent credentials changed" over the cluster bus: an instance that
 * creates or revokes one tells the others, which read their copy from the store again at once
 * instead of at their next periodic re-read (1 s). The note names the collection only, never a
 * token or hash. Best effort like every bus note: a lost one costs at most that second.
 */
import type { ClusterBus } from '../cluster/clusterBus.js';

export type AuthRecords = 'apiTokens' | 'agentCredentials';

const KIND = 'auth';

export function announceAuthChange(bus: ClusterBus | undefined, what: AuthRecords): void {
  bus?.publish({ kind: KIND, body: what });
}

/** Calls `handler` when another instance announces a change of `what`; returns the unsubscribe function. */
export function onAuthChange(bus: ClusterBus, what: AuthRecords, handler: () => void): () => void {
  return bus.subscribe((note) => {
    if (note.kind === KIND && note.body === what) handler();
  });
}
