/**
 * The thin imperative shell around the ticket rules: loads the tickets a fleet event or action
 * concerns from the repository, calls the pure policy with the injected clock's `now`, saves
 * what changed (archiving closed tickets), publishes notices, and runs the time-driven rules on
 * a timer set for the next due instant.
 *
 * Entry points:
 *   handleEvent(event)                a fleet event (server/events/fleetEvents.ts) in its own unit of work
 *   handleEventIn(store, event)       inside a caller's unit (the fleet event bus transaction)
 *   attachToFleetEvents(bus)           subscribes to the server core's FleetEventBus (durable store only)
 *   act(ticketId, action) / actIn      operator actions (acknowledge, escalate, time entries, …)
 *   takeReportIn(store, report)        reports by people (server/intake: phone, e-mail, form, portal, chat)
 *   tick()                             SLA warnings/breaches, flap-damped resolution, closing, §2 closure,
 *                                      for the tickets due by now only (the next-due index of ticketRepository.ts)
 *                                      vendor tickets of customer-fixable faults whose hold ran out
 *   start() / stop()                   keeps tick() scheduled at the next due instant
 *   workQueue(queue?), statement(customerId, month), compliance(sinceMonth)
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import type { CustomerContext, FleetEvent, FleetEventBus } from '../events/fleetEvents.js';
import type { Contract } from '../sla/contract.js';
import { billEntry, billingFacts, monthlyStatement, monthOfInstant, type MonthlyStatement } from './billing.js';
import { slaCompliance, type ComplianceRow } from './reporting.js';
import { isOpen, type Ticket } from './ticket.js';
import { applyAction, type TicketAction } from './ticketActions.js';
import { takeReport, type ManualReport } from './ticketOpening.js';
import {
  DEFAULT_POLICY,
  noticesOf,
  TicketActionError,
  type Notice,
  type PolicyContext,
  type PolicyOutcome,
  type TicketPolicyConfig,
  ticketContract,
} from './ticketPolicy.js';
import { applyFleetEvent } from './ticketFleetEvents.js';
import { nextDue, tickTicket } from './ticketTimers.js';
import { CHECK_AT_NEXT_TICK, ticketIdOf, ticketReadsOfDeviceEvent, ticketStoreIn, type TicketRepository, type TicketStore } from './ticketRepository.js';
import { applySupplySignal, concernsSupply, type SupplySignal } from './supplyOrderPolicy.js';
import { admitAgentEvent } from './plannedStops.js';
import { agentKey } from './ticketRefs.js';
import { admitFaultEvent, holdKeyOf, holdTimer, type CustomerFixableNotice } from './customerFixable.js';
import type { Transaction } from '../storage/repository.js';
import { workQueue } from './workQueue.js';
import { refSubject, subjectsOfEvent, subjectsOfSupplySignal } from './ticketSubjects.js';

export interface TicketServiceOptions {
  readonly repository: TicketRepository;
  readonly clock: Clock;
  /** Contract by id (the one in force, or an exact version a ticket recorded); must throw for unknown ids. */
  readonly contractFor: (id: string, version?: number) => Contract;
  /** Contract of customers whose fleet record names none. */
  readonly defaultContractId: string;
  readonly policy?: Partial<TicketPolicyConfig>;
  readonly logger?: Logger;
  /** Called for every notice after its change is durable (live views; wakes the notification dispatcher). */
  readonly onNotice?: (notice: Notice) => void;
  /**
   * Called with the notices of a change inside its unit of work, before it commits (the durable
   * store only): notification deliveries are queued atomically with the ticket change.
   */
  readonly noticesIn?: (tx: Transaction, notices: readonly Notice[]) => Promise<void>;
  /**
   * Called with the customer notices of customer-fixable faults (customerFixable.ts) inside the
   * unit of work that started their hold (the durable store only): notifications and the device
   * timeline are written atomically with the hold.
   */
  readonly customerNoticesIn?: (tx: Transaction, notices: readonly CustomerFixableNotice[]) => Promise<void>;
  /** Called for every customer notice after its unit committed. */
  readonly onCustomerNotice?: (notice: CustomerFixableNotice) => void;
  /** Longest sleep between ticks even when nothing is due (covers clock jumps). */
  readonly maxTickIntervalMs?: number;
  /** Called with the next due instant of every ticket changed here (server/cluster tells the leader). */
  readonly onDue?: (at: number) => void;
  /** Tickets a tick handles per unit of work (default 500); more due run as further units. */
  readonly tickBatch?: number;
}

