/**
 * Change detection: the previous per-device memory + one poll outcome + now → wire events.
 *
 * Pure: no clock, no I/O. The state is plain JSON so the runtime can persist it across restarts
 * (a restart must neither re-raise open faults nor forget pending ones).
 *
 * Hysteresis: a fault must be present in `raiseAfter` consecutive successful polls before it is
 * raised and absent from `clearAfter` consecutive successful polls before it is cleared, so one
 * bad poll neither opens nor closes a ticket. A failed poll is not evidence either way: fault
 * counters are left alone and only the reachability counter moves.
 *
 * Traps confirm: a fault seen in a poll that a trap from the device triggered is raised at once,
 * whatever `raiseAfter` says. The trap is the device's own report that something changed, and the
 * poll that reads the condition right after it is the second, independent sighting; waiting for
 * the next regular poll would make trap → ticket one whole interval. Clearing keeps its
 * hysteresis (a trap does not shorten `clearAfter`): a closed ticket costs more than a late one.
 *
 * A fault is "the same fault" across polls when shared/faultIdentity.ts `faultKey` says so.
 */
import { faultKey } from '../../shared/faultIdentity.js';
import type { DeviceEvent } from '../../shared/wire/messages.js';
import type { DeviceSnapshot, Fault, Identity, SupplyState } from '../../shared/snapshot.js';

export interface ChangeSettings {
  /** Consecutive polls a fault must be seen before fault.raised (>= 1). */
  readonly raiseAfter: number;
  /** Consecutive polls a raised fault must be absent before fault.cleared (>= 1). */
  readonly clearAfter: number;
  /** Consecutive failed polls before device.unreachable (>= 1). */
  readonly unreachableAfter: number;
  /** Consecutive polls a new supply state must hold before supply.changed (>= 1). */
  readonly supplyConfirmAfter: number;
  /** A level rise of at least this many percentage points between two polls means a new cartridge. */
  readonly replacementJumpPercent: number;
}

export const DEFAULT_CHANGE_SETTINGS: ChangeSettings = {
  raiseAfter: 2,
  clearAfter: 2,
  unreachableAfter: 3,
  supplyConfirmAfter: 2,
  replacementJumpPercent: 20,
};

export interface FaultTrack {
  /** Latest observation of the fault (message and severity may change while it stays open). */
  readonly fault: Fault;
  /** When it was first seen in the current run of sightings (ISO). */
  readonly firstSeen: string;
  /** Consecutive polls seen (counts up to raiseAfter while pending). */
  readonly seen: number;
  /** Consecutive polls absent while raised. */
  readonly missing: number;
  /** When the current run of absences began (ISO), null while present. */
  readonly missingSince: string | null;
  readonly raised: boolean;
}

export interface SupplyTrack {
  readonly name: string;
  /** The state last reported (or first observed). */
  readonly state: SupplyState;
  readonly levelPercent: number | null;
  /** A different state being confirmed, and for how many polls it has held. */
  readonly pending: SupplyState | null;
  readonly pendingCount: number;
}

export interface DeviceMemory {
  readonly faults: Readonly<Record<string, FaultTrack>>;
  readonly supplies: Readonly<Record<string, SupplyTrack>>;
  readonly identity: Identity | null;
  readonly reachable: boolean;
  readonly consecutiveFailures: number;
  /** First failure of the current run (ISO), null while the device answers. */
  readonly failingSince: string | null;
}

export const INITIAL_MEMORY: DeviceMemory = {
  faults: {},
  supplies: {},
  identity: null,
  reachable: true,
  consecutiveFailures: 0,
  failingSince: null,
};

/** Why a poll ran: on the schedule (or a server command), or because the device sent a trap. */
export type PollTrigger = 'schedule' | 'trap';

export type PollOutcome =
  { readonly ok: true; readonly snapshot: DeviceSnapshot; readonly trigger?: PollTrigger } | { readonly ok: false; readonly error: string };

export interface ChangeResult {
  readonly memory: DeviceMemory;
  readonly events: DeviceEvent[];
}

