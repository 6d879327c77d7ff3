/**
 * `intake.mail` of server.yaml: the mailbox the server polls over IMAP for customers' e-mail
 * (docs/email-intake.md). The password sits under a secret-named key, so config errors and logs
 * never show it (shared/secrets.ts).
 */
import { z } from 'zod';
import { ByteSize, Duration } from '../../shared/config/common.js';
import { Host } from '../../shared/config/network.js';
import { Impact } from '../sla/contract.js';

/** An address ("jan@firma.pl") or a whole domain ("@firma.pl"). */
const SenderPattern = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^([^\s@<>]+@|@)[a-z0-9.-]+\.[a-z0-9-]+$/, 'an e-mail address (jan@firma.pl) or a domain (@firma.pl)');

export const MailIntakeSettings = z
  .strictObject({
    host: Host,
    /** Default 993 with `tls`, 143 without. */
    port: z.number().int().min(1).max(65535).optional(),
    /** TLS from the first byte (IMAPS). Without it, STARTTLS is used when the server offers it. */
    tls: z.boolean().default(true),
    /** Refuse a server without TLS (plain IMAP sends the password in clear): off only for a loopback test server. */
    requireTls: z.boolean().default(true),
    /** Accept a certificate that does not verify (self-signed test servers). */
    insecureSkipVerify: z.boolean().default(false),
    user: z.string().min(1).max(320),
    password: z.string().min(1).max(1024),
    mailbox: z.string().min(1).max(200).default('INBOX'),
    pollInterval: Duration.prefault('1m').refine((ms) => ms >= 5_000 && ms <= 86_400_000, 'between 5s and 1d'),
    /** Larger messages are not downloaded: their header becomes an intake item saying "too large". */
    maxMessageBytes: ByteSize.prefault('10MiB').refine((n) => n <= 256 * 1024 * 1024, 'at most 256MiB'),
    /** Impact of a ticket opened from an e-mail, until a dispatcher triages it (the contract maps it to its level and deadlines). */
    impact: Impact.default('medium'),
    /** Sender addresses and domains per customer id, in addition to each customer's contact e-mail (fleet.customers.<id>.contact.email). */
    senders: z.record(z.string().min(1).max(128), z.array(SenderPattern).max(1000)).default({}),
  })
  .superRefine((s, ctx) => {
    const owner = new Map<string, string>();
    for (const [customer, list] of Object.entries(s.senders)) {
      list.forEach((sender, i) => {
        const other = owner.get(sender);
        if (other !== undefined && other !== customer)
          ctx.addIssue({
            code: 'custom',
            path: ['senders', customer, i],
            message: `an address or domain of one customer only (${sender} is already given to customer ${other})`,
            input: sender,
          });
        owner.set(sender, customer);
      });
    }
  });
export type MailIntakeSettings = z.infer<typeof MailIntakeSettings>;

export const IntakeSettings = z
  .strictObject({
    /** Absent: no e-mail intake. */
    mail: MailIntakeSettings.optional(),
  })
  .prefault({});
export type IntakeSettings = z.infer<typeof IntakeSettings>;

/** The customer of a sender address: an exact address first, then its domain (pure). */
export function senderDirectory(
  settings: Pick<MailIntakeSettings, 'senders'>,
  contacts: Readonly<Record<string, string | undefined>>,
): (address: string) => string | undefined {
  const exact = new Map<string, string>();
  const domains = new Map<string, string>();
  for (const [customer, list] of Object.entries(settings.senders)) {
    for (const s of list) (s.startsWith('@') ? domains : exact).set(s.startsWith('@') ? s.slice(1) : s, customer);
  }
  for (const [customer, email] of Object.entries(contacts)) if (email && !exact.has(email.toLowerCase())) exact.set(email.toLowerCase(), customer);
  return (address) => {
    const a = address.toLowerCase();
    return exact.get(a) ?? domains.get(a.slice(a.lastIndexOf('@') + 1));
  };
}
