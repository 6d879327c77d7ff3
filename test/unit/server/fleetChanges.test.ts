import { describe, expect, it } from 'vitest';
import type { DeviceContext } from '../../../server/events/fleetEvents.js';
import { agentOfflineEvent, fleetEventsOf } from '../../../server/fleet/fleetChanges.js';
import { applyDeviceEvent, applyDeviceState } from '../../../server/fleet/fleetState.js';
import { DEFAULT_IMPACT_SETTINGS, ImpactSettings } from '../../../server/impact/impactRules.js';
import { fault, raisedMsg, stateMsg } from './wireFixtures.js';

const NOW = '2026-01-05T08:00:30.000Z';
const place = { key: 'acme/sn:sn-1', customerId: 'acme', siteId: 'hq' };
const customer = { id: 'acme', name: 'ACME', contract: 'device-vendor', contact: undefined };
const ctx = (o: Partial<DeviceContext> = {}): DeviceContext => ({
  deviceKey: place.key,
  tenant: 'acme',
  agentId: 'a1',
  agentDeviceId: 'p1',
  siteId: 'hq',
  siteName: 'HQ',
  customer,
  identity: { serial: 'SN-1' },
  address: undefined,
  critical: false,
  onlyDeviceOnSite: false,
  ...o,
});

describe('fleet changes → fleet events (the one step that classifies impact)', () => {
  it('one event per change, ids from the message, impact on faults and outages with the device context', () => {
    const dev = applyDeviceState(undefined, stateMsg('acme', 'a1', 'p1'), place, NOW).device;
    const t = applyDeviceEvent(dev, raisedMsg('acme', 'a1', 'p1', fault('jam')), place, NOW);
    const [alone] = fleetEventsOf(t.changes, t.device, ctx({ onlyDeviceOnSite: true }), DEFAULT_IMPACT_SETTINGS, 'm1', NOW);
    const [withOthers] = fleetEventsOf(t.changes, t.device, ctx(), DEFAULT_IMPACT_SETTINGS, 'm1', NOW);
    expect(alone).toMatchObject({ type: 'faultRaised', eventId: 'm1/0', at: NOW, fault: { code: 'jam' }, evidence: { faults: [{ code: 'jam' }] } });
    // The only device on its site stops the site: a more severe impact than with alternatives.
    const level = (e: typeof alone) => (e?.type === 'faultRaised' ? e.impact.level : null);
    expect([level(alone), level(withOthers)]).toEqual(['critical', 'high']);
    const changes = [
      { kind: 'unreachable' as const, since: NOW, consecutiveFailures: 3, lastError: 'timeout' },
      { kind: 'reachable' as const, since: NOW },
    ];
    const events = fleetEventsOf(changes, t.device, ctx(), DEFAULT_IMPACT_SETTINGS, 'm2', NOW);
    expect(events.map((e) => [e.type, e.eventId, 'impact' in e])).toEqual([
      ['deviceUnreachable', 'm2/0', true],
      ['deviceReachable', 'm2/1', false],
    ]);
  });

  it('an agent offline is one event for its site, critical when a critical device is behind it', () => {
    const agent = { tenant: 'acme', agentId: 'a1', siteId: 'hq', siteName: 'HQ', customer };
    const table = ImpactSettings.parse({
      rules: [
        { id: 'critical-behind', when: { faults: ['agent.offline'], deviceCritical: true }, level: 'critical' },
        { id: 'rest', level: 'low' },
      ],
    });
    const plain = agentOfflineEvent(agent, [ctx()], 'will', table, 'e1', NOW);
    const critical = agentOfflineEvent(agent, [ctx(), ctx({ deviceKey: 'acme/sn:sn-2', critical: true })], 'shutdown', table, 'e2', NOW);
    expect(plain).toMatchObject({ type: 'agentOffline', reason: 'will', devices: [{ deviceKey: 'acme/sn:sn-1' }], impact: { level: 'low', ruleId: 'rest' } });
    expect(critical).toMatchObject({ reason: 'shutdown', impact: { level: 'critical', ruleId: 'critical-behind' } });
  });
});
