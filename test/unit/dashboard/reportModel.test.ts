import { describe, expect, it } from 'vitest';
import { breachSeries, complianceSeries, isMonth, monthOf, monthRange, totals } from '../../../server/dashboard/static/reportModel.js';
import { relativeParts, relativeTime } from '../../../server/dashboard/static/timeAgo.js';

const row = (customerId: string, month: string, met: number, breached: number, byImpact: Record<string, number> = {}) => ({
  customerId,
  month,
  tickets: met + breached + 1,
  met,
  breached,
  pending: 1,
  notGuaranteed: 0,
  breachedByImpact: { critical: 0, high: 0, medium: 0, low: 0, ...byImpact },
});

describe('SLA report model', () => {
  it('lists the months of a range across a year end and refuses reversed or bad ranges', () => {
    expect(monthRange('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthRange('2026-03', '2026-03')).toEqual(['2026-03']);
    expect(monthRange('2026-04', '2026-03')).toEqual([]);
    expect(monthRange('2026-13', '2027-01')).toEqual([]);
    expect(monthRange('2020-01', '2026-12', 3)).toEqual(['2026-10', '2026-11', '2026-12']);
    expect([isMonth('2026-09'), isMonth('2026-9'), isMonth(null)]).toEqual([true, false, false]);
    expect(monthOf(new Date(2026, 0, 31), -1)).toBe('2025-12');
    expect(monthOf(new Date(2026, 10, 5))).toBe('2026-11');
  });

  it('computes compliance per customer and month over its contracts, null when nothing was decided', () => {
    const rows = [row('b', '2026-10', 3, 1), row('a', '2026-10', 1, 0), row('a', '2026-10', 0, 1), row('a', '2026-11', 0, 0)];
    expect(complianceSeries(rows, ['2026-09', '2026-10', '2026-11'], (id) => id.toUpperCase())).toEqual([
      { label: 'A', data: [null, 50, null] },
      { label: 'B', data: [null, 75, null] },
    ]);
  });

  it('sums breaches per impact and month over customers', () => {
    const rows = [row('a', '2026-10', 0, 2, { high: 2 }), row('b', '2026-10', 0, 1, { critical: 1 }), row('a', '2026-11', 0, 1, { high: 1 })];
    const series = breachSeries(rows, ['2026-10', '2026-11']);
    expect(series.map((s) => [s.impact, s.data])).toEqual([
      ['critical', [1, 0]],
      ['high', [2, 1]],
      ['medium', [0, 0]],
      ['low', [0, 0]],
    ]);
  });

  it('totals the rows with compliance over every decided ticket', () => {
    expect(totals([row('a', '2026-10', 2, 1), row('b', '2026-10', 1, 0)])).toEqual({
      tickets: 6,
      met: 3,
      breached: 1,
      pending: 2,
      notGuaranteed: 0,
      compliancePercent: 75,
    });
    expect(totals([]).compliancePercent).toBeNull();
  });
});

describe('relative time', () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0);
  it('picks the unit that keeps the number small', () => {
    expect(relativeParts(now - 30_000, now)).toEqual({ value: -30, unit: 'second' });
    expect(relativeParts(now - 90_000, now)).toEqual({ value: -1, unit: 'minute' });
    expect(relativeParts(now - 45 * 60_000, now)).toEqual({ value: -45, unit: 'minute' });
    expect(relativeParts(now - 3 * 3_600_000, now)).toEqual({ value: -3, unit: 'hour' });
    expect(relativeParts(now - 4 * 86_400_000, now)).toEqual({ value: -4, unit: 'day' });
    expect(relativeParts(now + 5 * 60_000, now)).toEqual({ value: 5, unit: 'minute' });
  });

  it('speaks English and Polish', () => {
    expect(relativeTime(now - 5 * 60_000, now, 'en-GB')).toBe('5 minutes ago');
    expect(relativeTime(now - 5 * 60_000, now, 'pl-PL')).toBe('5 minut temu');
    expect(relativeTime(now - 2 * 3_600_000, now, 'pl-PL')).toBe('2 godziny temu');
  });
});
