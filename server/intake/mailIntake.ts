/**
 * Applies one inbound e-mail to the store in ONE unit of work: the ticket change (a new ticket,
 * or the customer's answer on an open one) or the intake item, the message's outcome by
 * Message-ID, and the mailbox position (UIDVALIDITY + last UID). So after a crash the message is
 * either wholly applied and skipped on the next poll, or not applied at all and read again:
 * at least once from the mailbox, exactly once in the tickets.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import type { Impact } from '../sla/contract.js';
import type { Transaction } from '../storage/repository.js';
import type { ServiceOutcome } from '../tickets/ticketService.js';
import { addCustomerReplyIn, IntakeError, IntakeRequest, openManualTicketIn, type IntakeDeps } from './intakeRequest.js';
import { ticketStoreIn } from '../tickets/ticketRepository.js';
import { assignedItem, attachedItem, dismissedItem, INTAKE_ITEMS, readIntakeItem, type IntakeItem } from './intakeItems.js';
import type { Ticket } from '../tickets/ticket.js';
import { classifyMail, referencedTickets, type MailDecision, type TicketFacts } from './mailClassification.js';
import type { InboundMail } from './mailMessage.js';

const MAILBOXES = 'mailIntakeMailboxes';
/** What became of each message (MessageRecord), by Message-ID or digest; pruned by server/retention. */
export const MAIL_MESSAGES = 'mailIntakeMessages';
const MESSAGES = MAIL_MESSAGES;

/** Where the intake stands in one mailbox. A new UIDVALIDITY means the UIDs were renumbered: start over (Message-IDs still dedupe). */
export interface MailboxPosition {
  readonly uidValidity: string;
  readonly lastUid: number;
}

/** What became of one message (by Message-ID); also the thread index for replies. */
export interface MessageRecord {
  readonly messageId: string | null;
  /** Digest of a message without a Message-ID (its record id is made from it); absent on older records. */
  readonly digest?: string;
  /** Sender of the message first seen with this id (absent on records a dispatcher's assignment wrote). */
  readonly from?: string | null;
  readonly outcome: MailOutcome;
  readonly ticketId: string | null;
  readonly itemId: string | null;
  readonly at: number;
  /** When the retention sweep first found its ticket closed (its retention counts from then). */
  readonly closedSeenAt?: number;
}

export type MailOutcome = 'ticket' | 'reply' | 'intake' | 'duplicate';

/** One message as fetched: where it is, its size, and the parsed content. */
export interface FetchedMail {
  readonly mailbox: string;
  readonly uidValidity: string;
  readonly uid: number;
  readonly size: number;
  readonly mail: InboundMail;
  /** Hash of the bytes read: the identity of a message without a Message-ID. */
  readonly digest: string;
}

export interface MailIntakeOptions {
  /** The shared intake (intakeRequest.ts): the store, the ticket service, the fleet directory, contracts. */
  readonly deps: IntakeDeps;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly customerOf: (address: string) => string | undefined;
  /** Impact of a ticket opened from an e-mail until a dispatcher triages it. */
  readonly impact: Impact;
}

function keyOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 40);
}

function messageKey(m: FetchedMail): string {
  return keyOf(m.mail.messageId ?? `digest:${m.digest}`);
}

/** The id of a stored message record; undefined for a record of a message without Message-ID stored before digests were kept. */
export function messageRecordKey(r: Pick<MessageRecord, 'messageId' | 'digest'>): string | undefined {
  if (r.messageId !== null) return keyOf(r.messageId);
  return r.digest === undefined ? undefined : keyOf(`digest:${r.digest}`);
}

export function mailboxKey(user: string, host: string, mailbox: string): string {
  return keyOf(`${user}\n${host}\n${mailbox}`);
}

