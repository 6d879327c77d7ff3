import { describe, expect, it } from 'vitest';
import { checkCounterValue, counterKey, deriveColourTotals, mergeCounters, parseCounterKey } from '../../../shared/counters.js';

describe('counter keys', () => {
  it('dimensions in a fixed order; left out means all', () => {
    expect(parseCounterKey('total')).toEqual({ measure: 'impressions' });
    expect(parseCounterKey('mono')).toEqual({ measure: 'impressions', colour: 'mono' });
    expect(parseCounterKey('copy.color.large.duplex')).toEqual({ measure: 'impressions', function: 'copy', colour: 'color', size: 'large', sides: 'duplex' });
    expect(parseCounterKey('duplex')).toEqual({ measure: 'impressions', sides: 'duplex' });
    expect(parseCounterKey('sheets.color')).toEqual({ measure: 'sheets', colour: 'color' });
  });

  it('anything else is informational', () => {
    for (const k of ['sincePowerOn', 'marker2', 'color.print', 'total.mono', 'sheets.print', 'print.mono.huge', 'pages'])
      expect(parseCounterKey(k), k).toBeNull();
  });

  it('counterKey inverts parseCounterKey', () => {
    for (const k of ['total', 'print', 'mono', 'fax.mono', 'print.color.large', 'scan.color', 'large.simplex', 'sheets', 'sheets.mono'])
      expect(counterKey(parseCounterKey(k)!)).toBe(k);
  });
});

describe('counter values', () => {
  it('non-negative safe integers only', () => {
    expect(checkCounterValue(42)).toEqual({ ok: true, value: 42 });
    expect(checkCounterValue('42')).toEqual({ ok: false, problem: 'notANumber', raw: '42' });
    expect(checkCounterValue(4.5)).toEqual({ ok: false, problem: 'notANumber', raw: '4.5' });
    expect(checkCounterValue(-1)).toEqual({ ok: false, problem: 'negative', raw: '-1' });
    expect(checkCounterValue(2 ** 60)).toMatchObject({ ok: false, problem: 'outOfRange' });
    expect(checkCounterValue(2n ** 64n)).toMatchObject({ ok: false, problem: 'outOfRange' });
  });
});

describe('derived colour totals', () => {
  const exact = (key: string, value: number) => ({ key, value, origin: { source: key, confidence: 'exact' as const } });
  it('colour = total − mono, and nothing when the parts do not fit', () => {
    expect(deriveColourTotals([exact('total', 100), exact('mono', 70)], false).find((r) => r.key === 'color')).toEqual({
      key: 'color',
      value: 30,
      origin: { source: 'derived:total-mono', confidence: 'derived' },
    });
    expect(deriveColourTotals([exact('total', 100), exact('mono', 170)], false)).toHaveLength(2);
    expect(deriveColourTotals([exact('total', 100)], false)).toHaveLength(1);
    expect(deriveColourTotals([exact('total', 100)], true)[1]).toMatchObject({ key: 'mono', value: 100 });
  });

  it('merging two views: the surer reading per key; no provenance counts as exact', () => {
    const a = {
      counters: { total: 10, mono: 10 },
      counterProvenance: {
        origins: { total: { source: 'a', confidence: 'exact' as const }, mono: { source: 'derived:x', confidence: 'derived' as const } },
        problems: [],
      },
    };
    const b = { counters: { mono: 9, color: 1 } };
    expect(mergeCounters(a, b).counters).toEqual({ total: 10, mono: 9, color: 1 });
    expect(mergeCounters({ counters: { total: 1 } }, { counters: { total: 2 } })).toEqual({ counters: { total: 1 } });
  });
});
