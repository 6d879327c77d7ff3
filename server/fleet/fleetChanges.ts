/**
 * The one step from an applied device change to what the rest of the server sees: each change of
 * a device transition (fleetState.ts) becomes one fleet event with its context and, for a fault or
 * an outage, its classified impact (server/impact). Pure: ingest admits and applies the message,
 * calls this with the device's context and the rule table in force, and emits what it returns;
 * tickets, live views and history consume those events directly.
 */
import type { AgentContext, AgentOfflineEvent, DeviceContext, FleetEvent } from '../events/fleetEvents.js';
import { classifyImpact, type ImpactTable } from '../impact/impactRules.js';
import type { DeviceRecord } from './fleetModel.js';
import type { DeviceChange } from './fleetState.js';

/** The fleet events of one applied message: `${messageId}/${i}` ids, one per change, in order. */
export function fleetEventsOf(
  changes: readonly DeviceChange[],
  device: DeviceRecord,
  ctx: DeviceContext,
  table: ImpactTable,
  messageId: string,
  now: string,
): FleetEvent[] {
  const classify = (fault: Parameters<typeof classifyImpact>[1]['fault']) =>
    classifyImpact(table, { fault, deviceCritical: ctx.critical, onlyDeviceOnSite: ctx.onlyDeviceOnSite, contract: ctx.customer.contract });
  return changes.map((change, i): FleetEvent => {
    const eventId = `${messageId}/${i}`;
    switch (change.kind) {
      case 'faultRaised':
        return {
          type: 'faultRaised',
          eventId,
          at: now,
          device: ctx,
          fault: change.fault,
          firstSeen: change.fault.firstSeen,
          impact: classify(change.fault.code),
          evidence: { status: device.status, collectedAt: device.collectedAt, faults: device.faults, supplies: device.supplies, counters: device.counters },
        };
      case 'faultCleared':
        return {
          type: 'faultCleared',
          eventId,
          at: now,
          device: ctx,
          fault: {
            code: change.code,
            ...(change.subunit ? { subunit: change.subunit } : {}),
            ...(change.rawCode !== undefined ? { rawCode: change.rawCode } : {}),
          },
          firstSeen: change.firstSeen,
          clearedAt: change.clearedAt,
        };
      case 'unreachable':
        return {
          type: 'deviceUnreachable',
          eventId,
          at: now,
          device: ctx,
          since: change.since,
          consecutiveFailures: change.consecutiveFailures,
          lastError: change.lastError,
          impact: classify('device.unreachable'),
        };
      case 'reachable':
        return { type: 'deviceReachable', eventId, at: now, device: ctx, since: change.since };
    }
  });
}

/** An agent gone offline: one site-level event with the devices whose state is now unknown. */
export function agentOfflineEvent(
  agent: AgentContext,
  devices: readonly DeviceContext[],
  reason: AgentOfflineEvent['reason'],
  table: ImpactTable,
  eventId: string,
  now: string,
): AgentOfflineEvent {
  const impact = classifyImpact(table, {
    fault: 'agent.offline',
    deviceCritical: devices.some((c) => c.critical),
    onlyDeviceOnSite: false,
    contract: agent.customer.contract,
  });
  return { type: 'agentOffline', eventId, at: now, agent, reason, devices, impact };
}
