import { describe, expect, it } from 'vitest';
import { billingWeight, counterStep } from '../../../server/meters/meterUsage.js';

const DAY = 86_400_000;
const MAX = 100_000;

describe('usage between two readings', () => {
  it('forward: the difference', () => {
    expect(counterStep({ value: 1000, at: 0 }, { value: 1250, at: DAY }, MAX)).toEqual({ usage: 250 });
    expect(counterStep({ value: 1000, at: 0 }, { value: 1000, at: DAY }, MAX)).toEqual({ usage: 0 });
  });

  it('backwards: a reset, counted from zero, never negative', () => {
    expect(counterStep({ value: 48_000, at: 0 }, { value: 120, at: DAY }, MAX)).toEqual({ usage: 120, flag: 'reset' });
  });

  it('backwards near 2^32: a Counter32 wrap, counted across it', () => {
    expect(counterStep({ value: 4_294_967_000, at: 0 }, { value: 704, at: DAY }, MAX)).toEqual({ usage: 1000, flag: 'wrapped' });
  });

  it('10^9 pages in a day: an absurd jump, flagged and not billed', () => {
    expect(counterStep({ value: 1000, at: 0 }, { value: 1_000_001_000, at: DAY }, MAX)).toEqual({ usage: null, flag: 'absurdJump' });
    // after a reset too
    expect(counterStep({ value: 5_000_000, at: 0 }, { value: 3_000_000, at: DAY }, MAX)).toEqual({ usage: null, flag: 'absurdJump' });
  });

  it('the allowance grows with the days between readings, at least one day', () => {
    expect(counterStep({ value: 0, at: 0 }, { value: 250_000, at: 3 * DAY }, MAX)).toEqual({ usage: 250_000 });
    expect(counterStep({ value: 0, at: 0 }, { value: 100_000, at: 60_000 }, MAX)).toEqual({ usage: 100_000 });
  });

  it('billing weights: A3 weighs the customer weight, informational counters are not billed', () => {
    expect(billingWeight('print.color.large', 2)).toBe(2);
    expect(billingWeight('copy.mono.small', 2)).toBe(1);
    expect(billingWeight('total', 2)).toBe(1);
    expect(billingWeight('sheets.mono', 2)).toBeNull();
    expect(billingWeight('sincePowerOn', 2)).toBeNull();
  });
});
