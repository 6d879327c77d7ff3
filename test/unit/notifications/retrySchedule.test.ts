import { describe, expect, it } from 'vitest';
import { afterAttempt, deliveryId, newDelivery, webhookBody, type Delivery } from '../../../server/notifications/delivery.js';
import { renderMessage } from '../../../server/notifications/messageRendering.js';
import { noticeFacts } from '../../../server/notifications/noticeFacts.js';
import { RetrySettings } from '../../../server/notifications/notificationSettings.js';
import { httpResult, nominalDelay, retryDelay, smtpPermanent } from '../../../server/notifications/retrySchedule.js';
import { jamStory } from './noticeFixtures.js';

const RETRY = RetrySettings.parse({ maxAttempts: 6, initialDelay: '30s', maxDelay: '5m' });
const S = 1000;

function pendingWebhook(): Delivery {
  const { notice, ticket } = jamStory().of('sla.breach');
  const facts = noticeFacts(notice);
  const target = { channel: 'webhook', endpoint: 'chat', language: 'en' } as const;
  const id = deliveryId(facts.kind, ticket.id, facts.at, target);
  const message = renderMessage(facts, 'en', { timeZone: 'Europe/Warsaw' });
  return newDelivery({ id, facts, target, message, webhookJson: webhookBody(id, facts, message, null), now: facts.at });
}

describe('retry schedule', () => {
  it('doubles the nominal delay per attempt up to the ceiling', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => nominalDelay(n, RETRY) / S)).toEqual([30, 60, 120, 240, 300, 300]);
  });

  it('jitters within [d/2, d] and stops after maxAttempts', () => {
    expect(retryDelay(1, RETRY, () => 0)).toBe(15 * S);
    expect(retryDelay(1, RETRY, () => 0.999999)).toBe(30 * S);
    expect(retryDelay(3, RETRY, () => 0.5)).toBe(90 * S);
    expect(retryDelay(5, RETRY, () => 0.5)).toBe(225 * S);
    expect(retryDelay(6, RETRY, () => 0.5)).toBeNull();
  });

  it('retries passing HTTP trouble, not a refusal; SMTP 5xx is permanent', () => {
    expect(httpResult(204, '')).toEqual({ outcome: 'delivered', statusCode: 204 });
    for (const status of [408, 425, 429, 500, 502, 503]) expect(httpResult(status, 'x'), String(status)).toMatchObject({ outcome: 'error', permanent: false });
    for (const status of [301, 400, 401, 403, 404, 410]) expect(httpResult(status, 'x'), String(status)).toMatchObject({ outcome: 'error', permanent: true });
    expect(httpResult(503, 'busy')).toMatchObject({ error: 'HTTP 503: busy' });
    expect([smtpPermanent(550), smtpPermanent(451), smtpPermanent(undefined)]).toEqual([true, false, false]);
  });
});

describe('delivery record', () => {
  it('is complete when queued: target, language, the exact webhook body, due now, same id for the same notice and target', () => {
    const d = pendingWebhook();
    expect(d).toMatchObject({
      kind: 'sla.breach',
      ticketId: 'T1',
      customerId: 'acme',
      channel: 'webhook',
      target: 'chat',
      status: 'pending',
      nextAttemptAt: d.createdAt,
      attempts: [],
    });
    const body = JSON.parse(d.text) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: d.id,
      event: 'sla.breach',
      sla: { clock: 'reaction' },
      ticket: { id: 'T1', impact: 'critical', site: { name: 'Warszawa HQ' }, deadlineAt: '2026-03-02T10:00:00.000Z' },
      message: { language: 'en' },
    });
    expect(pendingWebhook().id).toBe(d.id);
    expect(deliveryId('sla.breach', 'T1', d.noticeAt, { channel: 'webhook', endpoint: 'other', language: 'en' })).not.toBe(d.id);
  });

  it('logs every attempt and backs off until delivered', () => {
    let d = pendingWebhook();
    const t0 = d.createdAt;
    d = afterAttempt(d, { outcome: 'error', error: 'ECONNREFUSED', permanent: false }, { at: t0, finishedAt: t0 + 12, durationMs: 12 }, RETRY, () => 0.5);
    expect(d).toMatchObject({
      status: 'pending',
      nextAttemptAt: t0 + 12 + 22_500,
      attempts: [{ at: t0, durationMs: 12, outcome: 'error', error: 'ECONNREFUSED' }],
    });
    d = afterAttempt(
      d,
      { outcome: 'error', statusCode: 503, error: 'HTTP 503', permanent: false },
      { at: d.nextAttemptAt!, finishedAt: d.nextAttemptAt! + 40, durationMs: 40 },
      RETRY,
      () => 0.5,
    );
    expect(d.attempts[1]).toMatchObject({ statusCode: 503, durationMs: 40 });
    d = afterAttempt(d, { outcome: 'delivered', statusCode: 200 }, { at: d.nextAttemptAt!, finishedAt: d.nextAttemptAt! + 8, durationMs: 8 }, RETRY, () => 0.5);
    expect(d).toMatchObject({ status: 'delivered', nextAttemptAt: null, failure: null });
    expect(d.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'delivered']);
  });

  it('fails after the last attempt, or at once when refused', () => {
    let d = pendingWebhook();
    for (let i = 0; i < RETRY.maxAttempts; i++)
      d = afterAttempt(
        d,
        { outcome: 'error', error: 'timed out', permanent: false },
        { at: d.nextAttemptAt!, finishedAt: d.nextAttemptAt! + 1, durationMs: 1 },
        RETRY,
        () => 0,
      );
    expect(d).toMatchObject({ status: 'failed', nextAttemptAt: null, failure: 'gave up after 6 attempts; last: timed out' });
    expect(d.attempts).toHaveLength(6);
    const refused = afterAttempt(
      pendingWebhook(),
      { outcome: 'error', statusCode: 401, error: 'HTTP 401: bad signature', permanent: true },
      { at: 0, finishedAt: 3, durationMs: 3 },
      RETRY,
      () => 0,
    );
    expect(refused).toMatchObject({ status: 'failed', failure: 'refused: HTTP 401: bad signature' });
  });
});
