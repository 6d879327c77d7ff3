/**
 * What the ticket service consumes from the fleet side: faults raised and cleared on a device,
 * a device that stopped/started answering, an agent that went offline/online. Each signal carries
 * the context a ticket needs (customer with contract and contact, site, device, evidence, the
 * impact and the classification rule that set it). The server core's fleet domain events are
 * adapted to these shapes at the edge (ticketService.ts), so the ticket rules do not depend on
 * how fleet state is stored.
 */
import type { FaultCode } from '../../shared/faults.js';
import type { Subunit } from '../../shared/snapshot.js';
import type { Impact } from '../sla/contract.js';
import type { CustomerRef, DeviceRef, FaultEvidence, SiteRef } from './ticket.js';

interface Context {
  /** When the server learned it (injected clock): SLA clocks start here. */
  readonly at: number;
  readonly agentId: string;
  readonly customer: CustomerRef;
  readonly site: SiteRef;
}

/** What the impact classification decided (server/impact): level, rule, and optionally routing. */
interface Classified {
  readonly impact: Impact;
  /** The rule that set the impact and why, e.g. "rule stop-single-device → critical: …". */
  readonly impactRule: string;
  /** A level of the contract's own scale chosen by the classification; default: the contract's mapping of `impact`. */
  readonly level?: string;
  /** Queue chosen by the classification; default: the contract's queues. */
  readonly queue?: string;
}

export interface FaultRaisedSignal extends Context, Classified {
  readonly kind: 'fault.raised';
  readonly device: DeviceRef;
  /** With `subunit` and `rawCode`: the fault's identity (shared/faultIdentity.ts). */
  readonly code: FaultCode;
  /** Where on the device (with the device's name for it, for labels); absent: the device as a whole. */
  readonly subunit?: Subunit;
  readonly rawCode?: string;
  /** When the agent first saw the fault. */
  readonly firstSeen: number;
  readonly evidence: FaultEvidence;
}

export interface FaultClearedSignal {
  readonly kind: 'fault.cleared';
  readonly at: number;
  readonly deviceId: string;
  readonly code: FaultCode;
  readonly subunit?: Subunit;
  readonly rawCode?: string;
  /** When the agent saw it go away. */
  readonly clearedAt: number;
}

export interface DeviceUnreachableSignal extends Context, Classified {
  readonly kind: 'device.unreachable';
  readonly device: DeviceRef;
  readonly since: number;
  readonly evidence: FaultEvidence;
}

export interface DeviceReachableSignal {
  readonly kind: 'device.reachable';
  readonly at: number;
  readonly deviceId: string;
  readonly since: number;
}

export interface AgentOfflineSignal extends Context, Classified {
  readonly kind: 'agent.offline';
  /** A last will (crash, lost network), a clean stop the agent announced, or silence past `ingest.agentStaleAfter`. */
  readonly reason: 'will' | 'shutdown' | 'stale';
  readonly since: number;
  /** Devices the agent monitors: all affected. */
  readonly deviceIds: readonly string[];
  readonly evidence: FaultEvidence;
}

export interface AgentOnlineSignal {
  readonly kind: 'agent.online';
  readonly at: number;
  readonly agentId: string;
}

export type FleetSignal = FaultRaisedSignal | FaultClearedSignal | DeviceUnreachableSignal | DeviceReachableSignal | AgentOfflineSignal | AgentOnlineSignal;
