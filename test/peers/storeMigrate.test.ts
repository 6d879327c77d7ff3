/**
 * `fleetdesk store migrate --from lowdb:<dir> --to postgres:<url>` against a private PostgreSQL:
 * a lowdb store with tickets (open, resolved, closed and archived over several months), fleet
 * records and a dedup window moves over completely, verified by counts and checksums, the source
 * untouched; a non-empty target is refused unless --force.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournaledStore } from '../../server/storage/journaledStore.js';
import { SERVER_UNIQUE_KEYS } from '../../server/storage/openRepository.js';
import { PostgresStore } from '../../server/storage/postgresStore.js';
import { migrateLowdbToPostgres } from '../../server/storage/storeMigration.js';
import { presetContract } from '../../server/sla/presets.js';
import { StoredTicketRepository } from '../../server/tickets/ticketRepository.js';
import { TicketService } from '../../server/tickets/ticketService.js';
import { formatReport } from '../../bin/commands/store.js';
import { ManualClock } from '../harness/manualClock.js';
import { makeTempDir } from '../harness/peers.js';
import { startPostgres, type PostgresPeer } from '../harness/postgres.js';
import { at, DAY, device, raised } from '../unit/tickets/fixtures.js';

const repoRoot = resolve(import.meta.dirname, '../..');
let server: PostgresPeer;
const source = makeTempDir('migrate-src');

/** Every file of a directory tree with its SHA-256: the source must be byte-identical afterwards. */
function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  server = await startPostgres();
  // An installation: tickets opened, resolved and closed over three months (closed ones archived
  // by month), fleet records, processed message ids; part compacted, part still in the journal.
  const store = new JournaledStore({ dir: source.path, uniqueKeys: SERVER_UNIQUE_KEYS });
  await store.open();
  const clock = new ManualClock(at('2026-01-05T09:00'));
  const svc = new TicketService({ repository: new StoredTicketRepository(store), clock, contractFor: presetContract, defaultContractId: 'device-vendor' });
  for (let i = 0; i < 30; i++) {
    clock.set(at('2026-01-05T09:00') + i * 3 * DAY);
    const t = await svc.handleEvent(raised('jam', clock.now(), { device: device(`dev-${i}`) }));
    const id = t.tickets[0]!.id;
    if (i % 3 !== 0) await svc.act(id, { type: 'resolve', by: 'jan', solution: 'cleared' });
    if (i % 3 === 1) await svc.act(id, { type: 'close', by: 'jan' });
    if (i === 15) await store.compactNow();
  }
  await store.transaction(async (tx) => {
    for (let i = 0; i < 50; i++) await tx.put('devices', `acme/agent-1/dev-${i}`, { id: i, name: `Drukarka ${i} – piętro ${i % 4}`, nul: 'a\u0000b' });
    for (let i = 0; i < 300; i++) await tx.claimMessage(`msg-${i}`);
    await tx.archive('events', 'e1', { what: 'old event' }, new Date('2025-12-31T23:59:59.999Z'));
  });
  await store.close();
});

afterAll(async () => {
  await server?.stop();
  source.remove();
});

describe('fleetdesk store migrate', () => {
  it('copies hot records, the dedup window and every archived record, verified, the source untouched', async () => {
    const before = treeHashes(source.path);
    const url = await server.newDatabase('migrate');
    const report = await migrateLowdbToPostgres({ sourceDir: source.path, url, uniqueKeys: SERVER_UNIQUE_KEYS });
    expect(report.ok).toBe(true);
    expect(treeHashes(source.path)).toEqual(before);
    expect(report).toMatchObject({ archived: 11, messages: 300 });
    const byWhat = report.rows.map((r) => `${r.what} ${r.collection} ${r.month} ${r.source.count}=${r.target.count}`);
    expect(byWhat).toEqual(
      expect.arrayContaining([
        'records devices  50=50',
        'records tickets  20=20',
        'records ticketDue  20=20',
        'records ticketMeta  2=2',
        'records ticketSubjects  40=40',
        'archive events 2025-12 1=1',
        'dedup   300=300',
      ]),
    );
    expect(report.rows.filter((r) => r.what === 'archive' && r.collection === 'tickets').map((r) => r.month)).toEqual(['2026-01', '2026-02', '2026-03']);

    // The server reads the same tickets back from PostgreSQL, and keeps numbering after them.
    const pgStore = new PostgresStore({ url, uniqueKeys: SERVER_UNIQUE_KEYS, healthCheckMs: 0 });
    await pgStore.open();
    try {
      const repo = new StoredTicketRepository(pgStore);
      expect((await repo.active()).length).toBe(20);
      expect((await repo.closedSince('2026-01')).length).toBe(10);
      expect(await pgStore.transaction((tx) => tx.claimMessage('msg-299'))).toBe(false);
      const clock = new ManualClock(at('2026-06-01T09:00'));
      const svc = new TicketService({ repository: repo, clock, contractFor: presetContract, defaultContractId: 'device-vendor' });
      const next = await svc.handleEvent(raised('door.open', clock.now(), { device: device('dev-new') }));
      expect(next.tickets[0]!.id).toBe('T000031');
    } finally {
      await pgStore.close();
    }
  });

  it('the CLI prints the verification table; a non-empty target is refused unless --force', () => {
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(repoRoot, 'bin/fleetdesk.mjs'), 'store', 'migrate', ...args], { encoding: 'utf8', timeout: 60_000 });
    const url = `postgres://postgres:not-a-secret-but-hidden@127.0.0.1:${server.port}/postgres`;
    const first = cli(['--from', `lowdb:${source.path}`, '--to', `postgres:${url}`]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^what\s+collection\s+month\s+source\s+target\s+sha256 \(source\)\s+result$/m);
    expect(first.stdout).toMatch(/^archive\s+tickets\s+2026-02\s+\d+\s+\d+\s+[0-9a-f]{16}\s+ok$/m);
    expect(first.stdout).toMatch(/^verified: 132 records, 11 archived records, 300 processed message ids copied/m);
    expect(first.stdout + first.stderr).not.toContain('not-a-secret-but-hidden');

    const again = cli(['--from', `lowdb:${source.path}`, '--to', `postgres:${url}`]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/target database is not empty \(132 records, 11 archived, 300 message ids\).*--force/);
    expect(again.stderr).not.toContain('not-a-secret-but-hidden');

    const forced = cli(['--from', `lowdb:${source.path}`, '--to', `postgres:${url}`, '--force']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toContain('verified: 132 records');
  });

  it('the table marks count and checksum mismatches', () => {
    const d = (count: number, sha256: string) => ({ count, sha256 });
    const text = formatReport({
      ok: false,
      records: 0,
      archived: 0,
      messages: 0,
      rows: [
        { what: 'records', collection: 'tickets', month: '', source: d(2, 'a'.repeat(64)), target: d(1, 'b'.repeat(64)), ok: false },
        { what: 'archive', collection: 'tickets', month: '2026-01', source: d(1, 'c'.repeat(64)), target: d(1, 'd'.repeat(64)), ok: false },
      ],
    });
    expect(text.split('\n').slice(2)).toEqual([
      `records  tickets     -        2       1       ${'a'.repeat(16)}  COUNT MISMATCH`,
      `archive  tickets     2026-01  1       1       ${'c'.repeat(16)}  CHECKSUM MISMATCH`,
    ]);
  });
});