/** A ticket whose timer rules failed is tried again this much later (not on every tick). */
const BROKEN_TICKET_RETRY_MS = 60_000;
/** Units of work of one tick at most (× tickBatch tickets). */
const MAX_TICK_BATCHES = 100;

/**
 * What a unit of work changed: tickets saved, notices with their tickets' facts, customer notices
 * of customer-fixable faults; `wakeAt`: a planned stop's grace or a customer-fixable hold ends then.
 */
export interface ServiceOutcome {
  readonly tickets: Ticket[];
  readonly notices: Notice[];
  readonly customerNotices?: CustomerFixableNotice[];
  readonly wakeAt?: number;
}

export class TicketNotFoundError extends Error {
  constructor(id: string) {
    super(`no ticket ${JSON.stringify(id)}`);
    this.name = 'TicketNotFoundError';
  }
}

export class TicketService {
  private readonly policy: TicketPolicyConfig;
  private timer: TimerHandle | undefined;
  private running = false;
  private ticking: Promise<Notice[]> | undefined;
  /** The settings nextDue depends on: the next-due index is rebuilt when they change (ticketRepository.ts). */
  private readonly policyKey: string;

  constructor(private readonly o: TicketServiceOptions) {
    this.policy = { ...DEFAULT_POLICY, ...o.policy };
    this.policyKey = JSON.stringify({ quietPeriodMs: this.policy.quietPeriodMs, reopenWindowMs: this.policy.reopenWindowMs });
    // Fail at start, not at the first fault, when the default contract is unknown.
    o.contractFor(o.defaultContractId);
  }

  private async context(
    store: TicketStore,
    customerId: string | null,
    contractId: string | null,
    version?: number,
    opens = true,
  ): Promise<{ ctx: PolicyContext; commit: () => Promise<void> }> {
    const now = this.o.clock.now();
    let capUsedMinutes = 0;
    if (customerId !== null && contractId !== null) {
      // An existing ticket's own contract version: the contract may have been edited or retired since.
      const contract = this.o.contractFor(contractId, version);
      capUsedMinutes = await store.capUsage(customerId, monthOfInstant(contract.calendar.zone, now));
    }
    // The policy asks for an id synchronously and only when a ticket opens: offer the next number
    // and record it as used only if it was taken.
    const candidate = opens ? await store.offerNumber() : undefined;
    let taken = false;
    const ctx: PolicyContext = {
      now,
      config: this.policy,
      contractFor: this.o.contractFor,
      capUsedMinutes,
      defaultContractId: this.o.defaultContractId,
      newTicketId: () => {
        if (candidate === undefined) throw new Error('an action on an existing ticket never opens one');
        if (taken) throw new Error('a unit of work opens at most one ticket');
        taken = true;
        return ticketIdOf(candidate);
      },
    };
    return { ctx, commit: () => (candidate === undefined ? Promise.resolve() : store.settleNumber(candidate, taken)) };
  }

  /** Saves an outcome's tickets and, in the same unit, queues its notices' notifications. */
  private async save(store: TicketStore, outcome: PolicyOutcome): Promise<ServiceOutcome> {
    const now = this.o.clock.now();
    for (const t of outcome.tickets) {
      const next = { ...t, revision: t.revision + 1 };
      if (next.status === 'closed') await store.archive(next, now);
      else await store.put(next, this.dueOf(next));
    }
    const notices = noticesOf(outcome);
    if (notices.length > 0 && store.transaction && this.o.noticesIn) await this.o.noticesIn(store.transaction, notices);
    return { tickets: outcome.tickets, notices };
  }

  private publish(notices: readonly Notice[]): void {
    for (const n of notices) {
      this.o.logger?.info({ notice: n.kind, ticketId: n.ticketId, at: new Date(n.at).toISOString() }, n.detail);
      try {
        this.o.onNotice?.(n);
      } catch (err) {
        this.o.logger?.error({ err, ticketId: n.ticketId }, 'notice listener failed');
      }
    }
  }

