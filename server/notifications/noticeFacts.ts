/**
 * What a notification says about a notice (pure): the ticket engine's Notice carries only its
 * kind, ticket id, instant and an English detail line; the facts add what the ticket knows at
 * that moment (number, title, customer, site, device, impact, the deadline that matters for this
 * notice) so the message and the webhook payload can be built, and stored, once.
 */
import type { Impact, Tier } from '../sla/contract.js';
import type { Ticket, TicketStatus } from '../tickets/ticket.js';
import type { Notice, SlaClockName } from '../tickets/ticketPolicy.js';
import { activeDeadline } from '../tickets/workQueue.js';
import type { NotificationEvent } from './notificationSettings.js';

export type { SlaClockName };

export interface TicketFacts {
  readonly id: string;
  readonly title: string;
  readonly status: TicketStatus;
  readonly impact: Impact;
  readonly tier: Tier;
  readonly queue: string;
  readonly customer: { readonly id: string; readonly name: string };
  readonly site: { readonly id: string; readonly name: string; readonly address?: string };
  readonly device: { readonly id: string; readonly vendor?: string; readonly model?: string; readonly serial?: string; readonly location?: string } | null;
  /** Devices of a site ticket (0 for a device ticket). */
  readonly affectedDevices: number;
  readonly openedAt: number;
  /** The SLA deadline this notice is about (the warned/breached clock), else the earliest running one. */
  readonly deadlineAt: number | null;
  readonly guaranteed: boolean;
}

export interface NoticeFacts {
  readonly kind: NotificationEvent | 'test';
  readonly at: number;
  /** The engine's own detail line (English), passed on to webhooks as is. */
  readonly detail: string;
  /** Null only for test messages. */
  readonly ticket: TicketFacts | null;
  /** sla.warning / sla.breach: which target. */
  readonly clock: SlaClockName | null;
  /** customer.contactAttempt: the attempt number. */
  readonly attempt: number | null;
}

export function ticketFacts(t: Ticket, clock: SlaClockName | null): TicketFacts {
  const state = clock === null ? null : t.sla[clock];
  const deadlineAt = state?.deadlineAt ?? state?.breachedAt ?? activeDeadline(t);
  return {
    id: t.id,
    title: t.title,
    status: t.status,
    impact: t.impact,
    tier: t.tier,
    queue: t.queue,
    customer: { id: t.customer.id, name: t.customer.name },
    site: { id: t.site.id, name: t.site.name, ...(t.site.address !== undefined ? { address: t.site.address } : {}) },
    device: t.device
      ? {
          id: t.device.id,
          ...(t.device.vendor !== undefined ? { vendor: t.device.vendor } : {}),
          ...(t.device.model !== undefined ? { model: t.device.model } : {}),
          ...(t.device.serial !== undefined ? { serial: t.device.serial } : {}),
          ...(t.device.location !== undefined ? { location: t.device.location } : {}),
        }
      : null,
    affectedDevices: t.kind === 'site' ? t.affectedDevices.length : 0,
    openedAt: t.openedAt,
    deadlineAt,
    guaranteed: t.sla.guaranteed,
  };
}

export function noticeFacts(notice: Notice, ticket: Ticket): NoticeFacts {
  const clock = notice.kind === 'sla.warning' || notice.kind === 'sla.breach' ? (notice.clock ?? null) : null;
  const attempt = notice.kind === 'customer.contactAttempt' ? (notice.attempt ?? ticket.waiting?.attempts.length ?? null) : null;
  return { kind: notice.kind, at: notice.at, detail: notice.detail, ticket: ticketFacts(ticket, clock), clock, attempt };
}

export function testFacts(at: number): NoticeFacts {
  return { kind: 'test', at, detail: 'test notification', ticket: null, clock: null, attempt: null };
}
