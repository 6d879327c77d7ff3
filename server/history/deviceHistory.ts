/**
 * Device history, pure: what the server keeps of each device's past in the hot store, and how a
 * new reading changes it. Three kinds of record (collections in HISTORY_COLLECTIONS):
 *
 *   supplyHistory   one per device and supply ("<deviceKey>|<index>"): level readings of the
 *                   cartridge in the printer now and of the previous one, plus the cached
 *                   forecast and the state of its proactive order
 *   counterHistory  one per device: page counters, at most one point per `counterGapMs`
 *   faultTimeline   one per device: the latest fault raised/cleared and unreachable/reachable entries,
 *                   and the device's firmware changes (rare, so kept apart from the fault churn)
 *
 * Sized for 10,000 devices in a store whose hot file is rewritten at compaction, so every record
 * is bounded:
 *   - levels are change-only and downsampled: per UTC day the first changed reading and the
 *     latest one (overwritten at most every `minGapMs` while the day goes on; an unchanged day
 *     adds nothing but a weekly heartbeat), plus every reading that jumps by `pinJump` points or
 *     enters/leaves empty, full, -3 or unknown (pinned: a replacement, an empty, a -3 period);
 *   - only the current cartridge and the previous one stay hot (the forecast fits the current
 *     one, learns yield from the previous one); a cap on points bounds the rest;
 *   - what falls out is returned as an archive chunk, which the shell appends to the monthly
 *     archive (tx.archive): history grows in files that are never rewritten.
 * Points are stored compactly: minutes since the record's base instant, levels, one state letter
 * per point (upper case = pinned).
 */
import type { SupplyKind, SupplyState } from '../../shared/snapshot.js';
import type { FaultCode } from '../../shared/faults.js';
import type { LevelReading, PageCountReading, SupplyRole } from '../forecast/usageModel.js';

export const HISTORY_COLLECTIONS = {
  supplies: 'supplyHistory',
  counters: 'counterHistory',
  faults: 'faultTimeline',
  /** Archived chunks of all three (monthly files). */
  archive: 'historyArchive',
} as const;

