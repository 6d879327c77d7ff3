/**
 * Edge adapter: the server core's fleet domain events (server/events/fleetEvents.ts) → the
 * signals the ticket rules consume (fleetSignals.ts). Keeps the ticket rules independent of how
 * fleet state names things, and picks the evidence a technician needs from the snapshot excerpt.
 */
import type { DeviceContext, FaultEvidence as FleetEvidence, FleetEvent, CustomerContext } from '../events/fleetEvents.js';
import type { Fault } from '../../shared/snapshot.js';
import type { FleetSignal } from './fleetSignals.js';
import type { CustomerRef, DeviceRef, FaultEvidence, SiteRef } from './ticket.js';

const ms = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`fleet event carries an invalid instant ${JSON.stringify(iso)}`);
  return t;
};

/** Tickets key agents by tenant and agent id: agent ids are only unique within a tenant. */
export function agentKey(tenant: string, agentId: string): string {
  return `${tenant}:${agentId}`;
}

function customerOf(c: CustomerContext, defaultContractId: string): CustomerRef {
  return {
    id: c.id,
    name: c.name,
    contact: c.contact ? { name: c.contact.name, phone: c.contact.phone, email: c.contact.email } : { name: '(no contact on file)' },
    contractId: c.contract ?? defaultContractId,
  };
}

function deviceOf(d: DeviceContext): DeviceRef {
  return { id: d.deviceKey, vendor: d.identity.vendor, model: d.identity.model, serial: d.identity.serial, address: d.address, location: d.identity.location };
}

function siteOf(siteId: string, siteName: string): SiteRef {
  return { id: siteId, name: siteName };
}

const ALERT_SOURCES = new Set(['prtAlert', 'hrErrorState', 'ippAlert']);

function evidenceOf(fault: Fault | undefined, e: FleetEvidence | undefined, extra?: string): FaultEvidence {
  return {
    message: fault?.message ?? extra,
    source: fault?.source,
    rawCode: fault?.rawCode,
    stateReasons: e?.faults.filter((f) => f.source === 'ippStateReason').map((f) => f.rawCode ?? f.code),
    alerts: e?.faults
      .filter((f) => ALERT_SOURCES.has(f.source))
      .map((f) => ({ code: f.code, severity: f.severity, source: f.source, message: f.message, rawCode: f.rawCode ?? null, group: f.subunit?.group ?? null, index: f.subunit?.index ?? null })),
    supplies: e?.supplies.map((s) => ({ name: s.name, kind: s.kind, color: s.color, levelPercent: s.levelPercent, state: s.state })),
    counters: e ? { ...e.counters } : undefined,
  };
}

/** The fault's identity with the subunit's name kept (a label, not identity: shared/faultIdentity.ts). */
function faultIdentityOf(f: { readonly code: Fault['code']; readonly subunit?: Fault['subunit']; readonly rawCode?: string }): Pick<Fault, 'code' | 'subunit' | 'rawCode'> {
  return { code: f.code, ...(f.subunit ? { subunit: f.subunit } : {}), ...(f.code === 'unclassified' && f.rawCode !== undefined ? { rawCode: f.rawCode } : {}) };
}

export function toSignal(event: FleetEvent, defaultContractId: string): FleetSignal {
  const at = ms(event.at);
  switch (event.type) {
    case 'faultRaised':
      return {
        kind: 'fault.raised',
        at,
        agentId: agentKey(event.device.tenant, event.device.agentId),
        customer: customerOf(event.device.customer, defaultContractId),
        site: siteOf(event.device.siteId, event.device.siteName),
        device: deviceOf(event.device),
        ...faultIdentityOf(event.fault),
        firstSeen: ms(event.firstSeen),
        impact: event.impact.level,
        impactRule: event.impact.explanation,
        level: event.impact.contractPriority,
        queue: event.impact.queue,
        evidence: evidenceOf(event.fault, event.evidence),
      };
    case 'faultCleared':
      return { kind: 'fault.cleared', at, deviceId: event.device.deviceKey, ...faultIdentityOf(event.fault), clearedAt: ms(event.clearedAt) };
    case 'deviceUnreachable':
      return {
        kind: 'device.unreachable',
        at,
        agentId: agentKey(event.device.tenant, event.device.agentId),
        customer: customerOf(event.device.customer, defaultContractId),
        site: siteOf(event.device.siteId, event.device.siteName),
        device: deviceOf(event.device),
        since: ms(event.since),
        impact: event.impact.level,
        impactRule: event.impact.explanation,
        level: event.impact.contractPriority,
        queue: event.impact.queue,
        evidence: evidenceOf(undefined, undefined, `${event.consecutiveFailures} failed polls; last error: ${event.lastError}`),
      };
    case 'deviceReachable':
      return { kind: 'device.reachable', at, deviceId: event.device.deviceKey, since: ms(event.since) };
    case 'agentOffline':
      return {
        kind: 'agent.offline',
        at,
        agentId: agentKey(event.agent.tenant, event.agent.agentId),
        reason: event.reason,
        customer: customerOf(event.agent.customer, defaultContractId),
        site: siteOf(event.agent.siteId, event.agent.siteName),
        since: at,
        deviceIds: event.devices.map((d) => d.deviceKey),
        impact: event.impact.level,
        impactRule: event.impact.explanation,
        level: event.impact.contractPriority,
        queue: event.impact.queue,
        evidence: { message: `agent offline (${event.reason}); ${event.devices.length} devices unmonitored` },
      };
    case 'agentOnline':
      return { kind: 'agent.online', at, agentId: agentKey(event.agent.tenant, event.agent.agentId) };
  }
}
