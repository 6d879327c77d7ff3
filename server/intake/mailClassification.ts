/**
 * What one inbound e-mail does (pure): opens a ticket for a known customer, adds to a ticket of
 * the SAME customer (a reply), or becomes an "unassigned" intake item with the reason. A ticket
 * named by another customer's sender (a forged or mistyped number in the subject, a reference to
 * someone else's thread) is never touched: the message waits for a dispatcher instead.
 *
 * Threading, strongest first: In-Reply-To/References naming a message of a ticket (one the server
 * sent, `<ticket-T000012@fleetdesk>`, or one it received for the ticket), then a ticket number in
 * the subject ("T000012").
 */
import type { InboundMail } from './mailMessage.js';

/** The thread id our outgoing ticket e-mails carry in References (server/notifications/mailSender.ts). */
export function ticketThreadId(ticketId: string): string {
  return `<ticket-${ticketId}@fleetdesk>`;
}

const THREAD_TICKET = /^<ticket-(T\d{6,12})@fleetdesk>$/;
const SUBJECT_TICKET = /(?<![A-Za-z0-9])(T\d{6,12})(?![A-Za-z0-9])/g;

/** Ticket ids a message refers to, in order of strength (threading headers first, then the subject). */
export function referencedTickets(mail: InboundMail, ticketOfMessage: (messageId: string) => string | undefined): { byThread: string[]; bySubject: string[] } {
  const byThread: string[] = [];
  // Newest reference first: References lists the thread oldest first.
  for (const id of [...mail.threadIds].reverse()) {
    const t = THREAD_TICKET.exec(id)?.[1] ?? ticketOfMessage(id);
    if (t !== undefined && !byThread.includes(t)) byThread.push(t);
  }
  const bySubject = [...new Set([...mail.subject.matchAll(SUBJECT_TICKET)].map((m) => m[1]!))];
  return { byThread, bySubject };
}

/** A ticket the intake may add to, as far as classification needs it. */
export interface TicketFacts {
  readonly id: string;
  readonly customerId: string;
}

export interface MailContext {
  /** The customer whose address (or domain) this is, if any. */
  readonly customerOf: (address: string) => string | undefined;
  /** Facts of the tickets named in `referencedTickets` that are not closed (absent: no such ticket, or closed and archived). */
  readonly tickets: ReadonlyMap<string, TicketFacts>;
  readonly byThread: readonly string[];
  readonly bySubject: readonly string[];
}

export type MailDecision =
  | { readonly kind: 'newTicket'; readonly customerId: string; readonly title: string; readonly description: string }
  | { readonly kind: 'reply'; readonly customerId: string; readonly ticketId: string; readonly text: string }
  | { readonly kind: 'intake'; readonly customerId: string | null; readonly reason: string };

function describe(mail: InboundMail): string {
  const lines = [mail.text !== '' ? mail.text : '(no text)'];
  if (mail.attachments.length > 0) {
    lines.push('', `Attachments (not kept): ${mail.attachments.map((a) => `${a.filename ?? '(unnamed)'} (${a.contentType}, ${a.size} B)`).join('; ')}`);
  }
  return lines.join('\n');
}

export function classifyMail(mail: InboundMail, ctx: MailContext): MailDecision {
  // A message the intake could not read fully is never turned into a ticket automatically.
  if (mail.problems.length > 0) return { kind: 'intake', customerId: mail.from ? (ctx.customerOf(mail.from) ?? null) : null, reason: mail.problems.join('; ') };
  const from = mail.from!;
  const customerId = ctx.customerOf(from);
  if (customerId === undefined) return { kind: 'intake', customerId: null, reason: `unknown sender ${from}: no customer has this address` };
  const candidates = [...ctx.byThread, ...ctx.bySubject];
  const own = candidates.map((id) => ctx.tickets.get(id)).find((t) => t !== undefined && t.customerId === customerId);
  if (own) return { kind: 'reply', customerId, ticketId: own.id, text: describe(mail) };
  const foreign = candidates.filter((id) => {
    const t = ctx.tickets.get(id);
    return t !== undefined && t.customerId !== customerId;
  });
  if (foreign.length > 0) {
    return { kind: 'intake', customerId, reason: `names ticket ${foreign.join(', ')}, which does not belong to the sender's customer ${customerId}` };
  }
  // A message naming no ticket that is still open (or a closed one: history): a new ticket; its subject keeps the number.
  const title = mail.subject !== '' ? mail.subject : `E-mail from ${from}`;
  return { kind: 'newTicket', customerId, title, description: describe(mail) };
}
