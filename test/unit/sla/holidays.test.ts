import { describe, expect, it } from 'vitest';
import { publicHolidays, publicHolidayName } from '../../../server/sla/holidays.js';
import { easter, polishStatutoryHolidays } from './calendarOracle.js';

describe('Polish statutory holidays from date-holidays (type public)', () => {
  it('match the rules of support-contracts §5 for 2020-2035, with an independent Easter computation', () => {
    for (let year = 2020; year <= 2035; year++) {
      expect([...publicHolidays('PL', year)].sort(), `year ${year}`).toEqual([...polishStatutoryHolidays(year)].sort());
    }
  });

  it('the computus agrees with known Easter dates', () => {
    expect(easter(2024)).toEqual({ month: 3, day: 31 });
    expect(easter(2025)).toEqual({ month: 4, day: 20 });
    expect(easter(2026)).toEqual({ month: 4, day: 5 });
  });

  it('24 December: a holiday from 2025 only', () => {
    expect(publicHolidays('PL', 2024).has('2024-12-24')).toBe(false);
    expect(publicHolidays('PL', 2025).has('2025-12-24')).toBe(true);
    expect(publicHolidayName('PL', '2025-12-24')).toBe('Wigilia Bożego Narodzenia');
  });

  it('an unknown country is an error naming the code', () => {
    expect(() => publicHolidays('QQ', 2026)).toThrow(/unknown holiday country "QQ"/);
  });
});
