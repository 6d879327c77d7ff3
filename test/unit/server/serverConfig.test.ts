import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config/loader.js';
import { loadServerConfig, ticketPolicyOf } from '../../../server/serverConfig.js';
import { DEFAULT_POLICY } from '../../../server/tickets/ticketPolicy.js';

describe('server configuration', () => {
  it('runs on embedded defaults without a file', () => {
    const c = loadServerConfig(undefined, {});
    expect(c.broker.external).toBeUndefined();
    expect(c.broker.embedded).toMatchObject({ host: '127.0.0.1', port: 1883, allowAnonymous: false });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.storage).toMatchObject({ kind: 'lowdb', commitDelay: 0, compactJournal: 32 * 1024 * 1024 });
    expect(c.impact.rules.at(-1)!.id).toBe('warning');
    expect(c.ingest.agentStaleAfter).toBe(300_000);
  });

  it('switches to an external broker with a shared-subscription group from the environment', () => {
    const c = loadServerConfig(undefined, {
      FLEETDESK_SERVER__BROKER__EXTERNAL__URL: 'mqtt://broker.example:1883',
      FLEETDESK_SERVER__BROKER__EXTERNAL__SHARE_GROUP: 'fleetdesk',
    });
    expect(c.broker.external).toMatchObject({ url: 'mqtt://broker.example:1883', shareGroup: 'fleetdesk', receiveMaximum: 4096 });
  });

  it('takes an agent partition (index from the environment) and names what is wrong with one', () => {
    const yaml = (partition: string, shareGroup = '    shareGroup: fleetdesk') =>
      ['broker:', '  external:', '    url: mqtt://broker.example:1883', shareGroup, `    partition: ${partition}`, ''].join('\n');
    const c = loadServerConfig('server.yaml', { FLEETDESK_SERVER__BROKER__EXTERNAL__PARTITION__INDEX: '2' }, { text: yaml('{ count: 3, index: 0 }') });
    expect(c.broker.external?.partition).toEqual({ count: 3, index: 2 });
    const failure = (text: string): string => {
      try {
        loadServerConfig('server.yaml', {}, { text });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(failure(yaml('{ count: 3, index: 3 }'))).toContain(
      'broker.external.partition.index: expected a partition from 0 to 2 (numbered from 0, below count 3), found number 3',
    );
    expect(failure(yaml('{ count: 0, index: 0 }'))).toContain('broker.external.partition.count');
    expect(failure(yaml('{ count: 2 }'))).toContain('broker.external.partition.index');
    expect(failure(yaml('{ count: 2, index: 1 }', '    receiveMaximum: 100'))).toContain('broker.external.shareGroup: expected a shareGroup with partition');
  });

  it('names file, line and key of a bad value, and validates impact rules and the fleet mapping', () => {
    const text = [
      'http:',
      '  port: 99999',
      'impact:',
      '  rules:',
      '    - id: only',
      '      level: urgent',
      'fleet:',
      '  sites:',
      '    hq: { name: HQ, customer: nobody, agents: [acme/a1] }',
      '',
    ].join('\n');
    let error: ConfigError | undefined;
    try {
      loadServerConfig('server.yaml', {}, { text });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = error!.message;
    expect(message).toContain('server.yaml:2:9');
    expect(message).toContain('http.port');
    expect(message).toContain('impact.rules[0].level');
  });

  it('refuses a site that names an unknown customer', () => {
    expect(() => loadServerConfig('server.yaml', {}, { text: 'fleet:\n  sites:\n    hq: { name: HQ, customer: nobody, agents: [acme/a1] }\n' })).toThrow(
      /customer nobody, which is not in fleet.customers/,
    );
  });

  it('reads the ticket rule windows as durations; the defaults are the ticket policy defaults', () => {
    expect(ticketPolicyOf(loadServerConfig(undefined, {}).tickets)).toEqual(DEFAULT_POLICY);
    const text = ['tickets:', '  quietPeriod: 20s', '  reopenWindow: 2h', '  relatedWindow: 90s', '  agentOfflineGrace: 3m', ''].join('\n');
    expect(ticketPolicyOf(loadServerConfig('server.yaml', {}, { text }).tickets)).toEqual({
      quietPeriodMs: 20_000,
      reopenWindowMs: 7_200_000,
      relatedWindowMs: 90_000,
      agentOfflineGraceMs: 180_000,
    });
    expect(loadServerConfig(undefined, { FLEETDESK_SERVER__TICKETS__AGENT_OFFLINE_GRACE: '1m' }).tickets.agentOfflineGrace).toBe(60_000);
  });

  it('names file, line and key of a bad ticket window', () => {
    const messageOf = (text: string): string => {
      try {
        loadServerConfig('server.yaml', {}, { text });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('the configuration was accepted');
    };
    const bad = messageOf(['tickets:', '  defaultContract: device-vendor', '  quietPeriod: soon', ''].join('\n'));
    expect(bad).toContain('server.yaml:3:16');
    expect(bad).toContain('tickets.quietPeriod');
    expect(bad).toContain('a duration such as');
    const tooLong = messageOf(['tickets:', '  agentOfflineGrace: 2d', ''].join('\n'));
    expect(tooLong).toContain('server.yaml:2:22');
    expect(tooLong).toContain('tickets.agentOfflineGrace');
    expect(tooLong).toContain('at most 1d');
    expect(messageOf('tickets:\n  reopenWindow: -5m\n')).toContain('tickets.reopenWindow');
    // Below the 30 s in which instances store an agent's last-seen time, a reporting agent would go offline.
    const tooShort = messageOf('ingest:\n  agentStaleAfter: 20s\n');
    expect(tooShort).toContain('ingest.agentStaleAfter');
    expect(tooShort).toContain('between 1m and 7d');
  });
});