/**
 * The memory with every fault track under its `faultKey`. Memory saved by an agent before the one
 * fault identity keyed `unclassified` faults without their raw code; re-keyed once on load, an
 * open fault stays open instead of being cleared and raised again after an upgrade.
 */
export function rekeyFaults(memory: DeviceMemory): DeviceMemory {
  const faults: Record<string, FaultTrack> = {};
  for (const track of Object.values(memory.faults)) faults[faultKey(track.fault)] ??= track;
  return { ...memory, faults };
}

/** Identity fields whose change means a different physical device at the same address. */
function identityChanged(before: Identity, after: Identity): boolean {
  const differs = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a !== b;
  return differs(before.serial, after.serial) || differs(before.mac, after.mac) || differs(before.uuid, after.uuid);
}

function faultRef(fault: Fault): { code: Fault['code']; subunit?: Fault['subunit']; rawCode?: string } {
  return {
    code: fault.code,
    ...(fault.subunit !== undefined ? { subunit: fault.subunit } : {}),
    ...(fault.rawCode !== undefined ? { rawCode: fault.rawCode } : {}),
  };
}

function clearAll(faults: Readonly<Record<string, FaultTrack>>, at: string): DeviceEvent[] {
  return Object.values(faults)
    .filter((t) => t.raised)
    .map((t) => ({ kind: 'fault.cleared', fault: faultRef(t.fault), firstSeen: t.firstSeen, clearedAt: at }) as const);
}

function checkSettings(s: ChangeSettings): void {
  for (const key of ['raiseAfter', 'clearAfter', 'unreachableAfter', 'supplyConfirmAfter'] as const) {
    if (!Number.isInteger(s[key]) || s[key] < 1) throw new Error(`change detection setting ${key} must be an integer >= 1, found ${s[key]}`);
  }
}

export function detectChanges(
  previous: DeviceMemory | undefined,
  outcome: PollOutcome,
  now: Date,
  settings: ChangeSettings = DEFAULT_CHANGE_SETTINGS,
): ChangeResult {
  checkSettings(settings);
  const prev = previous ?? INITIAL_MEMORY;
  const at = now.toISOString();
  if (!outcome.ok) return onFailure(prev, outcome.error, at, settings);

  const snapshot = outcome.snapshot;
  const events: DeviceEvent[] = [];
  let faults = prev.faults;
  let supplies = prev.supplies;

  if (!prev.reachable) events.push({ kind: 'device.reachable', since: at });

  if (prev.identity && identityChanged(prev.identity, snapshot.identity)) {
    events.push({ kind: 'identity.changed', from: prev.identity, to: snapshot.identity });
    // Another device now answers at this address: what we knew about the old one no longer applies.
    events.push(...clearAll(prev.faults, at));
    faults = {};
    supplies = {};
  }

  // Traps confirm (see the header): a fault seen now needs this one sighting.
  const raiseAfter = outcome.trigger === 'trap' ? 1 : settings.raiseAfter;
  const faultStep = stepFaults(faults, snapshot.faults, at, raiseAfter, settings.clearAfter);
  events.push(...faultStep.events);
  const supplyStep = stepSupplies(supplies, snapshot, settings);
  events.push(...supplyStep.events);

  return {
    memory: {
      faults: faultStep.faults,
      supplies: supplyStep.supplies,
      identity: snapshot.identity,
      reachable: true,
      consecutiveFailures: 0,
      failingSince: null,
    },
    events,
  };
}

function onFailure(prev: DeviceMemory, error: string, at: string, settings: ChangeSettings): ChangeResult {
  const failures = prev.consecutiveFailures + 1;
  const failingSince = prev.failingSince ?? at;
  const events: DeviceEvent[] = [];
  let reachable = prev.reachable;
  if (prev.reachable && failures >= settings.unreachableAfter) {
    reachable = false;
    events.push({ kind: 'device.unreachable', since: failingSince, consecutiveFailures: failures, lastError: error.slice(0, 1024) });
  }
  return { memory: { ...prev, reachable, consecutiveFailures: failures, failingSince }, events };
}

