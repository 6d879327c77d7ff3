import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HISTORY_LIMITS,
  counterPoints,
  levelReadings,
  pageReadings,
  pointsOf,
  recordCounters,
  recordLevel,
  recordTimeline,
  recordFirmware,
  firmwareChange,
  MAX_FIRMWARE_CHANGES,
  type ArchiveChunk,
  type SupplyMeta,
  type SupplyTrack,
  type TimelineEntry,
} from '../../../server/history/deviceHistory.js';
import type { SupplyState } from '../../../shared/snapshot.js';

const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const meta: SupplyMeta = {
  deviceKey: 'acme/sn:1',
  customerId: 'acme',
  index: 1,
  name: 'Black Toner',
  partNumber: 'CF259A',
  kind: 'toner',
  color: 'black',
  role: 'consumable',
};

/** Without the dead band, so that one-point steps show each rule; the dead band has its own test. */
const EXACT = { ...DEFAULT_HISTORY_LIMITS, deadband: 0 };

function feed(readings: Array<[at: number, level: number | null, state?: SupplyState]>, limits = EXACT, m: SupplyMeta = meta) {
  let track: SupplyTrack | undefined;
  const updates = [];
  for (const [at, level, state] of readings) {
    const u = recordLevel(track, m, { at, levelPercent: level, state: state ?? (level === 0 ? 'empty' : 'ok') }, limits);
    updates.push(u);
    track = u.track;
  }
  return { track: track!, updates };
}

