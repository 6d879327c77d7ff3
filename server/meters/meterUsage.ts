/**
 * Usage between two readings of one counter, and the rules that keep a bill honest (pure):
 *  - forward: the difference;
 *  - backwards near the top of a Counter32 (≥ 2^31): a wrap; usage across the wrap, flagged;
 *  - backwards otherwise: a reset (service board, firmware) or another device: usage restarts
 *    from zero (the pages since the reset), flagged, never negative;
 *  - more than `maxPagesPerDay` a day (at least one day's allowance): an absurd jump, flagged
 *    and not billed.
 * Billed units weigh large (A3/ledger) impressions by the customer's weight.
 */
import { parseCounterKey } from '../../shared/counters.js';

export type UsageFlagKind = 'reset' | 'wrapped' | 'absurdJump' | 'deviceSwap' | 'identityConflict' | 'missingMeter' | 'counterProblem';

export interface CounterStep {
  /** Pages to bill for this step; null when nothing may be billed from it. */
  readonly usage: number | null;
  readonly flag?: UsageFlagKind;
}

const DAY = 86_400_000;
const COUNTER32 = 2 ** 32;

export function counterStep(prev: { value: number; at: number }, curr: { value: number; at: number }, maxPagesPerDay: number): CounterStep {
  const allowance = maxPagesPerDay * Math.max(1, (curr.at - prev.at) / DAY);
  if (curr.value >= prev.value) {
    const delta = curr.value - prev.value;
    return delta <= allowance ? { usage: delta } : { usage: null, flag: 'absurdJump' };
  }
  if (prev.value >= 2 ** 31 && prev.value < COUNTER32) {
    const wrapped = COUNTER32 - prev.value + curr.value;
    if (wrapped <= allowance) return { usage: wrapped, flag: 'wrapped' };
  }
  return curr.value <= allowance ? { usage: curr.value, flag: 'reset' } : { usage: null, flag: 'absurdJump' };
}

/** Billing weight of a counter: large impressions count `largeWeight` small ones; informational keys are not billed. */
export function billingWeight(key: string, largeWeight: number): number | null {
  const d = parseCounterKey(key);
  if (!d || d.measure !== 'impressions') return null;
  return d.size === 'large' ? largeWeight : 1;
}
