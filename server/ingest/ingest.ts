/**
 * Ingest: the one path from an MQTT message to fleet state.
 *
 *   decode (shared/wire/codec.ts: size, JSON, schema version, schema, topic ↔ payload)
 *   → authorise (the authenticated agent must be the one named by topic and payload)
 *   → dedup (message id claimed in the same transaction that applies it)
 *   → apply (pure transitions of fleet/fleetState.ts) → classify impact → emit fleet events
 *   → commit (durable) → verdict
 *
 * Verdicts and what the transport does with them:
 *   accepted | duplicate | stale   acknowledge (PUBACK): the message is durably handled
 *   rejected                       acknowledge and drop: it can never become valid, redelivery
 *                                  would only loop; counted by reason and logged with why
 *   failed                         do NOT acknowledge: storage could not make it durable
 *
 * A bug while applying a message (anything but a storage failure) rolls its transaction back and
 * rejects it as `internal-error`: redelivery would only repeat the failure.
 *
 * Nothing here throws on bad input: every path returns a verdict.
 */
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { decodeMessage, type RejectReason } from '../../shared/wire/codec.js';
import { precompileWireValidators } from '../../shared/wire/compiledValidators.js';
import type { AgentStatusMessage, DeviceEventMessage, DeviceStateMessage, DeviceTelemetryMessage, WireMessage } from '../../shared/wire/messages.js';
import type { FleetEventBus, DeviceContext, AgentContext, CustomerContext, PendingDeviceUpdate } from '../events/fleetEvents.js';
import {
  FLEET_COLLECTIONS,
  agentKey,
  aliasKey,
  fallbackDeviceKey,
  identityKey,
  type AgentRecord,
  type DeviceAlias,
  type DeviceRecord,
  type FleetDirectory,
} from '../fleet/fleetModel.js';
import { boundTimestamps } from '../fleet/clockSkew.js';
import { applyAgentStatus, applyDeviceEvent, applyDeviceState, applyTelemetry, staleAgents, touchAgent, type DeviceTransition } from '../fleet/fleetState.js';
import type { ImpactTable } from '../impact/impactRules.js';
import { agentOfflineEvent, fleetEventsOf } from '../fleet/fleetChanges.js';
import type { ServerMetrics } from '../http/metrics.js';
import { StoreFailedError, type RecordRef, type Repository, type Transaction } from '../storage/repository.js';
import {
  indexOf,
  PLACEMENT_COLLECTIONS,
  PLACEMENT_INDEX_BUILT,
  placementMoves,
  placementsOf,
  withDevice,
  withoutDevice,
  type PlacementCollection,
  type PlacementIndex,
} from '../fleet/placementIndex.js';

export type IngestRejectReason = RejectReason | 'not-authorized' | 'wrong-direction' | 'internal-error';

export type IngestVerdict =
  { outcome: 'accepted' | 'duplicate' | 'stale' } | { outcome: 'rejected'; reason: IngestRejectReason; error: string } | { outcome: 'failed'; error: string };

/** The MQTT identity that published the message; undefined when the broker enforces the ACL (external broker). */
export interface Sender {
  readonly tenant: string;
  readonly agentId: string;
}

export interface IngestOptions {
  repo: Repository;
  directory: FleetDirectory;
  /** The impact rule table, or where to read the one in force (edited live through the API). */
  impact: ImpactTable | (() => ImpactTable);
  events: FleetEventBus;
  clock: Clock;
  logger: Logger;
  metrics: ServerMetrics;
  maxPayloadBytes: number;
  /** Persist an agent's lastSeen at most this often (ms); staleness uses the in-memory value. */
  lastSeenPersistMs?: number;
}

const { agents: AGENTS, devices: DEVICES, deviceAliases: ALIASES } = FLEET_COLLECTIONS;

/** Metric labels per message type, made once. */
const TYPE_LABELS = new Map<string, { readonly type: string }>();
function typeLabel(type: string): { readonly type: string } {
  let labels = TYPE_LABELS.get(type);
  if (!labels) TYPE_LABELS.set(type, (labels = Object.freeze({ type })));
  return labels;
}

/** The verdicts without details, shared (one per message would only make garbage). */
const HANDLED = {
  accepted: Object.freeze({ outcome: 'accepted' }),
  duplicate: Object.freeze({ outcome: 'duplicate' }),
  stale: Object.freeze({ outcome: 'stale' }),
} as const satisfies Record<string, IngestVerdict>;