  /** Applies a fleet event inside the caller's unit of work; returns what changed (notices not yet published). */
  async handleEventIn(store: TicketStore, input: FleetEvent): Promise<ServiceOutcome> {
    const event = this.withKnownContract(input);
    const tickets = (await store.concerning(subjectsOfEvent(event))).filter((t) => concerns(t, event));
    let wakeAt: number | undefined;
    let apply: FleetEvent | null = event;
    if (event.type === 'agentOffline' || event.type === 'agentOnline') {
      // A clean stop waits its grace (plannedStops.ts) before it may open a ticket.
      const agentId = agentKey(event.agent.tenant, event.agent.agentId);
      const pending = await store.plannedStop(agentId);
      const siteOpen = tickets.some((t) => t.key === `agent:${agentId}` && isOpen(t));
      const admitted = admitAgentEvent(event, pending, siteOpen, this.policy.agentOfflineGraceMs);
      if (admitted.stop === null) await store.deletePlannedStop(agentId);
      else if (admitted.stop !== undefined && admitted.stop !== pending) {
        await store.putPlannedStop(admitted.stop);
        wakeAt = admitted.stop.dueAt;
      }
      apply = admitted.apply;
    }
    const customerNotices: CustomerFixableNotice[] = [];
    // A customer-fixable fault goes to the customer first (customerFixable.ts); its clearing ends the
    // hold. Only those raises and the clearings read the hold: other events cost no store read.
    const key = apply?.type === 'faultCleared' || (apply?.type === 'faultRaised' && apply.impact.customerFixable === true) ? holdKeyOf(apply) : null;
    if (apply !== null && key !== null) {
      const pending = await store.customerFixableHold(key);
      if (pending || apply.type === 'faultRaised') {
        const customer = customerOf(apply);
        const contract = this.o.contractFor(customer.contract ?? this.o.defaultContractId);
        const admitted = admitFaultEvent(apply, pending, tickets, contract, this.o.clock.now());
        if (admitted.hold === null) await store.deleteCustomerFixableHold(key);
        else if (admitted.hold !== undefined) {
          await store.putCustomerFixableHold(admitted.hold);
          wakeAt = admitted.hold.dueAt;
        }
        if (admitted.notice) {
          customerNotices.push(admitted.notice);
          if (store.transaction && this.o.customerNoticesIn) await this.o.customerNoticesIn(store.transaction, [admitted.notice]);
        }
        apply = admitted.apply;
      }
    }
    if (apply === null) return { tickets: [], notices: [], customerNotices, ...(wakeAt !== undefined ? { wakeAt } : {}) };
    return { ...(await this.applyIn(store, apply, tickets)), customerNotices };
  }

  /** The ticket rules for an admitted event, given the tickets it concerns. */
  private async applyIn(store: TicketStore, event: FleetEvent, tickets: readonly Ticket[]): Promise<ServiceOutcome> {
    const customer = customerOf(event);
    const { ctx, commit } = await this.context(store, customer.id, customer.contract ?? this.o.defaultContractId);
    const outcome = applyFleetEvent(event, tickets, ctx);
    await commit();
    return this.save(store, outcome);
  }

  /** Opens the site tickets of clean stops whose grace ran out (one unit of work per stop: each may open a ticket). */
  private async fireDueStops(now: number): Promise<Notice[]> {
    const due = (await this.o.repository.plannedStops()).filter((s) => s.dueAt <= now);
    return this.fireEach(due, async (store, stop) => {
      // Still pending in this unit (the agent may have come back meanwhile)?
      const current = await store.plannedStop(stop.agentId);
      if (!current || current.dueAt > this.o.clock.now()) return null;
      await store.deletePlannedStop(stop.agentId);
      // The stored event as it came: its instant is the stop; the ticket's clocks start now.
      const event = this.withKnownContract(current.event);
      return this.applyIn(
        store,
        event,
        (await store.concerning(subjectsOfEvent(event))).filter((t) => concerns(t, event)),
      );
    });
  }

