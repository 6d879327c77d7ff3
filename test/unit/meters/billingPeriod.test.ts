import { describe, expect, it } from 'vitest';
import { BillingSettings, nextPeriod, periodBounds, periodOf, PeriodError, previousPeriod } from '../../../server/meters/billingPeriod.js';

const warsaw = BillingSettings.parse({ day: 1, timeZone: 'Europe/Warsaw' });
const at = (s: string) => Date.parse(s);

describe('billing periods', () => {
  it('period 2026-11 on day 1 in Warsaw: from 1 Nov 00:00 CET to 1 Dec 00:00 CET', () => {
    expect(periodBounds('2026-11', warsaw)).toEqual({ start: at('2026-10-31T23:00:00Z'), end: at('2026-11-30T23:00:00Z') });
  });

  it('an instant a minute before and at the cut-off falls on either side', () => {
    expect(periodOf(at('2026-11-30T22:59:00Z'), warsaw)).toBe('2026-11');
    expect(periodOf(at('2026-11-30T23:00:00Z'), warsaw)).toBe('2026-12');
    // UTC says November, Warsaw says 1 December: the customer's clock decides.
    expect(periodOf(at('2026-11-30T23:30:00Z'), warsaw)).toBe('2026-12');
  });

  it('the year turns', () => {
    expect(nextPeriod('2026-12')).toBe('2027-01');
    expect(previousPeriod('2027-01')).toBe('2026-12');
    expect(periodOf(at('2026-12-31T23:00:00Z'), warsaw)).toBe('2027-01');
  });

  it('a billing day past the month end falls on its last day (February, leap year, 30-day months)', () => {
    const s = BillingSettings.parse({ day: 31, timeZone: 'UTC' });
    expect(periodBounds('2027-02', s)).toEqual({ start: at('2027-02-28T00:00:00Z'), end: at('2027-03-31T00:00:00Z') });
    expect(periodBounds('2028-02', s).start).toBe(at('2028-02-29T00:00:00Z'));
    expect(periodBounds('2026-11', s)).toEqual({ start: at('2026-11-30T00:00:00Z'), end: at('2026-12-31T00:00:00Z') });
    expect(periodOf(at('2026-12-30T12:00:00Z'), s)).toBe('2026-11');
  });

  it('periods across DST are 23 h or 25 h shorter or longer in UTC, never shifted', () => {
    // Europe/Warsaw: summer time ends 25 Oct 2026 (03:00 → 02:00), the period holds the 25-hour day.
    const oct = periodBounds('2026-10', warsaw);
    expect(oct).toEqual({ start: at('2026-09-30T22:00:00Z'), end: at('2026-10-31T23:00:00Z') });
    expect(oct.end - oct.start).toBe((31 * 24 + 1) * 3_600_000);
    const mar = periodBounds('2027-03', warsaw);
    expect(mar.end - mar.start).toBe((31 * 24 - 1) * 3_600_000);
  });

  it('a cut-off on a day whose midnight does not exist moves to the first instant that does', () => {
    // America/Santiago: clocks went 00:00 → 01:00 on 7 Sep 2025.
    const s = BillingSettings.parse({ day: 7, timeZone: 'America/Santiago' });
    expect(periodBounds('2025-09', s).start).toBe(at('2025-09-07T04:00:00Z'));
  });

  it('other time zones: New York and Tokyo', () => {
    expect(periodBounds('2026-11', BillingSettings.parse({ day: 15, timeZone: 'America/New_York' })).start).toBe(at('2026-11-15T05:00:00Z'));
    expect(periodBounds('2026-11', BillingSettings.parse({ day: 15, timeZone: 'Asia/Tokyo' })).start).toBe(at('2026-11-14T15:00:00Z'));
  });

  it('bad settings and periods are named', () => {
    expect(BillingSettings.safeParse({ timeZone: 'Europe/Warszawa' }).error?.issues[0]?.message).toMatch(/IANA time zone/);
    expect(BillingSettings.safeParse({ day: 0 }).success).toBe(false);
    expect(() => periodBounds('2026-13', warsaw)).toThrow(PeriodError);
    expect(() => periodBounds('2026-1', warsaw)).toThrow(/expected YYYY-MM/);
  });
});
