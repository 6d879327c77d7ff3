import { describe, expect, it } from 'vitest';
import type { Supply } from '../../../shared/snapshot.js';
import { cartridges, deviceEvents, faultsPerMonth } from '../../../server/serviceRecord/serviceRecord.js';

const at = (s: string) => Date.parse(s);
const supply = (over: Partial<Supply['raw']> = {}, index = 1): Supply => ({
  index,
  name: 'Drum Unit',
  kind: 'toner',
  color: 'black',
  levelPercent: 50,
  state: 'ok',
  raw: { level: 6000, max: 12000, unit: 7, class: 3, type: 3, ...over },
});
const pages = [
  { at: at('2026-01-01T08:00:00Z'), pages: 10_000 },
  { at: at('2026-02-01T08:00:00Z'), pages: 21_000 },
  { at: at('2026-03-01T08:00:00Z'), pages: 27_000 },
];

describe('cartridges of a supply', () => {
  it('pages printed per cartridge, from the page count at each replacement; the current one up to the latest reading', () => {
    const out = cartridges({ cartridges: [{ supply: supply(), cuts: [at('2026-01-01T08:00:00Z'), at('2026-02-01T07:00:00Z')] }], pages });
    expect(out.map((c) => [c.pages, c.ratedPages, c.yieldShare, c.until !== null])).toEqual([
      [11_000, 12_000, 0.92, true],
      [6_000, 12_000, 0.5, false],
    ]);
  });

  it('no rated yield when the capacity is not in impressions; no pages without a reading after the start', () => {
    const out = cartridges({ cartridges: [{ supply: supply({ unit: 19, max: 100 }), cuts: [at('2026-03-02T00:00:00Z')] }], pages });
    expect(out).toEqual([
      { supplyIndex: 1, name: 'Drum Unit', since: at('2026-03-02T00:00:00Z'), until: null, pages: null, ratedPages: null, yieldShare: null },
    ]);
  });
});

describe('faults per month', () => {
  it('jams counted apart, every code per month, months in order', () => {
    const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);
    const faults = [
      { at: at('2026-02-03T10:00:00Z'), code: 'jam' },
      { at: at('2026-01-10T10:00:00Z'), code: 'jam' },
      { at: at('2026-01-11T10:00:00Z'), code: 'door.open' },
      { at: at('2026-01-12T10:00:00Z'), code: 'jam' },
    ];
    expect(faultsPerMonth({ faults, monthOf })).toEqual([
      { month: '2026-01', jams: 2, byCode: { jam: 2, 'door.open': 1 } },
      { month: '2026-02', jams: 1, byCode: { jam: 1 } },
    ]);
  });
});

describe('device events', () => {
  it('firmware changes (history) and identity events (meters) in one list, oldest first', () => {
    const out = deviceEvents(
      [{ at: at('2026-03-01T08:00:00Z'), from: '1.35', to: '1.40' }],
      [{ at: at('2026-02-01T08:00:00Z'), kind: 'deviceSwap', detail: 'took 10.0.0.5:161 over from acme/sn:old', from: 'acme/sn:old' }],
    );
    expect(out).toEqual([
      { at: at('2026-02-01T08:00:00Z'), kind: 'deviceSwap', detail: 'took 10.0.0.5:161 over from acme/sn:old', from: 'acme/sn:old', to: null },
      { at: at('2026-03-01T08:00:00Z'), kind: 'firmware', detail: 'firmware 1.35 → 1.40', from: '1.35', to: '1.40' },
    ]);
  });
});