  /**
   * Opens the vendor tickets of customer-fixable faults whose hold ran out (one unit of work per
   * hold: each may open a ticket). The hold's device may have changed customer or contract since;
   * the ticket takes the customer of the stored raise, like a planned stop's site ticket.
   */
  private async fireDueHolds(now: number): Promise<Notice[]> {
    const due = (await this.o.repository.customerFixableHolds()).filter((h) => h.dueAt <= now);
    return this.fireEach(due, async (store, hold) => {
      // Still pending in this unit (the fault may have cleared meanwhile)?
      const current = await store.customerFixableHold(hold.key);
      if (!current || current.dueAt > this.o.clock.now()) return null;
      await store.deleteCustomerFixableHold(hold.key);
      const event = this.withKnownContract(current.event);
      const customer = event.device.customer;
      const tickets = (await store.concerning(subjectsOfEvent(event))).filter((t) => concerns(t, event));
      const { ctx, commit } = await this.context(store, customer.id, customer.contract ?? this.o.defaultContractId);
      const fired = holdTimer({ ...current, event }).fire(ctx, tickets);
      await commit();
      return this.save(store, fired);
    });
  }

  /** One unit of work per due item (planned stop, customer-fixable hold); `work` answers null for one no longer due. */
  private async fireEach<T>(due: readonly T[], work: (store: TicketStore, item: T) => Promise<ServiceOutcome | null>): Promise<Notice[]> {
    const out: Notice[] = [];
    for (const item of due) {
      const outcome = await this.o.repository.transaction((store) => work(store, item));
      if (!outcome) continue;
      this.reschedule(outcome.tickets);
      out.push(...outcome.notices);
    }
    return out;
  }

  /**
   * A proactive supply order signal (supplyOrderPolicy.ts) inside the caller's transaction (the
   * ingest transaction of the reading, or a forecast sweep's): same numbering, contract, SLA and
   * storage as fault tickets. The caller passes the outcome to `settle` once its unit committed.
   */
  async handleSupplySignalIn(tx: Transaction, input: SupplySignal): Promise<ServiceOutcome> {
    const store = ticketStoreIn(tx);
    const signal = this.withKnownSupplyContract(input);
    const customer = signal.kind === 'supply.orderDue' ? signal.customer : null;
    const tickets = (await store.concerning(subjectsOfSupplySignal(input))).filter((t) => concernsSupply(t, input));
    const { ctx, commit } = await this.context(store, customer?.id ?? null, customer?.contractId ?? null);
    const outcome = applySupplySignal(signal, tickets, ctx);
    await commit();
    return this.save(store, outcome);
  }

  /**
   * Publishes the notices and re-arms the timers of an outcome produced inside a caller's unit of
   * work, once that unit committed (and only for the attempt that did: PostgreSQL re-runs units).
   */
  settle(outcome: ServiceOutcome): void {
    this.publish(outcome.notices);
    for (const n of outcome.customerNotices ?? []) {
      this.o.logger?.info({ notice: n.kind, device: n.facts.device.id, at: new Date(n.at).toISOString() }, n.detail);
      try {
        this.o.onCustomerNotice?.(n);
      } catch (err) {
        this.o.logger?.error({ err, device: n.facts.device.id }, 'customer notice listener failed');
      }
    }
    this.reschedule(outcome.tickets);
    if (outcome.wakeAt !== undefined) {
      this.o.onDue?.(outcome.wakeAt);
      this.arm(outcome.wakeAt);
    }
  }

  /** A customer naming an unknown contract still gets its ticket, under the default contract (a lost ticket is worse). */
  private knownContract(customerId: string, contractId: string | undefined): boolean {
    if (contractId === undefined) return true;
    try {
      this.o.contractFor(contractId);
      return true;
    } catch (err) {
      this.o.logger?.warn({ customer: customerId, contract: contractId, err: (err as Error).message }, `unknown contract; using ${this.o.defaultContractId}`);
      return false;
    }
  }

  private withKnownContract<E extends FleetEvent>(event: E): E {
    const c = customerOf(event);
    // withCustomer keeps the event's type; only its customer changes.
    return this.knownContract(c.id, c.contract) ? event : (withCustomer(event, { ...c, contract: undefined }) as E);
  }

