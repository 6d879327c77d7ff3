/**
 * `fleetdesk store migrate --from lowdb:<dir> --to postgres:<url>`: moves the store of an
 * installation to PostgreSQL (server/storage/storeMigration.ts) and prints the verification
 * table (counts and SHA-256 per collection and archive month). Exit 0 when every row matches,
 * 3 on a mismatch. The password is best given in PGPASSWORD, not in the URL (process lists).
 *
 * `fleetdesk store check` / `store repair` (server/storage/storeRepair.ts) for the embedded store:
 * check exits 0 when intact, 3 when damaged; repair exits 0 when nothing was dropped (intact, or
 * only an interrupted append cut), 3 after dropping damaged data (listed), 1 when it could not
 * repair (a server runs, I/O error).
 */
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { loadServerConfig } from '../../server/serverConfig.js';
import { StoreDamagedError } from '../../server/storage/storeFiles.js';
import { StoreLockedError } from '../../server/storage/storeLock.js';
import { checkStore, repairStore } from '../../server/storage/storeRepair.js';
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
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

interface StoreDirOptions {
  dir?: string;
  dataDir?: string;
  config?: string;
}

/** The embedded store directory: --dir, else <--data-dir>/store, else what server.yaml (or the defaults) name. */
function storeDir(o: StoreDirOptions): string {
  if (o.dir !== undefined) return resolve(o.dir);
  if (o.dataDir !== undefined) return resolve(join(o.dataDir, 'store'));
  const config = loadServerConfig(o.config);
  if (config.storage.kind !== 'lowdb')
    throw new CliError(`${o.config ?? '(defaults)'}: storage.kind is ${config.storage.kind}; check and repair are for the embedded (lowdb) store`, 2);
  return resolve(config.storage.dir ?? join(config.dataDir, 'store'));
}

function withStoreDirOptions(c: Command): Command {
  return c
    .option('--dir <store directory>', 'the store directory (storage.dir)')
    .option('--data-dir <directory>', 'the server data directory (dataDir); the store is <data-dir>/store')
    .option('-c, --config <file>', 'server.yaml to take storage.dir / dataDir from (default: the server defaults)');
}

export function storeCommand(): Command {
  const store = new Command('store').description('work with the server store (lowdb files or PostgreSQL)');
  withStoreDirOptions(
    store
      .command('check')
      .description(
        'read every file of the embedded store and report damage (checksums, cut files, a missing snapshot); changes nothing. Exit 0 intact, 3 damaged',
      ),
  ).action(async (opts: StoreDirOptions) => {
    const dir = storeDir(opts);
    const report = await checkStore(dir).catch((err: Error) => {
      throw new CliError(`checking ${dir} failed: ${err.message}`, 1);
    });
    const out: string[] = [`store ${dir}`, ...report.summary.map((l) => `  ${l}`)];
    if (report.liveHolder) out.push(`note: ${report.liveHolder.purpose} (pid ${report.liveHolder.pid}) has this store open: files may change while being read`);
    for (const n of report.notes) out.push(`note: ${n}`);
    for (const p of report.problems)
      out.push(`DAMAGED ${p.file}${p.offset !== undefined ? ` (byte ${p.offset})` : ''}: ${p.problem}\n  a start past it would lose ${p.loses}`);
    process.stdout.write(`${out.join('\n')}\n`);
    if (report.problems.length > 0)
      throw new CliError(
        `${report.problems.length === 1 ? '1 problem' : `${report.problems.length} problems`}: the server refuses to start on this store; restore the files from a backup or run \`fleetdesk store repair --dir ${dir}\``,
        3,
      );
    process.stdout.write('intact\n');
  });
  withStoreDirOptions(
    store
      .command('repair')
      .description(
        'make a damaged embedded store start again: keeps a copy of every file it changes in <store>/repair-<time>/, drops what cannot be trusted and prints it. Exit 0 nothing dropped, 3 data dropped, 1 not repaired',
      ),
  ).action(async (opts: StoreDirOptions) => {
    const dir = storeDir(opts);
    let report;
    try {
      report = await repairStore(dir, new Date());
    } catch (err) {
      if (err instanceof StoreLockedError) throw new CliError(`not repairing: ${err.message}`, 1);
      throw new CliError(`repairing ${dir} failed: ${(err as Error).message}`, 1);
    }
    if (report.actions.length === 0) {
      process.stdout.write(`store ${dir}: intact, nothing to repair\n`);
      return;
    }
    process.stdout.write(
      `${[`store ${dir}: repaired; copies of the changed files are in ${report.backupDir!}`, ...report.actions.map((a) => `  ${a}`)].join('\n')}\n`,
    );
    if (report.dropped) throw new CliError('repaired by dropping the data listed above; the server starts on this store now', 3);
  });
  store
    .command('migrate')
    .description(
      'copy a lowdb store (hot records, dedup window, every archived record) into PostgreSQL and verify it by counts and checksums; the source is only read',
    )
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
        if (
          err instanceof StoreMigrationError ||
          err instanceof StoreFailedError ||
          err instanceof SchemaTooNewError ||
          err instanceof StoreLockedError ||
          err instanceof StoreDamagedError
        )
          throw new CliError(err.message, 1);
        throw new CliError(`migrating ${sourceDir} to ${redactedUrl(url)} failed: ${(err as Error).message}`, 1);
      }
      process.stdout.write(`${formatReport(report)}\n`);
      const summary = `${report.records} records, ${report.archived} archived records, ${report.messages} processed message ids copied from ${sourceDir} to ${redactedUrl(url)}`;
      if (!report.ok) throw new CliError(`verification FAILED (${report.rows.filter((r) => !r.ok).length} rows differ): ${summary}`, 3);
      process.stdout.write(`verified: ${summary}\n`);
    });
  return store;
}
