/**
 * Response shapes of the API (zod: they validate what is sent and generate the OpenAPI document).
 * Ticket times are epoch milliseconds as the ticket engine stores them; fleet times are ISO strings.
 */
import { z } from 'zod';
import { Counters, DeviceStatus, Fault, Identity, InputTray, Protocol, Supply } from '../../shared/snapshot.js';
import { Impact, Tier } from '../sla/contract.js';
import { Ticket, TicketFault, ticketFaultLabel, TicketStatus } from '../tickets/ticket.js';
import { historyVisibility } from '../tickets/ticketVisibility.js';

export const Device = z
  .object({
    key: z.string(),
    tenant: z.string(),
    customerId: z.string(),
    siteId: z.string(),
    agentId: z.string(),
    agentDeviceId: z.string(),
    identity: Identity,
    address: z.string().optional(),
    protocols: z.array(Protocol).optional(),
    status: DeviceStatus,
    /** What to show: unknown when the agent is offline, unreachable when polling fails. */
    effectiveStatus: DeviceStatus,
    reachable: z.boolean(),
    unreachableSince: z.string().optional(),
    lastError: z.string().optional(),
    faults: z.array(Fault.extend({ firstSeen: z.string() })),
    supplies: z.array(Supply),
    inputs: z.array(InputTray),
    counters: Counters,
    collectedAt: z.string().optional(),
    firstSeen: z.string(),
    lastSeen: z.string(),
  })
  .meta({ id: 'Device' });

export const Agent = z
  .object({
    key: z.string(),
    tenant: z.string(),
    agentId: z.string(),
    customerId: z.string(),
    siteId: z.string(),
    state: z.enum(['online', 'offline']),
    stateReason: z.enum(['birth', 'will', 'shutdown', 'stale']),
    since: z.string(),
    lastSeen: z.string(),
    agentVersion: z.string().optional(),
    hostname: z.string().optional(),
    startedAt: z.string().optional(),
    devices: z.number().optional(),
    outboxDepth: z.number().optional(),
  })
  .meta({ id: 'Agent' });

export const Customer = z
  .object({
    id: z.string(),
    name: z.string(),
    /** Contract id; the server's default contract when the fleet config names none. */
    contract: z.string(),
    configured: z.boolean(),
    contact: z.object({ name: z.string(), phone: z.string().optional(), email: z.string().optional() }).nullable(),
  })
  .meta({ id: 'Customer' });

export const Site = z
  .object({ id: z.string(), name: z.string(), customerId: z.string(), address: z.string().nullable(), agents: z.array(z.string()), configured: z.boolean() })
  .meta({ id: 'Site' });

export const TicketSummary = z
  .object({
    id: z.string(),
    title: z.string(),
    status: TicketStatus,
    impact: Impact,
    tier: Tier,
    queue: z.string(),
    assignee: z.string().nullable(),
    customer: z.object({ id: z.string(), name: z.string() }),
    site: z.object({ id: z.string(), name: z.string() }),
    device: z.object({ id: z.string(), vendor: z.string().optional(), model: z.string().optional(), serial: z.string().optional() }).nullable(),
    faultCodes: z.array(z.string()),
    openedAt: z.number(),
    /** Earliest deadline of a running SLA clock (the queue order), null when none runs. */
    deadlineAt: z.number().nullable(),
    /** When the clock behind deadlineAt reaches the contract's warning share; null once warned (see `warned`) or when no clock runs. */
    warnAt: z.number().nullable(),
    /** The clock behind deadlineAt has passed its warning instant (its sla.warning was given). */
    warned: z.boolean(),
    breached: z.boolean(),
    guaranteed: z.boolean(),
    contractId: z.string(),
    level: z.string(),
    /** The latest on-site visit not yet finished (no departure), with its arrival clock; null when none. */
    onSite: z
      .object({
        visitId: z.string(),
        dueAt: z.number().nullable(),
        breached: z.boolean(),
        technician: z.string().nullable(),
        plannedAt: z.number().nullable(),
        arrivedAt: z.number().nullable(),
      })
      .nullable(),
  })
  .meta({ id: 'TicketSummary' });

/** A ticket fault as the API shows it: its stored fields with a technician's label, e.g. "Toner empty — Magenta Cartridge". */
export const TicketFaultDetail = TicketFault.extend({ label: z.strictObject({ en: z.string(), pl: z.string() }) }).meta({ id: 'TicketFault' });

export const TicketDetail = Ticket.extend({ faults: z.array(TicketFaultDetail) }).meta({ id: 'Ticket' });
export type TicketDetail = z.infer<typeof TicketDetail>;

/** The API view of a ticket: each fault labelled in both dashboard languages. */
export function ticketDetail(t: Ticket): TicketDetail {
  return {
    ...t,
    faults: t.faults.map((f) => ({ ...f, label: { en: ticketFaultLabel(f, 'en'), pl: ticketFaultLabel(f, 'pl') } })),
    // Entries stored before visibilities show the default of their kind, so staff see what the customer sees.
    history: t.history.map((e) => ({ ...e, visibility: historyVisibility(e) })),
  };
}

export const ok204 = z.null().describe('no content');
