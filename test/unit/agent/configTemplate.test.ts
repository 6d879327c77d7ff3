import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentConfig } from '../../../agent/agentConfig.js';
import { renderAgentConfig, TemplateError } from '../../../agent/setup/configTemplate.js';
import { loadConfig } from '../../../shared/config/loader.js';
import { REPO_ROOT } from '../../harness/repo.js';

const template = readFileSync(join(REPO_ROOT, 'docs', 'agent.example.yaml'), 'utf8');
const answers = {
  tenant: 'acme-pl',
  agentId: 'krakow',
  brokerUrl: 'mqtt://10.0.0.5:1883',
  devices: ['10.1.2.30', 'ipp://10.1.2.40:631/ipp/print'],
  ranges: ['10.1.2.0/24'],
  traps: false,
};

describe('agent init: config from the template', () => {
  it('fills the answers in, keeps the comments, and the loader accepts it', () => {
    const text = renderAgentConfig(template, answers);
    const config = loadConfig(AgentConfig, { file: 'agent.yaml', text });
    expect(config.tenant).toBe('acme-pl');
    expect(config.broker.username).toBe('acme-pl/krakow');
    expect(config.broker.ca).toBeUndefined();
    expect(config.broker.protocolVersion).toBeUndefined();
    expect(config.devices.map((d) => d.address)).toEqual(answers.devices);
    expect(config.discovery.ranges).toEqual(['10.1.2.0/24']);
    expect(config.traps.enabled).toBe(false);
    expect(text).toContain('# polls a fault must be seen before fault.raised');
    // The hint above the removed CA line stays.
    expect(text).toContain('# password: set FLEETDESK_AGENT__BROKER__PASSWORD');
    expect(text).not.toContain('warsaw-hq.');
  });

  it('writes the broker version, CA, communities, outbox and health address when given', () => {
    const text = renderAgentConfig(template, {
      ...answers,
      username: 'other/name',
      ca: '/etc/fleetdesk/ca.pem',
      protocolVersion: 4,
      communities: ['c1', 'c2'],
      outboxDir: '/srv/outbox',
      healthListen: '127.0.0.1:9999',
      traps: true,
      devices: [],
      ranges: [],
    });
    const config = loadConfig(AgentConfig, { file: 'agent.yaml', text });
    expect(config.broker).toMatchObject({ username: 'other/name', ca: '/etc/fleetdesk/ca.pem', protocolVersion: 4 });
    expect(config.snmp.credentials).toEqual([
      { version: '2c', community: 'c1' },
      { version: '2c', community: 'c2' },
    ]);
    expect(config.outbox.dir).toBe('/srv/outbox');
    expect(config.health.listen).toBe('127.0.0.1:9999');
    expect(config.traps.enabled).toBe(true);
    expect(config.devices).toEqual([]);
  });

  it('refuses a template that is not a mapping', () => {
    expect(() => renderAgentConfig('- a\n- b\n', answers)).toThrow(TemplateError);
  });
});
