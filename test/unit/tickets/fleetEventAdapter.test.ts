import { describe, expect, it } from 'vitest';
import type { DeviceContext, FleetEvent } from '../../../server/events/fleetEvents.js';
import { toSignal } from '../../../server/tickets/fleetEventAdapter.js';

const customer = { id: 'acme', name: 'ACME', contract: undefined, contact: undefined };
const dev = (agentDeviceId: string): DeviceContext => ({
  deviceKey: `acme/sn:${agentDeviceId}`,
  tenant: 'acme',
  agentId: 'agent-1',
  agentDeviceId,
  siteId: 'waw',
  siteName: 'Warszawa',
  customer,
  identity: { model: 'M404', serial: agentDeviceId },
  address: '127.0.0.1',
  critical: false,
  onlyDeviceOnSite: false,
});
const impact = { level: 'critical' as const, queue: 'general' as const, ruleId: 'device-down', explanation: 'rule device-down → critical' };

describe('fleet events → ticket signals', () => {
  it('an agent outage becomes one site signal with every device; the default contract fills a customer without one', () => {
    const event: FleetEvent = { type: 'agentOffline', eventId: 'e1', at: '2026-03-02T08:00:00Z', agent: { tenant: 'acme', agentId: 'agent-1', siteId: 'waw', siteName: 'Warszawa', customer }, reason: 'will', devices: [dev('a'), dev('b')], impact };
    expect(toSignal(event, 'device-vendor')).toMatchObject({
      kind: 'agent.offline',
      at: Date.parse('2026-03-02T08:00:00Z'),
      agentId: 'acme:agent-1',
      deviceIds: ['acme/sn:a', 'acme/sn:b'],
      customer: { id: 'acme', contractId: 'device-vendor', contact: { name: '(no contact on file)' } },
      impact: 'critical',
      impactRule: 'rule device-down → critical',
      evidence: { message: 'agent offline (will); 2 devices unmonitored' },
    });
  });

  it('unreachable, reachable and cleared map to the device key', () => {
    expect(toSignal({ type: 'deviceUnreachable', eventId: 'e2', at: '2026-03-02T08:00:00Z', device: dev('a'), since: '2026-03-02T07:58:00Z', consecutiveFailures: 3, lastError: 'timeout', impact }, 'x')).toMatchObject({
      kind: 'device.unreachable',
      device: { id: 'acme/sn:a', model: 'M404' },
      since: Date.parse('2026-03-02T07:58:00Z'),
      evidence: { message: '3 failed polls; last error: timeout' },
    });
    expect(toSignal({ type: 'deviceReachable', eventId: 'e3', at: '2026-03-02T08:10:00Z', device: dev('a'), since: '2026-03-02T08:09:00Z' }, 'x')).toEqual({ kind: 'device.reachable', at: Date.parse('2026-03-02T08:10:00Z'), deviceId: 'acme/sn:a', since: Date.parse('2026-03-02T08:09:00Z') });
    expect(toSignal({ type: 'faultCleared', eventId: 'e4', at: '2026-03-02T08:10:00Z', device: dev('a'), fault: { code: 'jam' }, firstSeen: '2026-03-02T08:00:00Z', clearedAt: '2026-03-02T08:09:30Z' }, 'x')).toEqual({ kind: 'fault.cleared', at: Date.parse('2026-03-02T08:10:00Z'), deviceId: 'acme/sn:a', code: 'jam', clearedAt: Date.parse('2026-03-02T08:09:30Z') });
  });

  it('an event with a broken instant is an error naming the value', () => {
    expect(() => toSignal({ type: 'agentOnline', eventId: 'e5', at: 'soon', agent: { tenant: 'acme', agentId: 'agent-1', siteId: 'waw', siteName: 'W', customer } }, 'x')).toThrow('fleet event carries an invalid instant "soon"');
  });
});
