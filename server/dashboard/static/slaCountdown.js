/**
 * The colour state of an SLA countdown (pure, unit-tested from Node): "breach" once the clock is
 * breached or its deadline has passed, "warning" from the clock's warning instant (the contract's
 * warning share of the target: `warnAt` from the API, or `warned` once it was given), "ok" before.
 * Without a warning instant (older servers) the last `fallbackMs` before the deadline warn.
 */
export const FALLBACK_WARNING_MS = 60 * 60_000;

export function countdownState({ now, deadlineAt, warnAt = null, warned = false, breached = false, fallbackMs = FALLBACK_WARNING_MS }) {
  if (deadlineAt === null || deadlineAt === undefined) return 'none';
  if (breached || now >= deadlineAt) return 'breach';
  if (warned) return 'warning';
  const warnFrom = warnAt ?? deadlineAt - fallbackMs;
  return now >= warnFrom ? 'warning' : 'ok';
}
