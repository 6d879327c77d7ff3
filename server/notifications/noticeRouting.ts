/**
 * Who hears about a notice (pure): webhook endpoints and vendor dispatch lists whose event kinds
 * (and optional customer filter) match, and the customer's own contact addresses for the
 * customer-facing kinds configured for that customer. One target per endpoint and per address:
 * an address on several lists gets one message (the first match decides its language, vendor
 * lists before customer addresses). Escalation notices go to the dispatch lists that subscribe to
 * them unless the contract leaves dispatch out, and to the contract's manager address. A
 * customer-fixable notice goes to the addresses its contract names (`customerEmails`), besides
 * the webhooks and lists that subscribe to it.
 */
import type { Language, NotificationEvent, NotificationSettings } from './notificationSettings.js';

export type Target =
  | { readonly channel: 'webhook'; readonly endpoint: string; readonly language: Language }
  | { readonly channel: 'email'; readonly to: string; readonly language: Language; readonly audience: 'vendor' | 'customer' };

export interface RoutedNotice {
  readonly kind: NotificationEvent;
  readonly customerId: string;
  /** The ticket's contact e-mail (fleet.customers.<id>.contact.email at the time the ticket opened). */
  readonly contactEmail?: string | undefined;
  /** escalation.*: false when the contract does not notify the dispatch lists. */
  readonly notifyDispatch?: boolean | undefined;
  /** escalation.*: the contract's manager address. */
  readonly managerEmail?: string | undefined;
  /** device.customerFixable: the customer's addresses its contract names (customerFixable.notify). */
  readonly customerEmails?: readonly string[] | undefined;
}

function matches(filter: { events: readonly NotificationEvent[]; customers?: readonly string[] | undefined }, n: RoutedNotice): boolean {
  return filter.events.includes(n.kind) && (filter.customers === undefined || filter.customers.includes(n.customerId));
}

export function routeNotice(n: RoutedNotice, s: NotificationSettings): Target[] {
  const out: Target[] = [];
  for (const w of s.webhooks) {
    if (matches(w, n)) out.push({ channel: 'webhook', endpoint: w.id, language: w.language ?? s.language });
  }
  if (!s.email) return out;
  const seen = new Set<string>();
  const mail = (to: string, language: Language, audience: 'vendor' | 'customer') => {
    const key = to.trim().toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ channel: 'email', to: to.trim(), language, audience });
  };
  if (n.notifyDispatch !== false) {
    for (const list of s.email.recipients) {
      if (matches(list, n)) for (const to of list.to) mail(to, list.language ?? s.language, 'vendor');
    }
  }
  if (n.managerEmail) mail(n.managerEmail, s.language, 'vendor');
  const customer = Object.hasOwn(s.customers, n.customerId) ? s.customers[n.customerId] : s.otherCustomers;
  for (const to of n.customerEmails ?? []) mail(to, customer?.language ?? s.language, 'customer');
  if (customer && customer.events.includes(n.kind)) {
    const language = customer.language ?? s.language;
    for (const to of customer.to) mail(to, language, 'customer');
    if (customer.includeContact && n.contactEmail) mail(n.contactEmail, language, 'customer');
  }
  return out;
}
