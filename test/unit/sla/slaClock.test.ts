import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { compileCalendar, HOUR_MS, MINUTE_MS } from '../../../server/sla/businessCalendar.js';
import {
  evaluateClock,
  nextClockDue,
  pauseClock,
  restartClock,
  resumeClock,
  retargetClock,
  startClock,
  stopClock,
  viewClock,
} from '../../../server/sla/slaClock.js';

const ZONE = 'Europe/Warsaw';
const at = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toMillis();
const local = (ms: number | null) => (ms === null ? null : DateTime.fromMillis(ms, { zone: ZONE }).toFormat("yyyy-LL-dd'T'HH:mm"));
const d = ['08:00-17:00'];
const vendor = compileCalendar({ zone: ZONE, holidays: 'PL', week: { mon: d, tue: d, wed: d, thu: d, fri: d } });
const e = ['07:00-17:00'];
const everyDay = compileCalendar({ zone: ZONE, week: { mon: e, tue: e, wed: e, thu: e, fri: e, sat: e, sun: e } });

describe('SLA clock', () => {
  it('a report outside hours starts at the next opening', () => {
    const c = startClock(vendor, at('2026-03-07T12:00'), 2 * HOUR_MS, 0.8);
    expect(local(c.deadlineAt)).toBe('2026-03-09T10:00');
    expect(local(c.warnAt)).toBe('2026-03-09T09:36');
    expect(viewClock(c, vendor, at('2026-03-08T23:00')).consumedMs).toBe(0);
  });

  it('emits the warning at 80 % and the breach once each', () => {
    let c = startClock(vendor, at('2026-03-02T09:00'), 2 * HOUR_MS, 0.8);
    const kinds: string[] = [];
    for (const t of ['2026-03-02T10:00', '2026-03-02T10:36', '2026-03-02T10:50', '2026-03-02T11:00', '2026-03-02T15:00', '2026-03-03T09:00']) {
      const r = evaluateClock(c, vendor, at(t));
      c = r.clock;
      kinds.push(...r.events.map((ev) => `${ev.kind}@${local(ev.at)}`));
    }
    expect(kinds).toEqual(['sla.warning@2026-03-02T10:36', 'sla.breach@2026-03-02T11:00']);
    expect(nextClockDue(c)).toBeNull();
    expect(viewClock(c, vendor, at('2026-03-02T12:00'))).toMatchObject({ status: 'breached', remainingMs: -HOUR_MS });
  });

  it('a late tick emits both events with their own instants', () => {
    const c = startClock(vendor, at('2026-03-02T09:00'), 2 * HOUR_MS, 0.8);
    const r = evaluateClock(c, vendor, at('2026-03-04T12:00'));
    expect(r.events.map((ev) => [ev.kind, local(ev.at)])).toEqual([
      ['sla.warning', '2026-03-02T10:36'],
      ['sla.breach', '2026-03-02T11:00'],
    ]);
  });

  it('pausing subtracts the working time of the pause and records paused time', () => {
    let c = startClock(vendor, at('2026-03-02T09:00'), 6 * HOUR_MS, 0.8);
    c = pauseClock(c, vendor, at('2026-03-02T10:00'));
    expect(c.deadlineAt).toBeNull();
    expect(evaluateClock(c, vendor, at('2026-03-09T10:00')).events).toEqual([]);
    expect(viewClock(c, vendor, at('2026-03-02T16:00'))).toMatchObject({ status: 'paused', consumedMs: HOUR_MS, pausedMs: 6 * HOUR_MS });
    c = resumeClock(c, vendor, at('2026-03-03T16:00'));
    // 1 h used, 5 h left from Tue 16:00: 1 h Tue, 4 h Wed.
    expect(local(c.deadlineAt)).toBe('2026-03-04T12:00');
    expect(c.pausedWorkingMs).toBe(7 * HOUR_MS + 8 * HOUR_MS);
    expect(c.pausedWallMs).toBe(30 * HOUR_MS);
  });

  it('stopping before the deadline meets it; stopping after breaches it', () => {
    const c = startClock(vendor, at('2026-03-02T16:00'), 2 * HOUR_MS, 0.8);
    const met = stopClock(c, vendor, at('2026-03-03T08:30'));
    expect(met.events.map((ev) => ev.kind)).toEqual([]);
    expect(viewClock(met.clock, vendor, at('2026-03-05T08:00'))).toMatchObject({ status: 'met', consumedMs: 90 * MINUTE_MS });
    const late = stopClock(c, vendor, at('2026-03-03T09:30'));
    expect(late.events.map((ev) => ev.kind)).toEqual(['sla.warning', 'sla.breach']);
    expect(viewClock(late.clock, vendor, at('2026-03-05T08:00')).status).toBe('breached');
  });

  it('an impact change keeps the elapsed working time (critical 2 h → high 6 h after 1 h)', () => {
    let c = startClock(vendor, at('2026-03-02T16:00'), 2 * HOUR_MS, 0.8);
    c = retargetClock(c, vendor, vendor, at('2026-03-03T08:00'), 6 * HOUR_MS, 0.8);
    expect(c.consumedMs).toBe(HOUR_MS);
    expect(local(c.deadlineAt)).toBe('2026-03-03T13:00');
    // Lowering the target below the elapsed time makes it due at once.
    const tighter = retargetClock(startClock(vendor, at('2026-03-02T08:00'), 6 * HOUR_MS, 0.8), vendor, vendor, at('2026-03-02T12:00'), 2 * HOUR_MS, 0.8);
    expect(local(tighter.deadlineAt)).toBe('2026-03-02T12:00');
    expect(evaluateClock(tighter, vendor, at('2026-03-02T12:00')).events.map((ev) => ev.kind)).toEqual(['sla.warning', 'sla.breach']);
  });

  it('a warning already given is given again for a longer new target only when the new share is reached', () => {
    let c = startClock(vendor, at('2026-03-02T08:00'), 2 * HOUR_MS, 0.8);
    c = evaluateClock(c, vendor, at('2026-03-02T09:45')).clock;
    expect(c.warned).toBe(true);
    c = retargetClock(c, vendor, vendor, at('2026-03-02T09:45'), 6 * HOUR_MS, 0.8);
    expect(c.warned).toBe(false);
    expect(local(c.warnAt)).toBe('2026-03-02T12:48');
  });

  it('a contract change counts the elapsed time in the old calendar and the rest in the new one', () => {
    // Friday 16:00 under Mon-Fri 8-17 with 4 h; at Saturday 09:00 the ticket moves to a 7-17 every-day calendar.
    let c = startClock(vendor, at('2026-03-06T16:00'), 4 * HOUR_MS, 0.8);
    c = retargetClock(c, vendor, everyDay, at('2026-03-07T09:00'), 4 * HOUR_MS, 0.8);
    expect(c.consumedMs).toBe(HOUR_MS);
    expect(local(c.deadlineAt)).toBe('2026-03-07T12:00');
  });

  it('a stopped clock restarts with its elapsed time (reopened ticket)', () => {
    let c = startClock(vendor, at('2026-03-02T08:00'), 6 * HOUR_MS, 0.8);
    c = stopClock(c, vendor, at('2026-03-02T10:00')).clock;
    c = restartClock(c, vendor, at('2026-03-03T08:00'));
    expect(local(c.deadlineAt)).toBe('2026-03-03T12:00');
  });

  it('without a target the clock measures but never warns or breaches', () => {
    const c = startClock(vendor, at('2026-03-02T08:00'), null, 0.8);
    expect(evaluateClock(c, vendor, at('2026-04-02T08:00')).events).toEqual([]);
    expect(viewClock(c, vendor, at('2026-03-02T10:00'))).toMatchObject({ status: 'none', consumedMs: 2 * HOUR_MS, remainingMs: null, deadlineAt: null });
  });
});
