/**
 * The SLA clock of one target (reaction, resolution or on-site arrival) of one ticket.
 *
 * The state is a checkpointed accumulator: `consumedMs` of working time had elapsed at
 * `checkpointAt`. Every change (pause, resume, stop, new target, new calendar) first folds the
 * working time since the checkpoint into the accumulator using the calendar in force until
 * then, so a change of impact or contract keeps the elapsed working time and only the rest is
 * counted under the new terms. The deadline is derived at each checkpoint, so it never depends
 * on when somebody looks at it.
 *
 * Pure: callers pass `now` and the calendar; the state is plain JSON (stored with the ticket).
 */
import { z } from 'zod';
import { addWorkingTime, workingTimeBetween, type BusinessCalendar } from './businessCalendar.js';

export const SlaClockState = z.strictObject({
  /** Working-time target in ms; null = no guarantee (the clock still measures). */
  targetMs: z.number().nonnegative().nullable(),
  warnAtShare: z.number().gt(0).lt(1),
  startedAt: z.number(),
  checkpointAt: z.number(),
  /** Working time consumed up to the checkpoint (pauses excluded). */
  consumedMs: z.number().nonnegative(),
  state: z.enum(['running', 'paused', 'stopped']),
  pausedSince: z.number().nullable(),
  /** Wall-clock time spent paused (closed pauses). */
  pausedWallMs: z.number().nonnegative(),
  /** Working time that passed while paused: what the pauses took off the clock. */
  pausedWorkingMs: z.number().nonnegative(),
  stoppedAt: z.number().nullable(),
  /** When the target is (was) reached if the clock keeps running; null while paused or without target. */
  deadlineAt: z.number().nullable(),
  /** When the warning share is reached; null when passed, paused or without target. */
  warnAt: z.number().nullable(),
  warned: z.boolean(),
  breached: z.boolean(),
  breachedAt: z.number().nullable(),
});
export type SlaClockState = z.infer<typeof SlaClockState>;

export type SlaClockEvent =
  | { readonly kind: 'sla.warning'; readonly at: number; readonly consumedMs: number }
  | { readonly kind: 'sla.breach'; readonly at: number; readonly consumedMs: number };

function derive(s: SlaClockState, cal: BusinessCalendar): SlaClockState {
  if (s.targetMs === null || s.state === 'paused') return { ...s, deadlineAt: null, warnAt: null };
  if (s.state === 'stopped') return { ...s, warnAt: null };
  const left = s.targetMs - s.consumedMs;
  const deadlineAt = left > 0 ? addWorkingTime(cal, s.checkpointAt, left) : (s.breachedAt ?? s.deadlineAt ?? s.checkpointAt);
  const warnLeft = s.targetMs * s.warnAtShare - s.consumedMs;
  const warnAt = s.warned ? null : warnLeft > 0 ? addWorkingTime(cal, s.checkpointAt, warnLeft) : s.checkpointAt;
  return { ...s, deadlineAt, warnAt };
}

/** Folds working time since the checkpoint into the accumulator (no-op unless running). */
function fold(s: SlaClockState, cal: BusinessCalendar, now: number): SlaClockState {
  const at = Math.max(now, s.checkpointAt);
  if (s.state === 'running') return { ...s, consumedMs: s.consumedMs + workingTimeBetween(cal, s.checkpointAt, at), checkpointAt: at };
  if (s.state === 'paused') return { ...s, checkpointAt: at };
  return s;
}

/**
 * Starts a clock at `at`. Outside working hours nothing is consumed until the next opening, so
 * the deadline is next opening + target (support-contracts §3).
 */
export function startClock(cal: BusinessCalendar, at: number, targetMs: number | null, warnAtShare: number): SlaClockState {
  return derive(
    {
      targetMs,
      warnAtShare,
      startedAt: at,
      checkpointAt: at,
      consumedMs: 0,
      state: 'running',
      pausedSince: null,
      pausedWallMs: 0,
      pausedWorkingMs: 0,
      stoppedAt: null,
      deadlineAt: null,
      warnAt: null,
      warned: false,
      breached: false,
      breachedAt: null,
    },
    cal,
  );
}

/** Emits the warning and the breach, each once, for everything up to `now`. */
export function evaluateClock(s: SlaClockState, cal: BusinessCalendar, now: number): { clock: SlaClockState; events: SlaClockEvent[] } {
  if (s.targetMs === null || s.state !== 'running') return { clock: s, events: [] };
  const events: SlaClockEvent[] = [];
  let next = s;
  if (!next.warned && next.warnAt !== null && now >= next.warnAt) {
    next = { ...next, warned: true, warnAt: null };
    events.push({ kind: 'sla.warning', at: s.warnAt!, consumedMs: Math.round(s.targetMs * s.warnAtShare) });
  }
  if (!next.breached && next.deadlineAt !== null && now >= next.deadlineAt) {
    next = { ...next, breached: true, breachedAt: next.deadlineAt };
    events.push({ kind: 'sla.breach', at: next.deadlineAt!, consumedMs: s.targetMs });
  }
  return { clock: next, events };
}

