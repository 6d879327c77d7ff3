/**
 * `fleetdesk store migrate --from lowdb:<dir> --to postgres:<url>`: moves the store of an
 * installation to PostgreSQL (server/storage/storeMigration.ts) and prints the verification
 * table (counts and SHA-256 per collection and archive month). Exit 0 when every row matches,
 * 3 on a mismatch. The password is best given in PGPASSWORD, not in the URL (process lists).
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { SERVER_UNIQUE_KEYS } from '../../server/storage/openRepository.js';
import { redactedUrl } from '../../server/storage/postgresStore.js';
import { StoreFailedError } from '../../server/storage/repository.js';
import { migrateLowdbToPostgres, StoreMigrationError, type StoreMigrationReport } from '../../server/storage/storeMigration.js';
import { SchemaTooNewError } from '../../server/storage/schemaMigrations.js';
import { CliError } from '../cliError.js';

function parseFrom(spec: string): string {
  const m = /^lowdb:(.+)$/.exec(spec);
  if (!m) throw new CliError(`--from ${JSON.stringify(spec)}: expected lowdb:<store directory> (storage.dir, default <dataDir>/store)`, 2);
  return resolve(m[1]!);
}

function parseTo(spec: string): string {
  const url = spec.startsWith('postgres:') && !spec.startsWith('postgres://') ? spec.slice('postgres:'.length) : spec;
  if (!/^postgres(ql)?:\/\/\S+$/.test(url)) throw new CliError(`--to ${redactedUrl(url)}: expected postgres:postgres://user@host:port/database`, 2);
  return url;
}

/** The verification table, one row per collection / archive month / the dedup window. */
export function formatReport(report: StoreMigrationReport): string {
  const head = ['what', 'collection', 'month', 'source', 'target', 'sha256 (source)', 'result'];
  const lines = report.rows.map((r) => [
    r.what,
    r.collection || '-',
    r.month || '-',
    String(r.source.count),
    String(r.target.count),
    r.source.sha256.slice(0, 16),
    r.ok ? 'ok' : r.source.count !== r.target.count ? 'COUNT MISMATCH' : 'CHECKSUM MISMATCH',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

export function storeCommand(): Command {
  const store = new Command('store').description('work with the server store (lowdb files or PostgreSQL)');
  store
    .command('migrate')
    .description('copy a lowdb store (hot records, dedup window, every archived record) into PostgreSQL and verify it by counts and checksums; the source is only read')
    .requiredOption('--from <source>', 'lowdb:<store directory>')
    .requiredOption('--to <target>', 'postgres:<postgres://user@host:port/database> (password: PGPASSWORD)')
    .option('--force', 'empty a target database that already holds data (otherwise refused)')
    .action(async (opts: { from: string; to: string; force?: boolean }) => {
      const sourceDir = parseFrom(opts.from);
      const url = parseTo(opts.to);
      let report: StoreMigrationReport;
      try {
        report = await migrateLowdbToPostgres({ sourceDir, url, uniqueKeys: SERVER_UNIQUE_KEYS, force: opts.force === true });
      } catch (err) {
        if (err instanceof StoreMigrationError || err instanceof StoreFailedError || err instanceof SchemaTooNewError) throw new CliError(err.message, 1);
        throw new CliError(`migrating ${sourceDir} to ${redactedUrl(url)} failed: ${(err as Error).message}`, 1);
      }
      process.stdout.write(`${formatReport(report)}\n`);
      const summary = `${report.records} records, ${report.archived} archived records, ${report.messages} processed message ids copied from ${sourceDir} to ${redactedUrl(url)}`;
      if (!report.ok) throw new CliError(`verification FAILED (${report.rows.filter((r) => !r.ok).length} rows differ): ${summary}`, 3);
      process.stdout.write(`verified: ${summary}\n`);
    });
  return store;
}
