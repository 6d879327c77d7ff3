import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../agent/agentConfig.js';
import { ConfigError } from '../../../shared/config/loader.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-config-'));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const minimal = `tenant: acme
agentId: krakow-office
broker:
  url: mqtts://broker.example.net:8883
  username: krakow
  password: s3cret-pass
`;

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('agent configuration', () => {
  it('applies defaults to a minimal file', () => {
    const cfg = loadAgentConfig(write('ok.yaml', minimal), { env: {} });
    expect(cfg.tenant).toBe('acme');
    expect(cfg.polling.interval).toBe(60_000);
    expect(cfg.snmp.timeout).toBe(2_000);
    expect(cfg.outbox.maxBytes).toBe(256 * 1024 * 1024);
    expect(cfg.hysteresis).toMatchObject({ raiseAfter: 2, clearAfter: 2 });
    expect(cfg.snmp.credentials).toEqual([{ version: '2c', community: 'public' }]);
  });

  it('wrong type: names file, line, key path, expectation and the value found', () => {
    const file = write('type.yaml', `${minimal}polling:\n  concurrency: lots\n`);
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems).toHaveLength(1);
    const p = err.problems[0]!;
    expect(p.where).toBe(`${file}:8:16`);
    expect(p.path).toBe('polling.concurrency');
    expect(p.expected).toBe('number');
    expect(p.found).toBe('string "lots"');
    expect(err.message).toContain(`${file}:8:16: polling.concurrency: expected number, found string "lots"`);
  });

  it('two devices with one id (two communities at one host:port): the second is named, the community is not shown', () => {
    const file = write(
      'dup-device.yaml',
      `${minimal}devices:\n  - { address: "snmp://konica@127.0.0.1:21161" }\n  - { address: "snmp://sharp-secret@127.0.0.1:21161" }\n  - { address: "snmp://sharp-secret@127.0.0.1:21161", id: sharp }\n`,
    );
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ path: 'devices[1].address', where: `${file}:9:16` });
    expect(err.message).toContain('device id "127.0.0.1_21161" is also the id of devices[0]');
    expect(err.message).not.toContain('sharp-secret');
    // Each with its own id: both polled.
    const ok = loadAgentConfig(
      write(
        'ids.yaml',
        `${minimal}devices:\n  - { address: "snmp://konica@127.0.0.1:21161", id: konica }\n  - { address: "snmp://sharp@127.0.0.1:21161", id: sharp }\n`,
      ),
      { env: {} },
    );
    expect(ok.devices.map((d) => d.id)).toEqual(['konica', 'sharp']);
  });

  it('unknown key: names the key and where it is', () => {
    const file = write('unknown.yaml', `${minimal}polling:\n  intervall: 30s\n`);
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems[0]).toMatchObject({ where: `${file}:8:3`, path: 'polling.intervall', expected: 'no such key' });
    expect(err.message).toContain('unknown key "polling.intervall"');
  });

  it('missing required key: names the key and says nothing was there', () => {
    const file = write('missing.yaml', minimal.replace('agentId: krakow-office\n', ''));
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems[0]).toMatchObject({ path: 'agentId', expected: 'string', found: 'nothing (missing)' });
    expect(err.problems[0]!.where).toMatch(new RegExp(`^${file}:\\d+:\\d+$`));
  });

  it('bad YAML: names the line and column of the syntax error', () => {
    const file = write('syntax.yaml', 'tenant: acme\nbroker:\n  url: [unclosed\n');
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems[0]!.message).toMatch(/^YAML syntax error/);
    expect(err.problems[0]!.where).toMatch(new RegExp(`^${file}:\\d+:\\d+$`));
  });

  it('duplicate keys are a YAML error, not a silent override', () => {
    const file = write('dup.yaml', `${minimal}tenant: other\n`);
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems[0]!.message).toMatch(/unique|duplicate/i);
  });

  it('a file that is not a mapping is refused', () => {
    const file = write('list.yaml', '- a\n- b\n');
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems[0]!.message).toMatch(/must be a YAML mapping/);
  });

  it('a missing file is named', () => {
    const err = errorOf(() => loadAgentConfig(join(dir, 'nope.yaml'), { env: {} }));
    expect(err.message).toMatch(/nope\.yaml: cannot read the file: no such file/);
  });

  it('bad duration and CIDR values say what form is expected', () => {
    const file = write('forms.yaml', `${minimal}polling:\n  interval: 5 minutes\ndiscovery:\n  ranges: [10.0.0.0/33]\n`);
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    const paths = err.problems.map((p) => p.path).sort();
    expect(paths).toEqual(['discovery.ranges[0]', 'polling.interval']);
    expect(err.message).toMatch(/discovery\.ranges\[0\]: expected .*CIDR/);
  });

  it('environment overrides win and are named when wrong', () => {
    const file = write('env.yaml', minimal);
    const cfg = loadAgentConfig(file, {
      env: {
        FLEETDESK_AGENT__POLLING__INTERVAL: '30s',
        FLEETDESK_AGENT__BROKER__URL: 'mqtt://127.0.0.1:1883',
        FLEETDESK_AGENT__POLLING__UNREACHABLE_AFTER: '5',
      },
    });
    expect(cfg.polling.interval).toBe(30_000);
    expect(cfg.polling.unreachableAfter).toBe(5);
    expect(cfg.broker.url).toBe('mqtt://127.0.0.1:1883');

    const err = errorOf(() => loadAgentConfig(file, { env: { FLEETDESK_AGENT__POLLING__CONCURRENCY: 'many' } }));
    expect(err.problems[0]).toMatchObject({ where: 'environment FLEETDESK_AGENT__POLLING__CONCURRENCY', path: 'polling.concurrency' });
  });

  it('refuses prototype keys from the environment', () => {
    const err = errorOf(() => loadAgentConfig(write('proto.yaml', minimal), { env: { FLEETDESK_AGENT____PROTO____X: '1' } }));
    expect(err.message).toMatch(/forbidden key __proto__|unknown key/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('never shows a secret value in an error', () => {
    const file = write('secret.yaml', minimal.replace('password: s3cret-pass', 'password: [s3cret-pass]'));
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems[0]!.path).toBe('broker.password');
    expect(err.message).not.toContain('s3cret-pass');
    expect(err.message).toContain('secret, not shown');
  });

  it('reports every problem at once, not just the first', () => {
    const file = write('many.yaml', 'tenant: "bad tenant"\nagentId: 7\nbroker: {url: "http://x"}\n');
    const err = errorOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems.map((p) => p.path).sort()).toEqual(['agentId', 'broker.url', 'tenant']);
  });
});
