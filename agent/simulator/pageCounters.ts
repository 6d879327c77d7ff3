/**
 * A simulated device's page counters, the one source both views read: the SNMP vendor counter
 * table (snmpView.ts) and IPP printer-impressions-completed(-col) and
 * printer-media-sheets-completed(-col) (ippView.ts). An agent that merges both therefore sees the
 * same numbers, and both advance as the device prints (pageCount grows).
 */
import type { DeviceState } from './deviceModel.js';

/** Counters a model may leave out of its shares: the sum of the finer ones it has. */
const SUMS: Readonly<Record<string, readonly string[]>> = {
  mono: ['print.mono', 'copy.mono'],
  color: ['print.color', 'copy.color'],
  duplex: ['mono.duplex', 'color.duplex'],
};

/**
 * Counters that are the rest of a coarser one once a finer share is taken, [whole, part]: a
 * model gives the share of print, the rest of its total is copy. Subtracting instead of rounding
 * a second share keeps the parts summing exactly to the whole, as a device's counters do.
 */
const RESTS: Readonly<Record<string, readonly [string, string]>> = {
  copy: ['total', 'print'],
  'copy.mono': ['mono', 'print.mono'],
  'copy.color': ['color', 'print.color'],
  'mono.small': ['mono', 'mono.large'],
  'color.small': ['color', 'color.large'],
};

/** Impressions of counter `key` (shared/counters.ts grammar), or undefined if the model has none. */
export function pageCounter(state: DeviceState, key: string): number | undefined {
  if (key === 'total') return state.pageCount;
  const share = state.counterShares?.[key];
  if (share !== undefined) return Math.round(state.pageCount * share);
  const rest = RESTS[key];
  if (rest && state.counterShares?.[rest[1]] !== undefined) {
    const whole = pageCounter(state, rest[0]);
    const part = pageCounter(state, rest[1]);
    if (whole !== undefined && part !== undefined) return whole - part;
  }
  const parts = (SUMS[key] ?? []).map((k) => pageCounter(state, k)).filter((v) => v !== undefined);
  return parts.length > 0 ? parts.reduce((a, b) => a + b, 0) : undefined;
}

/**
 * Media sheets behind the impressions of `colour` (all colours when undefined): a two-sided sheet
 * carries two impressions, so sheets = impressions − ⌊two-sided impressions / 2⌋.
 */
export function sheetCounter(state: DeviceState, colour?: 'mono' | 'color'): number | undefined {
  const impressions = pageCounter(state, colour ?? 'total');
  if (impressions === undefined) return undefined;
  const twoSided = pageCounter(state, colour ? `${colour}.duplex` : 'duplex') ?? 0;
  return impressions - Math.floor(twoSided / 2);
}