  private withKnownSupplyContract(signal: SupplySignal): SupplySignal {
    if (signal.kind !== 'supply.orderDue' || this.knownContract(signal.customer.id, signal.customer.contractId)) return signal;
    return { ...signal, customer: { ...signal.customer, contractId: this.o.defaultContractId } };
  }

  async handleEvent(event: FleetEvent): Promise<ServiceOutcome> {
    const outcome = await this.o.repository.transaction((store) => this.handleEventIn(store, event));
    this.settle(outcome);
    return outcome;
  }

  /**
   * Subscribes to the server core's fleet events: tickets change inside the transaction that
   * applied the fleet message. The repository must be a StoredTicketRepository over the same store.
   */
  attachToFleetEvents(bus: FleetEventBus): () => void {
    const undeclare = bus.declareReads(ticketReadsOfDeviceEvent);
    const unsubscribe = bus.subscribe(async (event, tx) => {
      const outcome = await this.handleEventIn(ticketStoreIn(tx), event);
      // Notices and timers only once the ingest transaction committed, and only for the attempt
      // that did (a PostgreSQL store re-runs a unit that conflicted with another instance).
      bus.afterCommit(tx, () => this.settle(outcome));
    });
    return () => {
      undeclare();
      unsubscribe();
    };
  }

  /**
   * A person's report (server/intake) inside the caller's unit of work: opens a ticket, or adds
   * the report to the open ticket of the same device, or recognises a reference already taken.
   * The caller passes the outcome to `settle` once its unit committed.
   */
  async takeReportIn(store: TicketStore, input: ManualReport): Promise<ServiceOutcome & { ticket: Ticket; duplicateOf: string | null }> {
    const report = this.knownContract(input.customer.id, input.customer.contractId)
      ? input
      : { ...input, customer: { ...input.customer, contractId: this.o.defaultContractId } };
    const subjects = [...(report.device ? [`device:${report.device.id}`] : []), ...(report.externalRef !== undefined ? [refSubject(report.externalRef)] : [])];
    const candidates = subjects.length === 0 ? [] : await store.concerning(subjects);
    const { ctx, commit } = await this.context(store, report.customer.id, report.customer.contractId);
    const out = takeReport(report, candidates, ctx);
    await commit();
    const saved = await this.save(store, out);
    return { ...saved, ticket: out.tickets.length > 0 ? { ...out.ticket, revision: out.ticket.revision + 1 } : out.ticket, duplicateOf: out.duplicateOf };
  }

  /** An operator action inside the caller's unit of work (settle the outcome after the commit); throws TicketNotFoundError / TicketActionError. */
  async actIn(store: TicketStore, ticketId: string, action: TicketAction): Promise<ServiceOutcome & { ticket: Ticket }> {
    const t = await store.get(ticketId);
    if (!t) throw new TicketNotFoundError(ticketId);
    const { ctx } = await this.context(store, t.customer.id, t.sla.contractId, t.sla.contractVersion ?? 0, false);
    const out = applyAction(t, action, ctx);
    const after = out.tickets[0];
    // A reply seen before (same reference) changes nothing.
    if (!after) return { tickets: [], notices: [], ticket: t };
    if (action.type === 'addTime') {
      const contract = ticketContract(t, this.o.contractFor);
      const entry = after.timeEntries.find((e) => e.id === action.id)!;
      const capMinutes = billEntry(t.id, entry, contract, billingFacts(t)).capMinutes;
      if (capMinutes > 0) await store.addCapUsage(t.customer.id, monthOfInstant(contract.calendar.zone, ctx.now), capMinutes);
    }
    if (action.type === 'classifyMatter') {
      // The stored cap counter follows the reclassification for this month's entries (earlier months are settled).
      const contract = ticketContract(t, this.o.contractFor);
      const month = monthOfInstant(contract.calendar.zone, ctx.now);
      const used = (matter: Ticket['matter']) =>
        t.timeEntries
          .filter((e) => monthOfInstant(contract.calendar.zone, e.at) === month)
          .reduce((sum, e) => sum + billEntry(t.id, e, contract, { ...billingFacts(t), matter }).capMinutes, 0);
      const delta = used(action.matter) - used(t.matter);
      if (delta !== 0) await store.addCapUsage(t.customer.id, month, delta);
    }
    const saved = await this.save(store, out);
    return { ...saved, ticket: { ...after, revision: after.revision + 1 } };
  }

