/**
 * Webhook signatures (pure). Each attempt carries
 *
 *   X-FleetDesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is inside the signed text, so a receiver that rejects timestamps older than a few
 * minutes stops an old request from being replayed, and one that remembers X-FleetDesk-Delivery
 * ids drops the copies our retries may produce. Same scheme as Stripe's and Slack's webhooks, so
 * receivers know it; docs/notifications.md has a verification snippet.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-fleetdesk-signature';
export const DELIVERY_HEADER = 'x-fleetdesk-delivery';
export const EVENT_HEADER = 'x-fleetdesk-event';

/** Receivers should reject signatures older (or newer) than this. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureOf(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
}

/** The header value for a body sent at `nowMs`. */
export function signatureHeader(secret: string, nowMs: number, body: string): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${signatureOf(secret, t, body)}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * What a receiver does (and our tests do): parse the header, check the age, recompute the HMAC
 * over the raw body bytes as received and compare in constant time. Several v1 values are
 * accepted (a sender may sign with an old and a new secret while rotating).
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowMs: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'no signature header' };
  let t: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `malformed signature header part ${JSON.stringify(part.slice(0, 40))}` };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') t = /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN;
    else if (key === 'v1') candidates.push(value);
  }
  if (t === undefined || !Number.isFinite(t)) return { ok: false, reason: 'no valid timestamp (t=) in the signature header' };
  if (candidates.length === 0) return { ok: false, reason: 'no v1 signature in the signature header' };
  if (Math.abs(nowMs / 1000 - t) > toleranceSeconds)
    return { ok: false, reason: `timestamp ${t} is more than ${toleranceSeconds}s away from now (replayed or clock skew)` };
  const expected = Buffer.from(signatureOf(secret, t, body), 'hex');
  for (const c of candidates) {
    if (!/^[0-9a-f]{64}$/i.test(c)) continue;
    if (timingSafeEqual(expected, Buffer.from(c, 'hex'))) return { ok: true, timestamp: t };
  }
  return { ok: false, reason: 'signature does not match the body' };
}
