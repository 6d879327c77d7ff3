/**
 * The shell around the pure forecast and order decision (supplyForecast.ts, proactiveOrders.ts):
 * keeps each supply's forecast fresh on its history record and opens/closes proactive "order
 * supply" tickets through the ticket engine (tickets/supplyOrderPolicy.ts).
 *
 * When it runs:
 *   - at ingest, inside the reading's transaction, when a supply's history changed
 *     (HistoryRecorder hook): the forecast is recomputed at most once per `recomputeAfterMs`,
 *     and at once on a pinned reading (state change, replacement jump);
 *   - in a sweep (`sweep()`, and `start()`/`stop()` for its timer, run by the leader instance):
 *     every supply whose forecast is older than `staleAfterMs` — time passes without readings
 *     too (a device switched off, a weekend), and the lead time comes closer.
 * Terms per customer: the contract's business calendar gives the working days (Polish holidays),
 * `supplyOrders.leadTimeWorkingDays`/`safetyWorkingDays` when to order, `enabled` whether to.
 */
import { RepeatingTask } from '../cluster/repeatingTask.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { FLEET_COLLECTIONS, type DeviceRecord, type FleetDirectory } from '../fleet/fleetModel.js';
import {
  appendedPinned,
  HISTORY_COLLECTIONS,
  levelReadings,
  pageReadings,
  supplyId,
  type CounterTrack,
  type ForecastSummary,
  type SupplyTrack,
} from '../history/deviceHistory.js';
import type { HistoryRecorder } from '../history/historyRecorder.js';
import type { Contract } from '../sla/contract.js';
import { abortsUnitOfWork, type Repository, type Transaction } from '../storage/repository.js';
import { agentKey } from '../tickets/ticketRefs.js';
import { supplyOrderTicketKey } from '../tickets/supplyOrderPolicy.js';
import type { CustomerRef } from '../tickets/ticket.js';
import { TICKETS, ticketStoreIn } from '../tickets/ticketRepository.js';
import type { ServiceOutcome } from '../tickets/ticketService.js';
import type { TicketService } from '../tickets/ticketService.js';
import { decideSupplyOrder, type SupplyOrderRecord } from './proactiveOrders.js';
import { DEFAULT_FORECAST_SETTINGS, forecastSupply, type ForecastSettings, type SupplyForecast } from './supplyForecast.js';
import { workingDayClock, workingDaysOf, type WorkingDayClock } from './workingDayClock.js';

const { supplies: SUPPLIES, counters: COUNTERS } = HISTORY_COLLECTIONS;

export interface ForecastServiceOptions {
  repo: Repository;
  clock: Clock;
  tickets: TicketService;
  directory: FleetDirectory;
  /** The contract in force for a customer (calendar, supply order terms). */
  contractOf: (customerId: string) => Contract;
  logger?: Logger;
  settings?: ForecastSettings;
  /** Recompute at ingest at most this often per supply on a new point (default 3 h; 4× that when only the day's latest point moved, 1/12 on a pinned point). */
  recomputeAfterMs?: number;
  /** The sweep refreshes forecasts older than this (default 12 h). */
  staleAfterMs?: number;
  /** Sweep period (default 24 h) and delay of the first sweep after start (default 60 s). */
  sweepIntervalMs?: number;
  firstSweepDelayMs?: number;
  /** Supplies per sweep transaction (default 200): ingest interleaves between them. */
  sweepBatch?: number;
  /**
   * Runs an effect once the ingest transaction `tx` committed (FleetEventBus.afterCommit): ticket
   * notices of an order opened at ingest leave only with the attempt that committed.
   */
  afterCommit: (tx: Transaction, effect: () => void) => void;
}

export type OrderAction = 'opened' | 'closed' | null;

export interface SweepResult {
  supplies: number;
  refreshed: number;
  opened: number;
  closed: number;
}

export function summarize(f: SupplyForecast, now: number): ForecastSummary {
  const e = f.evidence;
  const base: ForecastSummary = {
    status: f.status,
    target: f.target,
    computedAt: now,
    method: e.method,
    cartridgeSince: e.cartridgeSince,
    replacedAt: e.replacedAt,
  };
  if (e.levelNow !== undefined) base.levelNow = Math.round(e.levelNow * 10) / 10;
  if (e.levelPerWorkingDay !== undefined) base.levelPerWorkingDay = Math.round(e.levelPerWorkingDay * 100) / 100;
  switch (f.status) {
    case 'forecast':
      return { ...base, at: f.at, date: f.date, earliest: f.earliest, latest: f.latest, workingDaysLeft: round(f.workingDaysLeft), confidence: f.confidence };
    case 'reached':
      return { ...base, since: f.since };
    case 'distant':
      return { ...base, beyondWorkingDays: f.beyondWorkingDays };
    case 'notEnoughData':
      return { ...base, reason: f.reason, message: f.message };
  }
}

