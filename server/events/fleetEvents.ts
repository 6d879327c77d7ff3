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
import { abortsUnitOfWork, type RecordRef, type Transaction } from '../storage/repository.js';
import type { DeviceEvent, DeviceEventMessage, DeviceStateMessage, DeviceTelemetryMessage } from '../../shared/wire/messages.js';
import type { DeviceRecord } from '../fleet/fleetModel.js';
import type { DeviceChange } from '../fleet/fleetState.js';

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
  /** Warranty end date ("YYYY-MM-DD") from fleet.warranties, when the device has one. */
  readonly warrantyUntil?: string;
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

/**
 * Every applied (not stale) device message, after the device record was written: the record
 * before and after, and the changes that also became fleet events. For consumers that follow the
 * device's state itself (telemetry history, supply forecasts) rather than its faults. Not streamed
 * to live views (it fires for every poll of every device). Delivered like fleet events: in order,
 * inside the ingest transaction; a handler that throws is logged and counted, the change is kept.
 */
export interface DeviceUpdate {
  readonly messageId: string;
  /** Server time (ISO) the message was applied. */
  readonly at: string;
  readonly previous: DeviceRecord | undefined;
  readonly device: DeviceRecord;
  readonly changes: readonly DeviceChange[];
}

export type DeviceUpdateHandler = (update: DeviceUpdate, tx: Transaction) => void | Promise<void>;

/**
 * The records a subscriber will read when a device (by key) reports `event`: ingest reads them
 * with the batch's devices, in one query on PostgreSQL instead of a round trip each.
 */
export type DeviceEventReads = (deviceKey: string, event: DeviceEvent) => readonly RecordRef[];

/** A device message of a batch, as ingest knows it before applying it: for the subscribers' declared reads. */
export interface PendingDeviceUpdate {
  readonly deviceKey: string;
  readonly customerId: string;
  readonly message: DeviceStateMessage | DeviceEventMessage | DeviceTelemetryMessage;
  /** The stored record before the batch (a batch's earlier message for the same device is not applied yet). */
  readonly previous: DeviceRecord | undefined;
  /** Server time (ms) the batch is applied at: an event's reading is dated by it (it carries no collection time). */
  readonly receivedAt: number;
}

/**
 * The records a device update subscriber (history, meters) will read for a message, known from the
 * message and the stored device record. `first` is read with the batch's other such reads in one
 * query; `then`, called after that query, names what follows from those records (reading them
 * through `tx` is then free), read in one more query for the whole batch. A read left out is not
 * an error, only a round trip of its own on PostgreSQL.
 */
export interface DeviceUpdateReads {
  readonly first: (update: PendingDeviceUpdate) => readonly RecordRef[];
  readonly then?: (update: PendingDeviceUpdate, tx: Transaction) => Promise<readonly RecordRef[]>;
}

export class FleetEventBus {
  private readonly handlers: FleetEventHandler[] = [];
  /** Handler failures so far (exported as a metric). */
  handlerErrors = 0;

  constructor(private readonly logger?: Logger) {}

  /** Adds a handler; returns a function that removes it. */
  subscribe(handler: FleetEventHandler): () => void {
    return addHandler(this.handlers, handler);
  }

  private readonly deviceHandlers: DeviceUpdateHandler[] = [];

  /** True when someone follows device updates (ingest skips building them otherwise). */
  get wantsDeviceUpdates(): boolean {
    return this.deviceHandlers.length > 0;
  }

  /** Adds a device update handler; returns a function that removes it. */
  subscribeDeviceUpdates(handler: DeviceUpdateHandler): () => void {
    return addHandler(this.deviceHandlers, handler);
  }

  private readonly eventReads: DeviceEventReads[] = [];

  /** Declares what a subscriber reads for a device event (prefetched by ingest); returns a function that removes it. */
  declareReads(reads: DeviceEventReads): () => void {
    return addHandler(this.eventReads, reads);
  }

