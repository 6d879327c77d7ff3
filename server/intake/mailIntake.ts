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
import type { Repository, Transaction } from '../storage/repository.js';
import type { CustomerRef, SiteRef } from '../tickets/ticket.js';
import { ticketStoreIn } from '../tickets/ticketRepository.js';
import type { ServiceOutcome, TicketService } from '../tickets/ticketService.js';
import { assignedItem, dismissedItem, INTAKE_ITEMS, IntakeItemError, readIntakeItem, type IntakeItem } from './intakeItems.js';
import type { FleetSettings } from '../fleet/fleetModel.js';
import type { Ticket } from '../tickets/ticket.js';
import { classifyMail, referencedTickets, type MailDecision, type TicketFacts } from './mailClassification.js';
import type { InboundMail } from './mailMessage.js';

const MAILBOXES = 'mailIntakeMailboxes';
const MESSAGES = 'mailIntakeMessages';

/** Where the intake stands in one mailbox. A new UIDVALIDITY means the UIDs were renumbered: start over (Message-IDs still dedupe). */
export interface MailboxPosition {
  readonly uidValidity: string;
  readonly lastUid: number;
}

/** What became of one message (by Message-ID); also the thread index for replies. */
interface MessageRecord {
  readonly messageId: string | null;
  readonly outcome: MailOutcome;
  readonly ticketId: string | null;
  readonly itemId: string | null;
  readonly at: number;
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

/** The customer records a ticket opened from an e-mail carries. */
export interface MailCustomer {
  readonly customer: CustomerRef;
  readonly site: SiteRef;
}

export interface MailIntakeOptions {
  readonly repo: Repository;
  readonly tickets: TicketService;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly customerOf: (address: string) => string | undefined;
  /** The customer's records for a ticket (undefined: unknown customer id). */
  readonly customerRecord: (customerId: string) => MailCustomer | undefined;
  /** Impact of a ticket opened from an e-mail until a dispatcher triages it. */
  readonly impact: Impact;
}

function keyOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 40);
}

