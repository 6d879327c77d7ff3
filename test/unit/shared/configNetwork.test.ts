import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../agent/agentConfig.js';
import { loadServerConfig } from '../../../server/serverConfig.js';
import { ConfigError } from '../../../shared/config/loader.js';
import { cidrProblem, hostProblem, isLoopbackHost, parseHostPort } from '../../../shared/config/network.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-network-'));
const agentBase = 'tenant: acme\nagentId: a1\nbroker:\n  url: mqtt://127.0.0.1:1883\n';

function problemsOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function agentFile(name: string, extra: string): string {
  const file = join(dir, name);
  writeFileSync(file, agentBase + extra);
  return file;
}

describe('network values in configuration', () => {
  it.each([
    ['10.1.2.300/24', /10\.1\.2\.300 is not an IPv4 address/],
    ['256.256.256.256/32', /256\.256\.256\.256 is not an IPv4 address/],
    ['10.0.0.0/0', /prefix \/0 covers 4294967296 addresses/],
    ['10.0.0.0/33', /prefix \/33 is longer than \/32/],
    ['10.1.2.0', /expected an IPv4 range in CIDR form .*is not address\/prefix/],
  ])('refuses the discovery range %s with file:line', (range, why) => {
    const file = agentFile(`range-${range.replace(/\W/g, '_')}.yaml`, `discovery:\n  ranges:\n    - ${range}\n`);
    const err = problemsOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]!.where).toBe(`${file}:7:7`);
    expect(err.problems[0]!.path).toBe('discovery.ranges[0]');
    expect(err.message).toMatch(why);
  });

  it('accepts ranges from /16 to /32', () => {
    const file = agentFile('ranges-ok.yaml', 'discovery:\n  ranges: [10.1.0.0/16, 10.1.2.0/24, 10.1.2.7/32]\n');
    expect(loadAgentConfig(file, { env: {} }).discovery.ranges).toEqual(['10.1.0.0/16', '10.1.2.0/24', '10.1.2.7/32']);
  });

  it('refuses a device address that is no IPv4 address, and a port outside 1-65535, with file:line', () => {
    const file = agentFile('devices.yaml', 'devices:\n  - address: 999.1.1.1\n  - address: 10.0.0.5:99999\n  - address: printer-3.office.example\n');
    const err = problemsOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems.map((p) => [p.where, p.path])).toEqual([
      [`${file}:6:14`, 'devices[0].address'],
      [`${file}:7:14`, 'devices[1].address'],
    ]);
    expect(err.message).toMatch(/999\.1\.1\.1 is not an IPv4 address/);
    expect(err.message).toMatch(/port 99999 is outside 1-65535/);
  });

  it('refuses listen addresses with a bad host or port', () => {
    const file = agentFile('listen.yaml', 'health:\n  listen: 127.0.0.1:99999\ntraps:\n  listen: 300.0.0.1:162\n');
    const err = problemsOf(() => loadAgentConfig(file, { env: {} }));
    expect(err.problems.map((p) => p.path).sort()).toEqual(['health.listen', 'traps.listen']);
    expect(err.message).toMatch(/port 99999 is outside 1-65535/);
    expect(err.message).toMatch(/300\.0\.0\.1 is not an IPv4 address/);
  });

  it('refuses a server host that is no address, and ports outside 0-65535', () => {
    const err = problemsOf(() =>
      loadServerConfig('server.yaml', {}, { text: 'http:\n  host: 999.1.1.1\n  port: 99999\nbroker:\n  embedded:\n    host: 10.0.0.256\n' }),
    );
    expect(err.problems.map((p) => [p.where, p.path])).toEqual([
      ['server.yaml:2:9', 'http.host'],
      ['server.yaml:3:9', 'http.port'],
      ['server.yaml:6:11', 'broker.embedded.host'],
    ]);
  });

  it('refuses references to unknown contracts with file:line', () => {
    const text = [
      'contracts: []',
      'tickets:',
      '  defaultContract: gold',
      'fleet:',
      '  customers:',
      '    acme: { name: ACME, contract: platinum, tenants: [acme] }',
      '',
    ].join('\n');
    const err = problemsOf(() => loadServerConfig('server.yaml', {}, { text }));
    expect(err.problems.map((p) => [p.where, p.path])).toEqual([
      ['server.yaml:3:20', 'tickets.defaultContract'],
      ['server.yaml:6:35', 'fleet.customers.acme.contract'],
    ]);
    expect(err.message).toMatch(/tickets.defaultContract: expected a known contract \(.*device-vendor.*\); "gold" is not one/);
  });

  it('accepts a customer contract defined in the same file', () => {
    const ok = loadServerConfig('server.yaml', {}, { text: 'fleet:\n  customers:\n    acme: { name: ACME, contract: device-vendor, tenants: [acme] }\n' });
    expect(ok.fleet.customers.acme!.contract).toBe('device-vendor');
  });

  it('refuses anonymous access on a network address unless allowAnonymousOnNetwork is set', () => {
    const open = 'broker:\n  embedded:\n    host: 0.0.0.0\n    allowAnonymous: true\n';
    const err = problemsOf(() => loadServerConfig('server.yaml', {}, { text: open }));
    expect(err.problems.map((p) => p.path)).toEqual(['broker.embedded.allowAnonymous']);
    expect(err.message).toMatch(/on 0\.0\.0\.0: anonymous access there lets anyone on the network publish/);
    expect(loadServerConfig('server.yaml', {}, { text: `${open}    allowAnonymousOnNetwork: true\n` }).broker.embedded.allowAnonymous).toBe(true);
    expect(loadServerConfig('server.yaml', {}, { text: 'broker:\n  embedded:\n    allowAnonymous: true\n' }).broker.embedded.host).toBe('127.0.0.1');
  });

  it('classifies hosts, ranges and host:port', () => {
    expect(hostProblem('10.1.2.3')).toBeUndefined();
    expect(hostProblem('::1')).toBeUndefined();
    expect(hostProblem('broker.example.net')).toBeUndefined();
    expect(hostProblem('1.2.3')).toMatch(/not an IPv4 address/);
    expect(hostProblem('bad_host!')).toMatch(/not a host name/);
    expect(cidrProblem('192.168.0.0/16')).toBeUndefined();
    expect(parseHostPort('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('127.0.0.1:65536')).toEqual({ error: 'port 65536 is outside 1-65535 (or 0: any free port)' });
    expect([isLoopbackHost('127.0.0.1'), isLoopbackHost('127.1.2.3'), isLoopbackHost('::1'), isLoopbackHost('0.0.0.0'), isLoopbackHost('10.0.0.1')]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('refuses a YAML alias bomb with a config error, not a stack trace', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [prev, name] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
      ['f', 'g'],
    ] as const)
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    const err = problemsOf(() => loadServerConfig('bomb.yaml', {}, { text: `${levels.join('\n')}\n` }));
    expect(err.problems.map((p) => p.where)).toEqual(['bomb.yaml']);
    expect(err.problems[0]!.message).toMatch(/YAML aliases expand too much/);
  });
});
