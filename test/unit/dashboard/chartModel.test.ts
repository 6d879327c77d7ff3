import { describe, expect, it } from 'vitest';
import { chartSummary, chartTable, IMPACT_COLOURS, PALETTE, seriesColour } from '../../../server/dashboard/static/chartModel.js';

const t = (key: string, vars: Record<string, unknown> = {}): string =>
  ({
    'chart.noData': 'no data',
    'chart.more': `and ${String(vars.n)} more`,
    'chart.lineSummary': `${String(vars.series)}: ${String(vars.n)} readings from ${String(vars.from)} to ${String(vars.to)}, lowest ${String(vars.min)}, highest ${String(vars.max)}, latest ${String(vars.last)}.`,
  })[key] ?? key;
const pct = (v: number): string => `${v}%`;

/** WCAG relative luminance contrast against white. */
function contrastOnWhite(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const l = 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  return 1.05 / (l + 0.05);
}

describe('chart model', () => {
  it('speaks every bar with its label, skipping gaps, and counts what it leaves out', () => {
    const s = chartSummary(
      'bar',
      { title: 'Compliance', labels: ['2026-10', '2026-11', '2026-12'], series: [{ label: 'ACME', data: [98.5, null, 100] }] },
      { t, fmtValue: pct },
    );
    expect(s).toBe('Compliance. ACME: 2026-10 98.5%, 2026-12 100%.');
    const many = Array.from({ length: 15 }, (_, i) => i);
    const long = chartSummary('bar', { title: 'X', labels: many.map(String), series: [{ label: 'S', data: many }] }, { t, fmtValue: String });
    expect(long).toContain('11 11 and 3 more.');
    expect(chartSummary('bar', { title: 'Empty', labels: ['a'], series: [{ label: 'S', data: [null] }] }, { t, fmtValue: String })).toBe('Empty. no data');
  });

  it('summarises a line by range, extremes and latest value', () => {
    const s = chartSummary(
      'line',
      {
        title: 'Toner',
        series: [
          {
            label: 'Black',
            points: [
              { x: 1, y: 80 },
              { x: 2, y: null },
              { x: 3, y: 20 },
              { x: 4, y: 95 },
            ],
          },
        ],
      },
      { t, fmtValue: pct, fmtX: (x) => `t${x}` },
    );
    expect(s).toBe('Toner. Black: 3 readings from t1 to t4, lowest 20%, highest 95%, latest 95%.');
  });

  it('tabulates bars per category and lines per distinct instant in time order', () => {
    expect(
      chartTable(
        'bar',
        {
          labels: ['a', 'b'],
          series: [
            { label: 'S1', data: [1, null] },
            { label: 'S2', data: [3, 4] },
          ],
        },
        { fmtValue: String, firstColumn: 'Month' },
      ),
    ).toEqual({
      header: ['Month', 'S1', 'S2'],
      rows: [
        ['a', '1', '3'],
        ['b', '—', '4'],
      ],
    });
    const lines = chartTable(
      'line',
      {
        series: [
          {
            label: 'K',
            points: [
              { x: 20, y: 5 },
              { x: 10, y: 6 },
            ],
          },
          { label: 'C', points: [{ x: 15, y: 7 }] },
        ],
      },
      { fmtValue: String, fmtX: (x) => `@${x}`, firstColumn: 'When' },
    );
    expect(lines.rows).toEqual([
      ['@10', '6', '—'],
      ['@15', '—', '7'],
      ['@20', '5', '—'],
    ]);
  });

  it('uses series colours with at least 3:1 contrast on white, cycling, unless a series brings its own', () => {
    for (const c of [...PALETTE, ...Object.values(IMPACT_COLOURS)]) expect(contrastOnWhite(c), c).toBeGreaterThanOrEqual(3);
    expect(seriesColour({}, PALETTE.length)).toBe(PALETTE[0]);
    expect(seriesColour({ color: '#123456' }, 0)).toBe('#123456');
  });
});
