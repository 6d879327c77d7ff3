import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { addWorkingTime } from '../../../server/sla/businessCalendar.js';
import { compileContract, onSiteTerms, termsFor, type OnSiteCounting } from '../../../server/sla/contract.js';
import { PRESET_SPECS } from '../../../server/sla/presets.js';

const ZONE = 'Europe/Warsaw';
const at = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toMillis();
const local = (ms: number) => DateTime.fromMillis(ms, { zone: ZONE }).toFormat("yyyy-LL-dd'T'HH:mm");

/** The device vendor's contract (Mon–Fri 8–17, PL holidays) with an on-site term. */
function contract(arrival: string, counting: OnSiteCounting) {
  return compileContract({ ...PRESET_SPECS['device-vendor'], id: `onsite-${arrival}-${counting.toLowerCase()}`, onSite: { arrival, counting } });
}

function arrivalDue(arrival: string, counting: OnSiteCounting, requested: string): string {
  const c = contract(arrival, counting);
  const o = onSiteTerms(c, termsFor(c, 'critical'));
  return local(addWorkingTime(o.calendar, at(requested), o.targetMs!));
}

describe('on-site counting is a contract term', () => {
  it('24 h on the next business day skips 1 May (a Friday in 2026) and the weekend; around the clock it lands on the holiday', () => {
    expect(arrivalDue('24h', 'nextBusinessDay', '2026-04-30T15:00')).toBe('2026-05-04T15:00');
    expect(arrivalDue('24h', 'wallClock', '2026-04-30T15:00')).toBe('2026-05-01T15:00');
    expect(arrivalDue('8h', 'workingTime', '2026-04-30T15:00')).toBe('2026-05-04T14:00');
  });

  it('3 May (a Monday in 2027) after 1 May on a Saturday', () => {
    expect(arrivalDue('24h', 'nextBusinessDay', '2027-04-30T12:00')).toBe('2027-05-04T12:00');
    expect(arrivalDue('4h', 'workingTime', '2027-04-30T15:00')).toBe('2027-05-04T10:00');
  });

  it('Easter Monday (6 April 2026) and 24–26 December 2026 are days off', () => {
    expect(arrivalDue('24h', 'nextBusinessDay', '2026-04-03T16:00')).toBe('2026-04-07T16:00');
    expect(arrivalDue('4h', 'workingTime', '2026-04-03T16:00')).toBe('2026-04-07T11:00');
    expect(arrivalDue('24h', 'nextBusinessDay', '2026-12-23T10:00')).toBe('2026-12-28T10:00');
    expect(arrivalDue('8h', 'workingTime', '2026-12-23T10:00')).toBe('2026-12-28T09:00');
    expect(arrivalDue('24h', 'wallClock', '2026-12-23T10:00')).toBe('2026-12-24T10:00');
  });

  it('a request on a weekend is due at the end of the next business day; 48 h is two business days', () => {
    expect(arrivalDue('24h', 'nextBusinessDay', '2026-03-07T10:00')).toBe('2026-03-09T17:00');
    expect(arrivalDue('48h', 'nextBusinessDay', '2026-03-06T09:30')).toBe('2026-03-10T09:30');
    // A part of a day counts as a whole business day.
    expect(arrivalDue('12h', 'nextBusinessDay', '2026-03-06T09:30')).toBe('2026-03-09T09:30');
  });

  it('24 h by next business day is never stricter than 8 h of working time (every 97 minutes of 2026)', () => {
    const strict = contract('8h', 'workingTime');
    const lenient = contract('24h', 'nextBusinessDay');
    const s = onSiteTerms(strict, termsFor(strict, 'high'));
    const l = onSiteTerms(lenient, termsFor(lenient, 'high'));
    let checked = 0;
    for (let t = at('2026-01-01T00:00'); t < at('2027-01-01T00:00'); t += 97 * 60_000) {
      expect(addWorkingTime(l.calendar, t, l.targetMs!)).toBeGreaterThan(addWorkingTime(s.calendar, t, s.targetMs!));
      checked++;
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('contracts stored with the older `clock: working|wall` read as workingTime / wallClock', () => {
    const old = compileContract({ ...PRESET_SPECS['device-vendor'], id: 'old-24h', onSite: { arrival: '24h', clock: 'wall' } });
    expect(old.spec.onSite).toEqual({ arrival: '24h', counting: 'wallClock' });
    const defaulted = compileContract({ ...PRESET_SPECS['device-vendor'], id: 'new-4h', onSite: { arrival: '4h' } });
    expect(defaulted.spec.onSite).toEqual({ arrival: '4h', counting: 'workingTime' });
    expect(() => compileContract({ ...PRESET_SPECS['device-vendor'], id: 'bad', onSite: { arrival: '4h', counting: 'sometimes' } })).toThrow(/onSite/);
  });
});
