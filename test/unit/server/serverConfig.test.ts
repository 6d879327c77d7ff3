import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config/loader.js';
import { loadServerConfig } from '../../../server/serverConfig.js';

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
    const c = loadServerConfig(undefined, { FLEETDESK_SERVER__BROKER__EXTERNAL__URL: 'mqtt://broker.example:1883', FLEETDESK_SERVER__BROKER__EXTERNAL__SHARE_GROUP: 'fleetdesk' });
    expect(c.broker.external).toMatchObject({ url: 'mqtt://broker.example:1883', shareGroup: 'fleetdesk', receiveMaximum: 4096 });
  });

  it('names file, line and key of a bad value, and validates impact rules and the fleet mapping', () => {
    const text = ['http:', '  port: 99999', 'impact:', '  rules:', '    - id: only', '      level: urgent', 'fleet:', '  sites:', '    hq: { name: HQ, customer: nobody, agents: [acme/a1] }', ''].join('\n');
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
    expect(() => loadServerConfig('server.yaml', {}, { text: 'fleet:\n  sites:\n    hq: { name: HQ, customer: nobody, agents: [acme/a1] }\n' })).toThrow(/customer nobody, which is not in fleet.customers/);
  });
});
