/**
 * When to try a delivery again (pure): exponential backoff with jitter, a bounded number of
 * attempts, and which failures are worth retrying at all.
 *
 * Delay before attempt n+1 (n = attempts made so far, n ≥ 1):
 *   d = min(maxDelay, initialDelay · 2^(n-1));  wait = d/2 + random·d/2
 * ("equal jitter": never less than half the nominal delay, so a receiver that is down is not
 * hammered, and spread over the other half, so deliveries that failed together do not all come
 * back in the same second).
 */
import type { RetrySettings } from './notificationSettings.js';

/** Random source in [0, 1): injected so the schedule is a pure function in tests. */
export type Random = () => number;

export function nominalDelay(attemptsMade: number, retry: RetrySettings): number {
  const exp = Math.min(attemptsMade - 1, 40);
  return Math.min(retry.maxDelay, retry.initialDelay * 2 ** exp);
}

/** Milliseconds to wait after `attemptsMade` failed attempts, or null when no attempt is left. */
export function retryDelay(attemptsMade: number, retry: RetrySettings, random: Random): number | null {
  if (attemptsMade >= retry.maxAttempts) return null;
  const d = nominalDelay(attemptsMade, retry);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(d / 2 + (r * d) / 2);
}

/** What one attempt came to. */
export type AttemptResult =
  | { readonly outcome: 'delivered'; readonly statusCode?: number; readonly response?: string }
  | { readonly outcome: 'error'; readonly statusCode?: number; readonly error: string; readonly permanent: boolean };

/**
 * Webhook HTTP status → retry or not. 2xx delivered; 408, 425, 429 and 5xx are passing trouble
 * (retry); other 4xx say the receiver will refuse this request whatever we do (bad signature
 * secret, endpoint gone), so the delivery fails at once instead of wasting the attempts.
 */
export function httpResult(status: number, bodySnippet: string): AttemptResult {
  if (status >= 200 && status < 300) return { outcome: 'delivered', statusCode: status };
  const transient = status === 408 || status === 425 || status === 429 || status >= 500 || status < 200;
  return { outcome: 'error', statusCode: status, error: `HTTP ${status}${bodySnippet ? `: ${bodySnippet}` : ''}`, permanent: !transient };
}

/** SMTP reply code → retry or not: 5xx is a permanent refusal (RFC 5321 §4.2.1), 4xx and no reply (network) are transient. */
export function smtpPermanent(responseCode: number | undefined): boolean {
  return responseCode !== undefined && responseCode >= 500 && responseCode < 600;
}
