/**
 * How long the store keeps records that would otherwise grow forever (pure rules; the leader's
 * sweep in retentionSweep.ts applies them). Periods come from `retention` in server.yaml:
 *  - the ticket audit trail: `ticketAudit` after the correction (default 10 years: the
 *    corrections are evidence in contract audits and disputes, so at least a year is required);
 *  - e-mail: the record of what became of each message (the thread index and the exactly-once
 *    check), and the intake items holding a message's text, `mail` after they stopped mattering:
 *    after the message's ticket closed, or after a dispatcher handled the item (default 1 year).
 *    A message still waiting in the intake queue, or whose ticket is open or resolved, is kept.
 */
import { z } from 'zod';
import { Duration } from '../../shared/config/common.js';
import type { IntakeItem } from '../intake/intakeItems.js';
import type { MessageRecord } from '../intake/mailIntake.js';
import type { TicketAuditEntry } from '../tickets/ticketAudit.js';

const DAY_MS = 86_400_000;

export const RetentionSettings = z
  .strictObject({
    /** Ticket audit entries (corrections) are deleted this long after they were made. */
    ticketAudit: Duration.prefault('3650d').refine((ms) => ms >= 365 * DAY_MS, 'at least 365d: corrections are audit evidence'),
    /** E-mail records and handled intake items are deleted this long after their ticket closed or the item was handled. */
    mail: Duration.prefault('365d').refine((ms) => ms >= 30 * DAY_MS, 'at least 30d: replies to a closed ticket still find it for a month'),
    /** How often the leader looks for expired records (the first look is a minute after it becomes leader). */
    sweepInterval: Duration.prefault('6h').refine((ms) => ms >= 60_000 && ms <= 7 * DAY_MS, 'between 1m and 7d'),
    /** Records deleted per unit of work: ingest and the desk interleave between batches. */
    batch: z.number().int().min(10).max(10_000).default(500),
    /** At most this many batches per sweep; what is left waits for the next one. */
    maxBatches: z.number().int().min(1).max(1000).default(20),
  })
  .prefault({});
export type RetentionSettings = z.infer<typeof RetentionSettings>;

export function auditEntryExpired(e: Pick<TicketAuditEntry, 'at'>, now: number, r: Pick<RetentionSettings, 'ticketAudit'>): boolean {
  const at = Date.parse(e.at);
  return Number.isFinite(at) && at + r.ticketAudit <= now;
}

/** A handled intake item (assigned, attached, dismissed) past its period; a waiting one never expires. */
export function intakeItemExpired(item: Pick<IntakeItem, 'status' | 'handledAt'>, now: number, r: Pick<RetentionSettings, 'mail'>): boolean {
  return item.status !== 'unassigned' && item.handledAt !== null && item.handledAt + r.mail <= now;
}

/** What the sweep does with one message record. */
export type MailRecordFate = { readonly kind: 'keep' } | { readonly kind: 'delete' } | { readonly kind: 'closedSeen'; readonly at: number };

/**
 * The fate of a message record. `ticketHot`: its ticket is still in the hot store (open or
 * resolved; closed tickets are archived). `item`: its intake item, when it has one and it is kept.
 * Closing moves a ticket to the archive without a trace here, so the sweep notes when it first
 * finds the ticket gone (`closedSeen`) and counts the period from then: at most one sweep
 * interval later than the real closing, never earlier.
 */
export function mailRecordFate(
  rec: Pick<MessageRecord, 'ticketId' | 'itemId' | 'at' | 'closedSeenAt'>,
  facts: { readonly ticketHot: boolean; readonly item: Pick<IntakeItem, 'status' | 'handledAt'> | undefined },
  now: number,
  r: Pick<RetentionSettings, 'mail'>,
): MailRecordFate {
  const keep = { kind: 'keep' } as const;
  const del = { kind: 'delete' } as const;
  if (rec.ticketId !== null) {
    if (facts.ticketHot) return keep;
    if (rec.closedSeenAt === undefined) return { kind: 'closedSeen', at: now };
    return rec.closedSeenAt + r.mail <= now ? del : keep;
  }
  if (rec.itemId !== null && facts.item) {
    if (facts.item.status === 'unassigned' || facts.item.handledAt === null) return keep;
    return facts.item.handledAt + r.mail <= now ? del : keep;
  }
  return rec.at + r.mail <= now ? del : keep;
}
