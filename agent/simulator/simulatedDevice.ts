/**
 * One running simulated device: its initial state, the scenario, and the views rendered from
 * the state at the current time. Views are re-rendered only when the state actually changed, and
 * the state is re-evaluated at most once per `quantumMs` (and exactly at scenario boundaries), so
 * answering a request is a lookup.
 */
import type { Clock } from '../../shared/clock.js';
import type { DeviceState } from './deviceModel.js';
import { activeFaults } from './deviceFaults.js';
import { EMPTY_HISTORY, trackFaults, type FaultHistory, type TrackedFault } from './faultHistory.js';
import { renderIppAttributes, type IppAttributes } from './ippView.js';
import { buildMibTable, type MibTable } from './mibTable.js';
import { applyScenario, nextBoundary, selects, type DeviceRef, type Scenario } from './scenario.js';
import { renderSnmpRows } from './snmpView.js';

export interface DeviceSnapshotNow {
  readonly state: DeviceState;
  readonly faults: readonly TrackedFault[];
}

function fingerprint(state: DeviceState, faults: readonly TrackedFault[], history: FaultHistory): string {
  return JSON.stringify([
    state.mode,
    state.silent,
    state.pageCount,
    state.supplies.map((s) => s.level),
    state.trays.map((t) => t.level),
    faults.map((f) => [f.key, f.alertIndex, f.since]),
    history.allEvents,
  ]);
}

export class SimulatedDevice {
  /** Elapsed ms until which the current state holds: the next quantum or scenario boundary. */
  private validUntil = -1;
  private validFrom = 0;
  /** Whether the scenario changes this device continuously (drain, fill, print). */
  private readonly continuous: boolean;
  private history: FaultHistory = EMPTY_HISTORY;
  private now: DeviceSnapshotNow;
  private print = '';
  private table: MibTable | null = null;
  private ipp: { uri: string; attrs: IppAttributes } | null = null;

  constructor(
    readonly ref: DeviceRef,
    readonly initial: DeviceState,
    private readonly scenario: Scenario,
    private readonly clock: Clock,
    private readonly startedAt: number,
    /** sysUpTime at start (hundredths of a second). */
    readonly uptimeAtStart: number,
    private readonly quantumMs = 1000,
  ) {
    this.continuous = scenario.events.some((e) => (e.action === 'drain' || e.action === 'fill' || e.action === 'print') && selects(e.devices, ref));
    this.now = { state: initial, faults: [] };
    this.refresh();
  }

  get id(): string {
    return this.ref.id;
  }

  elapsedMs(): number {
    return Math.max(0, this.clock.now() - this.startedAt);
  }

  /** The state and faults now (re-evaluated when a new quantum of time has begun). */
  current(): DeviceSnapshotNow {
    this.refresh();
    return this.now;
  }

  private refresh(): void {
    const elapsed = this.elapsedMs();
    if (elapsed < this.validUntil && elapsed >= this.validFrom) return;
    const boundary = nextBoundary(this.scenario, elapsed);
    this.validFrom = elapsed;
    // Between boundaries only drains, fills and printing change anything.
    const quantumEnd = this.continuous ? (Math.floor(elapsed / this.quantumMs) + 1) * this.quantumMs : Infinity;
    this.validUntil = Math.min(quantumEnd, boundary ?? Infinity);
    const state = applyScenario(this.initial, this.scenario, this.ref, elapsed);
    const tracked = trackFaults(this.history, activeFaults(state), elapsed);
    this.history = tracked.history;
    const next = { ...state, alertEvents: { all: tracked.history.allEvents, critical: tracked.history.criticalEvents } };
    const print = fingerprint(next, tracked.faults, tracked.history);
    if (print !== this.print) {
      this.print = print;
      this.table = null;
      this.ipp = null;
    }
    this.now = { state: next, faults: tracked.faults };
  }

  /** The SNMP view, or 'silent' while the scenario keeps the device quiet. */
  snmpTable(): MibTable | 'silent' {
    const { state, faults } = this.current();
    if (state.silent) return 'silent';
    this.table ??= buildMibTable(
      renderSnmpRows(state, faults, {
        uptimeAtStart: this.uptimeAtStart,
        elapsedMs: () => this.elapsedMs(),
        alertEvents: state.alertEvents,
      }),
    );
    return this.table;
  }

  /** Get-Printer-Attributes printer attributes, or 'silent'. */
  ippAttributes(printerUri: string): IppAttributes | 'silent' {
    const { state, faults } = this.current();
    if (state.silent) return 'silent';
    const upTimeSeconds = this.uptimeAtStart / 100 + this.elapsedMs() / 1000;
    if (!this.ipp || this.ipp.uri !== printerUri) {
      this.ipp = { uri: printerUri, attrs: renderIppAttributes(state, faults, { printerUri, upTimeSeconds, uptimeAtStart: this.uptimeAtStart }) };
    }
    // printer-up-time moves on even when nothing else changed.
    return { ...this.ipp.attrs, 'printer-up-time': Math.max(1, Math.floor(upTimeSeconds)) };
  }
}
