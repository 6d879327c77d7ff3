/**
 * The Repository of repository.ts on PostgreSQL (issue 10), for several server instances sharing
 * one database. Tables: migrations/0001_initial.ts (records, archive, processed_messages,
 * unique_keys); the schema is brought up to date by `open()` (schemaMigrations.ts).
 *
 * Transactions: each `transaction(work)` is one PostgreSQL transaction at REPEATABLE READ (one
 * snapshot) on one pooled connection. Two units that write one row (a record, a message id, a
 * unique key, a guard) cannot both commit: the second meets SQLSTATE 40001 (or 40P01 for a
 * deadlock). What snapshot isolation lets through: write skew (each unit reads what the other
 * writes), for which the deciding units take a guard (Transaction.guard, table `unit_guards`), and
 * a record written back after another unit deleted it, which this store turns into a conflict
 * (resurrected()). SERIALIZABLE would catch both, but its predicate locks are kept per index and
 * heap page, and units of several instances that share no record met on those pages: most batches
 * ran two or more times (docs/benchmarks.md, "units of work at REPEATABLE READ").
 *
 * After a conflict the WHOLE unit of work is run again from the start on a fresh transaction,
 * after a jittered exponential backoff, up to `maxAttempts` times. So a work function must be
 * re-runnable: everything it does goes through its Transaction, and anything
 * else it does (in-memory caches, notifications) must be harmless when repeated. A retryable
 * error is remembered even when the work catches it (e.g. in a savepoint or an event handler):
 * that attempt is rolled back and retried whatever the work returned, so a conflict can never
 * turn into a "failed" message that a retry would have applied.
 *
 * Savepoints are SQL SAVEPOINTs. Unique keys (UniqueKeyRules) live in `unique_keys`, changed in
 * the same transaction as their record; the check runs before any write, so a UniqueKeyViolation
 * leaves the transaction usable and nothing of that put applied. Expected outcomes (duplicate
 * message, existing key) never raise SQL errors, which in PostgreSQL would abort the transaction.
 *
 * The dedup window is bounded by count like the journaled store's: after every `pruneEvery`
 * claimed ids, the ids older than the newest `dedupWindow` ones are deleted (by insertion seq).
 *
 * Failures: a lost connection or an unreachable server raises StoreFailedError (the ingest then
 * does not acknowledge the message; the broker redelivers it) and marks the store unhealthy until
 * a later transaction or the periodic health check succeeds (unlike the journaled store, a
 * PostgreSQL outage is transient). The connection URL may hold a password: it is never logged
 * (`redactedUrl` for messages).
 *
 * stats().bytesWritten counts the payload this process sent in writes (JSON text of values,
 * ids, keys, archive rows): a lower bound of the WAL it causes. The real WAL cost is measured by
 * bench/postgresWriteCost.ts from `pg_current_wal_lsn()` (`walPosition()`).
 */
import pg from 'pg';
import type { Logger } from '../../shared/logging.js';
import { runMigrations, type MigrationResult } from './schemaMigrations.js';
import {
  checkArchiveMonth,
  checkCollection,
  checkGuardKey,
  monthOf,
  StoreFailedError,
  TransactionConflictError,
  UniqueKeyViolation,
  type ArchivedRecord,
  type ListingEntry,
  type ListingPage,
  type ListingQuery,
  type ListingRules,
  type Repository,
  type StoreStats,
  type NumberCounter,
  type OrderedRecord,
  type RecordRef,
  type TermFilter,
  type Transaction,
  type UniqueKeyRules,
} from './repository.js';

const ARCHIVE_PAGE = 1000;

export interface PostgresStoreOptions {
  /** postgres://user[:password]@host[:port]/database[?sslmode=…]; secret (may hold a password). */
  url: string;
  /** Password, when not in the URL (kept out of the URL so that it can come from a secret file or env). */
  password?: string;
  /** Connections in this instance's pool. */
  poolSize?: number;
  /** Processed message ids remembered for deduplication (newest N, like the journaled store). */
  dedupWindow?: number;
  /** Prune the dedup window after this many claimed ids (default: dedupWindow / 20, at least 100). */
  pruneEvery?: number;
  uniqueKeys?: UniqueKeyRules;
  /** Listings per collection (repository.ts ListingRules), kept in the table `listings`. */
  listings?: ListingRules;
  /** Attempts of a unit of work that keeps meeting serialization failures (default 10). */
  maxAttempts?: number;
  /** First retry waits about this long (ms), doubling, jittered, capped at 250 ms (default 4). */
  retryBaseMs?: number;
  /** Health check period (ms); 0 = none (default 5000). */
  healthCheckMs?: number;
  connectTimeoutMs?: number;
  /** Abort a statement running longer than this (ms); 0 = no limit (default 30000). */
  statementTimeoutMs?: number;
  /**
   * Longest wait for a row lock another transaction holds (ms; default 50). At REPEATABLE READ a
   * write that waited fails anyway when the holder commits, so waiting long buys nothing; a
   * short wait breaks lock cycles between instances at once instead of after PostgreSQL's
   * deadlock_timeout (1 s), and the unit is retried after a backoff.
   */
  lockTimeoutMs?: number;
  applicationName?: string;
  logger?: Logger;
}

/**
 * A unit of work gave up after meeting serialization failures on every attempt. A StoreFailedError
 * so that the ingest treats it like an outage (not acknowledged, redelivered later), never as a
 * bad message to drop.
 */
export class StoreConflictError extends StoreFailedError {
  constructor(
    readonly attempts: number,
    cause: Error,
  ) {
    super(`transaction kept conflicting with concurrent ones (${attempts} attempts); last: ${cause.message}`);
    this.name = 'StoreConflictError';
  }
}

/**
 * node-postgres connection settings for a URL and a password kept out of it (a secret file, an
 * environment variable). node-postgres lets what it parses from `connectionString` win over its
 * other options, so a `password` option beside a URL without one was dropped (the login then failed
 * with "client password must be a string"); a `password` query parameter is what it reads first.
 * The URL then holds the secret: never log it (redactedUrl).
 */
export function connectionSettings(url: string, password: string | undefined): { connectionString: string } {
  if (password === undefined) return { connectionString: url };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`storage.url ${redactedUrl(url)} is not a URL (expected postgres://user@host:port/database)`);
  }
  u.searchParams.set('password', password);
  return { connectionString: u.toString() };
}

/** The URL with its password replaced, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (/pass|secret|key/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}

function checkId(what: string, id: string): void {
  if (typeof id !== 'string' || id.includes('\u0000')) throw new Error(`invalid ${what} ${JSON.stringify(id)}: expected a string without NUL characters`);
}

function jsonText(collection: string, id: string, value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new Error(`record ${collection}/${id}: value ${String(value)} is not JSON`);
  return text;
}

interface PgError extends Error {
  code?: string;
}

/** Serialization failure or deadlock: the unit may succeed when run again. */
function isRetryable(err: unknown): boolean {
  const code = (err as PgError | undefined)?.code;
  // 55P03: lock_timeout expired waiting for a row another transaction holds (see lockTimeoutMs).
  return code === '40001' || code === '40P01' || code === '55P03';
}

/**
 * The database refuses writes for a reason of its own, not of the statement: read-only
 * (default_transaction_read_only, a standby), disk full, out of memory, I/O error. Such a unit of
 * work fails as a whole (StoreFailedError: no acknowledgement), it is not a bug of one message.
 */
