/**
 * Where tickets live. The ticket service only talks to this interface; two implementations:
 *  - `InMemoryTicketRepository` (tests, tools);
 *  - `StoredTicketRepository` over the server's durable store (server/storage/repository.ts,
 *    lowdb hot file + journal + monthly archives): hot tickets (open and resolved) in the
 *    `tickets` collection, closed tickets archived by the month they closed, so history never
 *    makes hot writes bigger. `storeIn(tx)` lets a fleet event handler change tickets inside the
 *    very transaction that applied the fleet message (atomic with it).
 *
 * Work happens in units: `transaction(work)` hands a `TicketStore`; its writes are durable when
 * the promise resolves, and units never interleave.
 */
import type { NumberCounter, RecordRef, Repository, Transaction, UniqueKeyRules } from '../storage/repository.js';
import type { DeviceEvent } from '../../shared/wire/messages.js';
import { faultTicketKey } from './ticketFleetEvents.js';
import { faultKey } from '../../shared/faultIdentity.js';
import { OPEN_STATUSES, Ticket, ticketFaultIdentity, type TicketFault, type TicketStatus } from './ticket.js';
import { readPlannedStop, type PlannedStop } from './plannedStops.js';
import { holdKey, readHold, type CustomerFixableHold } from './customerFixable.js';
import { subjectMoves, subjectsOfTicket, withoutTicket, withTicket, type SubjectIndex } from './ticketSubjects.js';

/** A unit of work over tickets. */
export interface TicketStore {
  get(id: string): Promise<Ticket | undefined>;
  /** Every ticket that is not closed (open and resolved). */
  active(): Promise<Ticket[]>;
  /**
   * The tickets that are not closed and are about any of `subjects` (ticketSubjects.ts: devices,
   * ticket keys), read through an index instead of the whole hot set; a superset of what a signal
   * concerns, to be filtered by the caller.
   */
  concerning(subjects: readonly string[]): Promise<Ticket[]>;
  /**
   * Inserts or replaces a ticket that is not closed, with the instant its timers next have
   * something to do (ticketTimers.ts nextDue; null: none). Without it the ticket is looked at by
   * the next tick (CHECK_AT_NEXT_TICK), which then stores the exact instant.
   */
  put(ticket: Ticket, nextDueAt?: number | null): Promise<void>;
  /** Moves a closed ticket to history. */
  archive(ticket: Ticket, now: number): Promise<void>;
  /** Stores when a ticket's timers next have something to do, the ticket unchanged (null: never). */
  reschedule(id: string, nextDueAt: number | null): Promise<void>;
  /**
   * The tickets whose timers are due at `now`, earliest first, at most `limit`: read through the
   * next-due index (PostgreSQL: a btree index; embedded: a sorted index in memory), not the hot set.
   */
  dueBy(now: number, limit: number): Promise<Ticket[]>;
  /**
   * Makes sure the next-due index holds every hot ticket under the timer policy `policyKey`
   * (the settings nextDue depends on): a store from before the index, or one whose policy was
   * changed since, is indexed once with `dueOf`. True when it (re)built the index.
   */
  ensureDueIndex(policyKey: string, dueOf: (t: Ticket) => number | null): Promise<boolean>;
  /**
   * A ticket number this unit may give a new ticket; never one used before. Then `settleNumber`
   * says whether it was used. On PostgreSQL numbers come from a sequence: a number offered to a
   * unit that rolls back is skipped, so numbers may have gaps (docs/scale-out.md).
   */
  offerNumber(): Promise<number>;
  settleNumber(n: number, used: boolean): Promise<void>;
  /** Minutes of monthly-cap time used by a customer in a month ("YYYY-MM"). */
  capUsage(customerId: string, month: string): Promise<number>;
  addCapUsage(customerId: string, month: string, minutes: number): Promise<void>;
  /** The durable store's transaction this unit runs in (absent in memory): others' writes that must be atomic with it. */
  readonly transaction?: Transaction;
  /** Clean agent stops whose grace runs (plannedStops.ts), one per agent. */
  plannedStops(): Promise<PlannedStop[]>;
  plannedStop(agentId: string): Promise<PlannedStop | undefined>;
  putPlannedStop(stop: PlannedStop): Promise<void>;
  deletePlannedStop(agentId: string): Promise<void>;
  /** Customer-fixable faults whose hold runs (customerFixable.ts), one per device and fault. */
  customerFixableHolds(): Promise<CustomerFixableHold[]>;
  customerFixableHold(key: string): Promise<CustomerFixableHold | undefined>;
  putCustomerFixableHold(hold: CustomerFixableHold): Promise<void>;
  deleteCustomerFixableHold(key: string): Promise<void>;
}

