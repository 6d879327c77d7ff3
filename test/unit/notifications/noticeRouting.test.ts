import { describe, expect, it } from 'vitest';
import { routeNotice } from '../../../server/notifications/noticeRouting.js';
import { NotificationSettings } from '../../../server/notifications/notificationSettings.js';

const SECRET = 'whsec-0123456789abcdef';
const RAW = {
  language: 'pl',
  webhooks: [
    { id: 'all', url: 'https://hooks.example/all', secret: SECRET, events: ['ticket.opened', 'sla.breach'] },
    { id: 'acme-only', url: 'https://hooks.example/acme', secret: SECRET, events: ['ticket.opened'], customers: ['acme'], language: 'en' },
  ],
  email: {
    smtp: { host: 'smtp.example.pl' },
    from: 'FleetDesk <fleetdesk@example.pl>',
    recipients: [
      { to: ['dispatch@example.pl', 'boss@example.pl'], events: ['ticket.opened', 'sla.warning', 'sla.breach', 'ticket.escalated'] },
      { to: ['en-desk@example.com', 'Dispatch@example.pl'], events: ['sla.breach'], language: 'en' },
      { to: ['globex-desk@example.pl'], events: ['ticket.opened'], customers: ['globex'] },
    ],
  },
  customers: { acme: { to: ['it@acme.example'], language: 'en' }, quiet: { to: ['x@quiet.example'], includeContact: false, events: ['ticket.resolved'] } },
};
const settings = NotificationSettings.parse(RAW);

const targets = (kind: Parameters<typeof routeNotice>[0]['kind'], customerId: string, contactEmail?: string) =>
  routeNotice({ kind, customerId, contactEmail }, settings);

describe('notice routing', () => {
  it('sends a new acme ticket to both webhooks, the dispatch list and the customer (its addresses and its contact)', () => {
    expect(targets('ticket.opened', 'acme', 'jan@acme.example')).toEqual([
      { channel: 'webhook', endpoint: 'all', language: 'pl' },
      { channel: 'webhook', endpoint: 'acme-only', language: 'en' },
      { channel: 'email', to: 'dispatch@example.pl', language: 'pl', audience: 'vendor' },
      { channel: 'email', to: 'boss@example.pl', language: 'pl', audience: 'vendor' },
      { channel: 'email', to: 'it@acme.example', language: 'en', audience: 'customer' },
      { channel: 'email', to: 'jan@acme.example', language: 'en', audience: 'customer' },
    ]);
  });

  it('applies the customer filters of endpoints and lists', () => {
    const globex = targets('ticket.opened', 'globex').map((t) => (t.channel === 'webhook' ? t.endpoint : t.to));
    expect(globex).toEqual(['all', 'dispatch@example.pl', 'boss@example.pl', 'globex-desk@example.pl']);
  });

  it('keeps vendor-internal kinds from customers and gives an address on two lists one message', () => {
    const breach = targets('sla.breach', 'acme', 'jan@acme.example');
    expect(breach.filter((t) => t.channel === 'email' && t.audience === 'customer')).toEqual([]);
    const emails = breach.filter((t) => t.channel === 'email').map((t) => (t.channel === 'email' ? `${t.to}/${t.language}` : ''));
    // Dispatch@example.pl is on the second list too (another case): one message, in the first list's language.
    expect(emails).toEqual(['dispatch@example.pl/pl', 'boss@example.pl/pl', 'en-desk@example.com/en']);
  });

  it('sends customer contact attempts only to that customer', () => {
    expect(targets('customer.contactAttempt', 'acme', 'jan@acme.example')).toEqual([
      { channel: 'email', to: 'it@acme.example', language: 'en', audience: 'customer' },
      { channel: 'email', to: 'jan@acme.example', language: 'en', audience: 'customer' },
    ]);
    expect(targets('customer.contactAttempt', 'globex', 'anna@globex.example')).toEqual([]);
  });

  it('honours a customer’s own event list and includeContact: false', () => {
    expect(targets('ticket.opened', 'quiet', 'boss@quiet.example').filter((t) => t.channel === 'email' && t.audience === 'customer')).toEqual([]);
    expect(targets('ticket.resolved', 'quiet', 'boss@quiet.example')).toEqual([
      { channel: 'email', to: 'x@quiet.example', language: 'pl', audience: 'customer' },
    ]);
  });

  it('reaches every other customer’s contact through otherCustomers', () => {
    const withDefault = NotificationSettings.parse({ ...RAW, webhooks: [], otherCustomers: {} });
    expect(routeNotice({ kind: 'customer.contactAttempt', customerId: 'globex', contactEmail: 'anna@globex.example' }, withDefault)).toEqual([
      { channel: 'email', to: 'anna@globex.example', language: 'pl', audience: 'customer' },
    ]);
    expect(routeNotice({ kind: 'customer.contactAttempt', customerId: 'globex' }, withDefault)).toEqual([]);
  });

  it('escalation notices: dispatch lists that subscribe, unless the contract leaves dispatch out, and the contract manager', () => {
    const withEscalation = NotificationSettings.parse({
      ...RAW,
      webhooks: [],
      email: { ...RAW.email, recipients: [{ to: ['dispatch@example.pl'], events: ['escalation.warning', 'escalation.breach'] }] },
    });
    const route = (notifyDispatch: boolean, managerEmail?: string) =>
      routeNotice({ kind: 'escalation.warning', customerId: 'acme', contactEmail: 'jan@acme.example', notifyDispatch, managerEmail }, withEscalation);
    expect(route(true, 'kierownik@example.pl')).toEqual([
      { channel: 'email', to: 'dispatch@example.pl', language: 'pl', audience: 'vendor' },
      { channel: 'email', to: 'kierownik@example.pl', language: 'pl', audience: 'vendor' },
    ]);
    expect(route(false, 'kierownik@example.pl')).toEqual([{ channel: 'email', to: 'kierownik@example.pl', language: 'pl', audience: 'vendor' }]);
    expect(route(true)).toEqual([{ channel: 'email', to: 'dispatch@example.pl', language: 'pl', audience: 'vendor' }]);
  });

  it('routes nothing when nothing is configured', () => {
    expect(routeNotice({ kind: 'ticket.opened', customerId: 'acme', contactEmail: 'jan@acme.example' }, NotificationSettings.parse({}))).toEqual([]);
  });
});