export function digestOf(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

export interface ReceiveResult {
  readonly outcome: MailOutcome | 'alreadyRead';
  readonly ticketId: string | null;
  readonly itemId: string | null;
}

export class MailIntake {
  constructor(private readonly o: MailIntakeOptions) {}

  async position(key: string): Promise<MailboxPosition | undefined> {
    return this.o.deps.repo.get<MailboxPosition>(MAILBOXES, key);
  }

  /** Applies one message (idempotent: a message already applied is only acknowledged). */
  async receive(box: string, m: FetchedMail): Promise<ReceiveResult> {
    let outcome: ServiceOutcome | undefined;
    const result = await this.o.deps.repo.transaction(async (tx): Promise<ReceiveResult> => {
      outcome = undefined;
      const pos = await tx.get<MailboxPosition>(MAILBOXES, box);
      if (pos && pos.uidValidity === m.uidValidity && pos.lastUid >= m.uid) return { outcome: 'alreadyRead', ticketId: null, itemId: null };
      await tx.put<MailboxPosition>(MAILBOXES, box, { uidValidity: m.uidValidity, lastUid: m.uid });
      const key = messageKey(m);
      const seen = await tx.get<MessageRecord>(MESSAGES, key);
      // The same message again (copied into the mailbox twice, or renumbered by a new UIDVALIDITY).
      if (seen && (seen.from === undefined || seen.from === m.mail.from)) return { outcome: 'duplicate', ticketId: seen.ticketId, itemId: seen.itemId };
      // Another sender reusing a Message-ID (forged or broken): held for a dispatcher, never silently dropped.
      if (seen)
        return this.putItem(tx, m, {
          kind: 'intake',
          customerId: m.mail.from ? (this.o.customerOf(m.mail.from) ?? null) : null,
          reason: `its Message-ID ${m.mail.messageId ?? ''} was already used by another message from ${seen.from ?? '(no sender)'}`,
        });
      const decision = await this.decide(tx, m.mail);
      const applied = await this.apply(tx, m, decision);
      outcome = applied.outcome;
      const record: MessageRecord = {
        messageId: m.mail.messageId,
        ...(m.mail.messageId === null ? { digest: m.digest } : {}),
        from: m.mail.from,
        outcome: applied.result.outcome as MailOutcome,
        ticketId: applied.result.ticketId,
        itemId: applied.result.itemId,
        at: this.o.clock.now(),
      };
      await tx.put(MESSAGES, key, record);
      return applied.result;
    });
    if (outcome) this.o.deps.tickets.settle(outcome);
    this.o.logger?.info({ uid: m.uid, outcome: result.outcome, ticketId: result.ticketId, itemId: result.itemId }, 'e-mail read');
    return result;
  }

  private async decide(tx: Transaction, mail: InboundMail): Promise<MailDecision> {
    const threads = new Map<string, string>();
    for (const id of mail.threadIds) {
      const rec = await tx.get<MessageRecord>(MESSAGES, keyOf(id));
      if (rec?.ticketId) threads.set(id, rec.ticketId);
    }
    const refs = referencedTickets(mail, (id) => threads.get(id));
    const store = ticketStoreIn(tx);
    const tickets = new Map<string, TicketFacts>();
    for (const id of [...refs.byThread, ...refs.bySubject]) {
      const t = await store.get(id);
      if (t) tickets.set(id, { id, customerId: t.customer.id });
    }
    return classifyMail(mail, { customerOf: this.o.customerOf, tickets, byThread: refs.byThread, bySubject: refs.bySubject });
  }

  private async apply(tx: Transaction, m: FetchedMail, d: MailDecision): Promise<{ result: ReceiveResult; outcome?: ServiceOutcome }> {
    const by = `email:${m.mail.from ?? 'unknown'}`.slice(0, 128);
    const ref = m.mail.messageId ?? undefined;
    if (d.kind === 'reply') {
      // A public comment from the customer; while the ticket waits for the customer, the answer the waiting rule waits for.
      const r = await addCustomerReplyIn(tx, this.o.deps, d.ticketId, { text: d.text, ...(ref !== undefined ? { externalRef: ref } : {}) }, by);
      return { result: { outcome: 'reply', ticketId: d.ticketId, itemId: null }, outcome: r.outcome };
    }
    if (d.kind === 'newTicket') {
      const request = IntakeRequest.safeParse({
        customer: d.customerId,
        subject: d.title,
        description: d.description,
        channel: 'email',
        contact: { ...(m.mail.fromName ? { name: m.mail.fromName } : {}), email: m.mail.from },
        impact: this.o.impact,
        ...(m.mail.date !== null ? { occurredAt: new Date(Math.min(m.mail.date, this.o.clock.now())).toISOString() } : {}),
        ...(ref !== undefined ? { externalRef: ref } : {}),
      });
      if (!request.success) {
        const first = request.error.issues[0];
        return {
          result: await this.putItem(tx, m, {
            kind: 'intake',
            customerId: d.customerId,
            reason: `cannot open a ticket from it: ${first?.path.join('.') ?? ''} ${first?.message ?? ''}`.trim(),
          }),
        };
      }
      try {
        const r = await openManualTicketIn(tx, this.o.deps, request.data, by);
        return { result: { outcome: r.duplicateOf ? 'reply' : 'ticket', ticketId: r.ticket.id, itemId: null }, outcome: r.outcome };
      } catch (err) {
        // Checked before anything is written: the message waits for a dispatcher with the reason.
        if (!(err instanceof IntakeError)) throw err;
        return { result: await this.putItem(tx, m, { kind: 'intake', customerId: null, reason: `cannot open a ticket from it: ${err.message}` }) };
      }
    }
    return { result: await this.putItem(tx, m, d) };
  }

  private async putItem(tx: Transaction, m: FetchedMail, d: Extract<MailDecision, { kind: 'intake' }>): Promise<ReceiveResult> {
    const id = `I-${keyOf(`${m.mailbox}\n${m.uidValidity}\n${m.uid}\n${m.digest}`).slice(0, 20)}`;
    const item: IntakeItem = {
      id,
      channel: 'email',
      receivedAt: this.o.clock.now(),
      status: 'unassigned',
      reason: d.reason.slice(0, 2000),
      customerId: d.customerId,
      from: m.mail.from,
      fromName: m.mail.fromName,
      subject: m.mail.subject,
      text: m.mail.text,
      attachments: [...m.mail.attachments],
      source: { mailbox: m.mailbox.slice(0, 500), uidValidity: m.uidValidity, uid: m.uid, messageId: m.mail.messageId, size: m.size },
      handledBy: null,
      handledAt: null,
      ticketId: null,
      note: null,
    };
    await tx.put(INTAKE_ITEMS, id, item);
    return { outcome: 'intake', ticketId: null, itemId: id };
  }

  /**
   * A dispatcher puts an unassigned item on a new ticket of `customerId` (one unit of work: the
   * ticket, the item's state, and the thread of its message, so later replies join that ticket).
   */
  async assign(
    itemId: string,
    a: { readonly customerId: string; readonly by: string; readonly title?: string; readonly impact?: Impact; readonly level?: string; readonly note?: string },
  ): Promise<{ item: IntakeItem; ticket: Ticket }> {
    let outcome: ServiceOutcome | undefined;
    const done = await this.o.deps.repo.transaction(async (tx) => {
      outcome = undefined;
      const item = await this.item(tx, itemId);
      const now = this.o.clock.now();
      const request = IntakeRequest.parse({
        customer: a.customerId,
        subject: a.title ?? (item.subject !== '' ? item.subject : `E-mail from ${item.from ?? 'an unknown sender'}`),
        description: [
          item.text !== '' ? item.text : '(no text)',
          `Received by e-mail from ${item.from ?? '(no sender)'}; held for a dispatcher: ${item.reason}`,
        ]
          .join('\n\n')
          .slice(0, 10_000),
        channel: 'email',
        contact: {
          ...(item.fromName ? { name: item.fromName } : {}),
          ...(item.from && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(item.from) ? { email: item.from } : {}),
        },
        ...(a.level === undefined || a.impact !== undefined ? { impact: a.impact ?? this.o.impact } : {}),
        ...(a.level !== undefined ? { level: a.level } : {}),
        ...(item.source.messageId !== null ? { externalRef: item.source.messageId } : {}),
      });
      const r = await openManualTicketIn(tx, this.o.deps, request, a.by);
      outcome = r.outcome;
      const next = assignedItem(item, a.by, now, r.ticket.id, a.note ?? null);
      await tx.put(INTAKE_ITEMS, item.id, next);
      // Replies to the message now thread to its ticket.
      if (item.source.messageId !== null) {
        await tx.put<MessageRecord>(MESSAGES, keyOf(item.source.messageId), {
          messageId: item.source.messageId,
          outcome: 'ticket',
          ticketId: r.ticket.id,
          itemId: item.id,
          at: now,
        });
      }
      return { item: next, ticket: r.ticket };
    });
    if (outcome) this.o.deps.tickets.settle(outcome);
    return done;
  }

  /**
   * A dispatcher puts an unassigned item on an existing ticket as the customer's message (e.g. an
   * answer sent from another address): one unit of work, like an e-mail reply that threaded by
   * itself, so on a ticket waiting for the customer it is the answer and the clock resumes.
   */
  async attach(itemId: string, a: { readonly ticketId: string; readonly by: string; readonly note?: string }): Promise<{ item: IntakeItem; ticket: Ticket }> {
    let outcome: ServiceOutcome | undefined;
    const done = await this.o.deps.repo.transaction(async (tx) => {
      outcome = undefined;
      const item = await this.item(tx, itemId);
      const now = this.o.clock.now();
      // Checked first, so a handled item fails before the ticket changes.
      const next = attachedItem(item, a.by, now, a.ticketId, a.note ?? null);
      const text = [
        item.subject !== '' ? item.subject : null,
        item.text !== '' ? item.text : '(no text)',
        `Received by e-mail from ${item.from ?? '(no sender)'}; attached by ${a.by}`,
      ]
        .filter((x) => x !== null)
        .join('\n\n')
        .slice(0, 10_000);
      const sender = `email:${item.from ?? 'unknown'}`.slice(0, 128);
      const r = await addCustomerReplyIn(
        tx,
        this.o.deps,
        a.ticketId,
        { text, ...(item.source.messageId !== null ? { externalRef: item.source.messageId } : {}) },
        sender,
      );
      outcome = r.outcome;
      await tx.put(INTAKE_ITEMS, item.id, next);
      // Replies to the message now thread to this ticket.
      if (item.source.messageId !== null) {
        await tx.put<MessageRecord>(MESSAGES, keyOf(item.source.messageId), {
          messageId: item.source.messageId,
          outcome: 'reply',
          ticketId: a.ticketId,
          itemId: item.id,
          at: now,
        });
      }
      return { item: next, ticket: r.ticket };
    });
    if (outcome) this.o.deps.tickets.settle(outcome);
    return done;
  }

  /** A dispatcher sets an item aside (spam, not a service matter), with the reason; the message stays in the mailbox. */
  async dismiss(itemId: string, by: string, note: string): Promise<IntakeItem> {
    return this.o.deps.repo.transaction(async (tx) => {
      const next = dismissedItem(await this.item(tx, itemId), by, this.o.clock.now(), note);
      await tx.put(INTAKE_ITEMS, itemId, next);
      return next;
    });
  }

  private async item(tx: Transaction, id: string): Promise<IntakeItem> {
    const v = await tx.get<unknown>(INTAKE_ITEMS, id);
    if (v === undefined) throw new IntakeItemNotFoundError(id);
    return readIntakeItem(v, id);
  }

  async items(): Promise<IntakeItem[]> {
    return (await this.o.deps.repo.list<unknown>(INTAKE_ITEMS))
      .map((v, i) => readIntakeItem(v, `#${i}`))
      .sort((x, y) => y.receivedAt - x.receivedAt || x.id.localeCompare(y.id));
  }
}

export class IntakeItemNotFoundError extends Error {
  constructor(id: string) {
    super(`no intake item ${JSON.stringify(id)}`);
    this.name = 'IntakeItemNotFoundError';
  }
}