export interface TicketRepository {
  transaction<T>(work: (store: TicketStore) => Promise<T>): Promise<T>;
  get(id: string): Promise<Ticket | undefined>;
  active(): Promise<Ticket[]>;
  /** Closed tickets archived in `month` ("YYYY-MM", UTC month of closing) or later. */
  closedSince(month: string): Promise<Ticket[]>;
  /**
   * The earliest next-due instant of any ticket (null: none); CHECK_AT_NEXT_TICK when the index
   * was not built under `policyKey` yet (the tick builds it).
   */
  firstDue(policyKey: string): Promise<number | null>;
  plannedStops(): Promise<PlannedStop[]>;
  customerFixableHolds(): Promise<CustomerFixableHold[]>;
}

/** Serialises async units of work. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function utcMonth(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** The next-due instant of a ticket whose timers were not computed when it was stored: the next tick looks at it. */
export const CHECK_AT_NEXT_TICK = 0;

export class InMemoryTicketRepository implements TicketRepository {
  private readonly hot = new Map<string, Ticket>();
  /** Next-due instant per hot ticket with timers. */
  private readonly due = new Map<string, number>();
  private readonly closed: Array<{ month: string; ticket: Ticket }> = [];
  private readonly caps = new Map<string, number>();
  private readonly stops = new Map<string, PlannedStop>();
  private readonly holds = new Map<string, CustomerFixableHold>();
  private counter = 0;
  private readonly mutex = new Mutex();

