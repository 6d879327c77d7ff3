/**
 * Sends one webhook attempt (imperative shell): POSTs the stored JSON body, signed at send time
 * (webhookSignature.ts), with a timeout, and turns the answer into an AttemptResult. Redirects
 * are not followed (the signature is for this endpoint). The URL may itself hold a secret (chat
 * webhooks often do), so it is never put in a result or a log line: the endpoint id is.
 */
import type { Clock } from '../../shared/clock.js';
import { VERSION } from '../../shared/version.js';
import type { Delivery } from './delivery.js';
import type { WebhookEndpoint } from './notificationSettings.js';
import { httpResult, type AttemptResult } from './retrySchedule.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhookSignature.js';

/** Why fetch failed, without the URL: "connect ECONNREFUSED", "timed out after 10000 ms". */
export function networkError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.cause?.code) return `${e.cause.code}${e.cause.message ? `: ${e.cause.message}` : ''}`;
  return e.cause?.message ?? e.message ?? String(err);
}

export async function sendWebhook(endpoint: WebhookEndpoint, d: Delivery, clock: Clock): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(new Error(`timed out after ${endpoint.timeout} ms`)), endpoint.timeout);
  try {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      redirect: 'manual',
      signal: controller.signal,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': `FleetDesk/${VERSION}`,
        [EVENT_HEADER]: d.kind,
        [DELIVERY_HEADER]: d.id,
        'x-fleetdesk-attempt': String(d.attempts.length + 1),
        [SIGNATURE_HEADER]: signatureHeader(endpoint.secret, clock.now(), d.text),
      },
      body: d.text,
    });
    // A little of the answer helps whoever reads the delivery log; never more.
    const answer = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
    return httpResult(res.status, res.ok ? '' : answer);
  } catch (err) {
    const reason = controller.signal.aborted ? String((controller.signal.reason as Error | undefined)?.message ?? 'aborted') : networkError(err);
    return { outcome: 'error', error: reason, permanent: false };
  } finally {
    clock.clearTimeout(timer);
  }
}
