/**
 * The "unassigned" intake queue: reports the server received but could not put on a ticket by
 * itself (an e-mail from an unknown sender, one naming another customer's ticket, one too large or
 * unreadable). Nothing a customer sent is dropped: it waits here, with the reason and where the
 * original is (mailbox, UIDVALIDITY, UID), until a dispatcher assigns it to a customer (which opens
 * a ticket), attaches it to an existing ticket (the customer's answer on it), or dismisses it. One schema gives the type and validates stored records.
 */
import { z } from 'zod';

export const INTAKE_ITEMS = 'intakeItems';

export const IntakeItemStatus = z.enum(['unassigned', 'assigned', 'attached', 'dismissed']);
export type IntakeItemStatus = z.infer<typeof IntakeItemStatus>;

export const IntakeItem = z.strictObject({
  id: z.string().max(64),
  channel: z.literal('email'),
  receivedAt: z.number(),
  status: IntakeItemStatus,
  /** Why the server did not act on it by itself. */
  reason: z.string().max(2000),
  /** The customer the sender's address belongs to, when it is known (a hint for the dispatcher, not an assignment). */
  customerId: z.string().max(128).nullable(),
  from: z.string().max(320).nullable(),
  fromName: z.string().max(200).nullable(),
  subject: z.string().max(300),
  text: z.string().max(10_000),
  attachments: z
    .array(z.strictObject({ filename: z.string().max(200).nullable(), contentType: z.string().max(100), size: z.number().int().nonnegative() }))
    .max(100),
  /** Where the original message is: the mailbox keeps it (the intake never deletes mail). */
  source: z.strictObject({
    mailbox: z.string().max(500),
    uidValidity: z.string().max(32),
    uid: z.number().int().positive(),
    messageId: z.string().max(502).nullable(),
    size: z.number().int().nonnegative(),
  }),
  /** Set when a dispatcher assigned, attached or dismissed it. */
  handledBy: z.string().max(128).nullable(),
  handledAt: z.number().nullable(),
  ticketId: z.string().max(64).nullable(),
  note: z.string().max(2000).nullable(),
});
export type IntakeItem = z.infer<typeof IntakeItem>;

export class IntakeItemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntakeItemError';
  }
}

/** Parses a stored item; a record that does not match is an error naming it. */
export function readIntakeItem(value: unknown, where: string): IntakeItem {
  const parsed = IntakeItem.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`stored intake item ${where} is invalid at ${first?.path.join('.') ?? '(root)'}: ${first?.message ?? 'unknown problem'}`);
  }
  return parsed.data;
}

/** The item after a dispatcher assigned it to a ticket (pure). */
export function assignedItem(item: IntakeItem, by: string, at: number, ticketId: string, note: string | null): IntakeItem {
  if (item.status !== 'unassigned')
    throw new IntakeItemError(`intake item ${item.id} is already ${item.status}${item.ticketId ? ` (ticket ${item.ticketId})` : ''}`);
  return { ...item, status: 'assigned', handledBy: by, handledAt: at, ticketId, note };
}

/** The item after a dispatcher attached it to an existing ticket as the customer's message (pure). */
export function attachedItem(item: IntakeItem, by: string, at: number, ticketId: string, note: string | null): IntakeItem {
  if (item.status !== 'unassigned')
    throw new IntakeItemError(`intake item ${item.id} is already ${item.status}${item.ticketId ? ` (ticket ${item.ticketId})` : ''}`);
  return { ...item, status: 'attached', handledBy: by, handledAt: at, ticketId, note };
}

/** The item after a dispatcher dismissed it (spam, not a service matter), with the reason (pure). */
export function dismissedItem(item: IntakeItem, by: string, at: number, note: string): IntakeItem {
  if (item.status !== 'unassigned') throw new IntakeItemError(`intake item ${item.id} is already ${item.status}`);
  return { ...item, status: 'dismissed', handledBy: by, handledAt: at, note };
}
