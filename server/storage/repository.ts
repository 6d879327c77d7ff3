/**
 * The storage contract of the server: a small repository interface implemented by the embedded
 * lowdb store (journaledStore.ts, one instance) and the PostgreSQL store (postgresStore.ts, several
 * instances); openRepository.ts picks one by configuration. One contract test suite runs against
 * both (test/harness/repositoryContract.ts).
 *
 * Model: named collections of JSON records keyed by string ids, a bounded "processed message id"
 * set for deduplication, and a monthly archive per collection for history (closed tickets, past
 * events) that must not be rewritten on every change.
 *
 * Units of work: every change happens inside `transaction(work)`. The work function reads and
 * writes through its `Transaction`; when it returns, its changes become visible to later
 * transactions at once, and the promise returned by `transaction` resolves only when they are
 * durable (on disk, or committed in the database). Callers that acknowledge something to the
 * outside world (an MQTT PUBACK, an HTTP 201) wait for that promise. If `work` throws, none of its
 * changes are applied.
 *
 * Rules for callers, so that both implementations behave the same:
 *  - ids are strings; values are plain JSON (no Date, Map, undefined inside arrays);
 *  - never mutate a value you got from the store: build a new one and `put` it;
 *  - do all reads of a unit inside its transaction (PostgreSQL: REPEATABLE READ, one snapshot);
 *  - a decision that rests on records the unit reads but does not write (a check across records:
 *    "another admin token stays active") takes a `guard` that every unit able to break it takes
 *    too: snapshot isolation stops two units writing one record, not this (write skew);
 *  - a unit of work may be run more than once (PostgreSQL re-runs it after a serialization
 *    failure): change things only through the Transaction, and let TransactionConflictError
 *    through any catch inside the unit (`abortsUnitOfWork`);
 *  - `claimMessage` inside the transaction that applies the message, so that "processed" and
 *    "applied" commit together (PostgreSQL: INSERT … ON CONFLICT DO NOTHING on a unique key).
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ArchivedRecord<T = unknown> {
  readonly collection: string;
  readonly id: string;
  /** "YYYY-MM" (UTC) of the moment the record was archived. */
  readonly month: string;
  /** ISO instant of the archiving. */
  readonly archivedAt: string;
  readonly value: T;
}

/**
 * A counter of numbers handed out (ticket numbers). The embedded store keeps it as the record
 * `{ lastNumber }` at collection/id, read and written in the unit that uses a number (no gaps).
 * The PostgreSQL store keeps it as a database sequence (created at first use, started after that
 * record's lastNumber), so that units of work on several instances do not all write one row: a
 * number given to a unit that then rolls back is skipped (gaps, never reuse).
 */
export interface NumberCounter {
  readonly collection: string;
  /** Letters, digits and _ only (it names the PostgreSQL sequence). */
  readonly id: string;
}

/** [collection, id] of one record. */
export type RecordRef = readonly [collection: string, id: string];

/**
 * Ordered reads (listOrdered, firstOrdered): the records of a collection by a numeric field of
 * their values (ticketDue by dueAt: the ticket timers read only the tickets due, not the hot
 * set). A record whose field is not a number is not in the order. The journaled store keeps a
 * sorted index in memory, built at the first ordered read of the collection and maintained by
 * every commit; PostgreSQL reads through a btree index on the field, which a schema migration
 * creates (0004 for ticketDue: a generated column, never an index on `value`). Use one field per collection.
 */

/** One record of an ordered read, with its order key. */
export interface OrderedRecord<T> {
  readonly id: string;
  readonly key: number;
  readonly value: T;
}

/**
 * Listings (ListingRules): a filtered, ordered page of a collection (the fleet list, the ticket
 * queue) read without reading the collection. A collection's rule derives from each record value
 * its place in the listing: a sort key, exact-match terms ("customer=c7") and lowercase text
 * fields for a substring search. Both stores keep these entries as records change: the journaled
 * store in memory (built at the first page of the collection, maintained by every commit), the
 * PostgreSQL store in the table `listings` (migration 0004), written in the transaction that
 * writes the record, only when the entry changes (telemetry that moves counters and levels
 * writes none), and read through its indexes (sort order, terms, trigram text).
 */
export interface ListingEntry {
  /**
   * The listing's order: ascending, compared code unit by code unit (PostgreSQL: COLLATE "C", the
   * same order for any text without characters beyond U+FFFF), unique per record (end it with the id).
   */
  readonly sort: string;
  /** Exact-match terms, "name=value". */
  readonly terms: readonly string[];
  /** Lowercase text fields a `contains` search looks in. */
  readonly text: readonly string[];
}