describe('supply level history (downsampling, pinning, cartridges, caps)', () => {
  it('keeps the first reading of a day and overwrites the day’s latest one', () => {
    const { track, updates } = feed([
      [T0 + 8 * H, 80],
      [T0 + 11 * H, 79],
      [T0 + 14 * H, 78],
      [T0 + 17 * H, 77],
    ]);
    expect(pointsOf(track).map((p) => [p.at - T0, p.levelPercent])).toEqual([
      [8 * H, 80],
      [17 * H, 77],
    ]);
    expect(updates.map((u) => u.appended)).toEqual([true, true, false, false]);
  });

  it('writes an ordinary reading at most every minGapMs within a day (no write per poll)', () => {
    const { track, updates } = feed([
      [T0 + 8 * H, 80],
      [T0 + 9 * H, 79],
      [T0 + 10 * H, 78],
      [T0 + 11 * H, 77],
      [T0 + 12 * H, 76],
    ]);
    expect(updates.map((u) => u.changed)).toEqual([true, false, false, true, false]);
    expect(pointsOf(track).map((p) => p.levelPercent)).toEqual([80, 77]);
  });

  it('treats a level within the dead band of the last point as unchanged (flicker at a rounding edge)', () => {
    const { track, updates } = feed(
      [
        [T0 + 8 * H, 50],
        [T0 + DAY + 2 * H, 49],
        [T0 + DAY + 8 * H, 50],
        [T0 + 2 * DAY + 8 * H, 48],
        [T0 + 2 * DAY + 12 * H, 47],
        [T0 + 2 * DAY + 16 * H, 46],
      ],
      DEFAULT_HISTORY_LIMITS,
    );
    expect(updates.map((u) => u.changed)).toEqual([true, false, false, true, false, true]);
    expect(pointsOf(track).map((p) => p.levelPercent)).toEqual([50, 48, 46]);
  });

  it('does not pin ok ↔ low flips at a threshold (noise), but pins empty, -3 and jumps', () => {
    const { track } = feed([
      [T0 + 8 * H, 10, 'low'],
      [T0 + 11 * H, 11, 'ok'],
      [T0 + 12 * H, 10, 'low'],
      [T0 + 13 * H, 9, 'low'],
    ]);
    expect(pointsOf(track).map((p) => p.pinned)).toEqual([true, false]);
  });

  it('is change-only within a day and ignores readings not after the last point', () => {
    const { track, updates } = feed([
      [T0 + 8 * H, 80],
      [T0 + 9 * H, 80],
      [T0 + 7 * H, 50],
    ]);
    expect(track.t).toHaveLength(1);
    expect(updates.slice(1).map((u) => u.changed)).toEqual([false, false]);
  });

  it('adds nothing for unchanged days but a weekly heartbeat; a change on a new day is a point', () => {
    const { track, updates } = feed([
      [T0 + 8 * H, 80],
      [T0 + DAY + 8 * H, 80],
      [T0 + 6 * DAY + 8 * H, 80],
      [T0 + 7 * DAY + 9 * H, 80],
      [T0 + 8 * DAY + 9 * H, 79],
    ]);
    expect(updates.map((u) => u.changed)).toEqual([true, false, false, true, true]);
    expect(pointsOf(track).map((p) => [p.at - T0, p.levelPercent])).toEqual([
      [8 * H, 80],
      [7 * DAY + 9 * H, 80],
      [8 * DAY + 9 * H, 79],
    ]);
  });

  it('pins state changes and big jumps so the day’s overwrite never removes them', () => {
    const { track } = feed([
      [T0 + 8 * H, 5, 'low'],
      [T0 + 9 * H, 0, 'empty'],
      [T0 + 10 * H, null, 'someRemaining'],
      [T0 + 11 * H, 100, 'ok'],
      [T0 + 12 * H, 99, 'ok'],
      [T0 + 14 * H, 99, 'ok'],
      [T0 + 17 * H, 98, 'ok'],
    ]);
    const pts = pointsOf(track);
    expect(pts.map((p) => [p.levelPercent, p.state, p.pinned])).toEqual([
      [5, 'low', true],
      [0, 'empty', true],
      [null, 'someRemaining', true],
      [100, 'ok', true],
      [98, 'ok', false],
    ]);
    expect(levelReadings(track)[2]).toEqual({ at: T0 + 10 * H, levelPercent: null, state: 'someRemaining' });
  });

  it('detects a new cartridge by a rise of the replacement jump or an empty one reporting again, not by a shake', () => {
    const shake = feed([
      [T0, 40],
      [T0 + DAY, 52],
    ]);
    expect(shake.updates[1]!.cut).toBe(false);
    const replaced = feed([
      [T0, 8],
      [T0 + DAY, 97],
    ]);
    expect(replaced.updates[1]!.cut).toBe(true);
    expect(replaced.track.cuts).toEqual([T0 + DAY]);
    const ricoh = feed([
      [T0, null, 'someRemaining'],
      [T0 + DAY, null, 'empty'],
      [T0 + 2 * DAY, null, 'someRemaining'],
    ]);
    expect(ricoh.updates.map((u) => u.cut)).toEqual([false, false, true]);
    // A waste box: emptying it is the rise in remaining capacity (filled % drops).
    const waste = feed(
      [
        [T0, 95, 'nearFull'],
        [T0 + DAY, 3, 'ok'],
      ],
      EXACT,
      { ...meta, kind: 'waste', role: 'receptacle' },
    );
    expect(waste.updates[1]!.cut).toBe(true);
  });

  it('keeps the reading after a pinned one (it confirms a replacement) and the first three of an empty spell', () => {
    const { track } = feed([
      [T0 + 8 * H, 50],
      [T0 + DAY + 8 * H, 40],
      [T0 + DAY + 9 * H, 0, 'empty'],
      [T0 + DAY + 10 * H, 0, 'empty'],
      [T0 + DAY + 11 * H, 0, 'empty'],
      [T0 + DAY + 12 * H, 0, 'empty'],
      [T0 + DAY + 13 * H, 0, 'empty'],
      [T0 + 2 * DAY + 8 * H, 100],
      [T0 + 2 * DAY + 9 * H, 100],
      [T0 + 2 * DAY + 10 * H, 100],
    ]);
    // Before the replacement: empties at 33 (pinned), 34, 35 (the first three of the spell), then
    // the spell's latest reading kept up to date hourly (35 → 37).
    const before = recordLevel(undefined, meta, { at: T0, levelPercent: 50, state: 'ok' }, EXACT).track;
    let t = before;
    for (const h of [9, 10, 11, 12, 13]) t = recordLevel(t, meta, { at: T0 + DAY + h * H, levelPercent: 0, state: 'empty' }, EXACT).track;
    expect(pointsOf(t).map((p) => (p.at - T0) / H)).toEqual([0, 33, 34, 37]);
    expect(recordLevel(t, meta, { at: T0 + DAY + 13 * H + 30 * 60_000, levelPercent: 0, state: 'empty' }, EXACT).changed).toBe(false);
    // After it: the replacement (pinned) and the reading confirming it; the five readings before the
    // replacement are kept whatever the thinning (the forecast's replacement reference).
    expect(pointsOf(track).map((p) => [(p.at - T0) / H, p.levelPercent])).toEqual([
      [8, 50],
      [32, 40],
      [33, 0],
      [34, 0],
      [37, 0],
      [56, 100],
      [57, 100],
    ]);
  });

  it('counts one replacement seen as two rises within days (empty → -3 → a number) once', () => {
    const { track, updates } = feed([
      [T0, 2, 'low'],
      [T0 + DAY, 0, 'empty'],
      [T0 + 2 * DAY, null, 'someRemaining'],
      [T0 + 2 * DAY + 4 * H, 100, 'ok'],
    ]);
    expect(updates.map((u) => u.cut)).toEqual([false, false, true, true]);
    expect(track.cuts).toEqual([T0 + 2 * DAY]);
    expect(track.t).toHaveLength(4);
  });

  it('keeps the current and the previous cartridge hot and archives the one before', () => {
    const readings: Array<[number, number]> = [];
    let at = T0;
    for (const cartridge of [0, 1, 2]) {
      for (let level = 100; level >= 10; level -= 10) {
        readings.push([at, level]);
        at += DAY;
      }
      expect(cartridge).toBeGreaterThanOrEqual(0);
    }
    const { track, updates } = feed(readings);
    const archived = updates.flatMap((u) => (u.archived ? [u.archived] : []));
    expect(archived).toHaveLength(1);
    expect(archived[0]!.supplyPoints!.map((p) => p[1])).toEqual([100, 90, 80, 70, 60, 50, 40, 30, 20, 10]);
    expect(archived[0]).toMatchObject({ kind: 'supply', deviceKey: 'acme/sn:1', supplyIndex: 1, from: T0, to: T0 + 9 * DAY });
    const kept = pointsOf(track);
    expect(kept).toHaveLength(20);
    expect(kept[0]!.at).toBe(T0 + 10 * DAY);
    expect(track.base).toBe(T0 + 10 * DAY);
    expect(track.cuts).toEqual([T0 + 10 * DAY, T0 + 20 * DAY]);
  });

  it('thins the finished cartridge to the last point of each day (and pinned ones) at a replacement, archiving the rest', () => {
    const readings: Array<[number, number | null, SupplyState?]> = [];
    for (let d = 0; d < 5; d++) readings.push([T0 + d * DAY + 8 * H, 50 - 10 * d], [T0 + d * DAY + 15 * H, 46 - 10 * d]);
    readings.push([T0 + 4 * DAY + 16 * H, 0, 'empty'], [T0 + 5 * DAY + 9 * H, 100], [T0 + 5 * DAY + 13 * H, 99]);
    const { track, updates } = feed(readings);
    const cutUpdate = updates.find((u) => u.cut)!;
    // Kept: the very first point (pinned), the last of each day, and the five readings before the
    // replacement (20, 16, 10, 6, 0: the forecast's replacement reference).
    expect(cutUpdate.archived!.supplyPoints!.map((p) => p[1])).toEqual([40, 30]);
    expect(pointsOf(track).map((p) => p.levelPercent)).toEqual([50, 46, 36, 26, 20, 16, 10, 6, 0, 100, 99]);
    expect(levelReadings(track).at(-1)).toEqual({ at: T0 + 5 * DAY + 13 * H, levelPercent: 99, state: 'ok' });
  });

  it('caps the points of one cartridge, archiving the oldest in one chunk', () => {
    const limits = { ...EXACT, maxSupplyPoints: 30, trimSupplyPointsTo: 20 };
    const readings: Array<[number, number]> = [];
    for (let d = 0; d < 31; d++) readings.push([T0 + d * DAY, 100 - d]);
    const { track, updates } = feed(readings, limits);
    const archived = updates.flatMap((u) => (u.archived ? [u.archived] : []));
    expect(archived).toHaveLength(1);
    expect(archived[0]!.supplyPoints).toHaveLength(11);
    expect(track.t).toHaveLength(20);
    expect(pointsOf(track).at(-1)!.levelPercent).toBe(70);
    // Times survive the rebase exactly (minute precision).
    expect(pointsOf(track)[0]!.at).toBe(T0 + 11 * DAY);
  });

  it('stays bounded over a year of 5-minute polls (size per supply)', () => {
    let track: SupplyTrack | undefined;
    let level = 100;
    for (let m = 0; m < 365 * 288; m++) {
      const at = T0 + m * 300_000;
      level -= 0.004;
      if (level < 2) level = 100;
      track = recordLevel(track, meta, { at, levelPercent: Math.round(level), state: Math.round(level) <= 5 ? 'low' : 'ok' }).track;
    }
    const bytes = JSON.stringify(track).length;
    expect(track!.t.length).toBeLessThanOrEqual(DEFAULT_HISTORY_LIMITS.maxSupplyPoints);
    expect(bytes).toBeLessThan(4_000);
  });

  it('records a name or part number change without a new point', () => {
    const first = feed([[T0, 50]]).track;
    const u = recordLevel(first, { ...meta, partNumber: 'CF259X' }, { at: T0 + H, levelPercent: 50, state: 'ok' });
    expect(u.changed).toBe(true);
    expect(u.appended).toBe(false);
    expect(u.track.partNumber).toBe('CF259X');
    expect(u.track.t).toHaveLength(1);
  });
});

