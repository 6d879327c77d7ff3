/**
 * Sends one e-mail attempt over SMTP with nodemailer (imperative shell). One transport per
 * sender, created on first use; plain SMTP is upgraded with STARTTLS when the server offers it
 * (required with `requireTls`), `secure` speaks TLS from the start. The password goes to
 * nodemailer only; nodemailer's own logger is off, errors are reduced to code and reply.
 * The delivery id is the Message-ID, so a message sent twice (a crash between sending and
 * recording) is one message to mail clients that deduplicate.
 */
import nodemailer from 'nodemailer';
import type { Delivery } from './delivery.js';
import type { AttachmentsFor } from './reportAttachment.js';
import type { EmailSettings } from './notificationSettings.js';
import { smtpPermanent, type AttemptResult } from './retrySchedule.js';
import { ticketThreadId } from '../intake/mailClassification.js';

type Transport = ReturnType<typeof nodemailer.createTransport>;

/** What nodemailer's SMTP transport reports for a sent message (the part we use). */
interface SentInfo {
  readonly rejected?: unknown[];
  readonly response?: string;
}

export class MailSender {
  private transport: Transport | undefined;

  constructor(
    private readonly settings: EmailSettings,
    private readonly attachmentsFor?: AttachmentsFor,
  ) {}

  private transporter(): Transport {
    if (!this.transport) {
      const s = this.settings.smtp;
      this.transport = nodemailer.createTransport({
        host: s.host,
        port: s.port,
        secure: s.secure,
        requireTLS: s.requireTls,
        ...(s.auth ? { auth: { user: s.auth.user, pass: s.auth.password } } : {}),
        connectionTimeout: s.timeout,
        greetingTimeout: s.timeout,
        socketTimeout: s.timeout,
        tls: { rejectUnauthorized: !s.insecureSkipVerify },
        logger: false,
        debug: false,
      });
    }
    return this.transport;
  }

  async send(d: Delivery): Promise<AttemptResult> {
    try {
      const attachments = this.attachmentsFor ? await this.attachmentsFor(d) : [];
      const info = (await this.transporter().sendMail({
        from: this.settings.from,
        to: d.target,
        subject: d.subject,
        text: d.text,
        ...(d.html !== null ? { html: d.html } : {}),
        messageId: `<${d.id}@fleetdesk>`,
        ...(attachments.length > 0 ? { attachments: attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })) } : {}),
        // Every e-mail of a ticket names the ticket's thread: a customer's reply carries it back (server/intake).
        ...(d.ticketId !== null ? { references: [ticketThreadId(d.ticketId)] } : {}),
        headers: {
          'Content-Language': d.language,
          'Auto-Submitted': 'auto-generated',
          'X-FleetDesk-Event': d.kind,
          'X-FleetDesk-Delivery': d.id,
          ...(d.ticketId !== null ? { 'X-FleetDesk-Ticket': d.ticketId } : {}),
        },
      })) as SentInfo;
      const rejected = info.rejected ?? [];
      if (rejected.length > 0) return { outcome: 'error', error: `recipient refused: ${String(info.response ?? '').slice(0, 200)}`, permanent: true };
      const code = /^(\d{3})/.exec(String(info.response ?? ''));
      return { outcome: 'delivered', ...(code ? { statusCode: Number(code[1]) } : {}) };
    } catch (err) {
      const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
      const reply = e.response ? `: ${e.response.replace(/\s+/g, ' ').slice(0, 200)}` : '';
      const error = `${e.code ?? 'SMTP error'}${e.responseCode !== undefined ? ` ${e.responseCode}` : ''}${reply || (e.message ? `: ${e.message.slice(0, 200)}` : '')}`;
      return { outcome: 'error', ...(e.responseCode !== undefined ? { statusCode: e.responseCode } : {}), error, permanent: smtpPermanent(e.responseCode) };
    }
  }

  close(): void {
    this.transport?.close();
    this.transport = undefined;
  }
}