export interface ListingRule {
  /** Raised when the rule changes: the PostgreSQL store then recomputes the stored entries at open. */
  readonly version: number;
  /** The record's entry; undefined: not in the listing. Pure. */
  readonly entryOf: (value: unknown) => ListingEntry | undefined;
  /**
   * The top-level fields of a value `entryOf` reads, when it reads only those: an update
   * (Transaction.update) that changes none of them keeps the entry without computing it (telemetry).
   */
  readonly fields?: readonly string[];
}
export type ListingRules = Readonly<Record<string, ListingRule>>;

/** A condition on a listing entry's terms: a small boolean tree. */
export type TermFilter =
  /** The entry has at least one of these terms (none given: false). */
  | { readonly anyTerm: readonly string[] }
  | { readonly not: TermFilter }
  /** Every one (none given: true). */
  | { readonly all: readonly TermFilter[] }
  /** At least one (none given: false). */
  | { readonly or: readonly TermFilter[] };

export interface ListingQuery {
  readonly filter?: TermFilter;
  /** Lowercase text one of the entry's text fields must contain. */
  readonly contains?: string;
  /** Keyset: only entries whose sort key is after this one (then `offset` counts from there). */
  readonly after?: string;
  readonly offset: number;
  readonly limit: number;
}

export interface ListingPage<T> {
  readonly items: T[];
  /** The sort keys of the items (a keyset cursor: pass the last as `after`). */
  readonly sorts: string[];
  /** Entries matching filter and contains (not `after`). */
  readonly total: number;
}

export interface Transaction {
  get<T>(collection: string, id: string): Promise<T | undefined>;
  /** All hot records of a collection (small collections: open tickets, agents, devices). */
  list<T>(collection: string): Promise<T[]>;
  /**
   * The records of `collection` whose numeric `field` is at most `upTo`, lowest first (then by
   * id), at most `limit`: a bounded read through an index (see OrderedRecord), this unit's own
   * writes included.
   */
  listOrdered<T>(collection: string, field: string, upTo: number, limit: number): Promise<OrderedRecord<T>[]>;
  put<T>(collection: string, id: string, value: T): Promise<void>;
  /**
   * `put` of a record derived by copying from `from`, the value this unit last read (get) or wrote
   * (update) for the same record: a top-level field that is the same object as in `from` is
   * unchanged, and nothing reachable from `from` was changed in place. The PostgreSQL store then
   * sends only the fields that changed (a telemetry message moves a device's counters and levels,
   * not its identity, address and faults); the embedded store treats it as a put.
   */
  update<T extends object>(collection: string, id: string, from: T, value: T): Promise<void>;
  delete(collection: string, id: string): Promise<void>;
  /**
   * Removes the record from the hot set and appends `value` to the collection's archive for the
   * current month (`now` decides the month). History grows without making hot writes bigger.
   */
  archive<T>(collection: string, id: string, value: T, now: Date): Promise<void>;
  /**
   * A hint that the unit is about to read these records and claim these message ids. The PostgreSQL
   * store reads them all in one query each (instead of a round trip per get); the embedded store,
   * which reads from memory, ignores it. Never required for correctness.
   */
  prefetch(records: readonly RecordRef[], messageIds?: readonly string[]): Promise<void>;
  /** A number of `counter` this unit may use: pass it to useNumber if it does, to unusedNumber if not. */
  offerNumber(counter: NumberCounter): Promise<number>;
  /** The offered number is used (embedded store: recorded as the counter's last number). */
  useNumber(counter: NumberCounter, n: number): Promise<void>;
  /** The offered number was not used (PostgreSQL: offered again to a later unit of this process). */
  unusedNumber(counter: NumberCounter, n: number): Promise<void>;
  /** Marks a message id processed; false when it already was (within the dedup window). */
  claimMessage(messageId: string): Promise<boolean>;
  /**
   * Runs `work` as a nested unit (SQL SAVEPOINT): if it throws, exactly its own changes (writes,
   * claimed message ids) are undone, the error is rethrown and the transaction goes on with what
   * came before. Lets many messages share one transaction (one commit) while a bad one fails alone.
   */
  savepoint<T>(work: () => Promise<T> | T): Promise<T>;
  /**
   * Units of work that guard one key run as if one after the other: of two that overlap in time,
   * one commits and the other is run again from the start, and then sees the first one's writes.
   * For a decision that rests on records the unit reads but does not write (write skew under
   * PostgreSQL's snapshot isolation: two units each see the other's record unchanged). PostgreSQL:
   * one row of `unit_guards` written at commit (a write-write conflict between the two units),
   * kept even if a savepoint of the unit is rolled back. Embedded store: nothing to do (one writer).
   * Costs a row write and serialises its units across instances: narrow keys, never per message.
   * A key is 1 to 200 characters without NUL.
   */
  guard(key: string): Promise<void>;
}