  /** Every subscriber's reads for `event` from device `deviceKey`. */
  readsOf(deviceKey: string, event: DeviceEvent): RecordRef[] {
    return this.eventReads.flatMap((reads) => reads(deviceKey, event));
  }

  private readonly updateReads: DeviceUpdateReads[] = [];

  /** Declares what a device update subscriber reads for a message (prefetched by ingest); returns a function that removes it. */
  declareUpdateReads(reads: DeviceUpdateReads): () => void {
    return addHandler(this.updateReads, reads);
  }

  /** Every device update subscriber's first-step reads for `update`. */
  updateReadsOf(update: PendingDeviceUpdate): RecordRef[] {
    return this.updateReads.flatMap((reads) => reads.first(update));
  }

  /** Every device update subscriber's second-step reads for `update`, once its first-step reads are fetched. */
  async updateFollowUpsOf(update: PendingDeviceUpdate, tx: Transaction): Promise<RecordRef[]> {
    const out: RecordRef[] = [];
    for (const reads of this.updateReads) if (reads.then) out.push(...(await reads.then(update, tx)));
    return out;
  }

  emitDeviceUpdate(update: DeviceUpdate, tx: Transaction): Promise<void> {
    return this.deliver(
      this.deviceHandlers,
      update,
      tx,
      () => ({ messageId: update.messageId, device: update.device.key }),
      'device update handler failed; the fleet change is kept',
    );
  }

  /**
   * Side effects outside the store (live updates, notices, timers) that must happen only if the
   * transaction commits, and only once: a PostgreSQL store re-runs a whole unit of work after a
   * serialization conflict (another instance touched the same rows), calling the handlers again
   * on a new Transaction. Effects are kept per attempt; the one that committed runs them.
   */
  private readonly effects = new WeakMap<Transaction, (() => void)[]>();

  /** Runs `effect` after `tx` commits (see `committed`); never for an attempt rolled back or retried. */
  afterCommit(tx: Transaction, effect: () => void): void {
    let list = this.effects.get(tx);
    if (!list) this.effects.set(tx, (list = []));
    list.push(effect);
  }

  /** Position in `tx`'s effects, to drop those of a savepoint that is rolled back. */
  effectsMark(tx: Transaction): number {
    return this.effects.get(tx)?.length ?? 0;
  }

  discardEffectsAfter(tx: Transaction, mark: number): void {
    const list = this.effects.get(tx);
    if (list && list.length > mark) list.length = mark;
  }

  /** The transaction (attempt) `tx` committed durably: run its effects, in order. */
  committed(tx: Transaction | undefined): void {
    if (!tx) return;
    const list = this.effects.get(tx);
    if (!list) return;
    this.effects.delete(tx);
    for (const effect of list) {
      try {
        effect();
      } catch (err) {
        this.handlerErrors += 1;
        this.logger?.error({ err }, 'after-commit effect of a fleet event failed');
      }
    }
  }

  emit(event: FleetEvent, tx: Transaction): Promise<void> {
    return this.deliver(
      this.handlers,
      event,
      tx,
      () => ({ eventId: event.eventId, eventType: event.type }),
      'fleet event handler failed; the fleet change is kept',
    );
  }

  /** Calls the handlers in order; a failing one is logged and counted, the others still run. */
  private async deliver<A>(
    handlers: readonly ((arg: A, tx: Transaction) => void | Promise<void>)[],
    arg: A,
    tx: Transaction,
    context: () => object,
    failed: string,
  ): Promise<void> {
    for (const handler of handlers) {
      try {
        await handler(arg, tx);
      } catch (err) {
        // A conflict with another instance or a storage failure voids the whole unit: not a handler bug.
        if (abortsUnitOfWork(err)) throw err;
        this.handlerErrors += 1;
        this.logger?.error({ err, ...context() }, failed);
      }
    }
  }
}

/** Adds `handler` to `list`; returns a function that removes it. */
function addHandler<H>(list: H[], handler: H): () => void {
  list.push(handler);
  return () => {
    const i = list.indexOf(handler);
    if (i >= 0) list.splice(i, 1);
  };
}