function isWriteRefusal(err: unknown): boolean {
  const code = (err as PgError | undefined)?.code ?? '';
  return code === '25006' || code === '53100' || code === '53200' || code === '53400' || code === '58030' || code === '58000';
}

/** The connection or the server is gone (not a problem of the statement). */
function isConnectionError(err: unknown): boolean {
  const e = err as PgError | undefined;
  const code = e?.code ?? '';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$|^ENOTFOUND$/.test(code)) return true;
  const msg = e?.message ?? '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(msg);
}

/**
 * The SQL of an ordered read's key: the indexed column of migration 0004 where there is one, so that
 * the planner uses its index; collection and field are checked names, safe as literals.
 */
function orderedKeySql(collection: string, field: string): { where: string; key: string } {
  checkCollection(collection);
  if (!/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/.test(field)) throw new Error(`invalid order field ${JSON.stringify(field)} of collection ${collection}`);
  // Indexed: the generated column of migration 4 (an index on an expression of `value` would make
  // every record update non-HOT). Any other collection and field: read without an index.
  if (INDEXED_ORDER[collection] === field) return { where: `collection = '${collection}' AND ordered_key IS NOT NULL`, key: 'ordered_key' };
  return { where: `collection = '${collection}'`, key: `((value->>'${field}')::float8)` };
}

/** The ordered collections with an index (migration 0004's `ordered_key`): collection → its numeric field. */
const INDEXED_ORDER: Readonly<Record<string, string>> = { ticketDue: 'dueAt' };

/** The sequence of a NumberCounter (created by a schema migration, e.g. 0002 for ticket numbers). */
function sequenceName(counter: NumberCounter): string {
  checkCollection(counter.collection);
  if (!/^[a-zA-Z0-9_]{1,20}$/.test(counter.id)) throw new Error(`invalid counter id ${JSON.stringify(counter.id)}: expected 1 to 20 of A-Z a-z 0-9 _`);
  return `numbers_${counter.collection}_${counter.id}`.toLowerCase().replace(/-/g, '_');
}

/**
 * The PostgreSQL side of NumberCounter: one sequence per counter, moved past the counter record's
 * lastNumber once per process (an installation copied by `store migrate` after the migration that
 * created the sequence). Numbers offered and not used wait here for the next unit.
 */
class NumberSequences {
  private readonly aligned = new Set<string>();
  private readonly spare = new Map<string, number[]>();

  async offer(counter: NumberCounter, query: (text: string, values?: unknown[]) => Promise<pg.QueryResult<{ n: string }>>): Promise<number> {
    const name = sequenceName(counter);
    const spare = this.spare.get(name);
    if (spare && spare.length > 0) return spare.shift()!;
    if (!this.aligned.has(name)) {
      // setval is not transactional: done for good even if this unit rolls back.
      await query(
        `SELECT setval('"${name}"', r.last) AS n FROM (SELECT (value->>'lastNumber')::bigint AS last FROM records WHERE collection = $1 AND id = $2) r, "${name}" s
         WHERE r.last > (CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END)`,
        [counter.collection, counter.id],
      );
      this.aligned.add(name);
    }
    const r = await query(`SELECT nextval('"${name}"') AS n`);
    return Number(r.rows[0]!.n);
  }

  giveBack(counter: NumberCounter, n: number): void {
    const name = sequenceName(counter);
    const spare = this.spare.get(name) ?? [];
    spare.push(n);
    spare.sort((a, b) => a - b);
    this.spare.set(name, spare);
  }
}

/** A record this transaction wrote and has not sent yet; `text` undefined: deleted. */
interface PendingWrite {
  readonly collection: string;
  readonly id: string;
  readonly value: unknown;
  readonly text: string | undefined;
  /** The record's unique keys after this write (collections with UniqueKeyRules only). */
  readonly keys: readonly string[] | undefined;
  /**
   * An update (Transaction.update): `text` holds only the top-level fields (`names`, comma-separated)
   * that differ from `of`, the value the database held when this unit read it.
   */
  readonly patch?: { readonly of: object; readonly names: string };
}

/** A top-level field name an update may send (its name travels in a comma-separated list). */
const PATCH_FIELD = /^[A-Za-z0-9_$]+$/;

/**
 * The top-level fields of `value` that are not the same object as in `base`, or undefined when the
 * change is not a small merge (a field removed or set to undefined, or most fields changed: then
 * the whole record is cheaper to send).
 */
function changedFields(base: object, value: object): Record<string, unknown> | undefined {
  const b = base as Record<string, unknown>;
  const v = value as Record<string, unknown>;
  const patch: Record<string, unknown> = {};
  let fields = 0;
  let changed = 0;
  for (const k in v) {
    fields += 1;
    const x = v[k];
    if (x === b[k]) continue;
    if (x === undefined || !PATCH_FIELD.test(k)) return undefined;
    patch[k] = x;
    changed += 1;
  }
  for (const k in b) if (!(k in v)) return undefined;
  return fields > 0 && changed * 2 <= fields ? patch : undefined;
}

function sameEntry(a: ListingEntry | undefined, b: ListingEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const same = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return a.sort === b.sort && same(a.terms, b.terms) && same(a.text, b.text);
}

/** Listing rows as one multi-row upsert (terms and text travel as JSON arrays, one per row). */
const UPSERT_LISTINGS = `INSERT INTO listings (collection, id, version, sort, terms, search, search_all)
  SELECT c, i, v, s, ARRAY(SELECT json_array_elements_text(t)), ARRAY(SELECT json_array_elements_text(x)), a
  FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), unnest($3::int[]), unnest($4::text[]), json_array_elements($5::json), json_array_elements($6::json), unnest($7::text[]))
    AS k(c, i, v, s, t, x, a)
  ON CONFLICT (collection, id) DO UPDATE SET version = EXCLUDED.version, sort = EXCLUDED.sort, terms = EXCLUDED.terms, search = EXCLUDED.search, search_all = EXCLUDED.search_all`;

/** Joins the text fields for the trigram index; a prefilter only (each field is checked on its own). */
const SEARCH_JOIN = '\u001f';

function listingParams(rows: readonly { collection: string; id: string; version: number; entry: ListingEntry }[]): unknown[] {
  for (const r of rows) {
    for (const t of [r.entry.sort, ...r.entry.terms, ...r.entry.text])
      if (t.includes('\u0000')) throw new Error(`listing of ${r.collection}/${r.id}: ${JSON.stringify(t)} holds a NUL character (the rule must remove it)`);
  }
  return [
    rows.map((r) => r.collection),
    rows.map((r) => r.id),
    rows.map((r) => r.version),
    rows.map((r) => r.entry.sort),
    JSON.stringify(rows.map((r) => r.entry.terms)),
    JSON.stringify(rows.map((r) => r.entry.text)),
    rows.map((r) => r.entry.text.join(SEARCH_JOIN)),
  ];
}

/** A TermFilter as SQL over the listings row `l`, its term arrays appended to `params`. */
function filterSql(f: TermFilter, params: unknown[]): string {
  if ('anyTerm' in f) {
    if (f.anyTerm.length === 0) return 'false';
    params.push([...f.anyTerm]);
    return `l.terms && $${params.length}::text[]`;
  }
  if ('not' in f) return `NOT (${filterSql(f.not, params)})`;
  if ('all' in f) return f.all.length === 0 ? 'true' : `(${f.all.map((x) => filterSql(x, params)).join(' AND ')})`;
  return f.or.length === 0 ? 'false' : `(${f.or.map((x) => filterSql(x, params)).join(' OR ')})`;
}

