import { describe, expect, it } from 'vitest';
import { countdownState, FALLBACK_WARNING_MS } from '../../../server/dashboard/static/slaCountdown.js';

const deadlineAt = Date.UTC(2026, 10, 23, 12, 0);
const warnAt = deadlineAt - 24 * 60_000;

describe('SLA countdown state', () => {
  it('is ok before the warning instant, warning from it, breach at the deadline', () => {
    expect(countdownState({ now: warnAt - 1, deadlineAt, warnAt })).toBe('ok');
    expect(countdownState({ now: warnAt, deadlineAt, warnAt })).toBe('warning');
    expect(countdownState({ now: deadlineAt - 1, deadlineAt, warnAt })).toBe('warning');
    expect(countdownState({ now: deadlineAt, deadlineAt, warnAt })).toBe('breach');
  });

  it('trusts the server flags: warned (warnAt gone) and breached (even before the local deadline)', () => {
    expect(countdownState({ now: warnAt - 10 * 60_000, deadlineAt, warnAt: null, warned: true })).toBe('warning');
    expect(countdownState({ now: warnAt - 10 * 60_000, deadlineAt, warnAt, breached: true })).toBe('breach');
  });

  it('falls back to a fixed window before the deadline without a warning instant', () => {
    expect(countdownState({ now: deadlineAt - FALLBACK_WARNING_MS - 1, deadlineAt })).toBe('ok');
    expect(countdownState({ now: deadlineAt - FALLBACK_WARNING_MS, deadlineAt })).toBe('warning');
    expect(countdownState({ now: deadlineAt - 5_000, deadlineAt, fallbackMs: 1_000 })).toBe('ok');
  });

  it('has no state without a running deadline', () => {
    expect(countdownState({ now: deadlineAt, deadlineAt: null, breached: true })).toBe('none');
  });
});
