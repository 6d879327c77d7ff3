/**
 * Moves an installation from the embedded lowdb store to PostgreSQL (`fleetdesk store migrate`):
 * every hot record, the dedup window and every archived record, then verifies the target against
 * the source by counts and SHA-256 checksums per collection and per archive month.
 *
 * The source is never written: its files are copied to a scratch directory first, holding the
 * store's lock (storeLock.ts), so a running server makes the migration refuse and no server starts
 * during the copy; the copy is opened and checked like the server would (damage stops it).
 *
 * The whole copy is one PostgreSQL transaction: a failure leaves the target as it was. A target
 * that already holds data is refused unless `force`, which empties it first.
 */
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournaledStore } from './journaledStore.js';
import { lockStore } from './storeLock.js';
import { PostgresStore } from './postgresStore.js';
import type { UniqueKeyRules } from './repository.js';

const CHUNK = 500;

export interface StoreMigrationOptions {
  sourceDir: string;
  url: string;
  password?: string;
  uniqueKeys: UniqueKeyRules;
  /** Empty a target that holds data instead of refusing it. */
  force?: boolean;
  /** Where the scratch copy of the source goes (default: the OS temp dir). */
  workDir?: string;
}

export interface Digest {
  readonly count: number;
  readonly sha256: string;
}

export interface VerificationRow {
  readonly what: 'records' | 'archive' | 'dedup';
  readonly collection: string;
  readonly month: string;
  readonly source: Digest;
  readonly target: Digest;
  readonly ok: boolean;
}

export interface StoreMigrationReport {
  readonly rows: readonly VerificationRow[];
  readonly ok: boolean;
  readonly records: number;
  readonly archived: number;
  readonly messages: number;
}

export class StoreMigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreMigrationError';
  }
}

class Summer {
  private readonly hash = createHash('sha256');
  count = 0;
  add(...parts: string[]): void {
    this.hash.update(parts.join('\u0000'));
    this.hash.update('\n');
    this.count += 1;
  }
  digest(): Digest {
    return { count: this.count, sha256: this.hash.digest('hex') };
  }
}

