/**
 * The shell that records device history at ingest: subscribed to the fleet bus's device updates,
 * it runs inside the ingest transaction, so a reading and its history commit together.
 *
 * Per message it looks only at what changed: supplies whose level or state differ from the
 * previous record (all supplies once per UTC day, so a supply that stays put still has a point
 * a day), the counters (at most one point per gap, checked against a small in-memory note before
 * the record is read), the device's fault changes and a new firmware version. No scan of history per message: O(changed
 * supplies) record reads and writes. Points that leave a hot record go to the monthly archive.
 */
import type { Logger } from '../../shared/logging.js';
import type { Supply } from '../../shared/snapshot.js';
import type { DeviceUpdate, FleetEventBus, PendingDeviceUpdate } from '../events/fleetEvents.js';
import type { DeviceRecord } from '../fleet/fleetModel.js';
import { supplyRole } from '../forecast/supplyHistory.js';
import type { RecordRef, Transaction } from '../storage/repository.js';
import type { CustomerFixableNotice } from '../tickets/customerFixable.js';
import {
  appendedPinned,
  DEFAULT_HISTORY_LIMITS,
  HISTORY_COLLECTIONS,
  recordCounters,
  recordLevel,
  recordTimeline,
  recordFirmware,
  firmwareChange,
  supplyId,
  type ArchiveChunk,
  type CounterTrack,
  type FaultTimeline,
  type HistoryLimits,
  type LevelUpdate,
  type SupplyMeta,
  type SupplyTrack,
  type TimelineEntry,
} from './deviceHistory.js';

const { supplies: SUPPLIES, counters: COUNTERS, faults: FAULTS_TL, archive: ARCHIVE } = HISTORY_COLLECTIONS;
const DAY = 86_400_000;

/** Called after a supply's history changed, inside the same transaction; may return the track with more set on it (forecast, order). */
export type SupplyRecordedHook = (
  tx: Transaction,
  change: { track: SupplyTrack; update: LevelUpdate; device: DeviceRecord; at: number },
) => Promise<SupplyTrack>;

/** What the hook may read for a supply whose reading moved, given its stored track (undefined for a new supply). */
export type SupplyRecordedReads = (deviceKey: string, track: SupplyTrack | undefined) => readonly RecordRef[];

export interface HistoryRecorderOptions {
  logger?: Logger;
  limits?: HistoryLimits;
}

export class HistoryRecorder {
  private readonly limits: HistoryLimits;
  /** Last counter point written per device (ms): skips reading the record between points. Bounded. */
  private readonly counterNote = new Map<string, number>();
  private archiveSeq = 0;
  private hook: SupplyRecordedHook | undefined;
  private hookReads: SupplyRecordedReads | undefined;
  /** Counters for metrics/benchmarks. */
  readonly stats = { supplyWrites: 0, counterWrites: 0, timelineWrites: 0, archivedChunks: 0 };

  constructor(private readonly o: HistoryRecorderOptions = {}) {
    this.limits = o.limits ?? DEFAULT_HISTORY_LIMITS;
  }

  attach(bus: FleetEventBus): () => void {
    // Faults and reachability changes go on the timeline; supply and identity events do not.
    const undeclare = bus.declareReads((deviceKey, event) =>
      event.kind === 'supply.changed' || event.kind === 'identity.changed' ? [] : [[FAULTS_TL, deviceKey]],
    );
    const undeclareUpdates = bus.declareUpdateReads({ first: (u) => this.readsOf(u), then: (u, tx) => this.followingReadsOf(u, tx) });
    const unsubscribe = bus.subscribeDeviceUpdates((u, tx) => this.record(u, tx));
    return () => {
      undeclare();
      undeclareUpdates();
      unsubscribe();
    };
  }

  /**
   * What `record` will read for a device message, from the message and the stored record: the
   * tracks of supplies whose reading moved (all of them on a new day), the counter track when a
   * point is due, and the timeline of a state snapshot or an identity change. What is left out is
   * read on its own (a round trip on PostgreSQL). What the forecast hook reads follows from the
   * supply tracks: `followingReadsOf`.
   */
  readsOf(u: PendingDeviceUpdate): RecordRef[] {
    const { out, moved } = this.readsAndMoves(u);
    for (const index of moved) out.push([SUPPLIES, supplyId(u.deviceKey, index)]);
    return out;
  }

  /** What the forecast hook reads for the moved supplies, known from their tracks once `readsOf`'s are fetched. */
  async followingReadsOf(u: PendingDeviceUpdate, tx: Transaction): Promise<RecordRef[]> {
    const reads = this.hookReads;
    if (!reads) return [];
    const out: RecordRef[] = [];
    for (const index of this.readsAndMoves(u).moved) out.push(...reads(u.deviceKey, await tx.get<SupplyTrack>(SUPPLIES, supplyId(u.deviceKey, index))));
    return out;
  }