function stepFaults(
  before: Readonly<Record<string, FaultTrack>>,
  observed: readonly Fault[],
  at: string,
  raiseAfter: number,
  clearAfter: number,
): { faults: Record<string, FaultTrack>; events: DeviceEvent[] } {
  const events: DeviceEvent[] = [];
  const next: Record<string, FaultTrack> = {};
  const present = new Map<string, Fault>();
  for (const f of observed) if (!present.has(faultKey(f))) present.set(faultKey(f), f);

  for (const [key, fault] of present) {
    const track = before[key];
    if (!track) {
      const fresh: FaultTrack = { fault, firstSeen: at, seen: 1, missing: 0, missingSince: null, raised: false };
      next[key] = raiseAfter <= 1 ? { ...fresh, raised: true } : fresh;
      if (raiseAfter <= 1) events.push({ kind: 'fault.raised', fault, firstSeen: at });
      continue;
    }
    if (track.raised) {
      next[key] = { ...track, fault, missing: 0, missingSince: null };
      continue;
    }
    const seen = track.seen + 1;
    if (seen >= raiseAfter) {
      events.push({ kind: 'fault.raised', fault, firstSeen: track.firstSeen });
      next[key] = { ...track, fault, seen, raised: true };
    } else {
      next[key] = { ...track, fault, seen };
    }
  }

  for (const [key, track] of Object.entries(before)) {
    if (present.has(key)) continue;
    // A pending fault that vanishes was noise: forget it, nothing was reported.
    if (!track.raised) continue;
    const missing = track.missing + 1;
    const missingSince = track.missingSince ?? at;
    if (missing >= clearAfter) {
      events.push({ kind: 'fault.cleared', fault: faultRef(track.fault), firstSeen: track.firstSeen, clearedAt: missingSince });
    } else {
      next[key] = { ...track, missing, missingSince };
    }
  }
  return { faults: next, events };
}

function stepSupplies(
  before: Readonly<Record<string, SupplyTrack>>,
  snapshot: DeviceSnapshot,
  settings: ChangeSettings,
): { supplies: Record<string, SupplyTrack>; events: DeviceEvent[] } {
  const events: DeviceEvent[] = [];
  const next: Record<string, SupplyTrack> = {};
  for (const supply of snapshot.supplies) {
    const key = String(supply.index);
    if (next[key]) continue;
    const track = before[key];
    const described = { index: supply.index, name: supply.name, kind: supply.kind, color: supply.color, levelPercent: supply.levelPercent };
    // First sighting, or a different part in the slot: the retained device.state carries the initial state.
    if (!track || track.name !== supply.name) {
      next[key] = { name: supply.name, state: supply.state, levelPercent: supply.levelPercent, pending: null, pendingCount: 0 };
      continue;
    }
    const rose = track.levelPercent !== null && supply.levelPercent !== null && supply.levelPercent - track.levelPercent >= settings.replacementJumpPercent;
    if (rose) {
      events.push({ kind: 'supply.changed', supply: described, from: track.state, to: supply.state, replaced: true });
      next[key] = { name: supply.name, state: supply.state, levelPercent: supply.levelPercent, pending: null, pendingCount: 0 };
      continue;
    }
    // "unknown" says nothing about the supply: keep what we knew (avoids ok → unknown → ok churn).
    const level = supply.levelPercent ?? track.levelPercent;
    if (supply.state === 'unknown' || supply.state === track.state) {
      next[key] = { ...track, levelPercent: level, pending: null, pendingCount: 0 };
      continue;
    }
    const count = track.pending === supply.state ? track.pendingCount + 1 : 1;
    if (count >= settings.supplyConfirmAfter) {
      events.push({ kind: 'supply.changed', supply: described, from: track.state, to: supply.state, replaced: false });
      next[key] = { name: supply.name, state: supply.state, levelPercent: level, pending: null, pendingCount: 0 };
    } else {
      next[key] = { ...track, levelPercent: level, pending: supply.state, pendingCount: count };
    }
  }
  return { supplies: next, events };
}