describe('page counter history', () => {
  const owner = { deviceKey: 'acme/sn:1', customerId: 'acme' };

  it('stores at most one point per gap plus the first of each day, deltas decoded exactly', () => {
    const limits = { ...DEFAULT_HISTORY_LIMITS, counterGapMs: 12 * H };
    let track = recordCounters(undefined, owner, T0 + 8 * H, { total: 1000, color: 100 }, limits).track;
    let u = recordCounters(track, owner, T0 + 9 * H, { total: 1010, color: 101 }, limits);
    expect(u.changed).toBe(false);
    u = recordCounters(track, owner, T0 + 21 * H, { total: 1100, color: 120 }, limits);
    expect(u.changed).toBe(true);
    // By default (24 h) only the first changed reading of a day.
    expect(recordCounters(track, owner, T0 + 21 * H, { total: 1100, color: 120 }).changed).toBe(false);
    track = u.track;
    u = recordCounters(track, owner, T0 + DAY + 1 * H, { total: 1101, color: 120 }, limits);
    expect(u.changed).toBe(true);
    track = u.track;
    expect(recordCounters(track, owner, T0 + 3 * DAY, { total: 1101, color: 120 }, limits).changed).toBe(false);
    expect(counterPoints(track).map((p) => [p.at - T0, p.values])).toEqual([
      [8 * H, { total: 1000, color: 100 }],
      [21 * H, { total: 1100, color: 120 }],
      [DAY + H, { total: 1101, color: 120 }],
    ]);
    expect(pageReadings(track)).toEqual([
      { at: T0 + 8 * H, pages: 1000 },
      { at: T0 + 21 * H, pages: 1100 },
      { at: T0 + DAY + H, pages: 1101 },
    ]);
    expect(pageReadings(track, 'mono')).toEqual([]);
  });

  it('keeps total first and at most maxCounterNames counters; a counter reset survives the delta encoding', () => {
    let track = recordCounters(undefined, owner, T0, { a: 1, b: 2, c: 3, d: 4, total: 500 }).track;
    expect(Object.keys(track.d)).toEqual(['total', 'a', 'b', 'c']);
    track = recordCounters(track, owner, T0 + DAY, { total: 20, a: 1 }).track;
    expect(counterPoints(track)[1]!.values).toEqual({ total: 20, a: 1 });
  });

  it('caps and archives the oldest points', () => {
    const limits = { ...DEFAULT_HISTORY_LIMITS, maxCounterPoints: 10, trimCounterPointsTo: 6 };
    let track = recordCounters(undefined, owner, T0, { total: 0 }, limits).track;
    const chunks = [];
    for (let d = 1; d <= 10; d++) {
      const u = recordCounters(track, owner, T0 + d * DAY, { total: d * 100 }, limits);
      track = u.track;
      if (u.archived) chunks.push(u.archived);
    }
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.counterPoints!.map((p) => p.values.total)).toEqual([0, 100, 200, 300, 400]);
    expect(pageReadings(track).map((p) => p.pages)).toEqual([500, 600, 700, 800, 900, 1000]);
  });
});