  /** The reads of `readsOf` but the supply tracks, and the supplies whose tracks it reads. */
  private readsAndMoves(u: PendingDeviceUpdate): { out: RecordRef[]; moved: Set<number> } {
    const { deviceKey: key, message: msg, previous: prev } = u;
    let reported: readonly Pick<Supply, 'index' | 'levelPercent' | 'state'>[] = [];
    let counted = false;
    let collectedAt: string | undefined;
    const out: RecordRef[] = [];
    if (msg.type === 'device.telemetry') {
      reported = msg.supplies;
      counted = Object.keys(msg.counters).length > 0;
      collectedAt = msg.ts;
    } else if (msg.type === 'device.state') {
      reported = msg.snapshot.supplies;
      counted = Object.keys(msg.snapshot.counters).length > 0;
      collectedAt = msg.snapshot.collectedAt;
      out.push([FAULTS_TL, key]);
    } else if (msg.event.kind === 'supply.changed') {
      reported = [{ index: msg.event.supply.index, levelPercent: msg.event.supply.levelPercent, state: msg.event.to }];
    } else if (msg.event.kind === 'identity.changed' && msg.event.to.firmware !== prev?.identity.firmware) out.push([FAULTS_TL, key]);
    const at = collectedAt !== undefined ? Date.parse(collectedAt) : u.receivedAt;
    const newDay = prev?.collectedAt === undefined || Math.floor(Date.parse(prev.collectedAt) / DAY) !== Math.floor(at / DAY);
    const known = prev?.supplies ?? [];
    const moved = new Set<number>();
    for (const s of reported) {
      const p = known.find((x) => x.index === s.index);
      if (newDay || p === undefined || p.levelPercent !== s.levelPercent || p.state !== s.state) moved.add(s.index);
    }
    if (newDay) for (const s of known) moved.add(s.index);
    const noted = this.counterNote.get(key);
    // A pinned supply point (a replacement, empty, full) also reads the counters: rare, left to a read of its own.
    if (counted && (newDay || noted === undefined || at - noted >= this.limits.counterGapMs)) out.push([COUNTERS, key]);
    return { out, moved };
  }

  /** The forecaster's hook (one), and what it may read (declared for the batch prefetch). */
  onSupplyRecorded(hook: SupplyRecordedHook, reads?: SupplyRecordedReads): void {
    this.hook = hook;
    this.hookReads = reads;
  }

  async record(u: DeviceUpdate, tx: Transaction): Promise<void> {
    const d = u.device;
    const prev = u.previous;
    const serverAt = Date.parse(u.at);
    // Telemetry and snapshots carry the agent's collection time; events (supply.changed) do not.
    const at = d.collectedAt !== undefined && d.collectedAt !== prev?.collectedAt ? Date.parse(d.collectedAt) : serverAt;
    if (!Number.isFinite(at)) return;
    const newDay = prev?.collectedAt === undefined || Math.floor(Date.parse(prev.collectedAt) / DAY) !== Math.floor(at / DAY);

    // A replacement or an empty/full/-3 reading also records the counters at that instant.
    let pinned = false;
    if (d.supplies !== prev?.supplies) {
      const before = prev?.supplies ?? [];
      for (let i = 0; i < d.supplies.length; i++) {
        const s = d.supplies[i]!;
        const p = before[i]?.index === s.index ? before[i] : before.find((x) => x.index === s.index);
        if (!newDay && p !== undefined && (p === s || (p.levelPercent === s.levelPercent && p.state === s.state))) continue;
        pinned = (await this.recordSupply(tx, d, s, at)) || pinned;
      }
    } else if (newDay) {
      for (const s of d.supplies) pinned = (await this.recordSupply(tx, d, s, at)) || pinned;
    }

    if (d.counters !== prev?.counters && Object.keys(d.counters).length > 0) {
      const noted = this.counterNote.get(d.key);
      if (pinned || newDay || noted === undefined || at - noted >= this.limits.counterGapMs) {
        const old = await tx.get<CounterTrack>(COUNTERS, d.key);
        const r = recordCounters(old, { deviceKey: d.key, customerId: d.customerId }, at, d.counters, this.limits, pinned);
        if (r.changed) {
          await tx.put(COUNTERS, d.key, r.track);
          this.stats.counterWrites += 1;
          this.note(d.key, at);
        } else if (old && old.t.length > 0) this.note(d.key, old.base + old.t[old.t.length - 1]! * 60_000);
        if (r.archived) await this.archive(tx, r.archived, serverAt);
      }
    }

    const firmware = firmwareChange(prev?.identity.firmware, d.identity.firmware, at);
    if (u.changes.length > 0 || firmware) {
      const owner = { deviceKey: d.key, customerId: d.customerId };
      let old = await tx.get<FaultTimeline>(FAULTS_TL, d.key);
      if (firmware) old = recordFirmware(old, owner, firmware);
      const add: TimelineEntry[] = u.changes.map((c): TimelineEntry => {
        switch (c.kind) {
          case 'faultRaised':
            return {
              at: msOr(c.fault.firstSeen, serverAt),
              kind: 'raised',
              code: c.fault.code,
              severity: c.fault.severity,
              message: c.fault.message,
              ...(c.fault.subunit ? { subunit: c.fault.subunit } : {}),
            };
          case 'faultCleared':
            return {
              at: msOr(c.clearedAt, serverAt),
              kind: 'cleared',
              code: c.code,
              firstSeen: msOr(c.firstSeen, serverAt),
              ...(c.subunit ? { subunit: c.subunit } : {}),
            };
          case 'unreachable':
            return { at: msOr(c.since, serverAt), kind: 'unreachable', code: 'device.unreachable', lastError: c.lastError };
          case 'reachable':
            return { at: msOr(c.since, serverAt), kind: 'reachable', code: 'device.unreachable' };
        }
      });
      const r = add.length > 0 || !old ? recordTimeline(old, owner, add, this.limits) : { timeline: old, archived: null };
      await tx.put(FAULTS_TL, d.key, r.timeline);
      this.stats.timelineWrites += 1;
      if (r.archived) await this.archive(tx, r.archived, serverAt);
    }
  }