  transaction<T>(work: (store: TicketStore) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      // Changes are staged and applied only when the work succeeds, like the durable store.
      const staged = new Map<string, Ticket | null>();
      const archived: Array<{ month: string; ticket: Ticket }> = [];
      const capDelta = new Map<string, number>();
      const stops = new Map(this.stops);
      const due = new Map(this.due);
      const holds = new Map(this.holds);
      let counter = this.counter;
      const store: TicketStore = {
        get: (id) => Promise.resolve(staged.has(id) ? (staged.get(id) ?? undefined) : this.hot.get(id)),
        active: () => {
          const all = new Map(this.hot);
          for (const [id, t] of staged) {
            if (t) all.set(id, t);
            else all.delete(id);
          }
          return Promise.resolve([...all.values()]);
        },
        concerning: async (subjects) => (await store.active()).filter((t) => subjectsOfTicket(t).some((x) => subjects.includes(x))),
        put: (ticket, nextDueAt = CHECK_AT_NEXT_TICK) => {
          staged.set(ticket.id, ticket);
          if (nextDueAt === null) due.delete(ticket.id);
          else due.set(ticket.id, nextDueAt);
          return Promise.resolve();
        },
        reschedule: (id, nextDueAt) => {
          if (nextDueAt === null) due.delete(id);
          else due.set(id, nextDueAt);
          return Promise.resolve();
        },
        dueBy: async (now, limit) => {
          const byId = new Map((await store.active()).map((t) => [t.id, t]));
          return [...due]
            .filter(([id, at]) => at <= now && byId.has(id))
            .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
            .slice(0, limit)
            .map(([id]) => byId.get(id)!);
        },
        // Every ticket of this repository was stored with its instant (or CHECK_AT_NEXT_TICK).
        ensureDueIndex: () => Promise.resolve(false),
        archive: (ticket, now) => {
          staged.set(ticket.id, null);
          due.delete(ticket.id);
          archived.push({ month: utcMonth(now), ticket });
          return Promise.resolve();
        },
        offerNumber: () => Promise.resolve(counter + 1),
        settleNumber: (n, used) => {
          if (!used) return Promise.resolve();
          if (n <= counter) return Promise.reject(new Error(`ticket number ${n} is not after ${counter}`));
          counter = n;
          return Promise.resolve();
        },
        capUsage: (customerId, month) => {
          const key = `${customerId}|${month}`;
          return Promise.resolve((this.caps.get(key) ?? 0) + (capDelta.get(key) ?? 0));
        },
        addCapUsage: (customerId, month, minutes) => {
          const key = `${customerId}|${month}`;
          capDelta.set(key, (capDelta.get(key) ?? 0) + minutes);
          return Promise.resolve();
        },
        plannedStops: () => Promise.resolve([...stops.values()]),
        plannedStop: (agentId) => Promise.resolve(stops.get(agentId)),
        putPlannedStop: (stop) => {
          stops.set(stop.agentId, stop);
          return Promise.resolve();
        },
        deletePlannedStop: (agentId) => {
          stops.delete(agentId);
          return Promise.resolve();
        },
        customerFixableHolds: () => Promise.resolve([...holds.values()]),
        customerFixableHold: (key) => Promise.resolve(holds.get(key)),
        putCustomerFixableHold: (hold) => {
          holds.set(hold.key, structuredClone(hold));
          return Promise.resolve();
        },
        deleteCustomerFixableHold: (key) => {
          holds.delete(key);
          return Promise.resolve();
        },
      };
      const result = await work(store);
      for (const [id, t] of staged) {
        if (t) this.hot.set(id, structuredClone(t));
        else this.hot.delete(id);
      }
      this.closed.push(...archived.map((a) => ({ month: a.month, ticket: structuredClone(a.ticket) })));
      for (const [k, v] of capDelta) this.caps.set(k, (this.caps.get(k) ?? 0) + v);
      this.stops.clear();
      for (const [k, v] of stops) this.stops.set(k, v);
      this.due.clear();
      for (const [k, v] of due) this.due.set(k, v);
      this.holds.clear();
      for (const [k, v] of holds) this.holds.set(k, v);
      this.counter = counter;
      return result;
    });
  }

  get(id: string): Promise<Ticket | undefined> {
    return Promise.resolve(this.hot.get(id));
  }

  active(): Promise<Ticket[]> {
    return Promise.resolve([...this.hot.values()]);
  }

  closedSince(month: string): Promise<Ticket[]> {
    return Promise.resolve(this.closed.filter((c) => c.month >= month).map((c) => c.ticket));
  }

  plannedStops(): Promise<PlannedStop[]> {
    return Promise.resolve([...this.stops.values()]);
  }

  firstDue(): Promise<number | null> {
    let first: number | null = null;
    for (const at of this.due.values()) if (first === null || at < first) first = at;
    return Promise.resolve(first);
  }

  customerFixableHolds(): Promise<CustomerFixableHold[]> {
    return Promise.resolve([...this.holds.values()]);
  }
}

/** The hot tickets collection (open and resolved; closed ones are archived). */
export const TICKETS = 'tickets';
const META = 'ticketMeta';
/** Ticket numbers: the record ticketMeta/counter ({ lastNumber }) or, on PostgreSQL, a sequence started after it. */
const TICKET_NUMBERS: NumberCounter = { collection: META, id: 'counter' };
const CAPS = 'ticketCapUsage';
/** Planned stops (plannedStops.ts): id = agent key. */
const STOPS = 'ticketPlannedStops';
/** Customer-fixable holds (customerFixable.ts): id = hold key (device | fault). */
const HOLDS = 'ticketCustomerFixableHolds';
/** Subject index (ticketSubjects.ts): id = subject, value = SubjectIndex. */
const SUBJECTS = 'ticketSubjects';
/** Marks a store whose subject index is complete (stores from before the index build it once). */
const SUBJECT_INDEX_BUILT = 'subjectIndex';
/**
 * Next-due index: id = ticket id, value = { dueAt }, for every hot ticket with timers; read in
 * order of dueAt (repository.ts listOrdered; PostgreSQL index: migration 0004).
 */
const DUE = 'ticketDue';
const DUE_FIELD = 'dueAt';
/** Marks a store whose next-due index is complete, with the policy it was computed under. */
const DUE_INDEX_BUILT = 'dueIndex';

interface DueRecord {
  readonly dueAt: number;
}

interface DueIndexMark {
  readonly policyKey: string;
}