/** Log at most this many rejections per second; the rest are counted and summarised. */
const REJECT_LOG_PER_SECOND = 50;

export class Ingest {
  private readonly lastSeen = new Map<string, number>();
  private rejectLogWindow = 0;
  private rejectLogCount = 0;
  private rejectSuppressed = 0;
  private readonly decodeOptions: { maxBytes: number };
  private nowIsoAt = Number.NaN;
  private nowIsoText = '';

  constructor(private readonly o: IngestOptions) {
    this.decodeOptions = { maxBytes: o.maxPayloadBytes };
    // Compile the wire validators now rather than on the first message (~0.1 s).
    precompileWireValidators();
  }

  private impactTable(): ImpactTable {
    const i = this.o.impact;
    return typeof i === 'function' ? i() : i;
  }

  /**
   * One store transaction; once it commits, the after-commit effects (FleetEventBus.afterCommit)
   * of the attempt that committed run: a PostgreSQL store may run the unit more than once.
   */
  private async unitOfWork<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    let attempt: Transaction | undefined;
    const result = await this.o.repo.transaction((tx) => {
      attempt = tx;
      return work(tx);
    });
    this.o.events.committed(attempt);
    return result;
  }

  /** Server-side last-seen time of an agent (ms), from any message it sent. */
  agentLastSeen(key: string): number | undefined {
    return this.lastSeen.get(key);
  }

  async handle(topic: string, payload: Uint8Array, sender?: Sender): Promise<IngestVerdict> {
    const started = performance.now();
    const decoded = decodeMessage(topic, payload, this.decodeOptions);
    if (!decoded.ok) return this.reject(topic, decoded.reason, decoded.error, sender);
    const msg = decoded.message;
    this.o.metrics.messagesIn.inc(typeLabel(msg.type));
    if (sender && (sender.tenant !== msg.tenant || sender.agentId !== msg.agentId)) {
      return this.reject(topic, 'not-authorized', `agent ${sender.tenant}/${sender.agentId} may not publish for ${msg.tenant}/${msg.agentId}`, sender);
    }
    if (msg.type === 'agent.command')
      return this.reject(topic, 'wrong-direction', 'agent.command messages go from the server to agents, never the other way', sender);
    return this.applyAlone(topic, msg, sender, started);
  }

  /** One decoded, authorised message in a unit of work of its own. */
  private async applyAlone(
    topic: string,
    msg: Exclude<WireMessage, { type: 'agent.command' }>,
    sender: Sender | undefined,
    started: number,
  ): Promise<IngestVerdict> {
    let outcome: 'accepted' | 'duplicate' | 'stale';
    try {
      outcome = await this.unitOfWork((tx) => this.apply(tx, msg));
    } catch (err) {
      const error = (err as Error).message;
      if (err instanceof StoreFailedError) {
        this.o.logger.error({ topic, messageId: msg.id, err: error }, 'message not stored; it will not be acknowledged');
        return { outcome: 'failed', error };
      }
      // A bug while applying this message: redelivering it would fail the same way forever, so it is
      // dropped (counted, logged with the stack) and the server goes on with the next one.
      this.o.logger.error({ topic, messageId: msg.id, err }, 'applying the message failed; it is dropped');
      return this.reject(topic, 'internal-error', `applying the message failed: ${error}`, sender);
    }
    if (outcome === 'accepted') this.o.metrics.accepted.inc(typeLabel(msg.type));
    else if (outcome === 'duplicate') this.o.metrics.duplicates.inc();
    else this.o.metrics.stale.inc(typeLabel(msg.type));
    this.o.metrics.ingestLatency.observe((performance.now() - started) / 1000);
    return HANDLED[outcome];
  }

  /**
   * Ingests messages that arrived together (one socket read) as ONE store transaction, one durable
   * commit, with a savepoint per message: a message that fails while being applied is rolled back
   * alone and rejected alone, the others keep their changes. Applied in arrival order, so the order
   * per device is the order of the stream. Verdicts come back in input order, all after the commit
   * (or all `failed` when the store could not make the batch durable). Same verdicts as `handle`
   * called per message, at one transaction's cost instead of one per message.
   */
  async handleBatch(messages: readonly { topic: string; payload: Uint8Array }[], sender?: Sender): Promise<IngestVerdict[]> {
    // `messages` is read only before the first await: the caller may drop the payloads once this
    // returns its promise. The parsed messages stay alive until the commit (a PostgreSQL store may
    // run the unit again after a serialization failure).
    const started = performance.now();
    const verdicts: (IngestVerdict | undefined)[] = new Array<IngestVerdict | undefined>(messages.length);
    const valid: { index: number; topic: string; msg: Exclude<WireMessage, { type: 'agent.command' }> }[] = [];
    for (let i = 0; i < messages.length; i++) {
      const { topic, payload } = messages[i]!;
      const decoded = decodeMessage(topic, payload, this.decodeOptions);
      if (!decoded.ok) {
        verdicts[i] = this.reject(topic, decoded.reason, decoded.error, sender);
        continue;
      }
      const msg = decoded.message;
      this.o.metrics.messagesIn.inc(typeLabel(msg.type));
      if (sender && (sender.tenant !== msg.tenant || sender.agentId !== msg.agentId)) {
        verdicts[i] = this.reject(topic, 'not-authorized', `agent ${sender.tenant}/${sender.agentId} may not publish for ${msg.tenant}/${msg.agentId}`, sender);
      } else if (msg.type === 'agent.command') {
        verdicts[i] = this.reject(topic, 'wrong-direction', 'agent.command messages go from the server to agents, never the other way', sender);
      } else valid.push({ index: i, topic, msg });
    }
    if (valid.length === 0) return verdicts as IngestVerdict[];
    const outcomes: ('accepted' | 'duplicate' | 'stale' | Error)[] = new Array<'accepted' | 'duplicate' | 'stale' | Error>(valid.length);
    try {
      await this.unitOfWork(async (tx) => {
        await this.prefetch(
          tx,
          valid.map((v) => v.msg),
        );
        for (let j = 0; j < valid.length; j++) {
          const { msg } = valid[j]!;
          const mark = this.o.events.effectsMark(tx);
          try {
            outcomes[j] = await tx.savepoint(() => this.apply(tx, msg));
          } catch (err) {
            // Its changes were rolled back: so are its live updates and notices.
            this.o.events.discardEffectsAfter(tx, mark);
            outcomes[j] = err instanceof Error ? err : new Error(String(err));
          }
        }
      });
    } catch (err) {
      if (!(err instanceof StoreFailedError) && valid.length > 1) {
        // The batch failed as a whole for a reason no savepoint caught: split it, so that one bad
        // message cannot hold the others back (each then gets its own unit and its own verdict).
        this.o.logger.warn({ messages: valid.length, err: (err as Error).message }, 'a batch failed as a whole; applying its messages one by one');
        // In arrival order, one after another: the order per device stays the order of the stream.
        for (const { topic, index, msg } of valid) verdicts[index] = await this.applyAlone(topic, msg, sender, performance.now());
        return verdicts as IngestVerdict[];
      }
      const error = (err as Error).message;
      for (const { index, topic, msg } of valid) {
        if (err instanceof StoreFailedError) {
          this.o.logger.error({ topic, messageId: msg.id, err: error }, 'message not stored; it will not be acknowledged');
          verdicts[index] = { outcome: 'failed', error };
        } else {
          this.o.logger.error({ topic, messageId: msg.id, err }, 'applying the message failed; it is dropped');
          verdicts[index] = this.reject(topic, 'internal-error', `applying the message failed: ${error}`, sender);
        }
      }
      return verdicts as IngestVerdict[];
    }
    const seconds = (performance.now() - started) / 1000;
    for (let j = 0; j < valid.length; j++) {
      const { index, topic, msg } = valid[j]!;
      const outcome = outcomes[j]!;
      if (outcome instanceof Error) {
        // A bug while applying this message: its savepoint was rolled back; redelivery would fail the same way.
        this.o.logger.error({ topic, messageId: msg.id, err: outcome }, 'applying the message failed; it is dropped');
        verdicts[index] = this.reject(topic, 'internal-error', `applying the message failed: ${outcome.message}`, sender);
        continue;
      }
      if (outcome === 'accepted') this.o.metrics.accepted.inc(typeLabel(msg.type));
      else if (outcome === 'duplicate') this.o.metrics.duplicates.inc();
      else this.o.metrics.stale.inc(typeLabel(msg.type));
      this.o.metrics.ingestLatency.observe(seconds);
      verdicts[index] = HANDLED[outcome];
    }
    return verdicts as IngestVerdict[];
  }

  /**
   * Reads what the messages of a batch will read, in two queries instead of several round trips
   * per message on PostgreSQL: message ids, agents, device aliases and site/agent indexes, then
   * the devices the aliases and identities point to (and, in a third, the site/agent indexes of
   * telemetry from devices not seen before: a known device's telemetry does not read them; with
   * the device update subscribers' declared reads, and a fourth for what follows from those).
   */
  private async prefetch(tx: Transaction, msgs: readonly Exclude<WireMessage, { type: 'agent.command' }>[]): Promise<void> {
    const first: RecordRef[] = [];
    const devices: RecordRef[] = [];
    const aliases: string[] = [];
    /** Telemetry needs its site's and agent's device index only for a device not seen before. */
    const telemetry: { aKey: string; fallback: string; placements: RecordRef[] }[] = [];
    for (const msg of msgs) {
      first.push([AGENTS, agentKey(msg.tenant, msg.agentId)]);
      if (msg.type === 'agent.status') continue;
      const site = this.o.directory.site(msg.tenant, msg.agentId);
      const placements: RecordRef[] = [
        [PLACEMENT_COLLECTIONS.siteDevices, site.id],
        [PLACEMENT_COLLECTIONS.agentDevices, `${msg.tenant}/${msg.agentId}`],
      ];
      const aKey = aliasKey(msg.tenant, msg.agentId, msg.deviceId);
      const fallback = fallbackDeviceKey(msg.tenant, msg.agentId, msg.deviceId);
      if (msg.type === 'device.telemetry') telemetry.push({ aKey, fallback, placements });
      else first.push(...placements);
      first.push([ALIASES, aKey]);
      aliases.push(aKey);
      devices.push([DEVICES, fallback]);
      const byIdentity = identityKeyOf(msg);
      if (byIdentity) devices.push([DEVICES, byIdentity]);
    }
    await tx.prefetch(
      first,
      msgs.map((m) => m.id),
    );
    for (const aKey of aliases) {
      const alias = await tx.get<DeviceAlias>(ALIASES, aKey);
      if (alias) devices.push([DEVICES, alias.device]);
    }
    // What the subscribers (tickets, history) read for a device event, known once its device is.
    for (const msg of msgs) {
      if (msg.type !== 'device.event') continue;
      const alias = await tx.get<DeviceAlias>(ALIASES, aliasKey(msg.tenant, msg.agentId, msg.deviceId));
      devices.push(...this.o.events.readsOf(alias?.device ?? fallbackDeviceKey(msg.tenant, msg.agentId, msg.deviceId), msg.event));
    }
    await tx.prefetch(devices);
    const third: RecordRef[] = [];
    for (const t of telemetry) {
      const key = (await tx.get<DeviceAlias>(ALIASES, t.aKey))?.device ?? t.fallback;
      if (!(await tx.get<DeviceRecord>(DEVICES, key))) third.push(...t.placements);
    }
    // What the device update subscribers (history, meters) read, known once the stored devices are:
    // with the indexes above in a third query, and what follows from those records in a fourth.
    const pending: PendingDeviceUpdate[] = [];
    if (this.o.events.wantsDeviceUpdates) {
      const now = this.o.clock.now();
      for (const sent of msgs) {
        if (sent.type === 'agent.status') continue;
        const msg = boundTimestamps(sent, now);
        const deviceKey = await this.storedDeviceKey(tx, msg);
        const update = {
          deviceKey,
          customerId: this.o.directory.site(msg.tenant, msg.agentId).customerId,
          message: msg,
          previous: await tx.get<DeviceRecord>(DEVICES, deviceKey),
          receivedAt: now,
        };
        pending.push(update);
        third.push(...this.o.events.updateReadsOf(update));
      }
    }
    if (third.length > 0) await tx.prefetch(third);
    const fourth: RecordRef[] = [];
    for (const update of pending) fourth.push(...(await this.o.events.updateFollowUpsOf(update, tx)));
    if (fourth.length > 0) await tx.prefetch(fourth);
  }

  /** The device record a message will be applied to, as resolveDeviceKey finds it, without its writes. */
  private async storedDeviceKey(tx: Transaction, msg: DeviceStateMessage | DeviceEventMessage | DeviceTelemetryMessage): Promise<string> {
    const byIdentity = identityKeyOf(msg);
    if (byIdentity) return byIdentity;
    return (
      (await tx.get<DeviceAlias>(ALIASES, aliasKey(msg.tenant, msg.agentId, msg.deviceId)))?.device ?? fallbackDeviceKey(msg.tenant, msg.agentId, msg.deviceId)
    );
  }

  private reject(topic: string, reason: IngestRejectReason, error: string, sender: Sender | undefined): IngestVerdict {
    this.o.metrics.rejected.inc({ reason });
    const second = Math.floor(this.o.clock.now() / 1000);
    if (second !== this.rejectLogWindow) {
      if (this.rejectSuppressed > 0)
        this.o.logger.warn(
          { suppressed: this.rejectSuppressed },
          `${this.rejectSuppressed} more rejected messages not logged (see fleetdesk_messages_rejected_total)`,
        );
      this.rejectLogWindow = second;
      this.rejectLogCount = 0;
      this.rejectSuppressed = 0;
    }
    if (this.rejectLogCount < REJECT_LOG_PER_SECOND) {
      this.rejectLogCount += 1;
      this.o.logger.warn(
        { topic: topic.slice(0, 256), reason, sender: sender ? `${sender.tenant}/${sender.agentId}` : undefined },
        `message rejected (${reason}): ${error.slice(0, 500)}`,
      );
    } else this.rejectSuppressed += 1;
    return { outcome: 'rejected', reason, error };
  }

  /** Server time as ISO text; thousands of messages arrive in the same millisecond, so the text is reused. */
  private nowIso(): string {
    const now = this.o.clock.now();
    if (now !== this.nowIsoAt) {
      this.nowIsoAt = now;
      this.nowIsoText = new Date(now).toISOString();
    }
    return this.nowIsoText;
  }

  private async apply(tx: Transaction, sent: Exclude<WireMessage, { type: 'agent.command' }>): Promise<'accepted' | 'duplicate' | 'stale'> {
    if (!(await tx.claimMessage(sent.id))) return 'duplicate';
    // A timestamp past the clock-skew window becomes the receive time: it must not freeze the device.
    const msg = boundTimestamps(sent, this.o.clock.now());
    const now = this.nowIso();
    const key = agentKey(msg.tenant, msg.agentId);
    this.lastSeen.set(key, this.o.clock.now());
    // `return await`: returning the promise itself would cost V8 two more turns per message.
    if (msg.type === 'agent.status') return await this.applyStatus(tx, msg, now);
    await this.touch(tx, msg.tenant, msg.agentId, now);
    return await this.applyDevice(tx, msg, now);
  }

  private placeOf(tenant: string, agentId: string): { customerId: string; siteId: string } {
    const site = this.o.directory.site(tenant, agentId);
    return { customerId: site.customerId, siteId: site.id };
  }

  private async touch(tx: Transaction, tenant: string, agentId: string, now: string): Promise<void> {
    const key = agentKey(tenant, agentId);
    const prev = await tx.get<AgentRecord>(AGENTS, key);
    const persistEvery = this.o.lastSeenPersistMs ?? 30_000;
    // `now` is the ISO text of nowIsoAt: no need to parse it back (this runs for every message).
    if (prev && prev.state === 'online' && this.nowIsoAt - Date.parse(prev.lastSeen) < persistEvery) return;
    const t = touchAgent(prev, tenant, agentId, this.placeOf(tenant, agentId), now);
    await tx.put(AGENTS, key, t.agent);
    if (t.flipped === 'online')
      await this.o.events.emit({ type: 'agentOnline', eventId: `${key}/online/${now}`, at: now, agent: this.agentContext(tenant, agentId) }, tx);
  }

  private async applyStatus(tx: Transaction, msg: AgentStatusMessage, now: string): Promise<'accepted' | 'stale'> {
    const key = agentKey(msg.tenant, msg.agentId);
    const prev = await tx.get<AgentRecord>(AGENTS, key);
    const t = applyAgentStatus(prev, msg, this.placeOf(msg.tenant, msg.agentId), now);
    if (t.stale) return 'stale';
    await tx.put(AGENTS, key, t.agent);
    if (t.flipped === 'online') {
      await this.o.events.emit({ type: 'agentOnline', eventId: `${msg.id}/online`, at: now, agent: this.agentContext(msg.tenant, msg.agentId) }, tx);
    } else if (t.flipped === 'offline') {
      await this.emitAgentOffline(tx, t.agent, msg.reason === 'shutdown' ? 'shutdown' : 'will', `${msg.id}/offline`, now);
    }
    return 'accepted';
  }

  private async emitAgentOffline(tx: Transaction, agent: AgentRecord, reason: 'will' | 'shutdown' | 'stale', eventId: string, now: string): Promise<void> {
    const behind = await this.placement(tx, PLACEMENT_COLLECTIONS.agentDevices, `${agent.tenant}/${agent.agentId}`);
    const devices = (await Promise.all(behind.devices.map((k) => tx.get<DeviceRecord>(DEVICES, k)))).filter((d): d is DeviceRecord => d !== undefined);
    const contexts = await Promise.all(devices.map((d) => this.deviceContext(tx, d)));
    await this.o.events.emit(agentOfflineEvent(this.agentContext(agent.tenant, agent.agentId), contexts, reason, this.impactTable(), eventId, now), tx);
  }

  /** Resolves which device record a message is about, re-keying it when its identity becomes known. */
  private async resolveDeviceKey(tx: Transaction, msg: DeviceStateMessage | DeviceEventMessage | DeviceTelemetryMessage): Promise<string> {
    const aKey = aliasKey(msg.tenant, msg.agentId, msg.deviceId);
    const alias = await tx.get<DeviceAlias>(ALIASES, aKey);
    const byIdentity = identityKeyOf(msg);
    const target = byIdentity ?? alias?.device ?? fallbackDeviceKey(msg.tenant, msg.agentId, msg.deviceId);
    if (alias?.device !== target) {
      // Known only under its provisional key (no identity before): carry the record over unless the
      // identity already has one (the same printer seen elsewhere: that one wins). A device known by
      // another identity (a swapped printer) keeps its own record.
      if (alias && alias.device === fallbackDeviceKey(msg.tenant, msg.agentId, msg.deviceId)) {
        const old = await tx.get<DeviceRecord>(DEVICES, alias.device);
        const existing = await tx.get<DeviceRecord>(DEVICES, target);
        if (old && !existing) await this.writeDevice(tx, undefined, { ...old, key: target });
        if (old) await this.deleteDevice(tx, old);
      }
      await tx.put<DeviceAlias>(ALIASES, aKey, { device: target });
    }
    return target;
  }

  private async applyDevice(
    tx: Transaction,
    msg: DeviceStateMessage | DeviceEventMessage | DeviceTelemetryMessage,
    now: string,
  ): Promise<'accepted' | 'stale'> {
    const key = await this.resolveDeviceKey(tx, msg);
    const prev = await tx.get<DeviceRecord>(DEVICES, key);
    const site = this.o.directory.site(msg.tenant, msg.agentId);
    const place = { key, customerId: site.customerId, siteId: site.id };
    let t: DeviceTransition;
    if (msg.type === 'device.state') t = applyDeviceState(prev, msg, place, now);
    else if (msg.type === 'device.telemetry') t = applyTelemetry(prev, msg, place, now);
    else t = applyDeviceEvent(prev, msg, place, now);
    if (t.stale) return 'stale';
    await this.writeDevice(tx, prev, t.device);
    if (this.o.events.wantsDeviceUpdates)
      await this.o.events.emitDeviceUpdate({ messageId: msg.id, at: now, previous: prev, device: t.device, changes: t.changes }, tx);
    if (t.changes.length === 0) return 'accepted';
    const ctx = await this.deviceContext(tx, t.device);
    for (const event of fleetEventsOf(t.changes, t.device, ctx, this.impactTable(), msg.id, now)) await this.o.events.emit(event, tx);
    return 'accepted';
  }

  private customerContext(tenant: string): CustomerContext {
    const c = this.o.directory.customer(tenant);
    return { id: c.id, name: c.name, contract: c.contract, contact: c.contact };
  }

  private agentContext(tenant: string, agentId: string): AgentContext {
    const site = this.o.directory.site(tenant, agentId);
    return { tenant, agentId, siteId: site.id, siteName: site.name, customer: this.customerContext(tenant) };
  }

  /** Writes a device record and, when it appeared or moved, the site/agent indexes (placementIndex.ts). */
  private async writeDevice(tx: Transaction, prev: DeviceRecord | undefined, next: DeviceRecord): Promise<void> {
    // The transitions of fleetState.ts copy what they change: most messages (telemetry) move a few
    // fields, and the PostgreSQL store then writes only those.
    if (prev?.key === next.key) await tx.update(DEVICES, next.key, prev, next);
    else await tx.put(DEVICES, next.key, next);
    await this.movePlacements(tx, prev, next);
  }

  private async deleteDevice(tx: Transaction, device: DeviceRecord): Promise<void> {
    await tx.delete(DEVICES, device.key);
    await this.movePlacements(tx, device, undefined);
  }

  private async movePlacements(tx: Transaction, prev: DeviceRecord | undefined, next: DeviceRecord | undefined): Promise<void> {
    const { remove, add } = placementMoves(prev, next);
    for (const r of remove) {
      const updated = withoutDevice(await this.placement(tx, r.collection, r.id), r.key);
      if (updated) await tx.put(r.collection, r.id, updated);
    }
    for (const a of add) {
      const updated = withDevice(await this.placement(tx, a.collection, a.id), a.key);
      if (updated) await tx.put(a.collection, a.id, updated);
    }
  }

  /** A site's or agent's device index; built once from the device records when missing (stores from before the index). */
  private async placement(tx: Transaction, collection: PlacementCollection, id: string): Promise<PlacementIndex> {
    const known = await tx.get<PlacementIndex>(collection, id);
    if (known) return known;
    // A missing entry is an empty site or agent once the indexes exist; only a store from before
    // them is indexed, all at once, from the device records (one listing, then the marker).
    if ((await tx.get<{ built: boolean }>(PLACEMENT_COLLECTIONS.meta, PLACEMENT_INDEX_BUILT))?.built) return { devices: [] };
    const entries = new Map<string, { collection: PlacementCollection; id: string; keys: string[] }>();
    for (const d of await tx.list<DeviceRecord>(DEVICES)) {
      for (const p of placementsOf(d)) {
        const k = `${p.collection}/${p.id}`;
        const entry = entries.get(k) ?? { ...p, keys: [] };
        entry.keys.push(d.key);
        entries.set(k, entry);
      }
    }
    for (const e of entries.values()) if (!(await tx.get(e.collection, e.id))) await tx.put(e.collection, e.id, indexOf(e.keys));
    await tx.put(PLACEMENT_COLLECTIONS.meta, PLACEMENT_INDEX_BUILT, { built: true });
    return (await tx.get<PlacementIndex>(collection, id)) ?? { devices: [] };
  }

  private async deviceContext(tx: Transaction, device: DeviceRecord): Promise<DeviceContext> {
    const site = this.o.directory.site(device.tenant, device.agentId);
    const onSite = (await this.placement(tx, PLACEMENT_COLLECTIONS.siteDevices, device.siteId)).devices.filter((k) => k !== device.key).length;
    return {
      deviceKey: device.key,
      tenant: device.tenant,
      agentId: device.agentId,
      agentDeviceId: device.agentDeviceId,
      siteId: site.id,
      siteName: site.name,
      customer: this.customerContext(device.tenant),
      identity: device.identity,
      address: device.address,
      critical: this.o.directory.isCritical(device.identity),
      ...(this.o.directory.warrantyUntil(device.identity) !== undefined ? { warrantyUntil: this.o.directory.warrantyUntil(device.identity) } : {}),
      onlyDeviceOnSite: onSite === 0,
    };
  }

  /** Marks agents that have been silent too long offline (one transaction, one event per agent). */
  async markStaleAgents(staleAfterMs: number): Promise<number> {
    return this.unitOfWork(async (tx) => {
      const now = this.nowIso();
      const agents = await tx.list<AgentRecord>(AGENTS);
      const stale = staleAgents(agents, (k) => this.lastSeen.get(k), this.o.clock.now(), staleAfterMs);
      for (const agent of stale) {
        const next: AgentRecord = { ...agent, state: 'offline', stateReason: 'stale', since: now };
        await tx.put(AGENTS, agent.key, next);
        await this.emitAgentOffline(tx, next, 'stale', `${agent.key}/stale/${now}`, now);
      }
      return stale.length;
    });
  }
}

/** The device key of the identity a message reports (a snapshot's, an identity change's), when it reports one. */
function identityKeyOf(msg: DeviceStateMessage | DeviceEventMessage | DeviceTelemetryMessage): string | undefined {
  const identity =
    msg.type === 'device.state' ? msg.snapshot.identity : msg.type === 'device.event' && msg.event.kind === 'identity.changed' ? msg.event.to : undefined;
  return identity ? identityKey(msg.tenant, identity) : undefined;
}