export interface StoreStats {
  /** Bytes of the hot snapshot file after the last compaction. */
  readonly snapshotBytes: number;
  /** Bytes in the journal since the last compaction. */
  readonly journalBytes: number;
  /** Total bytes this process wrote (journal, snapshots, archives): for write amplification. */
  readonly bytesWritten: number;
  readonly commits: number;
  readonly compactions: number;
  /** Seconds the last durable commit took (write + fsync). */
  readonly lastCommitSeconds: number;
  readonly healthy: boolean;
  /** Why the store stopped accepting writes, when it did. */
  readonly failure?: string;
}

export interface Repository {
  /** Loads (and recovers) the store; must be called once before anything else. */
  open(): Promise<void>;
  transaction<T>(work: (tx: Transaction) => Promise<T> | T): Promise<T>;
  /** Reads outside a transaction: a consistent view of what has been applied so far. */
  get<T>(collection: string, id: string): Promise<T | undefined>;
  /**
   * One page of a collection's listing (ListingRules): the records matching the query, in the
   * listing's order, and how many match. Throws for a collection without a listing rule.
   */
  listingPage<T>(collection: string, query: ListingQuery): Promise<ListingPage<T>>;
  /** Several records of one collection in one read (PostgreSQL: one query), in the order of `ids`. */
  getMany<T>(collection: string, ids: readonly string[]): Promise<(T | undefined)[]>;
  list<T>(collection: string): Promise<T[]>;
  /** The lowest numeric `field` of the records of `collection` (see OrderedRecord); undefined when none has one. */
  firstOrdered(collection: string, field: string): Promise<number | undefined>;
  /** Months ("YYYY-MM") that have archived records of a collection, oldest first. */
  archiveMonths(collection: string): Promise<string[]>;
  /** Archived records of one month, in archiving order. */
  readArchive<T>(collection: string, month: string): AsyncIterable<ArchivedRecord<T>>;
  /** Observers called after every durable commit with its duration and size (metrics). */
  onCommit(listener: (info: { seconds: number; bytes: number }) => void): void;
  stats(): StoreStats;
  /** Waits for pending commits, then releases files. */
  close(): Promise<void>;
}

/** Raised when the store can no longer guarantee durability (disk full, I/O error). */
export class StoreFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreFailedError';
  }
}

export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

const COLLECTION_NAME = /^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/;

/** The collection name rule of both stores (an archive directory name in one, a column value in the other). */
export function checkCollection(name: string): void {
  if (!COLLECTION_NAME.test(name)) throw new Error(`invalid collection name ${JSON.stringify(name)}: expected a letter then up to 63 of A-Z a-z 0-9 _ -`);
}

/** A Transaction.guard key: the same rule in both stores, so that a bad key fails in tests on either. */
export function checkGuardKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200 || key.includes('\u0000'))
    throw new Error(`invalid guard key ${JSON.stringify(key)}: expected 1 to 200 characters without NUL`);
}

/** An archive month argument ("YYYY-MM"). */
export function checkArchiveMonth(month: string): void {
  if (!/^\d{4}-\d{2}$/.test(month)) throw new Error(`invalid month ${JSON.stringify(month)}: expected YYYY-MM`);
}

/**
 * Unique keys per collection (issue 10): for a record value, the keys that no OTHER hot record of
 * the same collection may hold at the same time (e.g. "at most one open ticket per device and
 * fault code"). Both stores enforce them inside the transaction: the journaled store in memory,
 * the PostgreSQL store with a primary key, so two server instances cannot both commit a record
 * with the same key. Archived and deleted records hold no keys. A function must be pure and
 * return the same keys for the same value.
 */
export type UniqueKeysOf = (value: unknown) => readonly string[];
export type UniqueKeyRules = Readonly<Record<string, UniqueKeysOf>>;

/** A put would give a key to a second hot record; nothing of that put was applied. */
export class UniqueKeyViolation extends Error {
  constructor(
    readonly collection: string,
    readonly key: string,
    /** The record being written. */
    readonly id: string,
    /** The record already holding the key. */
    readonly existingId: string,
  ) {
    super(
      `unique key ${JSON.stringify(key)} of collection ${collection}: record ${JSON.stringify(id)} cannot take it, record ${JSON.stringify(existingId)} already holds it`,
    );
    this.name = 'UniqueKeyViolation';
  }
}

/**
 * The current attempt of a unit of work is void: a concurrent transaction (another server
 * instance) conflicted with it, and the store will run the whole unit again. Raised by the
 * PostgreSQL store's Transaction; code inside a unit that catches errors (event buses,
 * savepoint loops) must let it through, or at least not report it as a bug.
 */
export class TransactionConflictError extends Error {
  constructor(message: string) {
    super(`concurrent update, the unit of work will be run again: ${message}`);
    this.name = 'TransactionConflictError';
  }
}

/** Errors that void the whole unit of work (conflict, storage failure), as opposed to a bug in one step. */
export function abortsUnitOfWork(err: unknown): boolean {
  return err instanceof TransactionConflictError || err instanceof StoreFailedError;
}
