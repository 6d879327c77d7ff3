/**
 * The agent wired together: schedule → collect → diff → outbox → publish, plus health, traps
 * and periodic discovery. This is the imperative shell; the decisions live in the pure modules.
 *
 * Per poll: the collector's result is validated (a device answering nonsense is a failed poll
 * with a clear reason, never a crash), change detection turns it into events, the events go to
 * the outbox (fsynced) before anything is published, telemetry follows, and the retained
 * device.state is refreshed when its content changed (or every `polling.stateRefresh`).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock, type TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { DeviceSnapshot } from '../../shared/snapshot.js';
import { toProblems } from '../../shared/validation.js';
import { envelope } from '../../shared/wire/codec.js';
import type { DeviceEventMessage, DeviceStateMessage, DeviceTelemetryMessage } from '../../shared/wire/messages.js';
import { deviceTopic } from '../../shared/wire/topics.js';
import type { AgentConfig } from '../agentConfig.js';
import { detectChanges, INITIAL_MEMORY, type ChangeSettings, type PollOutcome, type PollTrigger } from '../diff/changeDetection.js';
import { family, Histogram } from '../../shared/metrics.js';
import { startHealthServer } from '../health/healthServer.js';
import { Outbox } from '../outbox/outbox.js';
import type { StoredMessage } from '../outbox/recordFormat.js';
import { Publisher } from '../publish/publisher.js';
import { Scheduler, type PollResult } from '../schedule/scheduler.js';
import type { Collector, CollectResult } from './collector.js';
import { StateStore, type DeviceRecord } from './stateStore.js';
import { parseTarget, type PollTarget } from './targets.js';

export interface AgentRuntimeOptions {
  config: AgentConfig;
  collector: Collector;
  log: Logger;
  version: string;
  clock?: Clock;
  /** Overrides config.health.listen (tests use port 0). */
  healthListen?: string;
  /** Optional extra services started with the agent (trap listener, discovery). */
  services?: ((runtime: AgentRuntime) => Promise<RuntimeService>)[];
}

export interface RuntimeService {
  readonly name: string;
  stop(): Promise<void> | void;
}

/** Device memory without events is written at most this often (the file holds every device). */
const STATE_SAVE_EVERY_MS = 15_000;

const POLL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The collector's answer, or a failure as soon as the poll is aborted (timeout), whichever comes first. */
function abortable(promise: Promise<CollectResult>, signal: AbortSignal, onAbort: () => CollectResult): Promise<CollectResult> {
  if (signal.aborted) return Promise.resolve(onAbort());
  return new Promise<CollectResult>((resolve) => {
    const listener = () => resolve(onAbort());
    signal.addEventListener('abort', listener, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', listener);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', listener);
        resolve({ ok: false, error: `collector failed: ${err instanceof Error ? err.message : String(err)}` });
      },
    );
  });
}

/** device.state content that matters for "did it change": everything but the poll time and counters. */
function stateHash(snapshot: DeviceSnapshot): string {
  const { collectedAt: _c, counters: _n, ...rest } = snapshot;
  return createHash('sha1').update(JSON.stringify(rest)).digest('base64');
}

export class AgentRuntime {
  readonly outbox: Outbox;
  readonly publisher: Publisher;
  readonly scheduler: Scheduler;
  readonly targets = new Map<string, PollTarget>();
  private readonly devices: Map<string, DeviceRecord>;
  private readonly store: StateStore;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly settings: ChangeSettings;
  private readonly pollSeconds = new Histogram('fleetdesk_agent_poll_duration_seconds', 'Time to poll one device.', POLL_BUCKETS);
  private readonly counters = { polls: 0, pollFailures: 0, events: 0, telemetry: 0, invalidSnapshots: 0, outboxWriteErrors: 0, stateSaveErrors: 0, traps: 0 };
  private readonly startedAt: Date;
  private stateDirty = false;
  private lastStateSave = 0;
  private timers: TimerHandle[] = [];
  private healthEndpoint: { port: number; close: () => Promise<void> } | null = null;
  private services: RuntimeService[] = [];
  private nearFullWarned = false;
  /** Devices a trap asked to re-poll whose next poll has not started yet. */
  private readonly trapPolls = new Set<string>();
  /** Set by the discovery service: runs a sweep now (server "discover" command). */
  onDiscoverCommand: (() => void) | null = null;
  private stopped = false;