function round(w: { estimate: number; low: number; high: number | null }): { estimate: number; low: number; high: number | null } {
  const r = (x: number) => Math.round(x * 10) / 10;
  return { estimate: r(w.estimate), low: r(w.low), high: w.high === null ? null : r(w.high) };
}

export class ForecastService {
  private readonly clocks = new WeakMap<Contract, WorkingDayClock>();
  private readonly repeating: RepeatingTask;
  private sweeping: Promise<SweepResult> | undefined;
  readonly stats = { forecasts: 0, opened: 0, closed: 0, sweeps: 0 };

  constructor(private readonly o: ForecastServiceOptions) {
    this.repeating = new RepeatingTask({
      clock: o.clock,
      firstDelayMs: o.firstSweepDelayMs ?? 60_000,
      intervalMs: () => o.sweepIntervalMs ?? 86_400_000,
      run: () => this.sweep(),
      onError: (err) => o.logger?.error({ err }, 'supply forecast sweep failed'),
    });
  }

  /** Forecasts at ingest: the recorder calls back when a supply's history changed. */
  attach(recorder: HistoryRecorder): void {
    const every = this.o.recomputeAfterMs ?? 3 * 3_600_000;
    recorder.onSupplyRecorded(
      async (tx, { track, update, device, at }) => {
        const pinned = appendedPinned(update);
        const now = Math.max(this.o.clock.now(), at);
        // A replacement refreshes at once (closes the order); a pinned point (empty, full, -3) or a
        // new point a forecast older than recomputeAfterMs; overwriting the day's latest point one
        // older than 4 times that. The forecast works in working days: hours of delay change nothing.
        const age = track.forecast === undefined ? Number.POSITIVE_INFINITY : now - track.forecast.computedAt;
        if (!update.cut && age < (pinned ? every / 12 : update.appended ? every : 4 * every)) return track;
        const settle = (outcome: ServiceOutcome) => this.o.afterCommit(tx, () => this.o.tickets.settle(outcome));
        return (await this.refresh(tx, track, device, now, settle)).track;
      },
      // What a refresh reads, when one may be due (the shortest wait above; a replacement's is read on its own).
      (deviceKey, track) => {
        const age = track?.forecast === undefined ? Number.POSITIVE_INFINITY : this.o.clock.now() - track.forecast.computedAt;
        if (age < every / 12) return [];
        return [[COUNTERS, deviceKey], ...(track?.order?.status === 'open' ? [[TICKETS, track.order.ticketId] as const] : [])];
      },
    );
  }

  clockFor(contract: Contract): WorkingDayClock {
    let c = this.clocks.get(contract);
    if (!c) this.clocks.set(contract, (c = workingDayClock({ zone: contract.calendar.zone, isWorkingDay: workingDaysOf(contract.calendar) })));
    return c;
  }

  /** Recomputes the forecast of one supply and acts on the order decision; returns the updated track. */
  async refresh(
    tx: Transaction,
    track: SupplyTrack,
    device: DeviceRecord | undefined,
    now: number,
    settle: (outcome: ServiceOutcome) => void,
  ): Promise<{ track: SupplyTrack; action: OrderAction }> {
    const contract = this.o.contractOf(track.customerId);
    const counters = await tx.get<CounterTrack>(COUNTERS, track.deviceKey);
    const forecast = forecastSupply(
      { role: track.role, levels: levelReadings(track), pages: pageReadings(counters), now, clock: this.clockFor(contract) },
      this.o.settings ?? DEFAULT_FORECAST_SETTINGS,
    );
    this.stats.forecasts += 1;
    let next: SupplyTrack = { ...track, forecast: summarize(forecast, now) };
    const terms = contract.spec.supplyOrders;
    if (!terms.enabled) return { track: next, action: null };

    const existing = await this.orderRecord(tx, next);
    if (existing?.status === 'closed' && next.order?.status === 'open') next = { ...next, order: { ...next.order, status: 'closed', closedAt: now } };
    const partDescription = track.partNumber ? `${track.name} (${track.partNumber})` : track.name;
    const decision = decideSupplyOrder({
      supply: { deviceId: track.deviceKey, supplyIndex: track.index, partDescription, kind: track.kind, color: track.color },
      forecast,
      policy: { leadTimeWorkingDays: terms.leadTimeWorkingDays, safetyWorkingDays: terms.safetyWorkingDays },
      existing,
      now,
    });
    if (decision.action === 'open') {
      const d = device ?? (await tx.get<DeviceRecord>(FLEET_COLLECTIONS.devices, track.deviceKey));
      if (!d) return { track: next, action: null };
      const site = this.o.directory.site(d.tenant, d.agentId);
      const level = d.supplies.find((s) => s.index === track.index);
      const outcome = await this.o.tickets.handleSupplySignalIn(tx, {
        kind: 'supply.orderDue',
        at: now,
        agentId: agentKey(d.tenant, d.agentId),
        customer: this.customerRef(d, contract),
        site: { id: site.id, name: site.name },
        device: { id: d.key, vendor: d.identity.vendor, model: d.identity.model, serial: d.identity.serial, address: d.address, location: d.identity.location },
        draft: decision.draft,
        levelPercent: level?.levelPercent ?? null,
        state: level?.state ?? 'unknown',
      });
      settle(outcome);
      const key = supplyOrderTicketKey(track.deviceKey, track.index);
      const ticket =
        outcome.tickets.find((t) => t.key === key && t.status !== 'closed') ?? (await ticketStoreIn(tx).concerning([`key:${key}`])).find((t) => t.key === key);
      if (ticket) {
        next = { ...next, order: { status: 'open', openedAt: ticket.openedAt, ticketId: ticket.id } };
        if (outcome.tickets.length > 0) {
          this.stats.opened += 1;
          return { track: next, action: 'opened' };
        }
      }
      return { track: next, action: null };
    }
    if (decision.action === 'close') {
      settle(
        await this.o.tickets.handleSupplySignalIn(tx, {
          kind: 'supply.replaced',
          at: now,
          deviceId: track.deviceKey,
          supplyIndex: track.index,
          replacedAt: decision.replacedAt,
        }),
      );
      if (next.order) next = { ...next, order: { ...next.order, status: 'closed', closedAt: now } };
      this.stats.closed += 1;
      return { track: next, action: 'closed' };
    }
    return { track: next, action: null };
  }