export interface HistoryLimits {
  /** Level points per supply kept hot (current + previous cartridge); beyond it the oldest are archived. */
  maxSupplyPoints: number;
  /** Trim to this many when the cap is hit (archiving in chunks, not one point per message). */
  trimSupplyPointsTo: number;
  /** A level change of at least this many points is pinned (never overwritten). */
  pinJump: number;
  /** Within a UTC day, an unpinned reading at most this long after the last point is not written (writes per supply and day stay few). */
  minGapMs: number;
  /** Across days an unchanged reading adds a point only this long after the last one. */
  heartbeatMs: number;
  /** A level within this many points of the last point's (same state) is unchanged. */
  deadband: number;
  /** Cartridges kept hot: 2 = the current one and the previous one (points before are archived). */
  keepCartridges: number;
  /** A rise of at least this many points (or "empty" → something left) starts a new cartridge. */
  replacementJump: number;
  /** At most one counter point per this many ms (plus the first of each UTC day). */
  counterGapMs: number;
  maxCounterPoints: number;
  trimCounterPointsTo: number;
  /** Counter names kept per device ("total" first, then the first others seen). */
  maxCounterNames: number;
  maxTimelineEntries: number;
  trimTimelineTo: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = {
  maxSupplyPoints: 300,
  trimSupplyPointsTo: 240,
  pinJump: 20,
  replacementJump: 25,
  minGapMs: 3 * 3_600_000,
  heartbeatMs: 7 * 86_400_000,
  deadband: 1,
  keepCartridges: 2,
  counterGapMs: 24 * 3_600_000,
  maxCounterPoints: 300,
  trimCounterPointsTo: 240,
  maxCounterNames: 4,
  maxTimelineEntries: 40,
  trimTimelineTo: 30,
};

const MINUTE = 60_000;
const DAY = 86_400_000;
const CUT_MERGE_MS = 3 * DAY;
/** Points kept before a replacement when the finished cartridge is thinned (usageModel's reference readings). */
const REFERENCE_POINTS = 5;
const SPELL_GAP_MS = 3_600_000;
const PIN_STATES: ReadonlySet<SupplyState> = new Set(['empty', 'full', 'someRemaining', 'unknown']);

const STATE_CODE: Readonly<Record<SupplyState, string>> = { ok: 'o', low: 'l', empty: 'e', someRemaining: 's', unknown: 'u', nearFull: 'n', full: 'f' };
const CODE_STATE: Readonly<Record<string, SupplyState>> = Object.fromEntries(Object.entries(STATE_CODE).map(([k, v]) => [v, k as SupplyState]));

export function stateOf(code: string): SupplyState {
  const s = CODE_STATE[code.toLowerCase()];
  if (s === undefined) throw new Error(`supply history: unknown state letter ${JSON.stringify(code)}`);
  return s;
}

/** Forecast as cached on the supply record and shown by the API (times in epoch ms). */
export interface ForecastSummary {
  status: 'forecast' | 'reached' | 'distant' | 'notEnoughData';
  target: 'empty' | 'full';
  computedAt: number;
  at?: number;
  date?: string;
  earliest?: number;
  latest?: number | null;
  workingDaysLeft?: { estimate: number; low: number; high: number | null };
  confidence?: 'high' | 'medium' | 'low';
  method?: 'levelTrend' | 'pageCounter' | null;
  since?: number;
  beyondWorkingDays?: number;
  reason?: string;
  message?: string;
  levelNow?: number;
  levelPerWorkingDay?: number;
  cartridgeSince?: number | null;
  replacedAt?: number | null;
}

/** The proactive order of this supply: the last order ticket opened for it. */
export interface SupplyOrderState {
  status: 'open' | 'closed';
  openedAt: number;
  ticketId: string;
  closedAt?: number;
}

/** One supply's bounded history record: what it is (SupplyMeta) and its thinned level points. */
export interface SupplyTrack extends SupplyMeta {
  v: 1;
  /** Epoch ms that `t` counts from. */
  base: number;
  /** Minutes since `base`, ascending. */
  t: number[];
  /** Level in percent as the device reports it (filled % for receptacles), null without a number. */
  l: (number | null)[];
  /** One state letter per point; upper case = pinned (kept even within a day). */
  s: string;
  /** Instants where a new cartridge started (cheap rise test), newest last, at most 3. */
  cuts: number[];
  forecast?: ForecastSummary;
  order?: SupplyOrderState;
}

export interface SupplyMeta {
  deviceKey: string;
  customerId: string;
  index: number;
  name: string;
  partNumber?: string;
  kind: SupplyKind;
  color: string | null;
  role: SupplyRole;
}

export interface SupplyPoint {
  at: number;
  levelPercent: number | null;
  state: SupplyState;
  pinned: boolean;
}

/** A piece of history leaving the hot record, for the monthly archive. */
export interface ArchiveChunk {
  kind: 'supply' | 'counters' | 'faults';
  deviceKey: string;
  customerId: string;
  supplyIndex?: number;
  from: number;
  to: number;
  supplyPoints?: Array<[at: number, level: number | null, state: SupplyState]>;
  counterPoints?: Array<{ at: number; values: Record<string, number> }>;
  entries?: TimelineEntry[];
}

export function supplyId(deviceKey: string, index: number): string {
  return `${deviceKey}|${index}`;
}

export function pointsOf(track: SupplyTrack): SupplyPoint[] {
  const out: SupplyPoint[] = new Array<SupplyPoint>(track.t.length);
  for (let i = 0; i < track.t.length; i++) {
    const c = track.s[i]!;
    out[i] = { at: track.base + track.t[i]! * MINUTE, levelPercent: track.l[i]!, state: stateOf(c), pinned: c !== c.toLowerCase() };
  }
  return out;
}

/** The readings the forecast takes (forecast/usageModel LevelReading). */
export function levelReadings(track: SupplyTrack): LevelReading[] {
  return pointsOf(track).map((p) => ({ at: p.at, levelPercent: p.levelPercent, state: p.state }));
}

function utcDay(at: number): number {
  return Math.floor(at / DAY);
}

function depleted(role: SupplyRole, level: number | null, state: SupplyState): boolean {
  return role === 'consumable' ? state === 'empty' || level === 0 : state === 'full' || level === 100;
}

/** Remaining capacity (consumables: level; receptacles: 100 − filled), null without a number. */
function remaining(role: SupplyRole, level: number | null): number | null {
  return level === null ? null : role === 'consumable' ? level : 100 - level;
}

function encode(meta: SupplyMeta, base: number, points: readonly SupplyPoint[], cuts: number[], rest: Pick<SupplyTrack, 'forecast' | 'order'>): SupplyTrack {
  const track: SupplyTrack = {
    v: 1,
    deviceKey: meta.deviceKey,
    index: meta.index,
    ...metaFields(meta),
    base,
    t: points.map((p) => Math.round((p.at - base) / MINUTE)),
    l: points.map((p) => p.levelPercent),
    s: points.map((p) => (p.pinned ? STATE_CODE[p.state].toUpperCase() : STATE_CODE[p.state])).join(''),
    cuts,
  };
  if (rest.forecast !== undefined) track.forecast = rest.forecast;
  if (rest.order !== undefined) track.order = rest.order;
  return track;
}

export interface LevelUpdate {
  track: SupplyTrack;
  /** The record changed (write it). */
  changed: boolean;
  /** A point was added (not just the day's latest overwritten). */
  appended: boolean;
  /** This reading started a new cartridge (cheap rise test; the forecast confirms it). */
  cut: boolean;
  /** Points that left the hot record. */
  archived: ArchiveChunk | null;
}

/** The update added a pinned point (a replacement, an empty, a -3…): the new point is the last, pinned ones are upper case. */
export function appendedPinned(u: LevelUpdate): boolean {
  const last = u.track.s[u.track.s.length - 1] ?? '';
  return u.appended && last !== last.toLowerCase();
}

/**
 * Adds one reading of a supply. Readings not after the last point are ignored (the device
 * record already drops stale snapshots; this guards the history on its own). Cost: O(1) except
 * when trimming (O(points), once per `maxSupplyPoints − trimSupplyPointsTo` appends at most).
 */
export function recordLevel(
  prev: SupplyTrack | undefined,
  meta: SupplyMeta,
  reading: { at: number; levelPercent: number | null; state: SupplyState },
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): LevelUpdate {
  const at = Math.floor(reading.at / MINUTE) * MINUTE;
  const level = reading.levelPercent === null || !Number.isFinite(reading.levelPercent) ? null : reading.levelPercent;
  const metaChanged =
    prev !== undefined &&
    (prev.name !== meta.name ||
      prev.partNumber !== meta.partNumber ||
      prev.kind !== meta.kind ||
      prev.color !== meta.color ||
      prev.role !== meta.role ||
      prev.customerId !== meta.customerId);
  if (!prev || prev.t.length === 0) {
    const track = encode(meta, at, [{ at, levelPercent: level, state: reading.state, pinned: true }], [], { forecast: prev?.forecast, order: prev?.order });
    return { track, changed: true, appended: true, cut: false, archived: null };
  }
  const n = prev.t.length;
  const lastAt = prev.base + prev.t[n - 1]! * MINUTE;
  const same = (): LevelUpdate =>
    metaChanged
      ? { track: { ...prev, ...metaFields(meta) }, changed: true, appended: false, cut: false, archived: null }
      : { track: prev, changed: false, appended: false, cut: false, archived: null };
  if (!(at > lastAt)) return same();
  const lastCode = prev.s[n - 1]!;
  const lastState = stateOf(lastCode);
  const lastLevel = prev.l[n - 1]!;
  const sameDay = utcDay(at) === utcDay(lastAt);
  const jump = level !== null && lastLevel !== null ? Math.abs(level - lastLevel) : 0;
  // Pinned: a jump, a number appearing or vanishing, or a state change to or from a state that
  // matters for cartridges (empty/full, -3, unknown). ok ↔ low / nearFull flips at a threshold are
  // ordinary points: noise there would otherwise pin (and write) a point per poll.
  const pinned =
    (level === null) !== (lastLevel === null) ||
    jump >= limits.pinJump ||
    (reading.state !== lastState && (PIN_STATES.has(reading.state) || PIN_STATES.has(lastState)));
  // Unchanged means within the dead band of the last point (a level flickering between two
  // integers at a rounding edge is not a change) with the same state.
  const unchanged = reading.state === lastState && (level === lastLevel || (level !== null && lastLevel !== null && jump <= limits.deadband));
  // The reading after a pinned one is always kept: it confirms a replacement (or an empty) for the
  // forecast. So are the first readings of an empty/full spell: the replacement test compares a rise
  // with the median of the last five numbers, which must be the empty ones, not the level before.
  const confirms =
    (lastCode !== lastCode.toLowerCase() && n >= 2) ||
    ((reading.state === 'empty' || reading.state === 'full') && trailingSameState(prev, STATE_CODE[reading.state]) < 3);
  // While a supply stays empty (full), its latest reading is kept up to date (hourly): the last
  // reading before a replacement bounds the pages the new cartridge is charged with.
  const spell = (reading.state === 'empty' || reading.state === 'full') && reading.state === lastState;
  if (spell && !confirms && at - lastAt < SPELL_GAP_MS) return same();
  if (sameDay && !pinned && !confirms && !spell && (at - lastAt < limits.minGapMs || unchanged)) return same();
  // Change-only across days too: an unchanged level (a night, a weekend, a slow drum) adds no
  // point, except a weekly heartbeat so a long quiet spell still shows readings.
  if (!sameDay && !pinned && !confirms && !spell && unchanged && at - lastAt < limits.heartbeatMs) return same();

  // A new cartridge: remaining capacity rises by the replacement jump over the last numeric
  // reading, or a depleted supply reports something left again.
  const lastNumeric = lastNumericLevel(prev);
  const rem = remaining(meta.role, level);
  const remBefore = remaining(meta.role, lastNumeric);
  const cut =
    (rem !== null && remBefore !== null && rem - remBefore >= limits.replacementJump) ||
    (depleted(meta.role, lastLevel, lastState) && !depleted(meta.role, level, reading.state) && reading.state !== 'unknown');

  // Within a day, an unpinned latest point that follows an earlier point of the same day is overwritten.
  const overwrite =
    sameDay && !pinned && !confirms && lastCode === lastCode.toLowerCase() && n >= 2 && utcDay(prev.base + prev.t[n - 2]! * MINUTE) === utcDay(lastAt);
  // One replacement can show as two rises (empty → "some remaining" → a number): a cut within
  // CUT_MERGE_MS of the previous one is the same cartridge change.
  const lastCut = prev.cuts[prev.cuts.length - 1];
  const cuts = cut && (lastCut === undefined || at - lastCut >= CUT_MERGE_MS) ? [...prev.cuts, at].slice(-3) : prev.cuts;
  const code = pinned ? STATE_CODE[reading.state].toUpperCase() : STATE_CODE[reading.state];
  const minute = Math.round((at - prev.base) / MINUTE);

  // Keep the current and the previous cartridge, and at most maxSupplyPoints.
  const count = overwrite ? n : n + 1;
  let drop = 0;
  if (cuts.length >= limits.keepCartridges) {
    const keepFrom = Math.round((cuts[cuts.length - limits.keepCartridges]! - prev.base) / MINUTE);
    while (drop < n && prev.t[drop]! < keepFrom) drop++;
  }
  if (count - drop > limits.maxSupplyPoints) drop = count - limits.trimSupplyPointsTo;
  // A new cartridge: the one just finished is thinned to its pinned points and the last point of
  // each day (enough for the replacement reference and learning its yield); the rest is archived.
  const newCut = cuts !== prev.cuts;
  if (drop === 0 && !newCut) {
    // The common case: copy the arrays (stored values are never mutated) and add or overwrite one point.
    const t = prev.t.slice();
    const l = prev.l.slice();
    if (overwrite) {
      t[n - 1] = minute;
      l[n - 1] = level;
    } else {
      t.push(minute);
      l.push(level);
    }
    const track: SupplyTrack = { ...prev, ...metaFields(meta), t, l, s: (overwrite ? prev.s.slice(0, n - 1) : prev.s) + code, cuts };
    return { track, changed: true, appended: !overwrite, cut, archived: null };
  }
  let points = pointsOf(prev);
  const point: SupplyPoint = { at, levelPercent: level, state: reading.state, pinned };
  if (overwrite) points[n - 1] = point;
  else points.push(point);
  let gone = points.slice(0, drop);
  points = points.slice(drop);
  if (newCut) {
    const kept: SupplyPoint[] = [];
    // The last readings before the replacement stay: the forecast's replacement test compares the
    // rise with the median of the last five numbers before it.
    let cutIndex = points.findIndex((p) => p.at >= at);
    if (cutIndex < 0) cutIndex = points.length;
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const next = points[i + 1];
      const lastOfDay = next === undefined || utcDay(next.at) !== utcDay(p.at);
      if (i >= cutIndex - REFERENCE_POINTS || p.pinned || lastOfDay) kept.push(p);
      else gone.push(p);
    }
    points = kept;
    gone = gone.sort((a, b) => a.at - b.at);
  }
  if (gone.length === 0) {
    const track = encode(
      meta,
      points[0]!.at,
      points,
      cuts.filter((c) => c >= points[0]!.at),
      { forecast: prev.forecast, order: prev.order },
    );
    return { track, changed: true, appended: !overwrite, cut, archived: null };
  }
  const archived: ArchiveChunk = {
    kind: 'supply',
    deviceKey: meta.deviceKey,
    customerId: meta.customerId,
    supplyIndex: meta.index,
    from: gone[0]!.at,
    to: gone[gone.length - 1]!.at,
    supplyPoints: gone.map((p) => [p.at, p.levelPercent, p.state]),
  };
  const base = points[0]!.at;
  const track = encode(
    meta,
    base,
    points,
    cuts.filter((c) => c >= base),
    { forecast: prev.forecast, order: prev.order },
  );
  return { track, changed: true, appended: !overwrite, cut, archived };
}

