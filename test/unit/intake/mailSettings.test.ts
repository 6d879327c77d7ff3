import { describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../../server/serverConfig.js';
import { ConfigError } from '../../../shared/config/loader.js';

function problemText(text: string): string {
  try {
    loadServerConfig('server.yaml', {}, { text });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a configuration error');
}

const FLEET = 'fleet:\n  customers:\n    acme:\n      name: Acme\n      tenants: [acme]\n';

describe('intake.mail settings', () => {
  it('fills defaults and reads durations and sizes', () => {
    const c = loadServerConfig(
      'server.yaml',
      {},
      {
        text: `${FLEET}intake:\n  mail:\n    host: imap.example.com\n    user: desk\n    password: s3cret-pass\n    senders:\n      acme: ["@ACME.example"]\n`,
      },
    );
    expect(c.intake.mail).toMatchObject({
      host: 'imap.example.com',
      tls: true,
      requireTls: true,
      mailbox: 'INBOX',
      pollInterval: 60_000,
      maxMessageBytes: 10 * 1024 * 1024,
      impact: 'medium',
      senders: { acme: ['@acme.example'] },
    });
    expect(loadServerConfig('server.yaml', {}, { text: FLEET }).intake.mail).toBeUndefined();
  });

  it('refuses unknown customers, an address given to two customers and bad values, with positions and without the password', () => {
    const text = [
      'fleet:',
      '  customers:',
      '    acme: { name: Acme, tenants: [acme] }',
      '    globex: { name: Globex, tenants: [globex] }',
      'intake:',
      '  mail:',
      '    host: imap.example.com',
      '    user: desk',
      '    password: very-secret-pw',
      '    pollInterval: 1s',
      '    senders:',
      '      acme: ["@shared.example"]',
      '      globex: ["@shared.example", "not an address"]',
      '      nobody: [x@y.example]',
      '',
    ].join('\n');
    const message = problemText(text);
    expect(message).toContain('server.yaml:10:');
    expect(message).toMatch(/intake\.mail\.pollInterval: .*between 5s and 1d/);
    expect(message).toMatch(/intake\.mail\.senders\.globex\[1\]: .*an e-mail address \(jan@firma\.pl\) or a domain \(@firma\.pl\)/);
    expect(message).not.toContain('very-secret-pw');
  });

  it('refuses a sender list of a customer that does not exist', () => {
    const message = problemText(
      `${FLEET}intake:\n  mail:\n    host: imap.example.com\n    user: desk\n    password: pw-123456\n    senders:\n      nobody: [x@y.example]\n`,
    );
    expect(message).toMatch(/intake\.mail\.senders\.nobody: .*a customer of fleet\.customers/);
  });

  it('refuses one address for two customers', () => {
    const message = problemText(
      `fleet:\n  customers:\n    acme: { name: Acme, tenants: [acme] }\n    globex: { name: Globex, tenants: [globex] }\nintake:\n  mail:\n    host: imap.example.com\n    user: desk\n    password: pw-123456\n    senders:\n      acme: ["@shared.example"]\n      globex: ["@shared.example"]\n`,
    );
    expect(message).toMatch(
      /server\.yaml:\d+:\d+: intake\.mail\.senders\.globex\[0\]: expected an address or domain of one customer only \(@shared\.example is already given to customer acme\)/,
    );
  });
});
