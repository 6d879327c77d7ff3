/**
 * Live updates for dashboards: fleet events (fault raised/cleared, reachability, agent on/offline)
 * and ticket notices (opened, joined, resolved, closed, escalated, SLA warning/breach, …) fanned
 * out to server-sent-event clients, each seeing only what its token may read.
 *
 * Fleet events are forwarded from the fleet event bus once the ingest transaction that raised
 * them has committed (FleetEventBus.afterCommit), so a client never sees a change that was rolled
 * back, nor one event twice when the store re-ran a conflicting unit. With several server
 * instances, events also travel over the cluster bus (server/cluster) to the other instances'
 * clients; each instance publishes only what it changed itself, so nothing arrives twice.
 *
 * Every event carries the customer it belongs to (and, for tickets, the assignee), so filtering
 * uses the same rules as the REST routes (server/auth/access.ts). Ticket notices carry the facts of
 * their ticket as the committed change left it (server/tickets/ticketFacts.ts): nothing is read back.
 *
 * Clients are bounded: an event goes to a client only while its socket buffer holds less than
 * `maxBufferedBytes`; a slower client is disconnected (it reconnects with Last-Event-ID and gets
 * the recent events from a bounded replay ring).
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { canSeeTicket, customerScope } from '../auth/access.js';
import type { Principal } from '../auth/apiTokens.js';
import type { FleetEvent, FleetEventBus } from '../events/fleetEvents.js';
import type { Repository } from '../storage/repository.js';
import { MAX_NOTE_BYTES, type BusBody, type BusNote, type ClusterBus } from '../cluster/clusterBus.js';
import type { Ticket } from '../tickets/ticket.js';
import type { Notice } from '../tickets/ticketPolicy.js';
import { activeDeadline } from '../tickets/workQueue.js';

export interface LiveEvent {
  readonly id: number;
  /** "fleet.faultRaised", "ticket.opened", "sla.breach", … */
  readonly type: string;
  /** Owner of the data; null = vendor-internal (only admin/dispatcher/technician). */
  readonly customerId: string | null;
  /** For ticket events: who it is assigned to (technician visibility). */
  readonly ticket: { readonly assignee: string | null } | null;
  readonly data: unknown;
}

export interface LiveSink {
  /** Writes one chunk; false when the client is too far behind and must be dropped. */
  write(chunk: string): boolean;
  close(): void;
}

interface Client {
  readonly principal: Principal;
  readonly sink: LiveSink;
  heartbeat: TimerHandle | undefined;
}

export interface LiveUpdatesOptions {
  readonly repo: Repository;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly heartbeatMs?: number;
  readonly replay?: number;
  readonly maxClients?: number;
  /**
   * The bus to the other server instances (server/cluster): every event published here is also
   * sent to them, and theirs are fanned out to this instance's clients (never sent back).
   */
  readonly bus?: ClusterBus;
}

/**
 * The note that carries a live event to the other instances. Fleet events are small; the one
 * that can outgrow a NOTIFY payload (an agent going offline with hundreds of devices) keeps as
 * many device keys as fit and says how many there were. Pure.
 */
export function liveNote(type: string, customerId: string | null, ticket: LiveEvent['ticket'], data: unknown, maxBytes = MAX_NOTE_BYTES - 200): BusNote {
  const note = (d: unknown): BusNote => ({ kind: 'live', body: { type, customerId, ticket, data: d } as unknown as BusBody });
  const full = note(data);
  if (Buffer.byteLength(JSON.stringify(full)) <= maxBytes) return full;
  const record = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const scalars = Object.fromEntries(Object.entries(record).filter(([, v]) => v === null || typeof v !== 'object'));
  const devices = Array.isArray(record.devices) ? (record.devices as unknown[]) : [];
  // Halve the device list until it fits (a few steps for any size).
  for (let keep = devices.length; keep > 0; keep = Math.floor(keep / 2)) {
    const candidate = note({ ...scalars, devices: devices.slice(0, keep), devicesTotal: devices.length, truncated: true });
    if (Buffer.byteLength(JSON.stringify(candidate)) <= maxBytes) return candidate;
  }
  return note({ ...scalars, truncated: true });
}