async function storeDue(tx: Transaction, id: string, nextDueAt: number | null): Promise<void> {
  if (nextDueAt === null) await tx.delete(DUE, id);
  else await tx.put<DueRecord>(DUE, id, { dueAt: nextDueAt });
}

async function ensureSubjectIndex(tx: Transaction): Promise<void> {
  if ((await tx.get<{ built: boolean }>(META, SUBJECT_INDEX_BUILT))?.built) return;
  const bySubject = new Map<string, string[]>();
  for (const v of await tx.list<{ id: string }>(TICKETS)) {
    for (const subject of subjectsOfTicket(v)) bySubject.set(subject, [...(bySubject.get(subject) ?? []), v.id]);
  }
  for (const [subject, ids] of bySubject) await tx.put<SubjectIndex>(SUBJECTS, subject, { tickets: [...new Set(ids)].sort() });
  await tx.put(META, SUBJECT_INDEX_BUILT, { built: true });
}

/** Moves ticket `id` in the subject index from the subjects of `before` to those of `after`. */
async function reindexTicket(tx: Transaction, id: string, before: readonly string[], after: readonly string[]): Promise<void> {
  const { remove, add } = subjectMoves(before, after);
  for (const subject of remove) {
    const next = withoutTicket(await tx.get<SubjectIndex>(SUBJECTS, subject), id);
    if (!next) continue;
    if (next.tickets.length === 0) await tx.delete(SUBJECTS, subject);
    else await tx.put(SUBJECTS, subject, next);
  }
  for (const subject of add) {
    const next = withTicket(await tx.get<SubjectIndex>(SUBJECTS, subject), id);
    if (next) await tx.put(SUBJECTS, subject, next);
  }
}

/**
 * Parsed form of stored ticket records, by record object. Every fleet event that touches tickets
 * reads all active tickets (`active()`), so parsing each with zod every time cost ~10 µs per
 * ticket per event: with a few hundred open tickets that was most of the server's ingest CPU.
 * Store records are never mutated (repository.ts), so one record object always parses to the same
 * ticket; a new version of a ticket is a new object and is parsed once. Parsed tickets are
 * treated as immutable too (the policy builds new ones). A store that returns fresh objects on
 * every read (PostgreSQL) simply does not hit this cache.
 */
const parsedTickets = new WeakMap<object, Ticket>();

/**
 * The ticket policy's invariant, enforced by the store too (repository.ts UniqueKeyRules): at most
 * one OPEN ticket (new, acknowledged, in progress, waiting for customer) per device and fault
 * (shared/faultIdentity.ts `faultKey`: code and subunit), whichever ticket carries the fault (a
 * ticket may carry several). Site tickets key by the agent ("agent.offline" is their fault, on the
 * agent id); supply orders by their key (one per cartridge). Resolved tickets hold no keys: a fault
 * coming back after the reopen window opens a new ticket while the old one waits to close.
 *
 * A fault stored before faults had subunits keeps its old key (device + code): it stands for that
 * code on every subunit (ticket.ts `isFault`), so records of older versions need no rewrite, in
 * the journaled store nor in PostgreSQL's `unique_keys`.
 */
export function ticketUniqueKeys(value: unknown): string[] {
  const t = value as { kind?: unknown; key?: unknown; status?: unknown; faults?: unknown; supplyOrder?: unknown } | null;
  if (!t || typeof t.status !== 'string' || !OPEN_STATUSES.has(t.status as TicketStatus) || !Array.isArray(t.faults)) return [];
  // A proactive supply order is one per cartridge (its key names device and supply), not a fault.
  if (t.supplyOrder !== undefined) return [`open:order:${String(t.key)}`];
  return (t.faults as TicketFault[]).map(
    (f) => `open:${String(t.kind)}:${String(f.deviceId)}|${f.subunit === undefined ? String(f.code) : faultKey(ticketFaultIdentity(f))}`,
  );
}

/** Unique keys of the collections owned by the ticket module: pass to the store (openRepository). */
export const TICKET_UNIQUE_KEYS: UniqueKeyRules = { [TICKETS]: ticketUniqueKeys };

