/**
 * Domain events of the fleet, for the ticket engine and live views.
 *
 *   faultRaised       a device fault was confirmed by the agent; carries the device, site and
 *                     customer context, the evidence (snapshot excerpt) and the classified impact
 *                     (level, queue, rule that fired, explanation)
 *   faultCleared      the agent saw the fault go away (with when it was first seen / cleared)
 *   deviceUnreachable the agent can no longer poll a device (impact from the `device.unreachable` rule)
 *   deviceReachable   polling works again
 *   agentOffline      an agent's last will, clean shutdown or staleness: ONE event per agent, with
 *                     the devices whose state is now unknown (a site-level outage, not N device faults)
 *   agentOnline       an agent's birth message
 *
 * Delivery: `FleetEventBus.emit(event, tx)` calls every handler in order inside the storage
 * transaction that applied the message, and that transaction commits (and the MQTT message is
 * acknowledged) only after all handlers finished. A handler that writes through `tx` (e.g. opens
 * a ticket) is therefore atomic with the fleet change that caused it, and a crash can never
 * leave one without the other. Each event carries a stable `eventId` (the message id plus a
 * suffix, or a timer-derived id) that handlers may use as an idempotency key. A handler that
 * throws is logged and counted; the fleet change is still committed (a ticket bug must not lose
 * fleet data).
 */
import type { Logger } from '../../shared/logging.js';
import type { Fault, Identity, Supply, Counters, DeviceStatus } from '../../shared/snapshot.js';
import type { FaultCode } from '../../shared/faults.js';
import type { Subunit } from '../../shared/snapshot.js';
import type { ImpactResult } from '../impact/impactRules.js';
import type { Transaction } from '../storage/repository.js';

export interface CustomerContext {
  readonly id: string;
  readonly name: string;
  readonly contract: string | undefined;
  readonly contact: { readonly name: string; readonly phone?: string; readonly email?: string } | undefined;
}

export interface DeviceContext {
  readonly deviceKey: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly agentDeviceId: string;
  readonly siteId: string;
  readonly siteName: string;
  readonly customer: CustomerContext;
  readonly identity: Identity;
  readonly address: string | undefined;
  readonly critical: boolean;
  readonly onlyDeviceOnSite: boolean;
}

/** What the agent gathered about the device when the fault was reported. */
export interface FaultEvidence {
  readonly status: DeviceStatus;
  readonly collectedAt: string | undefined;
  readonly faults: readonly Fault[];
  readonly supplies: readonly Supply[];
  readonly counters: Counters;
}

interface EventBase {
  readonly eventId: string;
  /** Server time (ISO) the event was produced. */
  readonly at: string;
}

export interface FaultRaisedEvent extends EventBase {
  readonly type: 'faultRaised';
  readonly device: DeviceContext;
  readonly fault: Fault;
  readonly firstSeen: string;
  readonly impact: ImpactResult;
  readonly evidence: FaultEvidence;
}

export interface FaultClearedEvent extends EventBase {
  readonly type: 'faultCleared';
  readonly device: DeviceContext;
  readonly fault: { readonly code: FaultCode; readonly subunit?: Subunit; readonly rawCode?: string };
  readonly firstSeen: string;
  readonly clearedAt: string;
}

export interface DeviceUnreachableEvent extends EventBase {
  readonly type: 'deviceUnreachable';
  readonly device: DeviceContext;
  readonly since: string;
  readonly consecutiveFailures: number;
  readonly lastError: string;
  readonly impact: ImpactResult;
}

export interface DeviceReachableEvent extends EventBase {
  readonly type: 'deviceReachable';
  readonly device: DeviceContext;
  readonly since: string;
}

export interface AgentContext {
  readonly tenant: string;
  readonly agentId: string;
  readonly siteId: string;
  readonly siteName: string;
  readonly customer: CustomerContext;
}

export interface AgentOfflineEvent extends EventBase {
  readonly type: 'agentOffline';
  readonly agent: AgentContext;
  readonly reason: 'will' | 'shutdown' | 'stale';
  /** Devices monitored by the agent: now "unknown". */
  readonly devices: readonly DeviceContext[];
  readonly impact: ImpactResult;
}

export interface AgentOnlineEvent extends EventBase {
  readonly type: 'agentOnline';
  readonly agent: AgentContext;
}

export type FleetEvent = FaultRaisedEvent | FaultClearedEvent | DeviceUnreachableEvent | DeviceReachableEvent | AgentOfflineEvent | AgentOnlineEvent;
export type FleetEventType = FleetEvent['type'];

export type FleetEventHandler = (event: FleetEvent, tx: Transaction) => void | Promise<void>;

export class FleetEventBus {
  private readonly handlers: FleetEventHandler[] = [];
  /** Handler failures so far (exported as a metric). */
  handlerErrors = 0;

  constructor(private readonly logger?: Logger) {}

  /** Adds a handler; returns a function that removes it. */
  subscribe(handler: FleetEventHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  async emit(event: FleetEvent, tx: Transaction): Promise<void> {
    for (const handler of this.handlers) {
      try {
        await handler(event, tx);
      } catch (err) {
        this.handlerErrors += 1;
        this.logger?.error({ err, eventId: event.eventId, eventType: event.type }, 'fleet event handler failed; the fleet change is kept');
      }
    }
  }
}