export function visibleTo(p: Principal, e: LiveEvent): boolean {
  const scope = customerScope(p);
  if (scope !== null) return e.customerId === scope;
  if (e.ticket && p.role === 'technician') return canSeeTicket(p, { customer: { id: e.customerId ?? '' } as Ticket['customer'], assignee: e.ticket.assignee });
  return true;
}

export function formatSse(e: LiveEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

function fleetCustomer(e: FleetEvent): string {
  return 'device' in e ? e.device.customer.id : e.agent.customer.id;
}

/** The event payload sent to clients: what changed, without the bulky evidence. */
function fleetData(e: FleetEvent): unknown {
  switch (e.type) {
    case 'faultRaised':
      return {
        at: e.at,
        deviceKey: e.device.deviceKey,
        customerId: e.device.customer.id,
        siteId: e.device.siteId,
        fault: { code: e.fault.code, severity: e.fault.severity, message: e.fault.message },
        impact: e.impact.level,
        status: e.evidence.status,
      };
    case 'faultCleared':
      return {
        at: e.at,
        deviceKey: e.device.deviceKey,
        customerId: e.device.customer.id,
        siteId: e.device.siteId,
        fault: { code: e.fault.code },
        clearedAt: e.clearedAt,
      };
    case 'deviceUnreachable':
      return { at: e.at, deviceKey: e.device.deviceKey, customerId: e.device.customer.id, siteId: e.device.siteId, since: e.since, lastError: e.lastError };
    case 'deviceReachable':
      return { at: e.at, deviceKey: e.device.deviceKey, customerId: e.device.customer.id, siteId: e.device.siteId, since: e.since };
    case 'agentOffline':
      return {
        at: e.at,
        agent: `${e.agent.tenant}/${e.agent.agentId}`,
        customerId: e.agent.customer.id,
        siteId: e.agent.siteId,
        reason: e.reason,
        devices: e.devices.map((d) => d.deviceKey),
      };
    case 'agentOnline':
      return { at: e.at, agent: `${e.agent.tenant}/${e.agent.agentId}`, customerId: e.agent.customer.id, siteId: e.agent.siteId };
  }
}

export class LiveUpdates {
  private readonly clients = new Set<Client>();
  private readonly recent: LiveEvent[] = [];
  private nextId = 1;
  private closed = false;
  readonly heartbeatMs: number;
  /** Clients dropped for falling behind (a metric for operators). */
  dropped = 0;

  constructor(private readonly o: LiveUpdatesOptions) {
    this.heartbeatMs = o.heartbeatMs ?? 15_000;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Subscribes to the server's fleet events; returns the unsubscribe function. */
  attachToFleetEvents(bus: FleetEventBus): () => void {
    // After the commit, once: a store that retries a conflicting unit (PostgreSQL) emits again.
    return bus.subscribe((event, tx) => {
      bus.afterCommit(tx, () => this.publish(`fleet.${event.type}`, fleetCustomer(event), null, fleetData(event)));
    });
  }

  /** For TicketService's `onNotice`: never throws, never blocks the ticket engine. */
  ticketNotice(n: Notice): void {
    if (this.closed) return;
    const t = n.ticket;
    const summary = {
      id: t.id,
      status: t.status,
      impact: t.impact,
      queue: t.queue,
      assignee: t.assignee,
      customerId: t.customer.id,
      deviceKey: t.device?.id ?? null,
      deadlineAt: t.deadlineAt,
      title: t.title,
    };
    this.publish(n.kind, t.customer.id, { assignee: t.assignee }, { kind: n.kind, ticketId: n.ticketId, at: n.at, detail: n.detail, ticket: summary });
  }

  /** After an API action: the ticket's new state for live views (no notice for e.g. comments). */
  ticketChanged(t: Ticket, action: string): void {
    this.publish(
      'ticket.updated',
      t.customer.id,
      { assignee: t.assignee },
      { ticketId: t.id, action, status: t.status, assignee: t.assignee, deadlineAt: activeDeadline(t), revision: t.revision },
    );
  }

  publish(type: string, customerId: string | null, ticket: LiveEvent['ticket'], data: unknown): LiveEvent {
    this.o.bus?.publish(liveNote(type, customerId, ticket, data));
    return this.fanOut(type, customerId, ticket, data);
  }

  /** Live events published by other instances reach this instance's clients; returns the unsubscribe function. */
  attachToBus(bus: ClusterBus): () => void {
    return bus.subscribe((note) => {
      if (note.kind !== 'live' || this.closed) return;
      const b = note.body as { type?: unknown; customerId?: unknown; ticket?: unknown; data?: unknown } | null;
      if (!b || typeof b.type !== 'string' || !(b.customerId === null || typeof b.customerId === 'string')) return;
      const ticket =
        typeof b.ticket === 'object' && b.ticket !== null && 'assignee' in b.ticket
          ? { assignee: typeof b.ticket.assignee === 'string' ? b.ticket.assignee : null }
          : null;
      this.fanOut(b.type, b.customerId, ticket, b.data);
    });
  }

  private fanOut(type: string, customerId: string | null, ticket: LiveEvent['ticket'], data: unknown): LiveEvent {
    const e: LiveEvent = { id: this.nextId++, type, customerId, ticket, data };
    this.recent.push(e);
    if (this.recent.length > (this.o.replay ?? 500)) this.recent.shift();
    const chunk = formatSse(e);
    for (const c of this.clients) {
      if (!visibleTo(c.principal, e)) continue;
      if (!c.sink.write(chunk)) this.drop(c, 'client too slow: buffer full');
    }
    return e;
  }

  /** Adds a client; replays events after `lastEventId` it may see. Returns the remover. */
  connect(principal: Principal, sink: LiveSink, lastEventId?: number): () => void {
    if (this.closed || this.clients.size >= (this.o.maxClients ?? 1000)) {
      sink.write(`event: error\ndata: ${JSON.stringify({ message: this.closed ? 'server stopping' : 'too many live clients' })}\n\n`);
      sink.close();
      return () => undefined;
    }
    const client: Client = { principal, sink, heartbeat: undefined };
    this.clients.add(client);
    sink.write(`retry: 3000\n: connected\n\n`);
    if (lastEventId !== undefined) {
      for (const e of this.recent) if (e.id > lastEventId && visibleTo(principal, e) && !sink.write(formatSse(e))) return this.drop(client, 'replay overflow');
    }
    const beat = () => {
      client.heartbeat = undefined;
      if (!this.clients.has(client)) return;
      if (!sink.write(`: heartbeat ${new Date(this.o.clock.now()).toISOString()}\n\n`)) return this.drop(client, 'client too slow: buffer full');
      client.heartbeat = this.o.clock.setTimeout(beat, this.heartbeatMs);
    };
    client.heartbeat = this.o.clock.setTimeout(beat, this.heartbeatMs);
    return () => this.remove(client);
  }

  private remove(c: Client): void {
    if (!this.clients.delete(c)) return;
    if (c.heartbeat) this.o.clock.clearTimeout(c.heartbeat);
  }

  private drop(c: Client, why: string): () => void {
    this.dropped += 1;
    this.o.logger?.info({ token: c.principal.tokenId, why }, 'live client disconnected');
    this.remove(c);
    c.sink.close();
    return () => undefined;
  }

  /** Closes the streams of the principals `match` picks (a revoked or expired token); returns how many. */
  disconnectWhere(match: (p: Principal) => boolean, why: string): number {
    let n = 0;
    for (const c of [...this.clients]) {
      if (!match(c.principal)) continue;
      n += 1;
      c.sink.write(`event: error\ndata: ${JSON.stringify({ message: why })}\n\n`);
      this.o.logger?.info({ token: c.principal.tokenId, why }, 'live client disconnected');
      this.remove(c);
      c.sink.close();
    }
    return n;
  }

  close(): void {
    this.closed = true;
    for (const c of [...this.clients]) {
      this.remove(c);
      c.sink.close();
    }
  }
}
