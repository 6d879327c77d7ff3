/**
 * Agents' clocks are not trusted for ordering beyond a window (pure). A message's timestamps say
 * when the agent saw something; fleet state uses them to drop an older snapshot that arrives after
 * a newer one. One message dated far in the future (a wrong clock, or a hostile client) would make
 * every later honest message look older, freezing the device. So:
 *
 * - a timestamp more than MAX_CLOCK_SKEW_MS after the server's receive time is replaced by the
 *   receive time before the message is applied (it stays informational, never a lock);
 * - a stored timestamp beyond that window (written before this rule) never makes a message stale.
 */
import type { WireMessage } from '../../shared/wire/messages.js';

/** How far an agent's clock may run ahead of the server's (documented in docs/server.md). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

function bound(iso: string, receivedAtMs: number, receivedIso: string): string {
  return Date.parse(iso) - receivedAtMs > MAX_CLOCK_SKEW_MS ? receivedIso : iso;
}

/** The message with every timestamp later than the window replaced by the receive time; the same object when none is. */
export function boundTimestamps<M extends WireMessage>(msg: M, receivedAtMs: number): M {
  const limit = receivedAtMs + MAX_CLOCK_SKEW_MS;
  const late = (iso: string) => Date.parse(iso) > limit;
  const anyLate =
    late(msg.ts) ||
    (msg.type === 'device.state' && late(msg.snapshot.collectedAt)) ||
    (msg.type === 'device.event' && 'firstSeen' in msg.event && late(msg.event.firstSeen)) ||
    (msg.type === 'device.event' && 'clearedAt' in msg.event && late(msg.event.clearedAt)) ||
    (msg.type === 'device.event' && 'since' in msg.event && late(msg.event.since));
  if (!anyLate) return msg;
  const received = new Date(receivedAtMs).toISOString();
  const b = (iso: string) => bound(iso, receivedAtMs, received);
  const m = { ...msg, ts: b(msg.ts) } as M & WireMessage;
  if (m.type === 'device.state') return { ...m, snapshot: { ...m.snapshot, collectedAt: b(m.snapshot.collectedAt) } };
  if (m.type === 'device.event') {
    const e = m.event;
    if (e.kind === 'fault.raised') return { ...m, event: { ...e, firstSeen: b(e.firstSeen) } };
    if (e.kind === 'fault.cleared') return { ...m, event: { ...e, firstSeen: b(e.firstSeen), clearedAt: b(e.clearedAt) } };
    if (e.kind === 'device.unreachable' || e.kind === 'device.reachable') return { ...m, event: { ...e, since: b(e.since) } };
  }
  return m;
}

/** True when `ts` is older than the stored `previous`, which itself lies within the window of `nowIso`. */
export function olderThanStored(ts: string, previous: string, nowIso: string): boolean {
  const prev = Date.parse(previous);
  return Date.parse(ts) < prev && prev - Date.parse(nowIso) <= MAX_CLOCK_SKEW_MS;
}
