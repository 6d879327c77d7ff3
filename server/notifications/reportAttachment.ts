/**
 * The final report PDF attached to the "resolved" e-mail (support-contracts §4: the customer gets
 * a final report). Rendered when the message is sent, from the ticket as it is then, in the
 * message's language; a ticket no longer in the hot store (closed and archived) sends the e-mail
 * without it rather than holding the notification back.
 */
import type { Repository } from '../storage/repository.js';
import type { Contract } from '../sla/contract.js';
import type { Clock } from '../../shared/clock.js';
import { finalReport } from '../tickets/finalReport.js';
import { finalReportPdf } from '../tickets/finalReportPdf.js';
import type { Ticket } from '../tickets/ticket.js';
import { ticketContract } from '../tickets/ticketPolicy.js';
import { customerView } from '../tickets/ticketVisibility.js';
import type { Delivery } from './delivery.js';

export interface MailAttachment {
  readonly filename: string;
  readonly content: Buffer;
  readonly contentType: string;
}

export type AttachmentsFor = (d: Delivery) => Promise<MailAttachment[]>;

export function finalReportAttachments(repo: Pick<Repository, 'get'>, contractFor: (id: string, version?: number) => Contract, clock: Clock): AttachmentsFor {
  return async (d) => {
    if (d.kind !== 'ticket.resolved' || d.ticketId === null || d.channel !== 'email') return [];
    const t = await repo.get<Ticket>('tickets', d.ticketId);
    if (!t || t.resolvedAt === null) return [];
    const visible = d.audience === 'customer' ? customerView(t) : t;
    const pdf = await finalReportPdf(finalReport(visible, ticketContract(t, contractFor), d.language, clock.now()));
    return [{ filename: `${t.id}-report-${d.language}.pdf`, content: pdf, contentType: 'application/pdf' }];
  };
}