  private constructor(private readonly opts: AgentRuntimeOptions) {
    const c = opts.config;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
    this.startedAt = new Date(this.clock.now());
    this.settings = {
      raiseAfter: c.hysteresis.raiseAfter,
      clearAfter: c.hysteresis.clearAfter,
      supplyConfirmAfter: c.hysteresis.supplyConfirmAfter,
      unreachableAfter: c.polling.unreachableAfter,
      replacementJumpPercent: c.thresholds.replacementJumpPercent,
    };
    this.outbox = Outbox.open({
      dir: c.outbox.dir,
      maxBytes: c.outbox.maxBytes,
      segmentBytes: c.outbox.segmentSize,
      telemetryFsyncMs: c.outbox.telemetryFsync,
      nearFullRatio: c.outbox.warnAtPercent / 100,
      now: () => this.clock.now(),
    });
    for (const p of this.outbox.problems) {
      this.log.error(
        { file: p.file, quarantinedAs: p.quarantinedAs, recoveredRecords: p.recoveredRecords, lostBytes: p.lostBytes, reason: p.reason },
        'corrupt outbox segment quarantined',
      );
    }
    this.store = new StateStore(join(c.outbox.dir, 'agent-state.json'));
    const loaded = this.store.load(this.outbox.recoveredSeq);
    if (loaded.problem) this.log.error(loaded.problem);
    this.devices = new Map(loaded.devices);
    this.publisher = new Publisher({
      broker: c.broker,
      tenant: c.tenant,
      agentId: c.agentId,
      version: opts.version,
      startedAt: this.startedAt,
      clock: this.clock,
      log: this.log.child({ component: 'publish' }),
      outbox: this.outbox,
      window: c.reporting.window,
      initialBackoffMs: c.reporting.reconnectMin,
      maxBackoffMs: c.reporting.reconnectMax,
      describe: () => ({ devices: this.targets.size, outboxDepth: this.outbox.stats().records }),
      onCommand: (cmd) => {
        if (cmd.name === 'poll') this.pollNow(cmd.deviceId);
        else if (cmd.name === 'discover') this.onDiscoverCommand?.();
      },
    });
    this.scheduler = new Scheduler({
      clock: this.clock,
      intervalMs: c.polling.interval,
      jitter: c.polling.jitter,
      concurrency: c.polling.concurrency,
      timeoutMs: c.polling.timeout,
      backoffAfter: c.polling.unreachableAfter,
      maxBackoffMs: c.polling.maxBackoff,
      poll: (id, signal) => this.poll(id, signal),
      onTimeout: (id) => this.log.debug({ deviceId: id }, 'poll timed out'),
    });
  }

  static async start(opts: AgentRuntimeOptions): Promise<AgentRuntime> {
    const rt = new AgentRuntime(opts);
    try {
      for (const entry of opts.config.devices) rt.addTarget(parseTarget(entry, opts.config.snmp.port));
      // Mark the state file "not cleanly stopped" at once: a crash from here on bumps sequence numbers.
      rt.saveState(false);
      rt.publisher.start();
      rt.scheduler.start();
      const h = await startHealthServer(opts.healthListen ?? opts.config.health.listen, rt);
      rt.healthEndpoint = h;
      for (const make of opts.services ?? []) rt.services.push(await make(rt));
      rt.every(1000, () => rt.housekeeping());
      rt.every(opts.config.health.statusLogInterval, () => rt.logStatus());
      rt.log.info(
        { devices: rt.targets.size, outboxRecords: rt.outbox.stats().records, health: h.port, interval: opts.config.polling.interval },
        'agent started',
      );
      return rt;
    } catch (err) {
      await rt.stop();
      throw err;
    }
  }

  get config(): AgentConfig {
    return this.opts.config;
  }

  get logger(): Logger {
    return this.log;
  }

  get healthPort(): number | null {
    return this.healthEndpoint?.port ?? null;
  }

