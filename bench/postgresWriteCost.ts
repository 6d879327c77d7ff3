/**
 * PostgreSQL write cost per ticket change, with 100,000 closed tickets in history: WAL bytes (from
 * pg_current_wal_lsn, the bytes PostgreSQL really writes and ships to replicas), payload bytes
 * (PostgresStore stats().bytesWritten) and milliseconds per change, on a private PostgreSQL 15
 * with its production durability settings (fsync, synchronous_commit, full_page_writes on).
 *
 *   npx tsx bench/postgresWriteCost.ts [--history 100000] [--changes 3000] [--open 300] [--tickets 300]
 *
 * Phase A repeats bench/storageWriteAmplification.ts (same synthetic ticket records and change
 * mix: 9 updates, then a close to the archive plus a new ticket) so that the two stores compare
 * directly. Phase B runs the real ticket service (policy, unique keys, numbering): every ticket
 * is opened by a fault, acknowledged, resolved and closed (4 changes). A CHECKPOINT precedes
 * each phase, so the full-page images a real checkpoint cycle causes are included.
 * Bounded: fixed counts, no time-based loops.
 */
import { parseArgs } from 'node:util';
import { presetContract } from '../server/sla/presets.js';
import { SERVER_UNIQUE_KEYS } from '../server/storage/openRepository.js';
import { PostgresStore } from '../server/storage/postgresStore.js';
import { StoredTicketRepository } from '../server/tickets/ticketRepository.js';
import { TicketService } from '../server/tickets/ticketService.js';
import { ManualClock } from '../test/harness/manualClock.js';
import { startPostgres } from '../test/harness/postgres.js';
import { at, device, MIN, raised } from '../test/unit/tickets/fixtures.js';
import { sampleTicket } from './sampleTicket.js';

const { values } = parseArgs({
  options: {
    history: { type: 'string', default: '100000' },
    changes: { type: 'string', default: '3000' },
    open: { type: 'string', default: '300' },
    tickets: { type: 'string', default: '300' },
  },
});
const HISTORY = Number(values.history);
const CHANGES = Number(values.changes);
const OPEN = Number(values.open);
const TICKETS = Number(values.tickets);

interface Measure {
  changes: number;
  walBytes: bigint;
  payloadBytes: number;
  seconds: number;
}

async function measure(store: PostgresStore, changes: number, run: () => Promise<void>): Promise<Measure> {
  await store.pgPool!.query('CHECKPOINT');
  const wal0 = await store.walPosition();
  const payload0 = store.stats().bytesWritten;
  const started = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const wal1 = await store.walPosition();
  return { changes, walBytes: wal1 - wal0, payloadBytes: store.stats().bytesWritten - payload0, seconds };
}

function report(name: string, m: Measure) {
  return {
    phase: name,
    changes: m.changes,
    walBytesPerChange: Math.round(Number(m.walBytes) / m.changes),
    payloadBytesPerChange: Math.round(m.payloadBytes / m.changes),
    msPerChange: Number(((m.seconds * 1000) / m.changes).toFixed(2)),
    changesPerSecondSequential: Math.round(m.changes / m.seconds),
  };
}

const server = await startPostgres({ durable: true });
try {
  const url = await server.newDatabase('bench');
  const store = new PostgresStore({ url, uniqueKeys: SERVER_UNIQUE_KEYS, healthCheckMs: 0, poolSize: 4 });
  await store.open();
  // History: HISTORY closed tickets over 12 months, loaded in bulk (setup, not measured).
  const loadStarted = Date.now();
  for (let i = 0; i < HISTORY; i += 1000) {
    const n = Math.min(1000, HISTORY - i);
    const rows = Array.from({ length: n }, (_, k) => i + k);
    await store.pgPool!.query(
      `INSERT INTO archive (collection, id, month, archived_at, value)
       SELECT 'tickets', t.id, t.m, (t.m || '-15T12:00:00Z')::timestamptz, t.v::json FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, m, v)`,
      [rows.map((r) => `T-${r}`), rows.map((r) => `2025-${String(1 + (r % 12)).padStart(2, '0')}`), rows.map((r) => JSON.stringify(sampleTicket(r, 'closed')))],
    );
  }
  await store.pgPool!.query('VACUUM ANALYZE');
  const sizes = (
    await store.pgPool!.query<{ archive: string; db: string }>(
      "SELECT pg_total_relation_size('archive')::text AS archive, pg_database_size(current_database())::text AS db",
    )
  ).rows[0]!;
  // Phase A keeps its synthetic records apart from the real tickets of phase B (same tables).
  const SYNTH = 'benchTickets';
  for (let i = 0; i < OPEN; i++) await store.transaction((tx) => tx.put(SYNTH, `T-${HISTORY + i}`, sampleTicket(HISTORY + i, 'open')));

  // Phase A: the storageWriteAmplification mix.
  let nextId = HISTORY + OPEN;
  const a = await measure(store, CHANGES, async () => {
    for (let c = 0; c < CHANGES; c++) {
      const id = `T-${HISTORY + (c % OPEN)}`;
      await store.transaction(async (tx) => {
        const current = await tx.get<ReturnType<typeof sampleTicket>>(SYNTH, id);
        if (!current) return;
        if (c % 10 === 9) {
          await tx.archive(SYNTH, id, { ...current, state: 'closed' }, new Date('2026-03-20T12:00:00Z'));
          await tx.put(SYNTH, `T-${nextId}`, sampleTicket(nextId, 'open'));
          nextId++;
        } else {
          await tx.put(SYNTH, id, {
            ...current,
            history: [...current.history.slice(-5), { at: new Date(Date.UTC(2026, 2, 20, 0, 0, c)).toISOString(), by: 'ewa.nowak', what: `comment ${c}` }],
          });
        }
      });
    }
  });

  // Phase B: real tickets through the ticket service: open (fault), acknowledge, resolve, close.
  const clock = new ManualClock(at('2026-03-02T09:00'));
  const svc = new TicketService({ repository: new StoredTicketRepository(store), clock, contractFor: presetContract, defaultContractId: 'device-vendor' });
  let ticketBytes = 0;
  const b = await measure(store, TICKETS * 4, async () => {
    for (let i = 0; i < TICKETS; i++) {
      clock.advance(MIN);
      const opened = await svc.handleEvent(raised('jam', clock.now(), { device: device(`dev-${i}`) }));
      const id = opened.tickets[0]!.id;
      await svc.act(id, { type: 'acknowledge', by: 'jan' });
      await svc.act(id, { type: 'resolve', by: 'jan', solution: 'paper path cleaned' });
      const closed = await svc.act(id, { type: 'close', by: 'jan' });
      ticketBytes += JSON.stringify(closed).length;
    }
  });
  const conflicts = store.conflictStats();
  await store.close();
  console.log(
    JSON.stringify(
      {
        historyTickets: HISTORY,
        archiveTableBytes: Number(sizes.archive),
        databaseBytes: Number(sizes.db),
        historyLoadSeconds: (Date.now() - loadStarted) / 1000,
        openTickets: OPEN,
        phases: [report('A: synthetic mix (as storageWriteAmplification)', a), report('B: ticket service open/ack/resolve/close', b)],
        realTicketJsonBytesWhenClosed: Math.round(ticketBytes / TICKETS),
        retries: conflicts.retries,
      },
      null,
      2,
    ),
  );
} finally {
  await server.stop();
}