/** LIKE pattern for "contains `text`". */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface PendingArchive {
  readonly collection: string;
  readonly id: string;
  readonly month: string;
  readonly archivedAt: string;
  readonly text: string;
}

/**
 * The writes of the transaction itself (level 0) or of one open savepoint, kept in memory until a
 * flush sends them as a few multi-row statements. A savepoint becomes an SQL SAVEPOINT only when
 * something must reach the database while it is open (a unique-key write, a listing): most
 * savepoints (one ingested message each) then cost no round trip at all.
 */
interface Level {
  readonly name: string;
  materialized: boolean;
  readonly writes: Map<string, PendingWrite>;
  readonly claims: Set<string>;
  readonly archives: PendingArchive[];
  /** Record keys and message ids this level sent: a rollback of the level forgets what was cached of them. */
  flushedKeys: string[];
  flushedClaims: string[];
  readonly bytesAtStart: number;
}

const ABSENT = Symbol('absent');

function recordKey(collection: string, id: string): string {
  return `${collection}\u0000${id}`;
}

function newLevel(name: string, bytesAtStart: number): Level {
  return { name, materialized: name === '', writes: new Map(), claims: new Set(), archives: [], flushedKeys: [], flushedClaims: [], bytesAtStart };
}

/**
 * One attempt of a unit of work. Write-behind: plain puts, deletes, archives and message claims
 * are kept in memory and sent at commit (or when a statement must see them) as one multi-row
 * statement each, instead of a round trip per call; reads are served from what the transaction
 * already read or wrote (one snapshot, so a second read would return the same).
 * A write to a collection with unique keys checks them at once (one read of unique_keys, plus the
 * attempt's own pending writes) and is sent with the others; a key another instance took after
 * the check makes the flush report a conflict, and the unit runs again.
 */
class PgTransaction implements Transaction {
  /** A serialization failure or deadlock met by any statement: the attempt must be retried. */
  conflict: Error | undefined;
  /** The connection broke: the attempt cannot commit. */
  broken: Error | undefined;
  /** A statement failed outside any savepoint: PostgreSQL aborted the transaction. */
  aborted: Error | undefined;
  /** The database refused a write (read-only, disk full): the attempt cannot commit. */
  refused: Error | undefined;
  bytes = 0;
  /** Message ids this attempt inserted into processed_messages (for the dedup window's pruning). */
  claimed = 0;
  /** Round trips of this attempt (statements sent), for the benchmark. */
  statements = 0;
  private savepoints = 0;
  private readonly levels: Level[] = [newLevel('', 0)];
  /** Keys of Transaction.guard, written at commit (not undone by a savepoint's rollback: a guard too many is harmless). */
  private readonly guards = new Set<string>();
  /** Records as the database holds them for this attempt (read, or written by a flush). */
  private readonly known = new Map<string, unknown>();
  /** Message ids the database holds (before this attempt, or inserted by it). */
  private readonly processed = new Set<string>();
  /** Message ids the database did not hold when this attempt looked. */
  private readonly unprocessed = new Set<string>();

  constructor(
    private readonly client: pg.PoolClient,
    private readonly rules: UniqueKeyRules,
    private readonly numbers: NumberSequences,
    private readonly listings: ListingRules,
  ) {}

  offerNumber(counter: NumberCounter): Promise<number> {
    return this.numbers.offer(counter, (text, values) => this.query<{ n: string }>(text, values));
  }

  useNumber(): Promise<void> {
    // nextval already took it for good.
    return Promise.resolve();
  }

  unusedNumber(counter: NumberCounter, n: number): Promise<void> {
    this.numbers.giveBack(counter, n);
    return Promise.resolve();
  }

  private get top(): Level {
    return this.levels[this.levels.length - 1]!;
  }

  private get depth(): number {
    return this.levels.length - 1;
  }