/** Parses a stored ticket; a record that does not match the schema is an error naming it (never silently dropped). */
function readTicket(value: unknown, where: string): Ticket {
  const cached = typeof value === 'object' && value !== null ? parsedTickets.get(value) : undefined;
  if (cached) return cached;
  const parsed = Ticket.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`stored ticket ${where} is invalid at ${first?.path.join('.') ?? '(root)'}: ${first?.message ?? 'unknown problem'}`);
  }
  if (typeof value === 'object' && value !== null) parsedTickets.set(value, parsed.data);
  return parsed.data;
}

/** The id of the ticket numbered `n`. */
export function ticketIdOf(n: number): string {
  return `T${String(n).padStart(6, '0')}`;
}

/**
 * What the ticket rules read for a device event (FleetEventBus.declareReads): the device's subject
 * index entry, for a fault raised the entry of the ticket key it would open, and for a fault raised
 * or cleared its customer-fixable hold.
 */
export function ticketReadsOfDeviceEvent(deviceKey: string, event: DeviceEvent): RecordRef[] {
  if (event.kind === 'supply.changed' || event.kind === 'identity.changed') return [];
  const reads: RecordRef[] = [
    [META, SUBJECT_INDEX_BUILT],
    [SUBJECTS, `device:${deviceKey}`],
  ];
  if (event.kind === 'fault.raised') reads.push([SUBJECTS, `key:${faultTicketKey(deviceKey, event.fault)}`]);
  // A clearing always reads the fault's customer-fixable hold; a raise reads it when the fault is customer-fixable.
  if (event.kind === 'fault.raised' || event.kind === 'fault.cleared') reads.push([HOLDS, holdKey(deviceKey, event.fault)]);
  return reads;
}

/** TicketStore over one transaction of the durable store. */
export function ticketStoreIn(tx: Transaction): TicketStore {
  /** Ids of numbers this unit took from the counter: never given before, so no record holds them yet. */
  const fresh = new Set<string>();
  return {
    transaction: tx,
    get: async (id) => {
      const v = await tx.get<unknown>(TICKETS, id);
      return v === undefined ? undefined : readTicket(v, id);
    },
    active: async () => (await tx.list<unknown>(TICKETS)).map((v, i) => readTicket(v, `#${i}`)),
    concerning: async (subjects) => {
      await ensureSubjectIndex(tx);
      const ids = new Set<string>();
      for (const subject of subjects) for (const id of (await tx.get<SubjectIndex>(SUBJECTS, subject))?.tickets ?? []) ids.add(id);
      const out: Ticket[] = [];
      for (const id of [...ids].sort()) {
        const v = await tx.get<unknown>(TICKETS, id);
        if (v !== undefined) out.push(readTicket(v, id));
      }
      return out;
    },
    put: async (ticket, nextDueAt = CHECK_AT_NEXT_TICK) => {
      await ensureSubjectIndex(tx);
      // Only its first put: after it, the ticket's record and index entries are this unit's own writes.
      const before = fresh.delete(ticket.id) ? [] : subjectsOfTicket(await tx.get<unknown>(TICKETS, ticket.id));
      // What the ticket service writes is a ticket it built (typed, from parsed tickets): reading it
      // back in a later event of this process needs no second parse. After a restart the stored
      // record is a new object and is parsed again.
      parsedTickets.set(ticket, ticket);
      await tx.put(TICKETS, ticket.id, ticket);
      await reindexTicket(tx, ticket.id, before, subjectsOfTicket(ticket));
      await storeDue(tx, ticket.id, nextDueAt);
    },
    reschedule: (id, nextDueAt) => storeDue(tx, id, nextDueAt),
    dueBy: async (now, limit) => {
      const due = await tx.listOrdered<DueRecord>(DUE, DUE_FIELD, now, limit);
      await tx.prefetch(due.map((d) => [TICKETS, d.id] as const));
      const out: Ticket[] = [];
      for (const d of due) {
        const v = await tx.get<unknown>(TICKETS, d.id);
        // An entry left by a ticket gone some other way (e.g. a store copied mid-change) is dropped.
        if (v === undefined) await tx.delete(DUE, d.id);
        else out.push(readTicket(v, d.id));
      }
      return out;
    },
    ensureDueIndex: async (policyKey, dueOf) => {
      if ((await tx.get<DueIndexMark>(META, DUE_INDEX_BUILT))?.policyKey === policyKey) return false;
      for (const [i, v] of (await tx.list<unknown>(TICKETS)).entries()) {
        const t = readTicket(v, `#${i}`);
        await storeDue(tx, t.id, dueOf(t));
      }
      await tx.put<DueIndexMark>(META, DUE_INDEX_BUILT, { policyKey });
      return true;
    },
    archive: async (ticket, now) => {
      await ensureSubjectIndex(tx);
      const before = [...new Set([...subjectsOfTicket(await tx.get<unknown>(TICKETS, ticket.id)), ...subjectsOfTicket(ticket)])].sort();
      await tx.archive(TICKETS, ticket.id, ticket, new Date(now));
      await reindexTicket(tx, ticket.id, before, []);
      await tx.delete(DUE, ticket.id);
    },
    offerNumber: () => tx.offerNumber(TICKET_NUMBERS),
    settleNumber: (n, used) => {
      if (!used) return tx.unusedNumber(TICKET_NUMBERS, n);
      fresh.add(ticketIdOf(n));
      return tx.useNumber(TICKET_NUMBERS, n);
    },
    capUsage: async (customerId, month) => (await tx.get<{ minutes: number }>(CAPS, `${customerId}|${month}`))?.minutes ?? 0,
    addCapUsage: async (customerId, month, minutes) => {
      const key = `${customerId}|${month}`;
      const current = (await tx.get<{ minutes: number }>(CAPS, key))?.minutes ?? 0;
      await tx.put(CAPS, key, { minutes: current + minutes });
    },
    plannedStops: async () => (await tx.list<PlannedStop>(STOPS)).map((v, i) => readPlannedStop(v, `#${i}`)),
    plannedStop: async (agentId) => {
      const v = await tx.get<unknown>(STOPS, agentId);
      return v === undefined ? undefined : readPlannedStop(v, agentId);
    },
    putPlannedStop: (stop) => tx.put(STOPS, stop.agentId, stop),
    deletePlannedStop: (agentId) => tx.delete(STOPS, agentId),
    customerFixableHolds: async () => (await tx.list<unknown>(HOLDS)).map((v, i) => readHold(v, `#${i}`)),
    customerFixableHold: async (key) => {
      const v = await tx.get<unknown>(HOLDS, key);
      return v === undefined ? undefined : readHold(v, key);
    },
    putCustomerFixableHold: (hold) => tx.put(HOLDS, hold.key, hold),
    deleteCustomerFixableHold: (key) => tx.delete(HOLDS, key),
  };
}

