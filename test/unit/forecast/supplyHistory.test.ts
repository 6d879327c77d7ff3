import { describe, expect, it } from 'vitest';
import { type SnapshotForHistory, supplyHistory, supplyRole } from '../../../server/forecast/supplyHistory.js';
import type { Supply } from '../../../shared/snapshot.js';

function toner(levelPercent: number | null, state: Supply['state']): Supply {
  return {
    index: 1,
    name: 'Black Toner',
    kind: 'toner',
    color: 'black',
    levelPercent,
    state,
    partNumber: 'CF410A',
    raw: { level: levelPercent, max: 100, unit: 19, class: 3, type: 3 },
  };
}
const waste: Supply = {
  index: 2,
  name: 'Waste Toner Box',
  kind: 'waste',
  color: null,
  levelPercent: 40,
  state: 'ok',
  raw: { level: 60, max: 100, unit: 19, class: null, type: 4 },
};

describe('supplyHistory', () => {
  const snaps: SnapshotForHistory[] = [
    { collectedAt: '2026-03-02T10:00:00Z', supplies: [toner(80, 'ok'), waste], counters: { total: 1000 } },
    { collectedAt: 'not a time', supplies: [toner(79, 'ok')], counters: { total: 1001 } },
    { collectedAt: '2026-03-03T10:00:00Z', supplies: [toner(null, 'someRemaining'), toner(5, 'low')], counters: { total: 1200 } },
    { collectedAt: '2026-03-04T10:00:00Z', supplies: [waste], counters: {} },
  ];

  it('collects one supply’s readings, its part and the total page counter', () => {
    const h = supplyHistory(snaps, 1)!;
    expect(h.role).toBe('consumable');
    expect(h.partDescription).toBe('Black Toner (CF410A)');
    expect(h.levels).toEqual([
      { at: Date.parse('2026-03-02T10:00:00Z'), levelPercent: 80, state: 'ok' },
      { at: Date.parse('2026-03-03T10:00:00Z'), levelPercent: null, state: 'someRemaining' },
    ]);
    expect(h.pages.map((p) => p.pages)).toEqual([1000, 1200]);
    expect(h.skipped).toBe(1);
  });

  it('recognises a waste box as a receptacle even without a class, and names it without a part number', () => {
    expect(supplyRole(waste)).toBe('receptacle');
    const h = supplyHistory(snaps, 2)!;
    expect(h.role).toBe('receptacle');
    expect(h.partDescription).toBe('Waste Toner Box');
    expect(h.levels).toHaveLength(2);
  });

  it('returns null for a supply index that never appears', () => {
    expect(supplyHistory(snaps, 9)).toBeNull();
  });
});
