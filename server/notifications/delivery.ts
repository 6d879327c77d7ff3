/**
 * One notification to one target (a webhook endpoint or an e-mail address) and its delivery log
 * (pure): the record is created complete (rendered message or exact webhook body) when the
 * notice is accepted, stored in the server's store, and moved on by `afterAttempt` with each
 * attempt: delivered, retried later (backoff with jitter) or failed for good.
 *
 * Records are plain JSON (server/storage/repository.ts rules). Pending ones sit in the hot
 * collection `notificationDeliveries`; finished ones are archived by month (the delivery log).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RenderedMessage } from './messageRendering.js';
import type { NoticeFacts } from './noticeFacts.js';
import { NotificationEvent, Language, type RetrySettings } from './notificationSettings.js';
import type { Target } from './noticeRouting.js';
import { retryDelay, type AttemptResult, type Random } from './retrySchedule.js';

export const DELIVERIES = 'notificationDeliveries';

export const DeliveryStatus = z.enum(['pending', 'delivered', 'failed']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const DeliveryKind = z.union([NotificationEvent, z.literal('test')]);
export type DeliveryKind = z.infer<typeof DeliveryKind>;

export const DeliveryAttempt = z.strictObject({
  at: z.number(),
  durationMs: z.number().nonnegative(),
  outcome: z.enum(['delivered', 'error']),
  /** HTTP status (webhooks) or SMTP reply code (e-mail) when the peer answered. */
  statusCode: z.number().int().optional(),
  error: z.string().max(500).optional(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;

export const Delivery = z.strictObject({
  id: z.string().min(1).max(64),
  kind: DeliveryKind,
  /** Null for test messages. */
  ticketId: z.string().max(64).nullable(),
  customerId: z.string().max(128).nullable(),
  noticeAt: z.number(),
  createdAt: z.number(),
  channel: z.enum(['webhook', 'email']),
  /** Webhook endpoint id, or the e-mail address. */
  target: z.string().min(1).max(320),
  audience: z.enum(['vendor', 'customer']),
  language: Language,
  subject: z.string().max(1000),
  /** E-mail: plain text and HTML bodies; webhook: the exact JSON body that is signed and sent. */
  text: z.string().max(200_000),
  html: z.string().max(400_000).nullable(),
  status: DeliveryStatus,
  /** Next attempt due (pending), else null. */
  nextAttemptAt: z.number().nullable(),
  attempts: z.array(DeliveryAttempt).max(20),
  finishedAt: z.number().nullable(),
  /** Why it failed for good. */
  failure: z.string().max(500).nullable(),
});
export type Delivery = z.infer<typeof Delivery>;

/** Same notice and target → same id: accepting a notice twice stores one delivery. */
export function deliveryId(kind: string, ticketId: string | null, noticeAt: number, target: Target): string {
  const who = target.channel === 'webhook' ? `webhook:${target.endpoint}` : `email:${target.to.toLowerCase()}`;
  return `d-${createHash('sha256')
    .update(`${kind}\n${ticketId ?? ''}\n${noticeAt}\n${who}`)
    .digest('hex')
    .slice(0, 24)}`;
}

/** The webhook body: the notice, the ticket facts, and the message rendered in the endpoint's language. */
export function webhookBody(id: string, facts: NoticeFacts, message: RenderedMessage, link: string | null): string {
  const t = facts.ticket;
  return JSON.stringify({
    id,
    event: facts.kind,
    occurredAt: new Date(facts.at).toISOString(),
    detail: facts.detail,
    // The ticket facts as they are, with ISO instants (spread keeps the field order of TicketFacts).
    ticket: t
      ? {
          ...t,
          openedAt: new Date(t.openedAt).toISOString(),
          deadlineAt: t.deadlineAt !== null ? new Date(t.deadlineAt).toISOString() : null,
          ...(link !== null ? { url: link } : {}),
        }
      : null,
    sla: facts.clock !== null ? { clock: facts.clock } : null,
    // device.customerFixable: the device and fault the customer is asked to fix; no ticket exists yet.
    condition: facts.condition ? { ...facts.condition, vendorTicketAt: new Date(facts.condition.vendorTicketAt).toISOString() } : null,
    contactAttempt: facts.attempt,
    meter: facts.meter
      ? {
          ...facts.meter,
          cutoff: new Date(facts.meter.cutoff).toISOString(),
          lastReadingAt: facts.meter.lastReadingAt !== null ? new Date(facts.meter.lastReadingAt).toISOString() : null,
        }
      : null,
    message: { language: message.language, subject: message.subject, text: message.text },
  });
}

export function newDelivery(o: {
  id: string;
  facts: NoticeFacts;
  target: Target;
  message: RenderedMessage;
  webhookJson: string | null;
  now: number;
}): Delivery {
  const { facts, target, message } = o;
  return {
    id: o.id,
    kind: facts.kind,
    ticketId: facts.ticket?.id ?? null,
    customerId: facts.ticket?.customer.id ?? facts.condition?.customer.id ?? facts.meter?.customer.id ?? null,
    noticeAt: facts.at,
    createdAt: o.now,
    channel: target.channel,
    target: target.channel === 'webhook' ? target.endpoint : target.to,
    audience: target.channel === 'email' ? target.audience : 'vendor',
    language: message.language,
    subject: message.subject,
    text: target.channel === 'webhook' ? (o.webhookJson ?? '') : message.text,
    html: target.channel === 'email' ? message.html : null,
    status: 'pending',
    nextAttemptAt: o.now,
    attempts: [],
    finishedAt: null,
    failure: null,
  };
}

export function isDue(d: Delivery, now: number): boolean {
  return d.status === 'pending' && d.nextAttemptAt !== null && d.nextAttemptAt <= now;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** When an attempt started and ended (clock time), and how long it took (measured). */
export interface AttemptTiming {
  readonly at: number;
  readonly finishedAt: number;
  readonly durationMs: number;
}

/** The delivery after one attempt; the next one is scheduled from the end of this one. */
export function afterAttempt(d: Delivery, result: AttemptResult, timing: AttemptTiming, retry: RetrySettings, random: Random): Delivery {
  const { at, finishedAt } = timing;
  const attempt: DeliveryAttempt = {
    at,
    durationMs: Math.max(0, Math.round(timing.durationMs)),
    outcome: result.outcome,
    ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
    ...(result.outcome === 'error' ? { error: clip(result.error, 500) } : {}),
  };
  const attempts = [...d.attempts, attempt];
  if (result.outcome === 'delivered') return { ...d, attempts, status: 'delivered', nextAttemptAt: null, finishedAt, failure: null };
  const wait = result.permanent ? null : retryDelay(attempts.length, retry, random);
  if (wait === null) {
    const why = result.permanent ? `refused: ${result.error}` : `gave up after ${attempts.length} attempts; last: ${result.error}`;
    return { ...d, attempts, status: 'failed', nextAttemptAt: null, finishedAt, failure: clip(why, 500) };
  }
  return { ...d, attempts, nextAttemptAt: finishedAt + wait };
}

/** A delivery that cannot be attempted at all (its endpoint was removed from the config). */
export function abandon(d: Delivery, at: number, why: string): Delivery {
  return { ...d, status: 'failed', nextAttemptAt: null, finishedAt: at, failure: clip(why, 500) };
}