  /** An operator action in its own unit of work; throws TicketNotFoundError / TicketActionError with a one-line reason. */
  async act(ticketId: string, action: TicketAction): Promise<Ticket> {
    const outcome = await this.o.repository.transaction((store) => this.actIn(store, ticketId, action));
    this.settle(outcome);
    return outcome.ticket;
  }

  /** When a ticket's timers next have something to do; an error is logged and the next tick looks at it. */
  private dueOf(t: Ticket): number | null {
    try {
      return nextDue(t, { config: this.policy, contractFor: this.o.contractFor });
    } catch (err) {
      this.o.logger?.warn({ err, ticketId: t.id }, 'cannot compute the next due instant of a ticket');
      return CHECK_AT_NEXT_TICK;
    }
  }

  /**
   * Runs the time-driven rules of the tickets due by now, read through the next-due index in
   * bounded batches (one unit of work each); returns the notices emitted.
   */
  tick(): Promise<Notice[]> {
    // Ticks never overlap: a tick requested while one runs waits for it and then runs again.
    const run = async (): Promise<Notice[]> => {
      const batch = this.o.tickBatch ?? 500;
      const notices: Notice[] = [];
      // Bounded: what is left after MAX_TICK_BATCHES stays due, and the next tick follows at once.
      for (let round = 0, more = true; more && round < MAX_TICK_BATCHES; round++) {
        const done = await this.tickBatch(batch);
        notices.push(...done.notices);
        more = done.full;
      }
      const stopped = await this.fireDueStops(this.o.clock.now());
      const held = await this.fireDueHolds(this.o.clock.now());
      this.publish([...notices, ...stopped, ...held]);
      return [...notices, ...stopped, ...held];
    };
    const previous = this.ticking ?? Promise.resolve([]);
    const next = previous.then(run, run);
    this.ticking = next;
    // Both branches handled: a failed tick (e.g. a PostgreSQL conflict given up) is reported to the
    // caller of tick(), never left as an unhandled rejection that would end the process.
    const clear = (): void => {
      if (this.ticking === next) this.ticking = undefined;
    };
    next.then(clear, clear);
    return next;
  }

  /**
   * One unit of work of a tick: up to `limit` tickets due by now. Each one handled leaves the
   * index with an instant after now (its next timer, or a retry for a broken one), so a batch
   * never comes back and a tick ends.
   */
  private tickBatch(limit: number): Promise<{ notices: Notice[]; full: boolean }> {
    return this.o.repository.transaction(async (store) => {
      const now = this.o.clock.now();
      if (await store.ensureDueIndex(this.policyKey, (t) => this.dueOf(t))) this.o.logger?.info('ticket next-due index built');
      const ctx: PolicyContext = {
        now,
        config: this.policy,
        contractFor: this.o.contractFor,
        capUsedMinutes: 0,
        defaultContractId: this.o.defaultContractId,
        newTicketId: () => {
          throw new Error('ticks never open tickets');
        },
      };
      const out: Notice[] = [];
      const due = await store.dueBy(now, limit);
      for (const t of due) {
        let outcome: PolicyOutcome | null;
        try {
          outcome = tickTicket(t, ctx);
        } catch (err) {
          // One broken ticket (e.g. its contract was removed) must not stop the others.
          this.o.logger?.error({ err, ticketId: t.id }, 'ticket timer rules failed');
          await store.reschedule(t.id, now + BROKEN_TICKET_RETRY_MS);
          continue;
        }
        if (outcome) {
          out.push(...(await this.save(store, outcome)).notices);
          continue;
        }
        // Nothing was due after all (stored before its timers were known, or the policy changed): store the exact instant.
        const at = this.dueOf(t);
        await store.reschedule(t.id, at !== null && at <= now ? now + BROKEN_TICKET_RETRY_MS : at);
      }
      return { notices: out, full: due.length === limit };
    });
  }

