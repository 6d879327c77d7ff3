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

/** Impressions of counter `key` (shared/counters.ts grammar), or undefined if the model has none. */
export function pageCounter(state: DeviceState, key: string): number | undefined {
  if (key === 'total') return state.pageCount;
  const share = state.counterShares?.[key];
  if (share !== undefined) return Math.round(state.pageCount * share);
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