  /** The order as the decision needs it: open while its ticket is not closed (an operator may have closed it). */
  private async orderRecord(tx: Transaction, track: SupplyTrack): Promise<SupplyOrderRecord | null> {
    const order = track.order;
    if (!order) return null;
    if (order.status === 'closed') return { status: 'closed', openedAt: order.openedAt, ticketId: order.ticketId };
    const ticket = await ticketStoreIn(tx).get(order.ticketId);
    return { status: ticket && ticket.status !== 'closed' ? 'open' : 'closed', openedAt: order.openedAt, ticketId: order.ticketId };
  }

  private customerRef(d: DeviceRecord, contract: Contract): CustomerRef {
    const c = this.o.directory.customer(d.tenant);
    return {
      id: c.id,
      name: c.name,
      contact: c.contact
        ? {
            name: c.contact.name,
            ...(c.contact.phone !== undefined ? { phone: c.contact.phone } : {}),
            ...(c.contact.email !== undefined ? { email: c.contact.email } : {}),
          }
        : { name: '(no contact on file)' },
      contractId: contract.spec.id,
    };
  }

  /** Refreshes every supply whose forecast is older than `staleAfterMs`, in batches of transactions. */
  sweep(): Promise<SweepResult> {
    if (this.sweeping) return this.sweeping;
    const run = async (): Promise<SweepResult> => {
      const now = this.o.clock.now();
      const staleAfter = this.o.staleAfterMs ?? 12 * 3_600_000;
      const all = await this.o.repo.list<SupplyTrack>(SUPPLIES);
      const ids = all.filter((t) => !t.forecast || now - t.forecast.computedAt >= staleAfter).map((t) => supplyId(t.deviceKey, t.index));
      const result: SweepResult = { supplies: all.length, refreshed: 0, opened: 0, closed: 0 };
      const batch = this.o.sweepBatch ?? 200;
      for (let i = 0; i < ids.length; i += batch) {
        // Counts and ticket outcomes of the attempt that commits only (a unit may be re-run).
        const done = await this.o.repo.transaction(async (tx) => {
          const outcomes: ServiceOutcome[] = [];
          const counts = { refreshed: 0, opened: 0, closed: 0 };
          for (const id of ids.slice(i, i + batch)) {
            const track = await tx.get<SupplyTrack>(SUPPLIES, id);
            if (!track) continue;
            try {
              const mine: ServiceOutcome[] = [];
              const r = await tx.savepoint(() => this.refresh(tx, track, undefined, now, (o) => mine.push(o)));
              await tx.put(SUPPLIES, id, r.track);
              outcomes.push(...mine);
              counts.refreshed += 1;
              if (r.action === 'opened') counts.opened += 1;
              if (r.action === 'closed') counts.closed += 1;
            } catch (err) {
              if (abortsUnitOfWork(err)) throw err;
              this.o.logger?.error({ err, supply: id }, 'forecast sweep: supply skipped');
            }
          }
          return { outcomes, counts };
        });
        for (const o of done.outcomes) this.o.tickets.settle(o);
        result.refreshed += done.counts.refreshed;
        result.opened += done.counts.opened;
        result.closed += done.counts.closed;
      }
      this.stats.sweeps += 1;
      this.o.logger?.info(result, 'supply forecast sweep done');
      return result;
    };
    const p = run().finally(() => {
      this.sweeping = undefined;
    });
    this.sweeping = p;
    return p;
  }

  /** Runs it on a timer (the leader instance only). */
  start(): void {
    this.repeating.start();
  }

  stop(): void {
    this.repeating.stop();
  }
}