  /** Keeps tick() running at the next due instant of any ticket. */
  start(): void {
    this.running = true;
    void this.scheduleFromStore();
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private nextWake: number | undefined;

  /**
   * A ticket changed on another server instance is next due at `at` (server/cluster): wake the
   * timer by then, as for a local change. Does nothing unless this instance runs the timers.
   */
  dueElsewhere(at: number): void {
    this.arm(at);
  }

  private arm(at: number): void {
    if (!this.running) return;
    const now = this.o.clock.now();
    const cap = now + (this.o.maxTickIntervalMs ?? 60_000);
    const wake = Math.min(Math.max(at, now), cap);
    if (this.timer && this.nextWake !== undefined && this.nextWake <= wake) return;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.nextWake = wake;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.nextWake = undefined;
      this.tick()
        .catch((err: unknown) => this.o.logger?.error({ err }, 'ticket tick failed'))
        .finally(() => void this.scheduleFromStore());
    }, wake - now);
  }

  private reschedule(tickets: readonly Ticket[]): void {
    for (const t of tickets) {
      try {
        const due = nextDue(t, { config: this.policy, contractFor: this.o.contractFor });
        if (due !== null) {
          this.o.onDue?.(due);
          this.arm(due);
        }
      } catch (err) {
        this.o.logger?.warn({ err, ticketId: t.id }, 'cannot compute the next due instant of a ticket');
      }
    }
  }

  private async scheduleFromStore(): Promise<void> {
    if (!this.running) return;
    try {
      // The earliest entry of the next-due index: one indexed read, not a pass over the hot tickets.
      const firstDue = await this.o.repository.firstDue(this.policyKey);
      const earliest = Math.min(
        firstDue ?? Number.POSITIVE_INFINITY,
        ...(await this.o.repository.plannedStops()).map((s) => s.dueAt),
        ...(await this.o.repository.customerFixableHolds()).map((h) => h.dueAt),
      );
      this.arm(earliest);
    } catch (err) {
      this.o.logger?.error({ err }, 'cannot schedule ticket timers; retrying');
      this.arm(this.o.clock.now() + 5_000);
    }
  }

  async workQueue(queue?: string): Promise<Ticket[]> {
    return workQueue(await this.o.repository.active(), queue);
  }

  /** Monthly statement of a customer under its current contract. */
  async statement(customerId: string, contractId: string, month: string): Promise<MonthlyStatement> {
    const tickets = [...(await this.o.repository.active()), ...(await this.o.repository.closedSince(month))];
    return monthlyStatement(tickets, customerId, this.o.contractFor(contractId), month);
  }

  async compliance(sinceMonth: string): Promise<ComplianceRow[]> {
    const tickets = [...(await this.o.repository.active()), ...(await this.o.repository.closedSince(sinceMonth))];
    return slaCompliance(tickets.filter((t) => monthOfInstant('Europe/Warsaw', t.openedAt) >= sinceMonth));
  }
}

/** Does a ticket matter for an event (same device, or same agent for site events)? */
function concerns(t: Ticket, e: FleetEvent): boolean {
  if (!isOpen(t) && t.status !== 'resolved') return false;
  switch (e.type) {
    case 'faultRaised':
      return t.device?.id === e.device.deviceKey;
    case 'faultCleared':
    case 'deviceReachable':
      return t.faults.some((f) => f.deviceId === e.device.deviceKey);
    case 'deviceUnreachable':
      return t.device?.id === e.device.deviceKey || t.key === `agent:${agentKey(e.device.tenant, e.device.agentId)}`;
    case 'agentOffline':
    case 'agentOnline':
      return t.key === `agent:${agentKey(e.agent.tenant, e.agent.agentId)}`;
  }
}

/** The customer an event is about. */
function customerOf(e: FleetEvent): CustomerContext {
  return 'agent' in e ? e.agent.customer : e.device.customer;
}

function withCustomer(e: FleetEvent, customer: CustomerContext): FleetEvent {
  return 'agent' in e ? { ...e, agent: { ...e.agent, customer } } : { ...e, device: { ...e.device, customer } };
}

export { TicketActionError };
