/**
 * The `notifications:` section of server.yaml: webhook endpoints, e-mail over SMTP (vendor
 * dispatch lists per event kind and customers' contact addresses), languages, retries.
 * Nothing is sent unless an endpoint or recipient is configured.
 *
 * Secrets (the SMTP password, webhook HMAC secrets) sit under secret-named keys (`password`,
 * `secret`), so config errors and logs never show them (shared/secrets.ts). They are read from
 * the config at send time and never stored with a delivery.
 */
import { z } from 'zod';
import { Duration } from '../../shared/config/common.js';
import { ID_PATTERN } from '../../shared/wire/topics.js';
import type { NoticeKind } from '../tickets/ticketPolicy.js';
import type { CUSTOMER_FIXABLE_NOTICE } from '../tickets/customerFixable.js';

/**
 * Every notice kind of the ticket engine (server/tickets/ticketPolicy.ts), in a stable order, and
 * the customer notice of a customer-fixable fault (server/tickets/customerFixable.ts: no ticket yet).
 */
export const NOTICE_KINDS = [
  'ticket.opened',
  'ticket.joined',
  'ticket.reopened',
  'ticket.resolved',
  'ticket.closed',
  'ticket.escalated',
  'sla.warning',
  'sla.breach',
  'escalation.warning',
  'escalation.breach',
  'customer.contactAttempt',
  'device.customerFixable',
] as const satisfies readonly (NoticeKind | typeof CUSTOMER_FIXABLE_NOTICE)[];

// Compile-time check that the list above names every NoticeKind (a new kind must be added here).
type Missing = Exclude<NoticeKind, (typeof NOTICE_KINDS)[number]>;
const everyKindListed: Missing extends never ? true : Missing = true;
void everyKindListed;

/** Every event a notification can be about: the ticket engine's notices and the meters' (server/meters). */
export const NOTIFICATION_EVENTS = [...NOTICE_KINDS, 'meter.missing'] as const;

export const NotificationEvent = z.enum(NOTIFICATION_EVENTS, `an event kind: ${NOTIFICATION_EVENTS.join(', ')}`);
export type NotificationEvent = z.infer<typeof NotificationEvent>;

/** What a customer hears about by default: its own tickets opening and resolving, and contact attempts. */
export const CUSTOMER_DEFAULT_EVENTS: readonly NotificationEvent[] = ['ticket.opened', 'ticket.resolved', 'customer.contactAttempt'];

export const Language = z.enum(['pl', 'en'], 'a language: pl or en');
export type Language = z.infer<typeof Language>;

const Id = z.string().regex(ID_PATTERN, 'an identifier of A-Z a-z 0-9 . _ - (1-128 characters)');
const HttpUrl = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/, 'an http:// or https:// URL')
  .refine((u) => URL.canParse(u), 'an http:// or https:// URL that parses');
const Email = z.email('an e-mail address such as dispatch@example.pl');
/** "Name <addr@example.pl>" or a bare address. */
const Mailbox = z
  .string()
  .max(320)
  .refine((s) => {
    const m = /^\s*(?:"?([^"<>]*)"?\s*)?<([^<>\s]+)>\s*$/.exec(s);
    return Email.safeParse(m ? m[2] : s.trim()).success;
  }, 'an e-mail address, optionally with a name: "FleetDesk <fleetdesk@example.pl>"');
const Events = z.array(NotificationEvent).min(1).max(NOTIFICATION_EVENTS.length);
const CustomerIds = z.array(Id).min(1).max(10_000);

