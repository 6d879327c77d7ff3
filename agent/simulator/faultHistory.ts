/**
 * Gives each fault a stable alert-table index and start time across renders, and counts alert
 * events (prtAlertAllEvents / prtAlertCriticalEvents), the way a printer's alert table behaves:
 * a fault keeps its row while it lasts; when it comes back it is a new event with a new index.
 */
import type { ActiveFault } from './deviceModel.js';

export interface TrackedFault extends ActiveFault {
  readonly alertIndex: number;
}

export interface FaultHistory {
  readonly known: ReadonlyMap<string, { readonly since: number; readonly alertIndex: number }>;
  readonly nextIndex: number;
  readonly allEvents: number;
  readonly criticalEvents: number;
}

export const EMPTY_HISTORY: FaultHistory = { known: new Map(), nextIndex: 1, allEvents: 0, criticalEvents: 0 };

/**
 * `faults` come from activeFaults(); `now` is ms since start and becomes the start time of faults
 * seen for the first time that carry no start time of their own (supply faults, since = 0).
 */
export function trackFaults(history: FaultHistory, faults: readonly ActiveFault[], now: number): { history: FaultHistory; faults: TrackedFault[] } {
  const known = new Map<string, { since: number; alertIndex: number }>();
  let { nextIndex, allEvents, criticalEvents } = history;
  const tracked: TrackedFault[] = [];
  for (const fault of faults) {
    let entry = history.known.get(fault.key);
    if (!entry) {
      entry = { since: fault.key.startsWith('supply:') ? now : fault.since, alertIndex: nextIndex++ };
      allEvents++;
      if (fault.severity === 'critical') criticalEvents++;
    }
    known.set(fault.key, entry);
    tracked.push({ ...fault, since: entry.since, alertIndex: entry.alertIndex });
  }
  tracked.sort((a, b) => a.alertIndex - b.alertIndex);
  return { history: { known, nextIndex, allEvents, criticalEvents }, faults: tracked };
}

/** For pure rendering without history (tests, one-off views): indexes 1..n in order. */
export function indexFaults(faults: readonly ActiveFault[]): TrackedFault[] {
  return faults.map((f, i) => ({ ...f, alertIndex: i + 1 }));
}
