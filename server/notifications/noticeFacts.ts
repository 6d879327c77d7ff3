/**
 * What a notification says about a notice (pure): the notice's kind, instant, English detail line
 * and the ticket's facts as the change left them (server/tickets/ticketFacts.ts), or for a
 * customer-fixable fault the device's (server/tickets/customerFixable.ts: no ticket exists yet),
 * or the meter's for a missing meter (server/meters), so the message and the webhook payload
 * can be built, and stored, once.
 */
import type { SlaClockName, TicketFacts } from '../tickets/ticketFacts.js';
import type { Notice } from '../tickets/ticketPolicy.js';
import type { CustomerFixableFacts, CustomerFixableNotice } from '../tickets/customerFixable.js';
import type { NotificationEvent } from './notificationSettings.js';

export type { CustomerFixableFacts, SlaClockName, TicketFacts };

export interface NoticeFacts {
  readonly kind: NotificationEvent | 'test';
  readonly at: number;
  /** The engine's own detail line (English), passed on to webhooks as is. */
  readonly detail: string;
  /** Null for test messages, customer-fixable and meter notices. */
  readonly ticket: TicketFacts | null;
  /** device.customerFixable: the device, its fault and when the vendor ticket opens; else null. */
  readonly condition: CustomerFixableFacts | null;
  /** meter.missing: the device and the cut-off it is missing; else null. */
  readonly meter: MeterFacts | null;
  /** sla.warning / sla.breach / escalation.*: which target. */
  readonly clock: SlaClockName | null;
  /** customer.contactAttempt: the attempt number. */
  readonly attempt: number | null;
}

/** A device that has not reported its meters for days before a billing cut-off. */
export interface MeterFacts {
  readonly deviceKey: string;
  readonly customer: { readonly id: string; readonly name: string };
  readonly serial: string | null;
  readonly model: string | null;
  /** The billing period the cut-off closes (YYYY-MM). */
  readonly period: string;
  readonly cutoff: number;
  readonly lastReadingAt: number | null;
}

/** Notices about one SLA clock. */
const CLOCK_KINDS: ReadonlySet<string> = new Set(['sla.warning', 'sla.breach', 'escalation.warning', 'escalation.breach']);

export function noticeFacts(notice: Notice): NoticeFacts {
  const clock = CLOCK_KINDS.has(notice.kind) ? (notice.clock ?? null) : null;
  const attempt = notice.kind === 'customer.contactAttempt' ? (notice.attempt ?? null) : null;
  return { kind: notice.kind, at: notice.at, detail: notice.detail, ticket: notice.ticket, condition: null, meter: null, clock, attempt };
}

export function customerFixableFacts(notice: CustomerFixableNotice): NoticeFacts {
  return { kind: notice.kind, at: notice.at, detail: notice.detail, ticket: null, condition: notice.facts, meter: null, clock: null, attempt: null };
}

export function testFacts(at: number): NoticeFacts {
  return { kind: 'test', at, detail: 'test notification', ticket: null, condition: null, meter: null, clock: null, attempt: null };
}

export function missingMeterFacts(meter: MeterFacts, at: number): NoticeFacts & { readonly meter: MeterFacts } {
  const last = meter.lastReadingAt !== null ? `last reading ${new Date(meter.lastReadingAt).toISOString()}` : 'no reading yet';
  const detail = `meter of ${meter.deviceKey} missing before the ${meter.period} cut-off ${new Date(meter.cutoff).toISOString()}: ${last}`;
  return { kind: 'meter.missing', at, detail, ticket: null, condition: null, meter, clock: null, attempt: null };
}
