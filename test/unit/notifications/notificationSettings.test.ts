import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config/loader.js';
import { loadServerConfig } from '../../../server/serverConfig.js';
import { notificationsEnabled } from '../../../server/notifications/notificationSettings.js';

const SECRET = 'whsec-0123456789abcdef';

function configError(text: string): ConfigError {
  try {
    loadServerConfig('server.yaml', {}, { text });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

describe('notifications configuration', () => {
  it('sends nothing by default', () => {
    const c = loadServerConfig(undefined, {});
    expect(c.notifications).toMatchObject({
      language: 'pl',
      timeZone: 'Europe/Warsaw',
      webhooks: [],
      customers: {},
      retry: { maxAttempts: 8, initialDelay: 30_000, maxDelay: 3_600_000 },
    });
    expect(c.notifications.email).toBeUndefined();
    expect(notificationsEnabled(c.notifications)).toBe(false);
  });

  it('reads webhooks, SMTP, dispatch lists and customer addresses, the SMTP password from the environment', () => {
    const text = [
      'notifications:',
      '  language: en',
      '  webhooks:',
      `    - { id: chat, url: "https://hooks.example.pl/fd", secret: ${SECRET}, events: [ticket.opened, sla.breach], customers: [acme], timeout: 5s }`,
      '  email:',
      '    smtp: { host: smtp.example.pl, port: 587, auth: { user: fleetdesk } }',
      '    from: "FleetDesk <fleetdesk@example.pl>"',
      '    recipients:',
      '      - { to: [dispatch@example.pl], events: [ticket.opened, sla.warning, sla.breach, ticket.escalated], language: pl }',
      '  customers:',
      '    acme: { to: [it@acme.example], language: pl }',
      '  retry: { maxAttempts: 5, initialDelay: 10s, maxDelay: 10m }',
      '',
    ].join('\n');
    const c = loadServerConfig('server.yaml', { FLEETDESK_SERVER__NOTIFICATIONS__EMAIL__SMTP__AUTH__PASSWORD: 'smtp-pass' }, { text });
    const n = c.notifications;
    expect(n.webhooks[0]).toMatchObject({ id: 'chat', timeout: 5000, customers: ['acme'] });
    expect(n.email?.smtp).toMatchObject({
      host: 'smtp.example.pl',
      port: 587,
      secure: false,
      requireTls: false,
      auth: { user: 'fleetdesk', password: 'smtp-pass' },
    });
    expect(n.customers.acme).toEqual({
      to: ['it@acme.example'],
      includeContact: true,
      events: ['ticket.opened', 'ticket.resolved', 'customer.contactAttempt'],
      language: 'pl',
    });
    expect(n.retry).toEqual({ maxAttempts: 5, initialDelay: 10_000, maxDelay: 600_000 });
    expect(notificationsEnabled(n)).toBe(true);
  });

  it('names a bad URL with file, line and key', () => {
    const e = configError(`notifications:\n  webhooks:\n    - { id: chat, url: "ftp://x.example/", secret: ${SECRET}, events: [ticket.opened] }\n`);
    expect(e.message).toContain('server.yaml:3');
    expect(e.message).toContain('notifications.webhooks[0].url');
    expect(e.message).toContain('an http:// or https:// URL');
  });

  it('refuses a webhook without a secret, and never prints a secret that is too short', () => {
    const missing = configError('notifications:\n  webhooks:\n    - { id: chat, url: "https://x.example/", events: [ticket.opened] }\n');
    expect(missing.message).toContain('notifications.webhooks[0].secret');
    expect(missing.message).toMatch(/missing/);
    const short = configError('notifications:\n  webhooks:\n    - { id: chat, url: "https://x.example/", secret: tooShortXY, events: [ticket.opened] }\n');
    expect(short.message).toContain('notifications.webhooks[0].secret');
    expect(short.message).not.toContain('tooShortXY');
  });

  it('names an unknown event kind and lists the known ones', () => {
    const e = configError(
      `notifications:\n  webhooks:\n    - { id: chat, url: "https://x.example/", secret: ${SECRET}, events: [ticket.opened, ticket.exploded] }\n`,
    );
    expect(e.message).toContain('notifications.webhooks[0].events[1]');
    expect(e.message).toContain('ticket.exploded');
    expect(e.message).toContain('customer.contactAttempt');
  });

  it('refuses duplicate endpoint ids, bad addresses, customer notices without SMTP and a retry ceiling under its start', () => {
    expect(
      configError(
        `notifications:\n  webhooks:\n    - { id: a, url: "https://x.example/", secret: ${SECRET}, events: [sla.breach] }\n    - { id: a, url: "https://y.example/", secret: ${SECRET}, events: [sla.breach] }\n`,
      ).message,
    ).toContain('(a is used twice)');
    expect(
      configError(
        'notifications:\n  email:\n    smtp: { host: smtp.example.pl }\n    from: fleetdesk@example.pl\n    recipients: [{ to: [not-an-address], events: [sla.breach] }]\n',
      ).message,
    ).toContain('notifications.email.recipients[0].to[0]');
    expect(configError('notifications:\n  email:\n    smtp: { host: smtp.example.pl }\n    from: "Fleet <nope>"\n').message).toContain(
      'notifications.email.from',
    );
    expect(configError('notifications:\n  customers:\n    acme: { to: [it@acme.example] }\n').message).toContain(
      'notifications.email: expected an email section (smtp and from)',
    );
    expect(configError('notifications:\n  retry: { initialDelay: 1h, maxDelay: 1m }\n').message).toContain('notifications.retry.maxDelay');
    expect(configError('notifications:\n  timeZone: Mars/Olympus\n').message).toContain('an IANA time zone');
  });
});