function messageKey(m: FetchedMail): string {
  return keyOf(m.mail.messageId ?? `digest:${m.digest}`);
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
    return this.o.repo.get<MailboxPosition>(MAILBOXES, key);
  }

  /** Applies one message (idempotent: a message already applied is only acknowledged). */
  async receive(box: string, m: FetchedMail): Promise<ReceiveResult> {
    let outcome: ServiceOutcome | undefined;
    const result = await this.o.repo.transaction(async (tx): Promise<ReceiveResult> => {
      outcome = undefined;
      const pos = await tx.get<MailboxPosition>(MAILBOXES, box);
      if (pos && pos.uidValidity === m.uidValidity && pos.lastUid >= m.uid) return { outcome: 'alreadyRead', ticketId: null, itemId: null };
      await tx.put<MailboxPosition>(MAILBOXES, box, { uidValidity: m.uidValidity, lastUid: m.uid });
      const key = messageKey(m);
      const seen = await tx.get<MessageRecord>(MESSAGES, key);
      // The same message again (copied into the mailbox twice, or renumbered by a new UIDVALIDITY).
      if (seen) return { outcome: 'duplicate', ticketId: seen.ticketId, itemId: seen.itemId };
      const decision = await this.decide(tx, m.mail);
      const applied = await this.apply(tx, m, decision);
      outcome = applied.outcome;
      const record: MessageRecord = { messageId: m.mail.messageId, outcome: applied.result.outcome as MailOutcome, ticketId: applied.result.ticketId, itemId: applied.result.itemId, at: this.o.clock.now() };
      await tx.put(MESSAGES, key, record);
      return applied.result;
    });
    if (outcome) this.o.tickets.settle(outcome);
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
      if (t) tickets.set(id, { id, customerId: t.customer.id, open: true });
    }
    return classifyMail(mail, { customerOf: this.o.customerOf, tickets, byThread: refs.byThread, bySubject: refs.bySubject });
  }

  private async apply(tx: Transaction, m: FetchedMail, d: MailDecision): Promise<{ result: ReceiveResult; outcome?: ServiceOutcome }> {
    const store = ticketStoreIn(tx);
    const by = `email:${m.mail.from ?? 'unknown'}`.slice(0, 128);
    if (d.kind === 'reply') {
      const t = (await store.get(d.ticketId))!;
      // An answer to the desk's question resumes the clock (the waiting rule); otherwise it is a public comment from the customer.
      const outcome =
        t.status === 'waitingForCustomer'
          ? await this.o.tickets.actIn(store, t.id, { type: 'customerReplied', by, text: d.text })
          : await this.o.tickets.actIn(store, t.id, { type: 'comment', by, text: d.text, public: true });
      return { result: { outcome: 'reply', ticketId: t.id, itemId: null }, outcome };
    }
    if (d.kind === 'newTicket') {
      const rec = this.o.customerRecord(d.customerId);
      if (rec) {
        const outcome = await this.o.tickets.openManualIn(store, {
          title: d.title,
          channel: 'email',
          customer: rec.customer,
          site: rec.site,
          device: null,
          impact: this.o.impact,
          description: d.followsUp ? `${d.description}\n\n(follows up ${d.followsUp})` : d.description,
          ...(m.mail.date !== null ? { occurredAt: Math.min(m.mail.date, this.o.clock.now()) } : {}),
          by,
        });
        return { result: { outcome: 'ticket', ticketId: outcome.tickets[0]!.id, itemId: null }, outcome };
      }
      return { result: await this.putItem(tx, m, { kind: 'intake', customerId: null, reason: `customer ${d.customerId} of sender ${m.mail.from} is not in fleet.customers` }) };
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
  async assign(itemId: string, a: { readonly customerId: string; readonly by: string; readonly title?: string; readonly impact?: Impact; readonly level?: string; readonly note?: string }): Promise<{ item: IntakeItem; ticket: Ticket }> {
    const rec = this.o.customerRecord(a.customerId);
    if (!rec) throw new IntakeItemError(`no customer ${JSON.stringify(a.customerId)} in fleet.customers`);
    let outcome: ServiceOutcome | undefined;
    const done = await this.o.repo.transaction(async (tx) => {
      outcome = undefined;
      const item = await this.item(tx, itemId);
      const now = this.o.clock.now();
      const title = a.title ?? (item.subject !== '' ? item.subject : `E-mail from ${item.from ?? 'an unknown sender'}`);
      const description = [item.text !== '' ? item.text : '(no text)', `Received by e-mail from ${item.from ?? '(no sender)'}; held for a dispatcher: ${item.reason}`].join('\n\n');
      outcome = await this.o.tickets.openManualIn(ticketStoreIn(tx), {
        title,
        channel: 'email',
        customer: rec.customer,
        site: rec.site,
        device: null,
        impact: a.impact ?? this.o.impact,
        ...(a.level !== undefined ? { level: a.level } : {}),
        description,
        by: a.by,
      });
      const ticket = outcome.tickets[0]!;
      const next = assignedItem(item, a.by, now, ticket.id, a.note ?? null);
      await tx.put(INTAKE_ITEMS, item.id, next);
      if (item.source.messageId !== null) {
        await tx.put<MessageRecord>(MESSAGES, keyOf(item.source.messageId), { messageId: item.source.messageId, outcome: 'ticket', ticketId: ticket.id, itemId: item.id, at: now });
      }
      return { item: next, ticket };
    });
    if (outcome) this.o.tickets.settle(outcome);
    return done;
  }

  /** A dispatcher sets an item aside (spam, not a service matter), with the reason; the message stays in the mailbox. */
  async dismiss(itemId: string, by: string, note: string): Promise<IntakeItem> {
    return this.o.repo.transaction(async (tx) => {
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
    return (await this.o.repo.list<unknown>(INTAKE_ITEMS)).map((v, i) => readIntakeItem(v, `#${i}`)).sort((x, y) => y.receivedAt - x.receivedAt || x.id.localeCompare(y.id));
  }
}

export class IntakeItemNotFoundError extends Error {
  constructor(id: string) {
    super(`no intake item ${JSON.stringify(id)}`);
    this.name = 'IntakeItemNotFoundError';
  }
}

/**
 * The customer and site records of a ticket a person reports, from server.yaml `fleet`: the
 * customer's contact and contract (the default one when it names none), and its first site (or
 * the customer itself when it has no configured site).
 */
export function customerRecords(fleet: FleetSettings, defaultContract: string): (customerId: string) => MailCustomer | undefined {
  return (customerId) => {
    if (!Object.hasOwn(fleet.customers, customerId)) return undefined;
    const c = fleet.customers[customerId]!;
    const siteEntry = Object.entries(fleet.sites).find(([, s]) => s.customer === customerId);
    return {
      customer: { id: customerId, name: c.name, contact: c.contact ?? { name: c.name }, contractId: c.contract ?? defaultContract },
      site: siteEntry ? { id: siteEntry[0], name: siteEntry[1].name, ...(siteEntry[1].address !== undefined ? { address: siteEntry[1].address } : {}) } : { id: customerId, name: c.name },
    };
  };
}
