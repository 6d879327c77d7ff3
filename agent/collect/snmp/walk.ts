/**
 * Bounded table walks over an SnmpTransport, several columns at once.
 *
 * v2c/v3: one GETBULK carries many columns (a multi-varbind GETBULK walks them in parallel, RFC
 * 3416 §4.2.3), plus optional scalars as non-repeaters; each column stops at its own end and
 * only unfinished columns are asked again. max-repetitions is sized from how many rows each
 * column had last time (`expectedRows`), and columns of very different length go in separate
 * requests, so a typical poll reads everything in one or two datagrams instead of one walk per
 * column. v1: one multi-varbind GETNEXT per round.
 *
 * Safety bounds, per column: fails (SnmpCollectError) when the agent returns an OID that is not
 * strictly after the previous one of that column (the "same OID forever" and "going backwards"
 * agents), when a column exceeds `maxValues`, or when the collection's deadline passes. A
 * multi-column request the agent rejects with an error status (tooBig, genErr, v1 noSuchName)
 * is retried one column per request, which is how the walks worked before.
 */
import type { Clock } from '../../../shared/clock.js';
import { compareOids, isUnder, type SnmpValue } from './raw.js';
import type { SnmpTransport, Varbind } from './session.js';
import { SnmpCollectError } from './snmpErrors.js';

export interface WalkLimits {
  /** Most values one column (or subtree) walk may return. */
  readonly maxValues: number;
  /** Largest GETBULK max-repetitions. */
  readonly maxRepetitions: number;
  /** Epoch ms after which no new request is started. */
  readonly deadline: number;
  readonly clock: Pick<Clock, 'now'>;
  /** For messages: device and what is walked. */
  readonly where: string;
}

export interface ColumnWalk {
  /** Column (or any subtree) OID. */
  readonly root: string;
  /** For messages, e.g. the OID name. */
  readonly label: string;
  /** Rows this column had last time, if known: sizes max-repetitions. */
  readonly expectedRows?: number | undefined;
}

/**
 * What one more request costs, in varbinds decoded: profiled on loopback, a request (send,
 * encode, wake-up, promise) costs about as much CPU as decoding 80–100 varbinds; kept lower so
 * that answers stay small for agents with a small maximum message size.
 */
const REQUEST_COST = 64;

/**
 * Splits columns into GETBULK requests: columns sorted by expected rows, cut into contiguous
 * groups minimising Σ (REQUEST_COST + columns × max-repetitions), with max-repetitions =
 * expected rows + 1 (the extra one shows the column's end). Pure; exported for tests.
 */
export function planBulk(expected: readonly number[], maxRepetitions: number): Array<{ members: number[]; repetitions: number }> {
  const order = expected.map((_, i) => i).sort((a, b) => expected[a]! - expected[b]! || a - b);
  const reps = (i: number) => Math.max(1, Math.min(maxRepetitions, Math.ceil(expected[order[i]!]!) + 1));
  const n = order.length;
  // best[k] = cheapest plan for the first k columns (in sorted order); cut[k] = where its last group starts.
  const best: number[] = [0];
  const cut: number[] = [0];
  for (let k = 1; k <= n; k++) {
    best[k] = Infinity;
    for (let s = 0; s < k; s++) {
      const cost = best[s]! + REQUEST_COST + (k - s) * reps(k - 1);
      if (cost < best[k]!) {
        best[k] = cost;
        cut[k] = s;
      }
    }
  }
  const groups: Array<{ members: number[]; repetitions: number }> = [];
  for (let k = n; k > 0; k = cut[k]!) groups.unshift({ members: order.slice(cut[k], k), repetitions: reps(k - 1) });
  return groups;
}

interface ColumnState {
  readonly spec: ColumnWalk;
  readonly rows: Array<[string, SnmpValue]>;
  last: string;
  done: boolean;
}

export interface ColumnsResult {
  /** Per column root, the rows read in OID order. */
  readonly rows: Map<string, Array<[oid: string, value: SnmpValue]>>;
  /** Per requested scalar (exact instance OID), its value; missing objects are absent. */
  readonly scalars: Map<string, SnmpValue>;
}

/**
 * Walks `columns` to their ends. `scalars` (instance OIDs, v2c/v3 only) ride along in the first
 * request as non-repeaters: a GETNEXT of the instance's predecessor (predecessorOf) answers the
 * instance when it exists, anything else means it is missing.
 */
export async function walkColumns(
  t: SnmpTransport,
  columns: readonly ColumnWalk[],
  limits: WalkLimits,
  scalars: readonly string[] = [],
): Promise<ColumnsResult> {
  const states: ColumnState[] = columns.map((spec) => ({ spec, rows: [], last: spec.root, done: false }));
  const scalarValues = new Map<string, SnmpValue>();
  let pendingScalars = t.version === '1' ? [] : scalars;
  let round = 0;
  for (;;) {
    const active = states.filter((s) => !s.done);
    if (active.length === 0 && pendingScalars.length === 0) break;
    checkDeadline(limits, active[0]?.spec.label ?? 'the system group', states);
    if (t.version === '1') {
      await nextRound(t, active, limits);
    } else {
      const expected = active.map((s) => expectedRemaining(s, round));
      const groups = active.length > 0 ? planBulk(expected, limits.maxRepetitions) : [{ members: [], repetitions: 1 }];
      const withScalars = pendingScalars;
      pendingScalars = [];
      await Promise.all(
        groups.map((g, gi) =>
          bulkRound(
            t,
            g.members.map((i) => active[i]!),
            g.repetitions,
            gi === 0 ? withScalars : [],
            scalarValues,
            limits,
          ),
        ),
      );
    }
    round++;
  }
  return { rows: new Map(states.map((s) => [s.spec.root, s.rows])), scalars: scalarValues };
}