export class StoredTicketRepository implements TicketRepository {
  constructor(private readonly store: Repository) {}

  transaction<T>(work: (store: TicketStore) => Promise<T>): Promise<T> {
    return this.store.transaction((tx) => work(ticketStoreIn(tx)));
  }

  async get(id: string): Promise<Ticket | undefined> {
    const v = await this.store.get<unknown>(TICKETS, id);
    return v === undefined ? undefined : readTicket(v, id);
  }

  async active(): Promise<Ticket[]> {
    return (await this.store.list<unknown>(TICKETS)).map((v, i) => readTicket(v, `#${i}`));
  }

  async plannedStops(): Promise<PlannedStop[]> {
    return (await this.store.list<unknown>(STOPS)).map((v, i) => readPlannedStop(v, `#${i}`));
  }

  async firstDue(policyKey: string): Promise<number | null> {
    if ((await this.store.get<DueIndexMark>(META, DUE_INDEX_BUILT))?.policyKey !== policyKey) return CHECK_AT_NEXT_TICK;
    return (await this.store.firstOrdered(DUE, DUE_FIELD)) ?? null;
  }

  async customerFixableHolds(): Promise<CustomerFixableHold[]> {
    return (await this.store.list<unknown>(HOLDS)).map((v, i) => readHold(v, `#${i}`));
  }

  async closedSince(month: string): Promise<Ticket[]> {
    const out: Ticket[] = [];
    for (const m of await this.store.archiveMonths(TICKETS)) {
      if (m < month) continue;
      for await (const rec of this.store.readArchive<unknown>(TICKETS, m)) out.push(readTicket(rec.value, `${rec.id} (archive ${m})`));
    }
    return out;
  }
}