export function pauseClock(s: SlaClockState, cal: BusinessCalendar, now: number): SlaClockState {
  if (s.state !== 'running') return s;
  const f = fold(s, cal, now);
  return derive({ ...f, state: 'paused', pausedSince: f.checkpointAt }, cal);
}

export function resumeClock(s: SlaClockState, cal: BusinessCalendar, now: number): SlaClockState {
  if (s.state !== 'paused' || s.pausedSince === null) return s;
  const at = Math.max(now, s.checkpointAt);
  return derive(
    {
      ...s,
      state: 'running',
      checkpointAt: at,
      pausedSince: null,
      pausedWallMs: s.pausedWallMs + (at - s.pausedSince),
      pausedWorkingMs: s.pausedWorkingMs + workingTimeBetween(cal, s.pausedSince, at),
    },
    cal,
  );
}

/** Stops the clock for good (first response given, resolved, technician arrived). A late stop counts as breached. */
export function stopClock(s: SlaClockState, cal: BusinessCalendar, now: number): { clock: SlaClockState; events: SlaClockEvent[] } {
  if (s.state === 'stopped') return { clock: s, events: [] };
  const resumed = s.state === 'paused' ? resumeClock(s, cal, now) : s;
  const evaluated = evaluateClock(resumed, cal, now);
  const f = fold(evaluated.clock, cal, now);
  return { clock: { ...f, state: 'stopped', stoppedAt: f.checkpointAt, warnAt: null }, events: evaluated.events };
}

/** Stopped clocks resume counting (a reopened ticket) with their elapsed time kept. */
export function restartClock(s: SlaClockState, cal: BusinessCalendar, now: number): SlaClockState {
  if (s.state !== 'stopped') return s;
  return derive({ ...s, state: 'running', stoppedAt: null, checkpointAt: Math.max(now, s.checkpointAt) }, cal);
}

/**
 * New target and/or calendar from `now` on (impact or contract changed). Elapsed working time
 * up to `now` is counted under the old calendar and kept; the warning is re-armed when the elapsed
 * time is below the new threshold; a breach already recorded stays recorded.
 */
export function retargetClock(
  s: SlaClockState,
  oldCal: BusinessCalendar,
  newCal: BusinessCalendar,
  now: number,
  targetMs: number | null,
  warnAtShare: number,
): SlaClockState {
  const f = fold(s, oldCal, now);
  // A breach is a fact of the terms in force when it happened: a later, longer target does not undo it.
  const breached = f.breached;
  const warned = targetMs !== null && f.warned && f.consumedMs >= targetMs * warnAtShare;
  const next: SlaClockState = {
    ...f,
    targetMs,
    warnAtShare,
    warned,
    breached,
    breachedAt: breached ? f.breachedAt : null,
    // A target already exceeded by the elapsed time is due now.
    deadlineAt: targetMs !== null && f.consumedMs >= targetMs ? (breached ? (f.breachedAt ?? f.deadlineAt) : f.checkpointAt) : null,
  };
  return derive(next, newCal);
}

export interface ClockView {
  readonly status: 'none' | 'running' | 'paused' | 'met' | 'breached';
  readonly targetMs: number | null;
  readonly consumedMs: number;
  /** Working time left (negative when overdue); null without target. */
  readonly remainingMs: number | null;
  readonly deadlineAt: number | null;
  /** Wall-clock paused time including a pause in progress. */
  readonly pausedMs: number;
  readonly breached: boolean;
}

/** What a dashboard shows at `now`. */
export function viewClock(s: SlaClockState, cal: BusinessCalendar, now: number): ClockView {
  const consumedMs = s.state === 'running' ? s.consumedMs + workingTimeBetween(cal, s.checkpointAt, Math.max(now, s.checkpointAt)) : s.consumedMs;
  const breached =
    s.breached ||
    (s.targetMs !== null && consumedMs >= s.targetMs && s.state !== 'stopped') ||
    (s.state === 'stopped' && s.targetMs !== null && s.consumedMs >= s.targetMs);
  const pausedMs = s.pausedWallMs + (s.state === 'paused' && s.pausedSince !== null ? Math.max(0, now - s.pausedSince) : 0);
  let status: ClockView['status'];
  if (s.targetMs === null) status = 'none';
  else if (s.state === 'stopped') status = breached ? 'breached' : 'met';
  else if (breached) status = 'breached';
  else status = s.state;
  return {
    status,
    targetMs: s.targetMs,
    consumedMs,
    remainingMs: s.targetMs === null ? null : s.targetMs - consumedMs,
    deadlineAt: s.deadlineAt,
    pausedMs,
    breached,
  };
}

/** The next instant at which `evaluateClock` would emit something; null when nothing is pending. */
export function nextClockDue(s: SlaClockState): number | null {
  if (s.state !== 'running' || s.targetMs === null) return null;
  if (!s.warned && s.warnAt !== null) return s.warnAt;
  if (!s.breached && s.deadlineAt !== null) return s.deadlineAt;
  return null;
}