  /**
   * Adds the customer notices of customer-fixable faults to their devices' timelines, inside the
   * ticket service's unit of work that started the hold (its `customerNoticesIn` hook).
   */
  async recordCustomerNotices(tx: Transaction, notices: readonly CustomerFixableNotice[]): Promise<void> {
    for (const n of notices) {
      const d = n.facts.device;
      const who = n.to.length > 0 ? n.to.join(', ') : 'no address on file';
      const entry: TimelineEntry = {
        at: n.at,
        kind: 'customerNotified',
        code: n.facts.fault.code,
        message: `customer told (${who}); vendor ticket at ${new Date(n.facts.vendorTicketAt).toISOString()} if still there`,
        ...(n.facts.fault.subunit ? { subunit: n.facts.fault.subunit } : {}),
      };
      const old = await tx.get<FaultTimeline>(FAULTS_TL, d.id);
      const r = recordTimeline(old, { deviceKey: d.id, customerId: n.facts.customer.id }, [entry], this.limits);
      await tx.put(FAULTS_TL, d.id, r.timeline);
      this.stats.timelineWrites += 1;
      if (r.archived) await this.archive(tx, r.archived, n.at);
    }
  }

  private note(key: string, at: number): void {
    if (this.counterNote.size >= 50_000 && !this.counterNote.has(key)) this.counterNote.clear();
    this.counterNote.set(key, at);
  }

  /** Records one supply's reading; true when it added a pinned point (replacement, empty, -3…). */
  private async recordSupply(tx: Transaction, d: DeviceRecord, s: Supply, at: number): Promise<boolean> {
    const id = supplyId(d.key, s.index);
    const old = await tx.get<SupplyTrack>(SUPPLIES, id);
    const update = recordLevel(old, supplyMeta(d, s), { at, levelPercent: s.levelPercent, state: s.state }, this.limits);
    if (!update.changed) return false;
    let track = update.track;
    if (this.hook) {
      try {
        track = await this.hook(tx, { track, update, device: d, at });
      } catch (err) {
        // A forecast or ticket problem must not lose the reading.
        this.o.logger?.error({ err, device: d.key, supply: s.index }, 'supply forecast/order step failed; the reading is kept');
      }
    }
    await tx.put(SUPPLIES, id, track);
    this.stats.supplyWrites += 1;
    if (update.archived) await this.archive(tx, update.archived, at);
    return update.cut || appendedPinned(update);
  }

  private async archive(tx: Transaction, chunk: ArchiveChunk, now: number): Promise<void> {
    // Chunk ids never collide with hot ids (archive() removes the hot record of the same id).
    this.archiveSeq = (this.archiveSeq + 1) % 1_000_000;
    const id = `${chunk.kind}:${chunk.deviceKey}${chunk.supplyIndex !== undefined ? `|${chunk.supplyIndex}` : ''}:${chunk.to}:${this.archiveSeq}`;
    await tx.archive(ARCHIVE, id, chunk, new Date(now));
    this.stats.archivedChunks += 1;
  }
}

/** How a supply of a device is described on its history record (a blank part number is none). */
export function supplyMeta(d: Pick<DeviceRecord, 'key' | 'customerId'>, s: Supply): SupplyMeta {
  return {
    deviceKey: d.key,
    customerId: d.customerId,
    index: s.index,
    name: s.name,
    kind: s.kind,
    color: s.color,
    role: supplyRole(s),
    ...(s.partNumber !== undefined && s.partNumber.trim() !== '' ? { partNumber: s.partNumber } : {}),
  };
}

function msOr(iso: string, fallback: number): number {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : fallback;
}