/** How many points at the end of the track have this state (either case). */
function trailingSameState(track: SupplyTrack, code: string): number {
  let n = 0;
  for (let i = track.s.length - 1; i >= 0 && track.s[i]!.toLowerCase() === code; i--) n++;
  return n;
}

/** What a reading may change of a supply's description (device and index identify the record). */
function metaFields(meta: SupplyMeta): Omit<SupplyMeta, 'deviceKey' | 'index'> {
  return {
    customerId: meta.customerId,
    name: meta.name,
    kind: meta.kind,
    color: meta.color,
    role: meta.role,
    ...(meta.partNumber !== undefined ? { partNumber: meta.partNumber } : {}),
  };
}

function lastNumericLevel(track: SupplyTrack): number | null {
  for (let i = track.l.length - 1; i >= 0; i--) if (track.l[i] !== null) return track.l[i]!;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Page counters

export interface CounterTrack {
  v: 1;
  deviceKey: string;
  customerId: string;
  base: number;
  /** Minutes since `base`. */
  t: number[];
  /** Per counter name: first value absolute, then the change since the previous point that had a value; null = not reported. */
  d: Record<string, (number | null)[]>;
}

export interface CounterUpdate {
  track: CounterTrack;
  changed: boolean;
  archived: ArchiveChunk | null;
}

export function counterPoints(track: CounterTrack): Array<{ at: number; values: Record<string, number> }> {
  const out = track.t.map((m) => ({ at: track.base + m * MINUTE, values: {} }));
  for (const [name, deltas] of Object.entries(track.d)) {
    let value: number | null = null;
    for (let i = 0; i < deltas.length; i++) {
      const d = deltas[i];
      if (d === null || d === undefined) continue;
      value = value === null ? d : value + d;
      (out[i]!.values as Record<string, number>)[name] = value;
    }
  }
  return out;
}

/** Readings of one counter for the forecast's page-counter method. */
export function pageReadings(track: CounterTrack | undefined, name = 'total'): PageCountReading[] {
  if (!track || !(name in track.d)) return [];
  const out: PageCountReading[] = [];
  for (const p of counterPoints(track)) {
    const v = p.values[name];
    if (v !== undefined) out.push({ at: p.at, pages: v });
  }
  return out;
}

function chooseNames(known: readonly string[], incoming: Record<string, number>, max: number): string[] {
  const names = [...known];
  const candidates = Object.keys(incoming).sort((a, b) => (a === 'total' ? -1 : b === 'total' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const c of candidates) if (names.length < max && !names.includes(c)) names.push(c);
  return names;
}

/** Adds the device's counters: the first point of a UTC day, else at most one per `counterGapMs`, and only when a value changed. */
export function recordCounters(
  prev: CounterTrack | undefined,
  owner: { deviceKey: string; customerId: string },
  at0: number,
  counters: Record<string, number>,
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
  /** Ignore the gap: a supply was replaced or ran out now, and the counter at that instant matters (yield, pages since replacement). */
  force = false,
): CounterUpdate {
  const at = Math.floor(at0 / MINUTE) * MINUTE;
  const names = chooseNames(prev ? Object.keys(prev.d) : [], counters, limits.maxCounterNames);
  if (names.length === 0)
    return { track: prev ?? { v: 1, deviceKey: owner.deviceKey, customerId: owner.customerId, base: at, t: [], d: {} }, changed: false, archived: null };
  let points = prev ? counterPoints(prev) : [];
  const last = points[points.length - 1];
  if (last) {
    if (!(at > last.at)) return { track: prev!, changed: false, archived: null };
    const changedValue = names.some((k) => counters[k] !== undefined && counters[k] !== last.values[k]);
    if (!changedValue) return { track: prev!, changed: false, archived: null };
    if (!force && utcDay(at) === utcDay(last.at) && at - last.at < limits.counterGapMs) return { track: prev!, changed: false, archived: null };
  }
  const values: Record<string, number> = {};
  for (const k of names) if (counters[k] !== undefined && Number.isFinite(counters[k])) values[k] = counters[k];
  points.push({ at, values });
  let archived: ArchiveChunk | null = null;
  if (points.length > limits.maxCounterPoints) {
    const drop = points.length - limits.trimCounterPointsTo;
    const gone = points.slice(0, drop);
    points = points.slice(drop);
    archived = {
      kind: 'counters',
      deviceKey: owner.deviceKey,
      customerId: owner.customerId,
      from: gone[0]!.at,
      to: gone[gone.length - 1]!.at,
      counterPoints: gone,
    };
  }
  const base = points[0]!.at;
  const d: Record<string, (number | null)[]> = {};
  for (const k of names) {
    let previous: number | null = null;
    d[k] = points.map((p) => {
      const v = p.values[k];
      if (v === undefined) return null;
      const delta = previous === null ? v : v - previous;
      previous = v;
      return delta;
    });
  }
  return {
    track: { v: 1, deviceKey: owner.deviceKey, customerId: owner.customerId, base, t: points.map((p) => Math.round((p.at - base) / MINUTE)), d },
    changed: true,
    archived,
  };
}

// ---------------------------------------------------------------------------------------------
// Fault timeline

export interface TimelineEntry {
  /** Epoch ms of the event (agent time when it has one, else server time). */
  at: number;
  /** customerNotified: a customer-fixable fault was reported to the customer first (server/tickets/customerFixable.ts). */
  kind: 'raised' | 'cleared' | 'unreachable' | 'reachable' | 'customerNotified';
  code: FaultCode;
  severity?: string;
  message?: string;
  subunit?: { index?: number; group?: string };
  /** cleared: when the fault was first seen. */
  firstSeen?: number;
  lastError?: string;
}

/** A new firmware version reported by the device (the first version seen is not a change). */
export interface FirmwareChange {
  at: number;
  from: string;
  to: string;
}

export interface FaultTimeline {
  v: 1;
  deviceKey: string;
  customerId: string;
  entries: TimelineEntry[];
  /** Oldest first, the last MAX_FIRMWARE_CHANGES; not trimmed by fault entries. */
  firmware?: FirmwareChange[];
}

/** A device is updated a few times a year; this keeps years of them on one bounded record. */
export const MAX_FIRMWARE_CHANGES = 50;

/**
 * The firmware change between two readings of a device's identity, or null: both readings must
 * name a version (a reading without one says nothing, and the first version seen is no change).
 */
export function firmwareChange(before: string | undefined, after: string | undefined, at: number): FirmwareChange | null {
  return before !== undefined && after !== undefined && before !== after ? { at, from: before, to: after } : null;
}

export function recordFirmware(prev: FaultTimeline | undefined, owner: { deviceKey: string; customerId: string }, change: FirmwareChange): FaultTimeline {
  const firmware = [...(prev?.firmware ?? []), change].sort((a, b) => a.at - b.at).slice(-MAX_FIRMWARE_CHANGES);
  return { v: 1, deviceKey: owner.deviceKey, customerId: owner.customerId, entries: prev?.entries ?? [], firmware };
}

export function recordTimeline(
  prev: FaultTimeline | undefined,
  owner: { deviceKey: string; customerId: string },
  add: readonly TimelineEntry[],
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): { timeline: FaultTimeline; archived: ArchiveChunk | null } {
  let entries = [...(prev?.entries ?? []), ...add].sort((a, b) => a.at - b.at);
  let archived: ArchiveChunk | null = null;
  if (entries.length > limits.maxTimelineEntries) {
    const drop = entries.length - limits.trimTimelineTo;
    const gone = entries.slice(0, drop);
    entries = entries.slice(drop);
    archived = { kind: 'faults', deviceKey: owner.deviceKey, customerId: owner.customerId, from: gone[0]!.at, to: gone[gone.length - 1]!.at, entries: gone };
  }
  const timeline: FaultTimeline = { v: 1, deviceKey: owner.deviceKey, customerId: owner.customerId, entries };
  if (prev?.firmware) timeline.firmware = prev.firmware;
  return { timeline, archived };
}