/** Digest of hot records: "id NUL json" lines sorted by id. */
function recordsDigest(rows: Iterable<[string, unknown]>): Digest {
  const s = new Summer();
  for (const [id, v] of [...rows].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) s.add(id, JSON.stringify(v));
  return s.digest();
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A read-only copy of a journaled store, opened (recovered) in a scratch directory. */
async function openCopy(sourceDir: string, workDir: string | undefined): Promise<{ store: JournaledStore; remove: () => Promise<void> }> {
  const hot = join(sourceDir, 'hot.json');
  const journal = join(sourceDir, 'journal.log');
  if (!(await exists(hot)) && !(await exists(journal)))
    throw new StoreMigrationError(`no lowdb store in ${sourceDir}: expected hot.json and/or journal.log there (storage.dir, default <dataDir>/store)`);
  const scratch = await mkdtemp(join(workDir ?? tmpdir(), 'fleetdesk-migrate-'));
  const copy = join(scratch, 'store');
  const remove = () => rm(scratch, { recursive: true, force: true });
  try {
    await mkdir(copy);
    const lock = await lockStore(sourceDir, 'fleetdesk store migrate');
    try {
      for (const name of ['journal.log.end', 'journal.log', 'hot.json'])
        if (await exists(join(sourceDir, name))) await copyFile(join(sourceDir, name), join(copy, name));
      if (await exists(join(sourceDir, 'archive'))) await cp(join(sourceDir, 'archive'), join(copy, 'archive'), { recursive: true });
    } finally {
      await lock.release();
    }
    const store = new JournaledStore({ dir: copy, owner: 'fleetdesk store migrate' });
    await store.open();
    return { store, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

export async function migrateLowdbToPostgres(o: StoreMigrationOptions): Promise<StoreMigrationReport> {
  const { store: source, remove } = await openCopy(o.sourceDir, o.workDir);
  const target = new PostgresStore({
    url: o.url,
    ...(o.password !== undefined ? { password: o.password } : {}),
    uniqueKeys: o.uniqueKeys,
    poolSize: 2,
    healthCheckMs: 0,
    statementTimeoutMs: 0,
  });
  try {
    await target.open();
    const counts = await copyInto(source, target, o);
    const rows = await verify(source, target);
    return { rows, ok: rows.every((r) => r.ok), ...counts };
  } finally {
    await target.close().catch(() => undefined);
    await source.close().catch(() => undefined);
    await remove();
  }
}

async function copyInto(
  source: JournaledStore,
  target: PostgresStore,
  o: StoreMigrationOptions,
): Promise<{ records: number; archived: number; messages: number }> {
  const client = await target.pgPool!.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL lock_timeout = 0');
    const held = await client.query<{ records: string; archived: string; messages: string }>(
      'SELECT (SELECT count(*) FROM records) AS records, (SELECT count(*) FROM archive) AS archived, (SELECT count(*) FROM processed_messages) AS messages',
    );
    const h = held.rows[0]!;
    if (Number(h.records) + Number(h.archived) + Number(h.messages) > 0) {
      if (!o.force) {
        throw new StoreMigrationError(
          `the target database is not empty (${h.records} records, ${h.archived} archived, ${h.messages} message ids): refusing to mix two installations; use --force to empty it first`,
        );
      }
      // Listings too: the server computes them from the copied records at its next start.
      await client.query('TRUNCATE records, archive, processed_messages, unique_keys, listings');
    }
    let records = 0;
    for (const collection of source.collectionNames()) {
      const entries = [...(source.peekAll(collection) ?? new Map<string, unknown>())];
      const rule = o.uniqueKeys[collection];
      const owners = new Map<string, string>();
      const clashes: string[] = [];
      for (let i = 0; i < entries.length; i += CHUNK) {
        const chunk = entries.slice(i, i + CHUNK);
        await client.query('INSERT INTO records (collection, id, value) SELECT $1, t.id, t.v::json FROM unnest($2::text[], $3::text[]) AS t(id, v)', [
          collection,
          chunk.map(([id]) => id),
          chunk.map(([, v]) => JSON.stringify(v)),
        ]);
        records += chunk.length;
        if (!rule) continue;
        const keys: string[] = [];
        const ids: string[] = [];
        for (const [id, v] of chunk) {
          for (const key of new Set(rule(v))) {
            const holder = owners.get(key);
            if (holder !== undefined) {
              clashes.push(`${holder} and ${id} both hold ${key}`);
              continue;
            }
            owners.set(key, id);
            keys.push(key);
            ids.push(id);
          }
        }
        if (keys.length > 0)
          await client.query('INSERT INTO unique_keys (collection, key, id) SELECT $1, t.k, t.id FROM unnest($2::text[], $3::text[]) AS t(k, id)', [
            collection,
            keys,
            ids,
          ]);
      }
      if (clashes.length > 0) {
        throw new StoreMigrationError(
          `collection ${collection} breaks a uniqueness rule the PostgreSQL store enforces (${clashes.length}: ${clashes.slice(0, 5).join('; ')}${clashes.length > 5 ? '; …' : ''}): resolve or close the duplicates in the running installation, then migrate again`,
        );
      }
    }
    const messages = source.messageIds();
    for (let i = 0; i < messages.length; i += CHUNK * 10) {
      // Oldest first, so that the newest ids are the last pruned.
      await client.query('INSERT INTO processed_messages (message_id) SELECT t.m FROM unnest($1::text[]) WITH ORDINALITY AS t(m, n) ORDER BY t.n', [
        messages.slice(i, i + CHUNK * 10),
      ]);
    }
    let archived = 0;
    for (const collection of await source.archivedCollections()) {
      for (const month of await source.archiveMonths(collection)) {
        let batch: { id: string; at: string; v: string }[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          await client.query(
            'INSERT INTO archive (collection, id, month, archived_at, value) SELECT $1, t.id, $2, t.a::timestamptz, t.v::json FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(id, a, v, n) ORDER BY t.n',
            [collection, month, batch.map((r) => r.id), batch.map((r) => r.at), batch.map((r) => r.v)],
          );
          archived += batch.length;
          batch = [];
        };
        for await (const rec of source.readArchive(collection, month)) {
          batch.push({ id: rec.id, at: rec.archivedAt, v: JSON.stringify(rec.value) });
          if (batch.length >= CHUNK) await flush();
        }
        await flush();
      }
    }
    await client.query('COMMIT');
    return { records, archived, messages: messages.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Compares source and target: hot records per collection, archives per month, the dedup window. */
async function verify(source: JournaledStore, target: PostgresStore): Promise<VerificationRow[]> {
  const pool = target.pgPool!;
  const rows: VerificationRow[] = [];
  const row = (what: VerificationRow['what'], collection: string, month: string, s: Digest, t: Digest) =>
    rows.push({ what, collection, month, source: s, target: t, ok: s.count === t.count && s.sha256 === t.sha256 });
  const targetCollections = (await pool.query<{ collection: string }>('SELECT DISTINCT collection FROM records ORDER BY collection')).rows.map(
    (r) => r.collection,
  );
  for (const collection of [...new Set([...source.collectionNames(), ...targetCollections])].sort()) {
    const s = recordsDigest(source.peekAll(collection) ?? new Map<string, unknown>());
    const t = recordsDigest(
      (await pool.query<{ id: string; value: unknown }>('SELECT id, value FROM records WHERE collection = $1', [collection])).rows.map((r) => [r.id, r.value]),
    );
    row('records', collection, '', s, t);
  }
  const archiveCollections = new Set([
    ...(await source.archivedCollections()),
    ...(await pool.query<{ collection: string }>('SELECT DISTINCT collection FROM archive')).rows.map((r) => r.collection),
  ]);
  for (const collection of [...archiveCollections].sort()) {
    const months = [...new Set([...(await source.archiveMonths(collection)), ...(await target.archiveMonths(collection))])].sort();
    for (const month of months) {
      // Through both stores' read paths: what the server will read back, in archiving order.
      const s = new Summer();
      for await (const r of source.readArchive(collection, month)) s.add(r.id, r.archivedAt, JSON.stringify(r.value));
      const t = new Summer();
      for await (const r of target.readArchive(collection, month)) t.add(r.id, r.archivedAt, JSON.stringify(r.value));
      row('archive', collection, month, s.digest(), t.digest());
    }
  }
  const s = new Summer();
  for (const id of [...source.messageIds()].sort()) s.add(id);
  const t = new Summer();
  for (const r of (await pool.query<{ message_id: string }>('SELECT message_id FROM processed_messages')).rows.map((x) => x.message_id).sort()) t.add(r);
  row('dedup', '', '', s.digest(), t.digest());
  return rows;
}