export const WebhookEndpoint = z.strictObject({
  /** Names the endpoint in the delivery log and in `POST /api/v1/notifications/test`. */
  id: Id,
  url: HttpUrl,
  /** HMAC-SHA256 key the receiver verifies signatures with. */
  secret: z.string('a secret (the HMAC key receivers verify the X-FleetDesk-Signature with)').min(16).max(512),
  events: Events,
  /** Only notices about these customers (default: all). */
  customers: CustomerIds.optional(),
  /** Language of the rendered `message` in the payload (default: notifications.language). */
  language: Language.optional(),
  /** One attempt gives up after this long (counted as a failed attempt, retried). */
  timeout: Duration.prefault('10s').refine((ms) => ms >= 100 && ms <= 120_000, 'between 100ms and 2m'),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

/** A vendor dispatch list: these addresses get these event kinds (optionally of some customers only). */
export const RecipientList = z.strictObject({
  to: z.array(Email).min(1).max(100),
  events: Events,
  customers: CustomerIds.optional(),
  language: Language.optional(),
});
export type RecipientList = z.infer<typeof RecipientList>;

export const SmtpSettings = z.strictObject({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(587),
  /** true: TLS from the first byte (SMTPS, usually port 465); false: plain, upgraded with STARTTLS when offered. */
  secure: z.boolean().default(false),
  /** With secure: false, refuse to send unless the server upgrades with STARTTLS. */
  requireTls: z.boolean().default(false),
  /** Only for lab setups: accept a server certificate that does not verify. */
  insecureSkipVerify: z.boolean().default(false),
  auth: z.strictObject({ user: z.string().min(1).max(320), password: z.string().min(1).max(1024) }).optional(),
  /** Connection, greeting and socket timeout of one attempt. */
  timeout: Duration.prefault('20s').refine((ms) => ms >= 100 && ms <= 300_000, 'between 100ms and 5m'),
});
export type SmtpSettings = z.infer<typeof SmtpSettings>;

export const EmailSettings = z.strictObject({
  smtp: SmtpSettings,
  from: Mailbox,
  recipients: z.array(RecipientList).max(100).default([]),
});
export type EmailSettings = z.infer<typeof EmailSettings>;

/** Customer-facing notices of one customer (keyed by customer id as in fleet.customers). */
export const CustomerNotifications = z.strictObject({
  to: z.array(Email).max(100).default([]),
  /** Also the ticket's contact person (fleet.customers.<id>.contact.email), when it has one. */
  includeContact: z.boolean().default(true),
  events: Events.default([...CUSTOMER_DEFAULT_EVENTS]),
  language: Language.optional(),
});
export type CustomerNotifications = z.infer<typeof CustomerNotifications>;

export const RetrySettings = z
  .strictObject({
    /** Attempts in all (the first one included); after the last failed one the delivery is "failed". */
    maxAttempts: z.number().int().min(1).max(20).default(8),
    /** Wait before the 2nd attempt; doubled for each further one, up to maxDelay, with jitter. */
    initialDelay: Duration.prefault('30s').refine((ms) => ms >= 10, 'at least 10ms'),
    maxDelay: Duration.prefault('1h'),
  })
  .refine((r) => r.maxDelay >= r.initialDelay, { message: 'maxDelay must not be shorter than initialDelay', path: ['maxDelay'] })
  .prefault({});
export type RetrySettings = z.infer<typeof RetrySettings>;

export const NotificationSettings = z
  .strictObject({
    /** Default language of recipients that do not set one. */
    language: Language.default('pl'),
    /** Time zone of the dates in messages. */
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, 'an IANA time zone such as Europe/Warsaw')
      .default('Europe/Warsaw'),
    /** Link to the dashboard in messages, e.g. https://fleetdesk.example.pl (ticket pages under /dashboard/). */
    dashboardUrl: HttpUrl.optional(),
    webhooks: z.array(WebhookEndpoint).max(100).default([]),
    email: EmailSettings.optional(),
    customers: z.record(Id, CustomerNotifications).default({}),
    /** Customers not listed in `customers`: e.g. `{}` = each ticket's contact person, default events. Unset: none. */
    otherCustomers: CustomerNotifications.optional(),
    retry: RetrySettings,
    /** How often the dispatcher looks for due deliveries (new ones are sent at once as well). */
    dispatchInterval: Duration.prefault('5s').refine((ms) => ms >= 10 && ms <= 600_000, 'between 10ms and 10m'),
    /** Deliveries sent at the same time. */
    concurrency: z.number().int().min(1).max(32).default(4),
  })
  .superRefine((n, ctx) => {
    const seen = new Set<string>();
    n.webhooks.forEach((w, i) => {
      if (seen.has(w.id))
        ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'id'], message: `an id no other endpoint has (${w.id} is used twice)`, input: w.id });
      seen.add(w.id);
    });
    if (!n.email && (Object.keys(n.customers).length > 0 || n.otherCustomers)) {
      ctx.addIssue({
        code: 'custom',
        path: ['email'],
        message: 'an email section (smtp and from) to send the customer notices of notifications.customers / otherCustomers with',
        input: undefined,
      });
    }
  })
  .prefault({});
export type NotificationSettings = z.infer<typeof NotificationSettings>;

/**
 * True when anything is configured to receive notifications. An e-mail section alone counts: the
 * contracts' `customerFixable.notify` addresses are mailed through it.
 */
export function notificationsEnabled(n: NotificationSettings): boolean {
  return n.webhooks.length > 0 || n.email !== undefined;
}