describe('fault timeline', () => {
  const owner = { deviceKey: 'acme/sn:1', customerId: 'acme' };
  const e = (i: number): TimelineEntry => ({ at: T0 + i * H, kind: i % 2 === 0 ? 'raised' : 'cleared', code: 'jam' });

  it('keeps entries in time order and archives the oldest beyond the bound', () => {
    let tl = recordTimeline(undefined, owner, [e(2), e(1)]).timeline;
    expect(tl.entries.map((x) => x.at - T0)).toEqual([H, 2 * H]);
    let archived: ArchiveChunk | null = null;
    for (let i = 3; i <= DEFAULT_HISTORY_LIMITS.maxTimelineEntries + 1; i++) {
      const r = recordTimeline(tl, owner, [e(i)]);
      tl = r.timeline;
      archived = r.archived ?? archived;
    }
    expect(archived).not.toBeNull();
    expect(archived!.entries![0]!.at).toBe(T0 + H);
    expect(tl.entries.length).toBe(DEFAULT_HISTORY_LIMITS.trimTimelineTo);
    expect(tl.entries.at(-1)!.at).toBe(T0 + (DEFAULT_HISTORY_LIMITS.maxTimelineEntries + 1) * H);
  });
});

describe('firmware changes on the device timeline', () => {
  const owner = { deviceKey: 'acme/sn:1', customerId: 'acme' };

  it('a change needs a version before and after: the first version seen, or a reading without one, is none', () => {
    expect(firmwareChange(undefined, '1.35', T0)).toBeNull();
    expect(firmwareChange('1.35', undefined, T0)).toBeNull();
    expect(firmwareChange('1.35', '1.35', T0)).toBeNull();
    expect(firmwareChange('1.35', '1.40', T0)).toEqual({ at: T0, from: '1.35', to: '1.40' });
  });

  it('kept apart from the fault entries: trimming faults to the archive keeps every firmware change', () => {
    let tl = recordFirmware(undefined, owner, { at: T0, from: '1.35', to: '1.40' });
    expect(tl.entries).toEqual([]);
    for (let i = 1; i <= DEFAULT_HISTORY_LIMITS.maxTimelineEntries + 5; i++)
      tl = recordTimeline(tl, owner, [{ at: T0 + i * H, kind: 'raised', code: 'jam' }]).timeline;
    expect(tl.entries.length).toBeLessThan(DEFAULT_HISTORY_LIMITS.maxTimelineEntries);
    expect(tl.firmware).toEqual([{ at: T0, from: '1.35', to: '1.40' }]);
  });

  it('bounded: the oldest changes beyond the bound are dropped, in time order', () => {
    let tl = recordFirmware(undefined, owner, { at: T0 + 5 * H, from: 'b', to: 'c' });
    tl = recordFirmware(tl, owner, { at: T0, from: 'a', to: 'b' });
    expect(tl.firmware!.map((f) => f.to)).toEqual(['b', 'c']);
    for (let i = 0; i < MAX_FIRMWARE_CHANGES; i++) tl = recordFirmware(tl, owner, { at: T0 + (10 + i) * H, from: `${i}`, to: `${i + 1}` });
    expect(tl.firmware).toHaveLength(MAX_FIRMWARE_CHANGES);
    expect(tl.firmware![0]!.from).toBe('0');
  });
});
