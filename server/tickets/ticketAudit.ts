/**
 * The ticket audit trail: one record per correction a dispatcher made (impact, contract, queue,
 * device, customer), with who, when, from, to and why. Written in the unit of work of the
 * correction (server/api/triageRoutes.ts), kept for `retention.ticketAudit` (server/retention).
 */
import { z } from 'zod';

/** The collection of the ticket audit trail (part of the storage contract). */
export const TICKET_AUDIT = 'ticketAudit';

export const TicketAuditEntry = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    ticketId: z.string(),
    /** Operator (token name) and token id. */
    by: z.string(),
    tokenId: z.string(),
    change: z.enum(['impact', 'contract', 'queue', 'device', 'customer']),
    from: z.string(),
    to: z.string(),
    reason: z.string(),
  })
  .meta({ id: 'TicketAuditEntry' });
export type TicketAuditEntry = z.infer<typeof TicketAuditEntry>;

/** The record id of an entry: by ticket, then time (sorted ids list a ticket's trail in order). */
export function ticketAuditKey(e: Pick<TicketAuditEntry, 'ticketId' | 'at' | 'id'>): string {
  return `${e.ticketId}|${String(Date.parse(e.at)).padStart(15, '0')}|${e.id}`;
}
