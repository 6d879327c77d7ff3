/**
 * What a ticket notice tells its listeners (live views, notifications) about the ticket, as the
 * change that raised the notice left it: number, title, status, impact, customer, site, device,
 * the deadline that matters for the notice. Built in the unit of work that changed the ticket, so
 * no listener reads the ticket again after the commit.
 */
import type { Impact, Tier } from '../sla/contract.js';
import type { Ticket, TicketStatus } from './ticket.js';
import { activeDeadline } from './workQueue.js';

/** The SLA clocks of a ticket (`Ticket.sla`). */
export type SlaClockName = 'reaction' | 'resolution' | 'onSite';

export interface TicketFacts {
  readonly id: string;
  readonly title: string;
  readonly status: TicketStatus;
  readonly impact: Impact;
  readonly tier: Tier;
  readonly queue: string;
  readonly assignee: string | null;
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
    assignee: t.assignee,
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