  private every(ms: number, fn: () => void): void {
    const tick = () => {
      if (this.stopped) return;
      try {
        fn();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'periodic task failed');
      }
      this.timers.push(this.clock.setTimeout(tick, ms));
    };
    this.timers.push(this.clock.setTimeout(tick, ms));
  }

  addTarget(target: PollTarget): boolean {
    if (this.targets.has(target.deviceId)) return false;
    this.targets.set(target.deviceId, target);
    this.scheduler.add(target.deviceId);
    return true;
  }

  /**
   * Re-poll at once (trap, server command). A trap's poll confirms the faults it sees (change
   * detection); it is the next poll to START that counts, not one already running when the trap came.
   */
  pollNow(deviceId: string, trigger: PollTrigger = 'schedule'): boolean {
    if (trigger === 'trap' && this.targets.has(deviceId)) this.trapPolls.add(deviceId);
    return this.scheduler.pollNow(deviceId);
  }

  /** Devices polled at this host (trap senders are known only by address). */
  devicesAtHost(host: string): string[] {
    const out: string[] = [];
    for (const t of this.targets.values()) if (t.host === host) out.push(t.deviceId);
    return out;
  }

  countTrap(): void {
    this.counters.traps++;
  }

  private async poll(deviceId: string, signal: AbortSignal): Promise<PollResult> {
    const target = this.targets.get(deviceId);
    if (!target) return 'failed';
    const trigger: PollTrigger = this.trapPolls.delete(deviceId) ? 'trap' : 'schedule';
    const started = performance.now();
    let result: CollectResult;
    try {
      result = await abortable(this.opts.collector.collect(target, signal), signal, () => ({
        ok: false,
        error: `no answer within ${this.opts.config.polling.timeout} ms`,
      }));
    } catch (err) {
      result = { ok: false, error: `collector failed: ${(err as Error).message}` };
    }
    this.pollSeconds.observe((performance.now() - started) / 1000);
    this.counters.polls++;
    if (this.stopped) return result.ok ? 'ok' : 'failed';
    const outcome = this.validate(target, result, trigger);
    if (!outcome.ok) this.counters.pollFailures++;
    this.log.debug({ deviceId, ok: outcome.ok, ...(outcome.ok ? { faults: outcome.snapshot.faults.length } : { err: outcome.error }) }, 'poll finished');
    try {
      this.record(target, outcome);
    } catch (err) {
      this.log.error({ deviceId, err: (err as Error).message }, 'cannot record poll result');
    }
    return outcome.ok ? 'ok' : 'failed';
  }

  private validate(target: PollTarget, result: CollectResult, trigger: PollTrigger): PollOutcome {
    if (!result.ok) return { ok: false, error: String(result.error).slice(0, 1024) };
    const parsed = DeviceSnapshot.safeParse(result.snapshot);
    if (parsed.success) return { ok: true, snapshot: parsed.data, trigger };
    this.counters.invalidSnapshots++;
    const problems = toProblems(parsed.error)
      .slice(0, 3)
      .map((p) => p.message)
      .join('; ');
    const error = `device answered with data the agent cannot use: ${problems}`;
    this.log.warn({ deviceId: target.deviceId, address: target.address, err: error }, 'invalid snapshot');
    return { ok: false, error: error.slice(0, 1024) };
  }

  private record(target: PollTarget, outcome: PollOutcome): void {
    const c = this.opts.config;
    const id = target.deviceId;
    const now = new Date(this.clock.now());
    const rec = this.devices.get(id) ?? { memory: INITIAL_MEMORY, seq: 0 };
    this.devices.set(id, rec);
    const change = detectChanges(rec.memory, outcome, now, this.settings);
    rec.memory = change.memory;
    this.stateDirty = true;

    if (change.events.length > 0) {
      const topic = deviceTopic(c.tenant, c.agentId, id, 'events');
      const items: StoredMessage[] = change.events.map((event) => {
        const message: DeviceEventMessage = { ...envelope(now, c.tenant, c.agentId), type: 'device.event', deviceId: id, seq: ++rec.seq, event };
        return { topic, message };
      });
      this.counters.events += items.length;
      this.append('events', items, id);
      // The memory that produced these events must outlive a crash, or they would be raised again.
      this.saveState(false);
      for (const e of change.events) this.log.info({ deviceId: id, event: e.kind }, 'device event');
    }
    if (outcome.ok) {
      const s = outcome.snapshot;
      const telemetry: DeviceTelemetryMessage = {
        ...envelope(now, c.tenant, c.agentId),
        type: 'device.telemetry',
        deviceId: id,
        seq: ++rec.seq,
        status: s.status,
        supplies: s.supplies.map((x) => ({ index: x.index, kind: x.kind, color: x.color, levelPercent: x.levelPercent, state: x.state })),
        counters: s.counters,
      };
      this.counters.telemetry++;
      this.append('telemetry', [{ topic: deviceTopic(c.tenant, c.agentId, id, 'telemetry'), message: telemetry }], id);
      const hash = stateHash(s);
      if (hash !== rec.stateHash || rec.stateAt === undefined || now.getTime() - rec.stateAt >= c.polling.stateRefresh) {
        const state: DeviceStateMessage = { ...envelope(now, c.tenant, c.agentId), type: 'device.state', deviceId: id, seq: ++rec.seq, snapshot: s };
        rec.stateHash = hash;
        rec.stateAt = now.getTime();
        this.publisher.publishState(state);
      }
    }
    this.publisher.kick();
  }

  private append(lane: 'events' | 'telemetry', items: StoredMessage[], deviceId: string): void {
    const r = this.outbox.append(lane, items);
    if (!r.persisted && r.error && lane === 'events') {
      this.counters.outboxWriteErrors++;
      this.log.error({ deviceId, err: r.error, heldInMemory: items.length }, 'cannot write events to the outbox; holding them in memory');
    } else if (!r.persisted && r.error) {
      this.counters.outboxWriteErrors++;
      this.log.warn({ deviceId, err: r.error }, 'telemetry not written to the outbox');
    }
    const st = this.outbox.stats();
    if (st.nearFull && !this.nearFullWarned) {
      this.nearFullWarned = true;
      this.log.warn(
        { bytes: st.bytes, maxBytes: st.maxBytes, records: st.records },
        'outbox is nearly full: the oldest telemetry will be dropped to make room (events are kept)',
      );
    } else if (!st.nearFull) {
      this.nearFullWarned = false;
    }
  }

  private saveState(clean: boolean): void {
    this.lastStateSave = this.clock.now();
    try {
      this.store.save(this.devices, clean);
      this.stateDirty = false;
    } catch (err) {
      this.counters.stateSaveErrors++;
      this.log.error({ err: (err as Error).message }, 'cannot save agent state');
    }
  }

  private housekeeping(): void {
    this.outbox.checkpoint();
    // Memory changes without events (pending counts) are saved every STATE_SAVE_EVERY_MS: losing
    // a few seconds of them in a crash only delays a raise or clear by a poll. Memory behind an
    // event is saved at once (record()).
    if (this.stateDirty && this.clock.now() - this.lastStateSave >= STATE_SAVE_EVERY_MS) this.saveState(false);
    this.publisher.kick();
  }

  private summary() {
    const o = this.outbox.stats();
    const p = this.publisher.stats();
    const s = this.scheduler.stats();
    let unreachable = 0;
    for (const id of this.targets.keys()) if (this.devices.get(id)?.memory.reachable === false) unreachable++;
    return { o, p, s, unreachable };
  }

  private logStatus(): void {
    const { o, p, s, unreachable } = this.summary();
    this.log.info(
      {
        devices: this.targets.size,
        unreachable,
        polls: this.counters.polls,
        pollFailures: this.counters.pollFailures,
        events: this.counters.events,
        broker: p.connected ? (p.waitingForSubscriberSince === null ? 'connected' : 'connected, no subscriber') : 'disconnected',
        outboxRecords: o.records,
        outboxBytes: o.bytes,
        droppedTelemetry: o.droppedTelemetry,
        running: s.running,
        queued: s.queued,
      },
      'status',
    );
  }

  health(): { ok: boolean; [k: string]: unknown } {
    const { o, p, unreachable } = this.summary();
    // Unhealthy while stopping or while the outbox cannot write (messages held in memory only).
    const writing = o.byLane.events.inMemory + o.byLane.telemetry.inMemory === 0;
    return {
      ok: !this.stopped && writing,
      startedAt: this.startedAt.toISOString(),
      devices: this.targets.size,
      unreachable,
      broker: {
        connected: p.connected,
        lastPublishAt: p.lastPublishAt === null ? null : new Date(p.lastPublishAt).toISOString(),
        lastError: p.lastError,
        // The broker has no subscriber for our messages (no FleetDesk server session): they wait in the outbox.
        waitingForSubscriberSince: p.waitingForSubscriberSince === null ? null : new Date(p.waitingForSubscriberSince).toISOString(),
      },
      outbox: {
        records: o.records,
        bytes: o.bytes,
        maxBytes: o.maxBytes,
        nearFull: o.nearFull,
        writeErrors: o.writeErrors,
        lastWriteError: o.lastWriteError,
        quarantined: o.quarantined,
      },
    };
  }

  metrics(): string {
    const { o, p, s, unreachable } = this.summary();
    const k = this.counters;
    return [
      family('fleetdesk_agent_devices', 'gauge', 'Devices being polled.', this.targets.size),
      family('fleetdesk_agent_devices_unreachable', 'gauge', 'Devices currently reported unreachable.', unreachable),
      family('fleetdesk_agent_polls_total', 'counter', 'Device polls finished.', k.polls),
      family('fleetdesk_agent_poll_failures_total', 'counter', 'Polls that failed (no answer, error, invalid data).', k.pollFailures),
      family('fleetdesk_agent_poll_timeouts_total', 'counter', 'Polls cut off by the per-device timeout.', s.timeouts),
      family('fleetdesk_agent_invalid_snapshots_total', 'counter', 'Polls whose data failed validation.', k.invalidSnapshots),
      this.pollSeconds.render(),
      family('fleetdesk_agent_polls_running', 'gauge', 'Polls in progress.', s.running),
      family('fleetdesk_agent_polls_queued', 'gauge', 'Polls waiting for a free slot.', s.queued),
      family('fleetdesk_agent_events_total', 'counter', 'Device events produced.', k.events),
      family('fleetdesk_agent_traps_total', 'counter', 'SNMP traps received.', k.traps),
      family('fleetdesk_agent_outbox_records', 'gauge', 'Messages waiting in the outbox.', [
        { value: o.byLane.events.records, labels: { lane: 'events' } },
        { value: o.byLane.telemetry.records, labels: { lane: 'telemetry' } },
      ]),
      family('fleetdesk_agent_outbox_bytes', 'gauge', 'Bytes of outbox segment files.', o.bytes),
      family('fleetdesk_agent_outbox_max_bytes', 'gauge', 'Outbox size budget.', o.maxBytes),
      family('fleetdesk_agent_outbox_dropped_telemetry_total', 'counter', 'Telemetry messages dropped because the outbox was full.', o.droppedTelemetry),
      family('fleetdesk_agent_outbox_write_errors_total', 'counter', 'Failed outbox writes (disk full, I/O errors).', o.writeErrors),
      family('fleetdesk_agent_outbox_quarantined_files', 'gauge', 'Corrupt outbox files moved aside since start.', o.quarantined),
      family('fleetdesk_agent_broker_connected', 'gauge', '1 while connected to the MQTT broker.', p.connected ? 1 : 0),
      family(
        'fleetdesk_agent_broker_waiting_for_subscriber',
        'gauge',
        '1 while the broker has no subscriber for the outbox messages (the FleetDesk server has no session there); they wait.',
        p.waitingForSubscriberSince === null ? 0 : 1,
      ),
      family('fleetdesk_agent_published_total', 'counter', 'Messages acknowledged by the broker.', p.published),
      family(
        'fleetdesk_agent_last_publish_timestamp_seconds',
        'gauge',
        'When the broker last acknowledged a message.',
        p.lastPublishAt === null ? 0 : p.lastPublishAt / 1000,
      ),
    ].join('\n');
  }

  /** Graceful stop: no new polls, wait for running ones, flush, say goodbye to the broker. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    for (const s of this.services.reverse()) {
      try {
        await s.stop();
      } catch (err) {
        this.log.warn({ service: s.name, err: (err as Error).message }, 'service did not stop cleanly');
      }
    }
    await this.scheduler.stop(3000);
    await this.publisher.stop(3000);
    await this.healthEndpoint?.close();
    this.opts.collector.close?.();
    this.saveState(true);
    this.outbox.close();
    this.log.info({ outboxRecords: this.outbox.stats().records }, 'agent stopped');
  }
}