  async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.conflict) throw new TransactionConflictError(this.conflict.message);
    if (this.broken) throw new StoreFailedError(`PostgreSQL connection lost: ${this.broken.message}`);
    this.statements += 1;
    try {
      return await this.client.query<R>(text, values);
    } catch (err) {
      if (isRetryable(err)) {
        this.conflict ??= err as Error;
        throw new TransactionConflictError((err as Error).message);
      }
      if (isConnectionError(err)) {
        this.broken ??= err as Error;
        throw new StoreFailedError(`PostgreSQL connection lost: ${(err as Error).message}`);
      }
      if (isWriteRefusal(err)) {
        this.refused ??= err as Error;
        throw new StoreFailedError(`PostgreSQL refuses writes: ${(err as Error).message}`);
      }
      // Only an open SQL SAVEPOINT can undo a failed statement; anywhere else the attempt is lost.
      if (this.depth === 0 || !this.top.materialized) this.aborted ??= err as Error;
      throw err;
    }
  }

  /** This attempt's own pending value of a record: the write, or undefined when it has none. */
  private pending(key: string): PendingWrite | undefined {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const w = this.levels[i]!.writes.get(key);
      if (w) return w;
    }
    return undefined;
  }

  async get<T>(collection: string, id: string): Promise<T | undefined> {
    checkCollection(collection);
    checkId('record id', id);
    const key = recordKey(collection, id);
    const w = this.pending(key);
    if (w) return w.text === undefined ? undefined : (w.value as T);
    if (this.known.has(key)) {
      const v = this.known.get(key);
      return v === ABSENT ? undefined : (v as T);
    }
    const r = await this.query<{ value: T }>('SELECT value FROM records WHERE collection = $1 AND id = $2', [collection, id]);
    const value = r.rows[0]?.value;
    this.known.set(key, value === undefined ? ABSENT : value);
    return value;
  }

  async prefetch(records: readonly RecordRef[], messageIds: readonly string[] = []): Promise<void> {
    const collections: string[] = [];
    const ids: string[] = [];
    const asked = new Set<string>();
    for (const [collection, id] of records) {
      checkCollection(collection);
      checkId('record id', id);
      const key = recordKey(collection, id);
      if (asked.has(key) || this.known.has(key) || this.pending(key)) continue;
      asked.add(key);
      collections.push(collection);
      ids.push(id);
    }
    const unknownIds = [...new Set(messageIds)].filter((m) => !this.processed.has(m) && !this.unprocessed.has(m));
    for (const m of unknownIds) checkId('message id', m);
    if (ids.length === 0 && unknownIds.length === 0) return;
    // Records and message ids in one round trip: a processed id comes back as a row without a collection.
    const r = await this.query<{ collection: string | null; id: string; value: unknown }>(
      'SELECT r.collection, r.id, r.value FROM records r JOIN unnest($1::text[], $2::text[]) AS k(collection, id) ON r.collection = k.collection AND r.id = k.id' +
        ' UNION ALL SELECT NULL, message_id, NULL FROM processed_messages WHERE message_id = ANY($3::text[])',
      [collections, ids, unknownIds],
    );
    for (const key of asked) this.known.set(key, ABSENT);
    const found = new Set<string>();
    for (const row of r.rows) {
      if (row.collection === null) found.add(row.id);
      else this.known.set(recordKey(row.collection, row.id), row.value);
    }
    for (const m of unknownIds) (found.has(m) ? this.processed : this.unprocessed).add(m);
  }

  async list<T>(collection: string): Promise<T[]> {
    checkCollection(collection);
    await this.flush();
    const r = await this.query<{ id: string; value: T }>('SELECT id, value FROM records WHERE collection = $1 ORDER BY id', [collection]);
    // Known as read: a later put of one of them that finds it deleted meanwhile is a conflict (resurrected()).
    for (const row of r.rows) this.known.set(recordKey(collection, row.id), row.value);
    return r.rows.map((row) => row.value);
  }

  async listOrdered<T>(collection: string, field: string, upTo: number, limit: number): Promise<OrderedRecord<T>[]> {
    const { where, key } = orderedKeySql(collection, field);
    await this.flush();
    const r = await this.query<{ id: string; key: number; value: T }>(
      `SELECT id, ${key} AS key, value FROM records WHERE ${where} AND ${key} <= $1 ORDER BY ${key}, id LIMIT $2`,
      [upTo, limit],
    );
    for (const row of r.rows) this.known.set(recordKey(collection, row.id), row.value);
    return r.rows.map((row) => ({ id: row.id, key: Number(row.key), value: row.value }));
  }

  async put<T>(collection: string, id: string, value: T): Promise<void> {
    checkCollection(collection);
    checkId('record id', id);
    const text = jsonText(collection, id, value);
    const rule = this.rules[collection];
    let keys: string[] | undefined;
    if (rule) {
      keys = [...new Set(rule(value))];
      for (const k of keys) checkId('unique key', k);
      // Checked before anything is written: a violation leaves this put without effect.
      if (keys.length > 0) await this.checkKeys(collection, id, keys);
      this.bytes += keys.reduce((n, k) => n + k.length, 0);
    }
    this.top.writes.set(recordKey(collection, id), { collection, id, value, text, keys });
    this.bytes += text.length + id.length + collection.length;
  }

  async update<T extends object>(collection: string, id: string, from: T, value: T): Promise<void> {
    checkCollection(collection);
    checkId('record id', id);
    const base = this.rules[collection] ? undefined : this.patchBase(recordKey(collection, id), from);
    const patch = base === undefined ? undefined : changedFields(base, value);
    if (base === undefined || patch === undefined) return this.put(collection, id, value);
    const text = jsonText(collection, id, patch);
    // PostgreSQL's JSON functions refuse an escaped NUL character (see flushLevel).
    if (text.includes('\\u0000')) return this.put(collection, id, value);
    this.top.writes.set(recordKey(collection, id), { collection, id, value, text, keys: undefined, patch: { of: base, names: Object.keys(patch).join(',') } });
    this.bytes += text.length + id.length + collection.length;
  }

  /**
   * What the database holds of a record when `from` is exactly it or an update of it made by this
   * unit (not a put: a put's value may share objects changed in place); undefined otherwise.
   */
  private patchBase(key: string, from: object): object | undefined {
    const w = this.pending(key);
    if (w) return w.value === from ? w.patch?.of : undefined;
    const known = this.known.get(key);
    return known === from && typeof known === 'object' && known !== null ? known : undefined;
  }

  /**
   * Throws UniqueKeyViolation when another hot record holds one of `keys`, as this attempt sees
   * them: the database's unique_keys, except records this attempt changed since, and this
   * attempt's own pending writes.
   */
  private async checkKeys(collection: string, id: string, keys: readonly string[]): Promise<void> {
    const mine = new Map<string, readonly string[]>();
    for (const level of this.levels) for (const w of level.writes.values()) if (w.collection === collection) mine.set(w.id, w.keys ?? []);
    for (const [holder, held] of mine) {
      if (holder === id) continue;
      const k = keys.find((key) => held.includes(key));
      if (k !== undefined) throw new UniqueKeyViolation(collection, k, id, holder);
    }
    const clash = await this.query<{ key: string; id: string }>(
      'SELECT key, id FROM unique_keys WHERE collection = $1 AND key = ANY($2::text[]) AND id <> $3',
      [collection, keys, id],
    );
    const c = clash.rows.find((row) => !mine.has(row.id));
    if (c) throw new UniqueKeyViolation(collection, c.key, id, c.id);
  }

  delete(collection: string, id: string): Promise<void> {
    try {
      checkCollection(collection);
      checkId('record id', id);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.bytes += id.length + collection.length;
    this.top.writes.set(recordKey(collection, id), { collection, id, value: undefined, text: undefined, keys: this.rules[collection] ? [] : undefined });
    return Promise.resolve();
  }

  archive<T>(collection: string, id: string, value: T, now: Date): Promise<void> {
    try {
      checkCollection(collection);
      checkId('record id', id);
      const text = jsonText(collection, id, value);
      this.bytes += text.length + id.length + collection.length + 40;
      this.top.writes.set(recordKey(collection, id), { collection, id, value: undefined, text: undefined, keys: this.rules[collection] ? [] : undefined });
      this.top.archives.push({ collection, id, month: monthOf(now), archivedAt: now.toISOString(), text });
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  guard(key: string): Promise<void> {
    try {
      checkGuardKey(key);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.guards.add(key);
    return Promise.resolve();
  }

  /**
   * The guards' rows, in one statement just before COMMIT, in key order (two units taking the same
   * guards lock them in one order). A row another unit wrote since this attempt's snapshot, or is
   * writing, makes it 40001: the unit runs again.
   */
  async sendGuards(): Promise<void> {
    if (this.guards.size === 0) return;
    const keys = [...this.guards].sort();
    await this.query('INSERT INTO unit_guards (key, n) SELECT unnest($1::text[]), 1 ON CONFLICT (key) DO UPDATE SET n = unit_guards.n + 1', [keys]);
    this.bytes += keys.reduce((n, k) => n + k.length + 8, 0);
  }

  async claimMessage(messageId: string): Promise<boolean> {
    checkId('message id', messageId);
    if (this.processed.has(messageId) || this.levels.some((l) => l.claims.has(messageId))) return false;
    if (!this.unprocessed.has(messageId)) {
      const r = await this.query('SELECT 1 FROM processed_messages WHERE message_id = $1', [messageId]);
      if (r.rowCount === 1) {
        this.processed.add(messageId);
        return false;
      }
      this.unprocessed.add(messageId);
    }
    this.top.claims.add(messageId);
    this.bytes += messageId.length + 16;
    return true;
  }

  /**
   * Sends every pending write, outermost level first, opening the SQL SAVEPOINT of each open
   * savepoint just before its own writes, so that a rollback to it undoes exactly them.
   */
  async flush(): Promise<void> {
    for (const level of this.levels) {
      if (!level.materialized) {
        await this.query(`SAVEPOINT ${level.name}`);
        level.materialized = true;
      }
      await this.flushLevel(level);
    }
  }

  private async flushLevel(level: Level): Promise<void> {
    if (level.writes.size > 0) {
      const put: PendingWrite[] = [];
      const patched: PendingWrite[] = [];
      const gone: PendingWrite[] = [];
      for (const w of level.writes.values()) {
        if (w.text === undefined) gone.push(w);
        else if (w.patch === undefined) put.push(w);
        // A patch applies only to the value it was made against: after an earlier flush of this
        // unit changed the record, the whole record goes instead.
        else if (this.known.get(recordKey(w.collection, w.id)) === w.patch.of) patched.push(w);
        else put.push({ collection: w.collection, id: w.id, value: w.value, text: jsonText(w.collection, w.id, w.value), keys: undefined });
      }
      level.writes.clear();
      if (patched.length > 0) {
        // The record's fields not in the patch, then the patch's (json, not jsonb: the stored text
        // of the other fields is kept as it is). PostgreSQL's JSON functions refuse a record that
        // holds an escaped NUL character (\u0000, which the json type stores): such a record is
        // left alone here and written whole below.
        const r = await this.query<{ c: string; i: string }>(
          `UPDATE records r SET value = (
             SELECT json_object_agg(f.key, f.value) FROM (
               SELECT o.key, o.value FROM json_each(r.value) o WHERE o.key <> ALL (p.names)
               UNION ALL SELECT n.key, n.value FROM json_each(p.v) n) f)
           FROM (SELECT c, i, v, string_to_array(k, ',') AS names
                 FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), json_array_elements($3::json), unnest($4::text[])) AS x(c, i, v, k)) p
           WHERE r.collection = p.c AND r.id = p.i AND strpos(r.value::text, '\\u0000') = 0
           RETURNING r.collection AS c, r.id AS i`,
          [patched.map((w) => w.collection), patched.map((w) => w.id), `[${patched.map((w) => w.text).join(',')}]`, patched.map((w) => w.patch!.names)],
        );
        if (r.rows.length < patched.length) {
          const done = new Set(r.rows.map((row) => recordKey(row.c, row.i)));
          for (const w of patched.splice(0)) {
            if (done.has(recordKey(w.collection, w.id))) patched.push(w);
            else put.push({ collection: w.collection, id: w.id, value: w.value, text: jsonText(w.collection, w.id, w.value), keys: undefined });
          }
        }
      }
      if (put.length > 0) {
        // The values as one JSON array: sent as they are, where a text[] parameter would escape
        // every quote of every record (and PostgreSQL unescape it). The rows it inserted (xmax 0)
        // come back: see resurrected().
        const r = await this.query<{ c: string; i: string }>(
          `WITH w AS (INSERT INTO records (collection, id, value)
             SELECT c, i, v FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), json_array_elements($3::json)) AS k(c, i, v)
             ON CONFLICT (collection, id) DO UPDATE SET value = EXCLUDED.value
             RETURNING collection, id, xmax = 0 AS inserted)
           SELECT collection AS c, id AS i FROM w WHERE inserted`,
          [put.map((w) => w.collection), put.map((w) => w.id), `[${put.map((w) => w.text).join(',')}]`],
        );
        const back = r.rows.find((row) => this.resurrected(row.c, row.i));
        if (back) {
          this.conflict ??= new Error(`record ${back.c}/${back.i} was deleted or archived by a concurrent transaction after this one read it`);
          throw new TransactionConflictError(this.conflict.message);
        }
      }
      if (gone.length > 0) {
        await this.query('DELETE FROM records r USING unnest($1::text[], $2::text[]) AS k(c, i) WHERE r.collection = k.c AND r.id = k.i', [
          gone.map((w) => w.collection),
          gone.map((w) => w.id),
        ]);
      }
      const keyed = put.concat(gone).filter((w) => w.keys !== undefined);
      if (keyed.length > 0) await this.sendKeys(keyed);
      await this.sendListings(put.concat(patched, gone));
      for (const w of put) this.sentBy(level, w.collection, w.id, w.value);
      for (const w of patched) this.sentBy(level, w.collection, w.id, w.value);
      for (const w of gone) this.sentBy(level, w.collection, w.id, ABSENT);
    }
    if (level.archives.length > 0) {
      const rows = level.archives.splice(0);
      // WITH ORDINALITY: archive seq follows the order of the archive() calls.
      await this.query(
        `INSERT INTO archive (collection, id, month, archived_at, value)
         SELECT c, i, m, a::timestamptz, v::json FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS k(c, i, m, a, v, n) ORDER BY n`,
        [rows.map((r) => r.collection), rows.map((r) => r.id), rows.map((r) => r.month), rows.map((r) => r.archivedAt), rows.map((r) => r.text)],
      );
    }
    if (level.claims.size > 0) {
      const ids = [...level.claims];
      level.claims.clear();
      const r = await this.query('INSERT INTO processed_messages (message_id) SELECT unnest($1::text[]) ON CONFLICT (message_id) DO NOTHING', [ids]);
      if ((r.rowCount ?? 0) < ids.length) {
        // Another instance committed one of these ids after this attempt looked: run the unit
        // again, it will then find the id processed and report the message a duplicate.
        this.conflict ??= new Error(`${ids.length - (r.rowCount ?? 0)} of ${ids.length} message ids were claimed by a concurrent transaction`);
        throw new TransactionConflictError(this.conflict.message);
      }
      for (const m of ids) this.processed.add(m);
      level.flushedClaims.push(...ids);
      this.claimed += ids.length;
    }
  }

  /**
   * A record this attempt's upsert inserted although its snapshot holds it: another transaction
   * deleted (or archived) it and committed after the snapshot. At REPEATABLE READ an `INSERT … ON
   * CONFLICT` finds no live row to conflict with and writes the record back, where an UPDATE would
   * have failed with 40001 (SERIALIZABLE caught both). So the attempt is void, like a conflict: run
   * again, the unit finds the record gone. A record this attempt never read is a blind write.
   */
  private resurrected(collection: string, id: string): boolean {
    const held = this.known.get(recordKey(collection, id));
    return held !== undefined && held !== ABSENT;
  }

  /** The unique keys of written records: each record's old keys out, its new ones in. */
  private async sendKeys(writes: readonly PendingWrite[]): Promise<void> {
    await this.query('DELETE FROM unique_keys u USING unnest($1::text[], $2::text[]) AS k(c, i) WHERE u.collection = k.c AND u.id = k.i', [
      writes.map((w) => w.collection),
      writes.map((w) => w.id),
    ]);
    const rows = writes.flatMap((w) => (w.keys ?? []).map((key) => [w.collection, key, w.id] as const));
    if (rows.length === 0) return;
    // A holder committed by another instance after this attempt's check: run the unit again, it
    // then sees the holder (a concurrent holder not yet committed makes the INSERT wait, then 40001).
    const r = await this.query(
      'INSERT INTO unique_keys (collection, key, id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (collection, key) DO NOTHING',
      [rows.map((row) => row[0]), rows.map((row) => row[1]), rows.map((row) => row[2])],
    );
    if ((r.rowCount ?? 0) < rows.length) {
      this.conflict ??= new Error(`${rows.length - (r.rowCount ?? 0)} unique keys were taken by a concurrent transaction`);
      throw new TransactionConflictError(this.conflict.message);
    }
  }

  /**
   * The listing entries of written records (ListingRules), before `sentBy` records the new values:
   * an entry equal to that of the value this attempt knows the database holds is not sent (a
   * telemetry update moves counters and levels, not a device's place in the fleet list).
   */
  private async sendListings(writes: readonly PendingWrite[]): Promise<void> {
    const upserts: { w: PendingWrite; rule: number; entry: ListingEntry }[] = [];
    const removed: PendingWrite[] = [];
    for (const w of writes) {
      const rule = this.listings[w.collection];
      if (!rule) continue;
      // An update of fields the entry does not read (the patch is against what the database holds).
      if (w.patch !== undefined && rule.fields !== undefined && w.patch.names.split(',').every((f) => !rule.fields!.includes(f))) continue;
      const entry = w.text === undefined ? undefined : rule.entryOf(w.value);
      const key = recordKey(w.collection, w.id);
      if (this.known.has(key)) {
        const held = this.known.get(key);
        if (sameEntry(held === ABSENT ? undefined : rule.entryOf(held), entry)) continue;
      }
      if (entry === undefined) removed.push(w);
      else upserts.push({ w, rule: rule.version, entry });
    }
    if (removed.length > 0) {
      await this.query('DELETE FROM listings l USING unnest($1::text[], $2::text[]) AS k(c, i) WHERE l.collection = k.c AND l.id = k.i', [
        removed.map((w) => w.collection),
        removed.map((w) => w.id),
      ]);
    }
    if (upserts.length > 0) {
      await this.query(UPSERT_LISTINGS, listingParams(upserts.map((u) => ({ collection: u.w.collection, id: u.w.id, version: u.rule, entry: u.entry }))));
      this.bytes += upserts.reduce((n, u) => n + u.entry.sort.length + u.entry.terms.join('').length + u.entry.text.join('').length, 0);
    }
  }

  /** A record the database now holds as `value` (ABSENT: deleted) because `level` sent it. */
  private sentBy(level: Level, collection: string, id: string, value: unknown): void {
    const key = recordKey(collection, id);
    this.known.set(key, value);
    level.flushedKeys.push(key);
  }

  async savepoint<T>(work: () => Promise<T> | T): Promise<T> {
    const level = newLevel(`sp${++this.savepoints}`, this.bytes);
    this.levels.push(level);
    let result: T;
    try {
      result = await work();
    } catch (err) {
      this.levels.pop();
      // After a conflict or a broken connection the whole attempt is void: no partial rollback.
      if (!this.conflict && !this.broken) {
        if (level.materialized) await this.query(`ROLLBACK TO SAVEPOINT ${level.name}`);
        for (const key of level.flushedKeys) this.known.delete(key);
        for (const m of level.flushedClaims) this.processed.delete(m);
        this.claimed -= level.flushedClaims.length;
        this.bytes = level.bytesAtStart;
      }
      throw err;
    }
    this.levels.pop();
    const parent = this.top;
    for (const [key, w] of level.writes) parent.writes.set(key, w);
    for (const m of level.claims) parent.claims.add(m);
    parent.archives.push(...level.archives);
    parent.flushedKeys.push(...level.flushedKeys);
    parent.flushedClaims.push(...level.flushedClaims);
    if (level.materialized) await this.query(`RELEASE SAVEPOINT ${level.name}`);
    return result;
  }
}

export class PostgresStore implements Repository {
  private pool: pg.Pool | undefined;
  private readonly options: Required<Omit<PostgresStoreOptions, 'password' | 'logger' | 'uniqueKeys' | 'listings'>> &
    Pick<PostgresStoreOptions, 'password' | 'logger'> & { uniqueKeys: UniqueKeyRules; listings: ListingRules };
  private readonly listeners: ((info: { seconds: number; bytes: number }) => void)[] = [];
  private counters = { bytesWritten: 0, commits: 0, lastCommitSeconds: 0, snapshotBytes: 0, retries: 0, conflictsGivenUp: 0, statements: 0 };
  private failure: string | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private claimedSincePrune = 0;
  private pruning: Promise<void> | undefined;
  private active = 0;
  private idle: (() => void)[] = [];
  private closed = false;
  private readonly numbers = new NumberSequences();
  /** What `open()` did to the schema. */
  migration: MigrationResult | undefined;

  constructor(options: PostgresStoreOptions) {
    const dedupWindow = options.dedupWindow ?? 200_000;
    this.options = {
      poolSize: 10,
      pruneEvery: Math.max(100, Math.floor(dedupWindow / 20)),
      maxAttempts: 10,
      retryBaseMs: 4,
      healthCheckMs: 5000,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 30_000,
      lockTimeoutMs: 50,
      applicationName: 'fleetdesk',
      ...options,
      dedupWindow,
      uniqueKeys: options.uniqueKeys ?? {},
      listings: options.listings ?? {},
    };
    if (!/^postgres(ql)?:\/\//.test(options.url)) throw new Error(`storage url ${redactedUrl(options.url)}: expected postgres://user@host:port/database`);
  }

  /** The URL without its password. */
  get where(): string {
    return redactedUrl(this.options.url);
  }

  private get db(): pg.Pool {
    if (!this.pool) throw new Error('the store is not open: call open() first');
    return this.pool;
  }

  async open(): Promise<void> {
    const pool = new pg.Pool({
      ...connectionSettings(this.options.url, this.options.password),
      max: this.options.poolSize,
      connectionTimeoutMillis: this.options.connectTimeoutMs,
      application_name: this.options.applicationName,
      ...(this.options.statementTimeoutMs > 0 ? { statement_timeout: this.options.statementTimeoutMs } : {}),
      ...(this.options.lockTimeoutMs > 0 ? { lock_timeout: this.options.lockTimeoutMs } : {}),
    });
    // An idle connection dropped by the server must not crash the process; the pool replaces it.
    pool.on('error', (err) => {
      this.options.logger?.warn({ err: err.message, database: this.where }, 'idle PostgreSQL connection lost');
    });
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new StoreFailedError(`cannot connect to PostgreSQL at ${this.where}: ${(err as Error).message}`);
    }
    try {
      this.migration = await runMigrations(client);
    } catch (err) {
      client.release();
      await pool.end().catch(() => undefined);
      throw err;
    }
    client.release();
    this.pool = pool;
    if (this.migration.applied.length > 0) this.options.logger?.info({ database: this.where, applied: this.migration.applied }, 'database schema migrated');
    await this.prune();
    await this.refreshListings();
    await this.healthCheck();
    if (this.options.healthCheckMs > 0) {
      this.healthTimer = setInterval(() => void this.healthCheck(), this.options.healthCheckMs);
      this.healthTimer.unref();
    }
  }

  /** Connectivity and table sizes; also run by a timer so that /readyz reports an outage. */
  /**
   * On a connection of its own, not the pool's: under load hundreds of units of work queue for a
   * pooled connection, and a check waiting behind them would report a healthy database as down.
   */
  private healthClient: pg.Client | undefined;

  private checking: Promise<boolean> | undefined;

  healthCheck(): Promise<boolean> {
    // One check at a time (timer and callers share it).
    this.checking ??= this.checkHealth().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkHealth(): Promise<boolean> {
    try {
      if (!this.healthClient) {
        const client = new pg.Client({
          ...connectionSettings(this.options.url, this.options.password),
          connectionTimeoutMillis: this.options.connectTimeoutMs,
          application_name: `${this.options.applicationName}-health`.slice(0, 63),
          statement_timeout: Math.max(1000, this.options.connectTimeoutMs),
        });
        client.on('error', () => {
          if (this.healthClient === client) this.healthClient = undefined;
        });
        this.healthClient = client;
        try {
          await client.connect();
        } catch (err) {
          this.healthClient = undefined;
          await client.end().catch(() => undefined);
          throw err;
        }
      }
      const r = await this.healthClient.query<{ bytes: string; ro: string; standby: boolean }>(
        "SELECT pg_total_relation_size('records') + pg_total_relation_size('unique_keys') + pg_total_relation_size('processed_messages') AS bytes, current_setting('transaction_read_only') AS ro, pg_is_in_recovery() AS standby",
      );
      this.counters.snapshotBytes = Number(r.rows[0]?.bytes ?? 0);
      // Reachable is not enough: a read-only database (or a standby) refuses every unit of work.
      if (r.rows[0]?.ro === 'on' || r.rows[0]?.standby) {
        this.markFailure(
          new Error(r.rows[0]?.standby ? 'the server is a standby (in recovery)' : 'transactions are read-only (default_transaction_read_only)'),
          'refuses writes',
        );
        return false;
      }
      this.failure = undefined;
      return true;
    } catch (err) {
      const client = this.healthClient;
      this.healthClient = undefined;
      await client?.end().catch(() => undefined);
      this.markFailure(err as Error);
      return false;
    }
  }

  private markFailure(err: Error, what: 'unreachable' | 'refuses writes' = 'unreachable'): void {
    const first = this.failure === undefined;
    this.failure = `PostgreSQL at ${this.where} ${what}: ${err.message}`;
    if (first)
      this.options.logger?.error({ database: this.where, err: err.message }, `PostgreSQL ${what}; writes fail (nothing is acknowledged) until it is back`);
  }

  private backoff(attempt: number): Promise<void> {
    const ms = Math.min(250, this.options.retryBaseMs * 2 ** (attempt - 1)) * (0.5 + Math.random());
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async transaction<T>(work: (tx: Transaction) => Promise<T> | T): Promise<T> {
    if (this.closed) throw new Error('the store is closed');
    const pool = this.db;
    this.active += 1;
    try {
      for (let attempt = 1; ; attempt++) {
        const outcome = await this.attempt(pool, work);
        if (outcome.kind === 'done') return outcome.result;
        if (attempt >= this.options.maxAttempts) {
          this.counters.conflictsGivenUp += 1;
          throw new StoreConflictError(attempt, outcome.error);
        }
        this.counters.retries += 1;
        await this.backoff(attempt);
      }
    } finally {
      this.active -= 1;
      if (this.active === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async attempt<T>(pool: pg.Pool, work: (tx: Transaction) => Promise<T> | T): Promise<{ kind: 'done'; result: T } | { kind: 'retry'; error: Error }> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      this.markFailure(err as Error);
      throw new StoreFailedError(`cannot connect to PostgreSQL at ${this.where}: ${(err as Error).message}`);
    }
    const tx = new PgTransaction(client, this.options.uniqueKeys, this.numbers, this.options.listings);
    // The server may drop the connection while the work runs JavaScript between statements: an
    // 'error' event then, which must not go unhandled (it would end the process).
    const onError = (err: Error) => {
      tx.broken ??= err;
    };
    client.on('error', onError);
    let release: Error | undefined;
    try {
      await tx.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      let result: T | undefined;
      let failed: { error: unknown } | undefined;
      try {
        result = await work(tx);
        // What the work left in memory goes out now, in a few multi-row statements.
        if (!tx.conflict && !tx.broken && !tx.aborted) {
          await tx.flush();
          await tx.sendGuards();
        }
      } catch (err) {
        failed = { error: err };
      }
      if (tx.broken) throw tx.broken;
      if (tx.refused) throw tx.refused;
      if (tx.conflict) {
        await client.query('ROLLBACK');
        return { kind: 'retry', error: tx.conflict };
      }
      if (failed) {
        await client.query('ROLLBACK');
        if (isRetryable(failed.error)) return { kind: 'retry', error: failed.error as Error };
        throw failed.error;
      }
      if (tx.aborted) {
        await client.query('ROLLBACK');
        throw new Error(`transaction rolled back: a statement failed and the work went on: ${tx.aborted.message}`);
      }
      const started = process.hrtime.bigint();
      try {
        await client.query('COMMIT');
      } catch (err) {
        if (isRetryable(err)) return { kind: 'retry', error: err as Error };
        throw err;
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.failure = undefined;
      this.counters.commits += 1;
      this.counters.bytesWritten += tx.bytes;
      this.counters.lastCommitSeconds = seconds;
      for (const l of this.listeners) l({ seconds, bytes: tx.bytes });
      if (tx.claimed > 0) this.afterClaims(tx.claimed);
      return { kind: 'done', result: result as T };
    } catch (err) {
      if (tx.broken || isConnectionError(err)) {
        const cause = tx.broken ?? (err as Error);
        release = cause;
        this.markFailure(cause);
        throw new StoreFailedError(`PostgreSQL at ${this.where}: ${cause.message} (the unit of work may or may not have committed)`);
      }
      if (tx.refused || isWriteRefusal(err)) {
        // A refused COMMIT or statement: nothing of the unit was committed.
        const cause = tx.refused ?? (err as Error);
        await client.query('ROLLBACK').catch(() => undefined);
        this.markFailure(cause, 'refuses writes');
        throw new StoreFailedError(`PostgreSQL at ${this.where} refuses writes: ${cause.message} (nothing of the unit of work was committed)`);
      }
      if (!tx.broken) await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // Its statements and the COMMIT or ROLLBACK that ended it.
      this.counters.statements += tx.statements + 1;
      client.removeListener('error', onError);
      client.release(release ?? tx.broken);
    }
  }

  private afterClaims(n: number): void {
    this.claimedSincePrune += n;
    if (this.claimedSincePrune < this.options.pruneEvery || this.pruning) return;
    this.claimedSincePrune = 0;
    this.pruning = this.prune()
      .then(() => undefined)
      .catch((err: Error) => this.options.logger?.warn({ err: err.message }, 'pruning the dedup window failed; retried later'))
      .finally(() => (this.pruning = undefined));
  }

  /** Forgets processed message ids older than the newest `dedupWindow` ones. */
  async prune(): Promise<number> {
    const r = await this.db.query('DELETE FROM processed_messages WHERE seq <= (SELECT max(seq) FROM processed_messages) - $1', [this.options.dedupWindow]);
    return r.rowCount ?? 0;
  }

  async get<T>(collection: string, id: string): Promise<T | undefined> {
    checkCollection(collection);
    checkId('record id', id);
    const r = await this.db.query<{ value: T }>('SELECT value FROM records WHERE collection = $1 AND id = $2', [collection, id]);
    return r.rows[0]?.value;
  }

  async list<T>(collection: string): Promise<T[]> {
    checkCollection(collection);
    const r = await this.db.query<{ value: T }>('SELECT value FROM records WHERE collection = $1 ORDER BY id', [collection]);
    return r.rows.map((row) => row.value);
  }

  /**
   * One statement: the matching listing rows counted, the page's rows cut in sort order, and only
   * the page's records read. Text search: the trigram index on
   * the joined fields (when pg_trgm exists) narrows, each field is then checked on its own.
   */
  async listingPage<T>(collection: string, query: ListingQuery): Promise<ListingPage<T>> {
    checkCollection(collection);
    if (!this.options.listings[collection]) throw new Error(`collection ${collection} has no listing rule (ListingRules of the store's options)`);
    const params: unknown[] = [collection];
    let where = 'l.collection = $1';
    if (query.filter !== undefined) where += ` AND ${filterSql(query.filter, params)}`;
    // No entry holds a NUL (listingParams refuses it), and PostgreSQL text cannot hold one.
    if (query.contains?.includes('\u0000')) return { items: [], sorts: [], total: 0 };
    if (query.contains !== undefined) {
      params.push(likeContains(query.contains), query.contains);
      where += ` AND l.search_all LIKE $${params.length - 1} AND EXISTS (SELECT 1 FROM unnest(l.search) f WHERE strpos(f, $${params.length}) > 0)`;
    }
    let from = '';
    if (query.after !== undefined) {
      params.push(query.after);
      from = ` AND l.sort > $${params.length}`;
    }
    params.push(query.offset, query.limit);
    const at = `OFFSET $${params.length - 1} LIMIT $${params.length}`;
    // Unfiltered: the page in index order and an index-only count. Filtered: the matching entries
    // first (the terms' or the text's index, or a scan), then counted and the page cut from them;
    // an ordered index scan that filters as it goes would read most of the listing when the matches
    // sit together in the order (one customer's devices: their keys start with the customer).
    const matches =
      where === 'l.collection = $1'
        ? `page AS (SELECT l.id, l.sort FROM listings l WHERE ${where}${from} ORDER BY l.sort ${at}), counted AS (SELECT count(*) AS n FROM listings l WHERE ${where})`
        : `m AS MATERIALIZED (SELECT l.id, l.sort FROM listings l WHERE ${where}), page AS (SELECT l.id, l.sort FROM m l WHERE true${from} ORDER BY l.sort ${at}), counted AS (SELECT count(*) AS n FROM m)`;
    const r = await this.db.query<{ total: number; items: T[] | null; sorts: string[] | null }>(
      `WITH ${matches}
       SELECT (SELECT n FROM counted)::int AS total,
              (SELECT json_agg(r.value ORDER BY p.sort) FROM page p JOIN records r ON r.collection = $1 AND r.id = p.id) AS items,
              (SELECT array_agg(p.sort ORDER BY p.sort) FROM page p) AS sorts`,
      params,
    );
    const row = r.rows[0]!;
    return { items: row.items ?? [], sorts: row.sorts ?? [], total: row.total };
  }

  /**
   * Brings the listing rows up to the records at open: entries missing (records written before
   * migration 0004) or computed by an older rule version, and rows whose record is gone. Pages of
   * 1,000; a record changed concurrently by another instance is written by that instance's own
   * transaction, which runs the same rule.
   */
  private async refreshListings(): Promise<void> {
    let total = 0;
    for (const [collection, rule] of Object.entries(this.options.listings)) {
      checkCollection(collection);
      await this.db.query('DELETE FROM listings l WHERE l.collection = $1 AND NOT EXISTS (SELECT 1 FROM records r WHERE r.collection = $1 AND r.id = l.id)', [
        collection,
      ]);
      let after = '';
      let refreshed = 0;
      for (;;) {
        const r = await this.db.query<{ id: string; value: unknown }>(
          `SELECT r.id, r.value FROM records r LEFT JOIN listings l ON l.collection = r.collection AND l.id = r.id
           WHERE r.collection = $1 AND r.id > $2 AND (l.id IS NULL OR l.version <> $3) ORDER BY r.id LIMIT 1000`,
          [collection, after, rule.version],
        );
        if (r.rows.length === 0) break;
        after = r.rows[r.rows.length - 1]!.id;
        const rows = r.rows.flatMap((row) => {
          const entry = rule.entryOf(row.value);
          return entry === undefined ? [] : [{ collection, id: row.id, version: rule.version, entry }];
        });
        if (rows.length > 0) await this.db.query(UPSERT_LISTINGS, listingParams(rows));
        refreshed += rows.length;
      }
      if (refreshed > 0) this.options.logger?.info({ collection, records: refreshed }, 'listing entries computed');
      total += refreshed;
    }
    // Statistics for the planner at once (it picks the terms or the sort index by them), not at autovacuum's next pass.
    if (total > 0) await this.db.query('ANALYZE listings');
  }

  async getMany<T>(collection: string, ids: readonly string[]): Promise<(T | undefined)[]> {
    checkCollection(collection);
    for (const id of ids) checkId('record id', id);
    if (ids.length === 0) return [];
    const r = await this.db.query<{ id: string; value: T }>('SELECT id, value FROM records WHERE collection = $1 AND id = ANY($2::text[])', [
      collection,
      [...new Set(ids)],
    ]);
    const byId = new Map(r.rows.map((row) => [row.id, row.value]));
    return ids.map((id) => byId.get(id));
  }

  async firstOrdered(collection: string, field: string): Promise<number | undefined> {
    const { where, key } = orderedKeySql(collection, field);
    const r = await this.db.query<{ key: number }>(`SELECT ${key} AS key FROM records WHERE ${where} AND ${key} IS NOT NULL ORDER BY ${key} LIMIT 1`);
    return r.rows[0] === undefined ? undefined : Number(r.rows[0].key);
  }

  async archiveMonths(collection: string): Promise<string[]> {
    checkCollection(collection);
    const r = await this.db.query<{ month: string }>('SELECT DISTINCT month FROM archive WHERE collection = $1 ORDER BY month', [collection]);
    return r.rows.map((row) => row.month);
  }

  async *readArchive<T>(collection: string, month: string): AsyncIterable<ArchivedRecord<T>> {
    checkCollection(collection);
    checkArchiveMonth(month);
    let after = '0';
    for (;;) {
      // Keyset pages: a month of 100,000 closed tickets is never held in memory at once.
      const r = await this.db.query<{ seq: string; id: string; archived_at: Date; value: T }>(
        'SELECT seq, id, archived_at, value FROM archive WHERE collection = $1 AND month = $2 AND seq > $3 ORDER BY seq LIMIT $4',
        [collection, month, after, ARCHIVE_PAGE],
      );
      for (const row of r.rows) yield { collection, id: row.id, month, archivedAt: row.archived_at.toISOString(), value: row.value };
      if (r.rows.length < ARCHIVE_PAGE) return;
      after = r.rows[r.rows.length - 1]!.seq;
    }
  }

  onCommit(listener: (info: { seconds: number; bytes: number }) => void): void {
    this.listeners.push(listener);
  }

  stats(): StoreStats {
    return {
      snapshotBytes: this.counters.snapshotBytes,
      journalBytes: 0,
      bytesWritten: this.counters.bytesWritten,
      commits: this.counters.commits,
      compactions: 0,
      lastCommitSeconds: this.counters.lastCommitSeconds,
      healthy: this.failure === undefined,
      ...(this.failure !== undefined ? { failure: this.failure } : {}),
    };
  }

  /** Units of work run again after a serialization failure / given up after maxAttempts. */
  conflictStats(): { retries: number; givenUp: number } {
    return { retries: this.counters.retries, givenUp: this.counters.conflictsGivenUp };
  }

  /** Statements units of work sent (each a round trip; BEGIN to COMMIT or ROLLBACK), for the benchmark's statements per message. */
  statementsSent(): number {
    return this.counters.statements;
  }

  /** The database's current WAL position in bytes (for measuring write cost; cluster-wide). */
  async walPosition(): Promise<bigint> {
    const r = await this.db.query<{ lsn: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn");
    return BigInt(r.rows[0]!.lsn.split('.')[0]!);
  }

  /** The pool, for modules that share this database (LISTEN/NOTIFY, leases); undefined before open(). */
  get pgPool(): pg.Pool | undefined {
    return this.pool;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    while (this.active > 0) await new Promise<void>((r) => this.idle.push(r));
    await this.pruning;
    await this.checking;
    await this.healthClient?.end().catch(() => undefined);
    this.healthClient = undefined;
    await this.pool?.end();
    this.pool = undefined;
  }
}
