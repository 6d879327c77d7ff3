/**
 * `fleetdesk api-token create|list|revoke`: API bearer tokens in the server's store. Works with
 * the server running or not (tokenStoreAccess.ts): a new token works at once, a revoked one is
 * refused within a second (open event streams within 5 s).
 */
import { Command } from 'commander';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  ApiRole,
  ApiTokenInputError,
  ApiTokenState,
  createApiToken,
  listApiTokens,
  NewApiToken,
  revokeApiToken,
  type ApiTokenInfo,
  type RevokeOutcome,
} from '../../server/auth/apiTokens.js';
import { loadServerConfig, type ServerConfig } from '../../server/serverConfig.js';
import { describeStorage } from '../../server/storage/openRepository.js';
import { Duration } from '../../shared/config/common.js';
import { toProblems } from '../../shared/validation.js';
import { CliError } from '../cliError.js';
import { apiErrorMessage, onTokenStore, type ServerApi } from './tokenStoreAccess.js';

interface DataDirOptions {
  config?: string;
  dataDir?: string;
}

/** The server config of the options; --data-dir replaces its dataDir. */
export function serverConfigOf(opts: DataDirOptions): ServerConfig {
  const config = loadServerConfig(opts.config);
  return { ...config, dataDir: resolve(opts.dataDir ?? config.dataDir) };
}

/** Every token, through the running server's API (pages of 100). */
async function listThroughApi(api: ServerApi): Promise<ApiTokenInfo[]> {
  const all: ApiTokenInfo[] = [];
  for (let offset: number | null = 0; offset !== null;) {
    const answer = await api('GET', `/api-tokens?limit=100&offset=${offset}`);
    if (answer.status !== 200) throw new CliError(`listing the tokens through the running server failed: ${apiErrorMessage(answer)}`, 1);
    const page = answer.body as { items: ApiTokenInfo[]; nextOffset: number | null };
    all.push(...page.items);
    offset = page.nextOffset;
  }
  return all;
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
    const config = serverConfigOf(opts);
    const spec = { role: opts.role as ApiRole, name: opts.name ?? opts.role, customerId: opts.customer ?? null, ...(expiresAt ? { expiresAt } : {}) };
    let created: { id: string; token: string; info: ApiTokenInfo };
    try {
      // Checked here too, so that a running server's answer never has to be mapped to the flags.
      NewApiToken.parse(spec, { reportInput: true });
      created = await onTokenStore(
        config,
        (repo) => createApiToken(repo, spec, now),
        async (api) => {
          const answer = await api('POST', '/api-tokens', spec);
          if (answer.status === 400) throw new CliError(apiErrorMessage(answer), 2);
          if (answer.status !== 201) throw new CliError(`creating the token through the running server failed: ${apiErrorMessage(answer)}`, 1);
          const { token, ...info } = answer.body as ApiTokenInfo & { token: string };
          return { id: info.id, token, info };
        },
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
        `# API token ${created.id} (role ${opts.role}${opts.customer ? `, customer ${opts.customer}` : ''}${expiry}), stored hashed in the store (${describeStorage(config.storage, config.dataDir)}); shown only now`,
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
    const tokens = (await onTokenStore(serverConfigOf(opts), (repo) => listApiTokens(repo, new Date()), listThroughApi)).filter(
      (t) => opts.state === undefined || t.state === opts.state,
    );
    process.stdout.write(opts.json ? `${JSON.stringify(tokens, null, 2)}\n` : tokens.length === 0 ? '# no API tokens\n' : `${formatTable(tokens)}\n`);
  });

  withDataDir(
    cmd
      .command('revoke')
      .description('revoke a token by id (see list): refused from then on; the last active admin token cannot be revoked')
      .argument('<id>', 'token id, e.g. marek-1a2b3c4d'),
  ).action(async (id: string, opts: DataDirOptions) => {
    const r = await onTokenStore(
      serverConfigOf(opts),
      (repo) => revokeApiToken(repo, id, new Date(), `cli:${userInfo().username}`),
      async (api): Promise<RevokeOutcome> => {
        const answer = await api('DELETE', `/api-tokens/${encodeURIComponent(id)}`);
        if (answer.status === 404) return { outcome: 'not-found' };
        if (answer.status !== 200) throw new CliError(apiErrorMessage(answer), 1);
        return { outcome: 'revoked', token: answer.body as ApiTokenInfo };
      },
    );
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
