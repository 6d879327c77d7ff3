/**
 * `fleetdesk api-token create|list|revoke`: API bearer tokens in <dataDir>/api-tokens.json.
 * Works with the server running or not: the server re-reads the file when it changes, so a new
 * token works and a revoked one is refused within a second (open event streams within 5 s).
 */
import { Command } from 'commander';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  ApiRole,
  ApiTokenInputError,
  ApiTokenState,
  apiTokensFile,
  createApiToken,
  listApiTokens,
  revokeApiToken,
  type ApiTokenInfo,
} from '../../server/auth/apiTokens.js';
import { loadServerConfig } from '../../server/serverConfig.js';
import { Duration } from '../../shared/config/common.js';
import { toProblems } from '../../shared/validation.js';
import { CliError } from '../cliError.js';

interface DataDirOptions {
  config?: string;
  dataDir?: string;
}

function dataDirOf(opts: DataDirOptions): string {
  return resolve(opts.dataDir ?? loadServerConfig(opts.config).dataDir);
}

function withDataDir(cmd: Command): Command {
  return cmd.option('-c, --config <file>', 'server.yaml, for its dataDir').option('--data-dir <dir>', 'data directory (overrides the config)');
}

/** "--expires 30d" (from now) or an ISO date/instant → ISO instant. */
export function parseExpiry(text: string, now: Date): string {
  const asDuration = Duration.safeParse(text);
  if (asDuration.success && asDuration.data > 0) return new Date(now.getTime() + asDuration.data).toISOString();
  if (/^\d{4}-\d{2}-\d{2}([T ].*)?$/.test(text)) {
    const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  throw new CliError(
    `--expires: expected a duration from now (e.g. 90d, 12h) or an ISO date/instant (2027-01-31, 2027-01-31T12:00:00Z), found ${JSON.stringify(text)}`,
    2,
  );
}

function formatTable(tokens: readonly ApiTokenInfo[]): string {
  const header = ['ID', 'NAME', 'ROLE', 'CUSTOMER', 'CREATED', 'EXPIRES', 'STATE'];
  const rows = tokens.map((t) => [
    t.id,
    t.name,
    t.role,
    t.customerId ?? '-',
    t.createdAt,
    t.expiresAt ?? 'never',
    t.state === 'revoked' ? `revoked ${t.revokedAt ?? ''} by ${t.revokedBy ?? '?'}` : t.state,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function apiTokenCommand(): Command {
  const cmd = new Command('api-token').description('manage API bearer tokens (REST API and dashboard)');
  withDataDir(
    cmd
      .command('create')
      .description('create a token; prints it once (only its SHA-256 is stored)')
      .requiredOption('--role <role>', `one of ${ApiRole.options.join(', ')}`)
      .option('--customer <id>', 'the customer a customer token belongs to (required for --role customer)')
      .option('--name <name>', 'operator name recorded in ticket history (default: the role)')
      .option('--expires <when>', 'expiry: a duration from now (90d, 12h) or an ISO date/instant; default: never'),
  ).action(async (opts: { role: string; customer?: string; name?: string; expires?: string } & DataDirOptions) => {
    const now = new Date();
    const expiresAt = opts.expires === undefined ? undefined : parseExpiry(opts.expires, now);
    const dataDir = dataDirOf(opts);
    let created: Awaited<ReturnType<typeof createApiToken>>;
    try {
      created = await createApiToken(
        dataDir,
        { role: opts.role as ApiRole, name: opts.name ?? opts.role, customerId: opts.customer ?? null, ...(expiresAt ? { expiresAt } : {}) },
        now,
      );
    } catch (err) {
      if (err instanceof z.ZodError) {
        const flag: Record<string, string> = { role: '--role', name: '--name', customerId: '--customer', expiresAt: '--expires' };
        throw new CliError(
          toProblems(err)
            .map((p) => `${flag[p.path] ?? p.path}: expected ${p.expected}, found ${p.found}`)
            .join('; '),
          2,
        );
      }
      if (err instanceof ApiTokenInputError) throw new CliError(`--expires: ${err.message}`, 2);
      throw err;
    }
    const expiry = created.info.expiresAt ? `, expires ${created.info.expiresAt}` : '';
    process.stdout.write(
      [
        `# API token ${created.id} (role ${opts.role}${opts.customer ? `, customer ${opts.customer}` : ''}${expiry}), stored hashed in ${apiTokensFile(dataDir)}; shown only now`,
        created.token,
        '',
      ].join('\n'),
    );
  });

  withDataDir(
    cmd
      .command('list')
      .description('list tokens (id, name, role, customer, expiry, state); never the secrets')
      .option('--state <state>', 'only tokens in this state: active, expired or revoked')
      .option('--json', 'print JSON instead of a table'),
  ).action(async (opts: { state?: string; json?: boolean } & DataDirOptions) => {
    if (opts.state !== undefined && !ApiTokenState.safeParse(opts.state).success)
      throw new CliError(`--state: expected one of ${ApiTokenState.options.join(', ')}, found ${JSON.stringify(opts.state)}`, 2);
    const tokens = (await listApiTokens(dataDirOf(opts), new Date())).filter((t) => opts.state === undefined || t.state === opts.state);
    process.stdout.write(opts.json ? `${JSON.stringify(tokens, null, 2)}\n` : tokens.length === 0 ? '# no API tokens\n' : `${formatTable(tokens)}\n`);
  });

  withDataDir(
    cmd
      .command('revoke')
      .description('revoke a token by id (see list): refused from then on; the last active admin token cannot be revoked')
      .argument('<id>', 'token id, e.g. marek-1a2b3c4d'),
  ).action(async (id: string, opts: DataDirOptions) => {
    const r = await revokeApiToken(dataDirOf(opts), id, new Date(), `cli:${userInfo().username}`);
    switch (r.outcome) {
      case 'not-found':
        throw new CliError(`no API token ${JSON.stringify(id)} (see fleetdesk api-token list)`, 1);
      case 'already-revoked':
        throw new CliError(`API token ${id} was already revoked at ${r.token.revokedAt ?? '?'} by ${r.token.revokedBy ?? '?'}`, 1);
      case 'last-admin':
        throw new CliError(`API token ${id} is the last active admin token: create another one first (fleetdesk api-token create --role admin)`, 1);
      case 'revoked':
        process.stdout.write(
          `revoked API token ${id} (${r.token.role}${r.token.customerId ? `, customer ${r.token.customerId}` : ''}); a running server refuses it within a second\n`,
        );
    }
  });
  return cmd;
}
