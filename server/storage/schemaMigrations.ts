/**
 * Brings a PostgreSQL database to the schema this code knows (migrations/index.ts), at start.
 *
 * One transaction holding a transaction-scoped advisory lock: two instances starting at once
 * queue on the lock, and the second finds the steps already recorded (idempotent restart). Each
 * applied step is recorded in `schema_migrations`; a database recorded at a newer version than
 * the code knows is refused with a clear error (an older release must not write to it).
 */
import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** Key of the advisory lock (any constant 64-bit number private to FleetDesk: "FLDSKMIG"). */
export const MIGRATION_LOCK_KEY = '5063367530811853127';

export class SchemaTooNewError extends Error {
  constructor(
    readonly databaseVersion: number,
    readonly codeVersion: number,
  ) {
    super(
      `the database schema is at version ${databaseVersion} but this FleetDesk release knows versions up to ${codeVersion}: ` +
        'a newer release migrated it; run that release (or newer), never an older one, against this database',
    );
    this.name = 'SchemaTooNewError';
  }
}

export interface MigrationResult {
  /** Version before and after. */
  readonly from: number;
  readonly to: number;
  readonly applied: readonly string[];
}

function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}: versions must be consecutive from 1`);
  });
}

/** Applies the missing migrations; `migrations` is for tests (defaults to the built-in list). */
export async function runMigrations(client: pg.ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  checkSequence(migrations);
  const latest = migrations.length;
  await client.query('BEGIN');
  try {
    // Waiting for another instance's migration (the lock) or a long step is expected here.
    await client.query('SET LOCAL lock_timeout = 0');
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const res = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = res.rows[0]?.v ?? 0;
    if (current > latest) throw new SchemaTooNewError(current, latest);
    const applied: string[] = [];
    for (const m of migrations.slice(current)) {
      try {
        await client.query(m.sql);
      } catch (err) {
        throw new Error(`schema migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(`${m.version}_${m.name}`);
    }
    await client.query('COMMIT');
    return { from: current, to: Math.max(current, latest), applied };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