/** One column (or subtree), as before multi-column walks; kept for callers that need one. */
export async function walkSubtree(t: SnmpTransport, root: string, limits: WalkLimits, label = root): Promise<Array<[string, SnmpValue]>> {
  return (await walkColumns(t, [{ root, label }], limits)).rows.get(root)!;
}

/**
 * The OID whose successor is `instance` when the instance exists: the object for a ".0" scalar,
 * else the previous sibling (x.y.60 → x.y.59), which in a table with indexes of one length has
 * no children. Exported for tests.
 */
export function predecessorOf(instance: string): string {
  const cut = instance.lastIndexOf('.');
  const last = Number(instance.slice(cut + 1));
  return last === 0 ? instance.slice(0, cut) : `${instance.slice(0, cut)}.${last - 1}`;
}

function expectedRemaining(s: ColumnState, round: number): number {
  const known = s.spec.expectedRows;
  if (round === 0) return known ?? 1;
  // Longer than last time, or unknown: grow geometrically (bounded by maxRepetitions).
  return known !== undefined && s.rows.length < known ? known - s.rows.length : Math.max(1, s.rows.length);
}

function checkDeadline(limits: WalkLimits, label: string, states: readonly ColumnState[]): void {
  if (limits.clock.now() > limits.deadline) {
    const read = states.reduce((n, s) => n + s.rows.length, 0);
    throw new SnmpCollectError('timeBudget', `${limits.where}: time budget exhausted while walking ${label} (${read} values read)`);
  }
}

async function bulkRound(
  t: SnmpTransport,
  cols: readonly ColumnState[],
  repetitions: number,
  scalars: readonly string[],
  scalarValues: Map<string, SnmpValue>,
  limits: WalkLimits,
): Promise<void> {
  const oids = [...scalars.map(predecessorOf), ...cols.map((c) => c.last)];
  let lists: Varbind[][];
  try {
    lists = await t.getBulk(oids, scalars.length, repetitions);
  } catch (err) {
    if (!(err instanceof SnmpCollectError) || err.code !== 'requestFailed' || oids.length === 1) throw err;
    // An error status for the whole request: ask again one object per request.
    if (scalars.length > 0) for (const vb of await t.get(scalars)) if ('value' in vb) scalarValues.set(vb.oid, vb.value);
    for (const c of cols) await bulkRound(t, [c], repetitions, [], scalarValues, limits);
    return;
  }
  scalars.forEach((oid, i) => {
    const vb = lists[i]?.[0];
    if (vb && 'value' in vb && vb.oid === oid) scalarValues.set(oid, vb.value);
  });
  const columnLists = lists.slice(scalars.length);
  // Nothing at all came back: the end (as a one-column walk always treated it). A short or
  // empty list while other varbinds (columns or scalars) came back is the agent trimming the
  // answer to its message size: those columns are asked again.
  const empty = lists.every((l) => l.length === 0);
  cols.forEach((c, i) => {
    const list = columnLists[i] ?? [];
    if (empty) c.done = true;
    else consume(c, list, limits);
  });
}

async function nextRound(t: SnmpTransport, cols: readonly ColumnState[], limits: WalkLimits): Promise<void> {
  let batch: Varbind[];
  try {
    batch = await t.getNext(cols.map((c) => c.last));
  } catch (err) {
    // v1 fails a whole multi-OID GETNEXT with noSuchName when one walk reaches the end of the MIB.
    if (!(err instanceof SnmpCollectError) || err.code !== 'requestFailed' || cols.length === 1) throw err;
    for (const c of cols) await nextRound(t, [c], limits);
    return;
  }
  if (batch.length === 0) {
    for (const c of cols) c.done = true;
    return;
  }
  cols.forEach((c, i) => consume(c, batch[i] ? [batch[i]] : [], limits));
}

function consume(c: ColumnState, list: readonly Varbind[], limits: WalkLimits): void {
  const label = c.spec.label;
  for (const vb of list) {
    if ('exception' in vb) {
      // endOfMibView ends the walk; noSuchObject/noSuchInstance have no place in one: the end too.
      c.done = true;
      return;
    }
    // Successors must increase whatever subtree they are in: an agent that repeats or goes
    // backwards would otherwise loop, or pass for the end of the column.
    if (compareOids(vb.oid, c.last) <= 0) {
      throw new SnmpCollectError(
        'walkNotIncreasing',
        `${limits.where}: walk of ${label} is not progressing: after ${c.last} the agent returned ${vb.oid} (a loop or an OID going backwards)`,
      );
    }
    if (!isUnder(vb.oid, c.spec.root)) {
      c.done = true;
      return;
    }
    if (c.rows.length >= limits.maxValues) {
      throw new SnmpCollectError('walkTooLong', `${limits.where}: walk of ${label} returned more than ${limits.maxValues} values; giving up on this device`);
    }
    c.rows.push([vb.oid, vb.value]);
    c.last = vb.oid;
  }
}
