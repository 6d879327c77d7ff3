/**
 * Storage write amplification: bytes written per ticket change with 100,000 closed tickets in
 * history, using the generic store (JournaledStore: journal + lowdb hot snapshot + monthly
 * archive) with synthetic ticket-like records.
 *
 *   npx tsx bench/storageWriteAmplification.ts [--history 100000] [--changes 5000]
 *
 * Bounded: fixed record counts, no time-based loops.
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JournaledStore } from '../server/storage/journaledStore.js';
import { sampleTicket } from './sampleTicket.js';

const { values } = parseArgs({
  options: { history: { type: 'string', default: '100000' }, changes: { type: 'string', default: '5000' }, open: { type: 'string', default: '300' } },
});
const HISTORY = Number(values.history);
const CHANGES = Number(values.changes);
const OPEN = Number(values.open);

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-bench-storage-'));
try {
  const store = new JournaledStore({ dir, compactJournalBytes: 32 * 1024 * 1024, maxPendingArchive: 20_000 });
  await store.open();
  // History: HISTORY closed tickets spread over 12 months, archived in batches of concurrent transactions.
  for (let i = 0; i < HISTORY; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, HISTORY - i) }, (_, k) => {
        const n = i + k;
        const month = String(1 + (n % 12)).padStart(2, '0');
        return store.transaction((tx) => tx.archive('tickets', `T-${n}`, sampleTicket(n, 'closed'), new Date(`2025-${month}-15T12:00:00Z`)));
      }),
    );
  }
  for (let i = 0; i < OPEN; i++) await store.transaction((tx) => tx.put('tickets', `T-${HISTORY + i}`, sampleTicket(HISTORY + i, 'open')));
  await store.compactNow();
  const historyBytes = dirBytes(join(dir, 'archive'));
  const before = store.stats().bytesWritten;

  // Ticket changes: update an open ticket (comment/state change); every 10th closes one (archive) and opens a new one.
  const started = process.hrtime.bigint();
  let nextId = HISTORY + OPEN;
  for (let c = 0; c < CHANGES; c++) {
    const id = `T-${HISTORY + (c % OPEN)}`;
    await store.transaction(async (tx) => {
      const current = await tx.get<ReturnType<typeof sampleTicket>>('tickets', id);
      if (!current) return;
      if (c % 10 === 9) {
        await tx.archive('tickets', id, { ...current, state: 'closed' }, new Date('2026-03-20T12:00:00Z'));
        await tx.put('tickets', `T-${nextId}`, sampleTicket(nextId, 'open'));
        nextId++;
      } else {
        await tx.put('tickets', id, {
          ...current,
          history: [...current.history.slice(-5), { at: new Date(Date.UTC(2026, 2, 20, 0, 0, c)).toISOString(), by: 'ewa.nowak', what: `comment ${c}` }],
        });
      }
    });
  }
  const journalOnly = store.stats().bytesWritten - before;
  await store.compactNow(); // include one full compaction (snapshot + archive append) in the cost
  const withCompaction = store.stats().bytesWritten - before;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await store.close();

  const result = {
    historyTickets: HISTORY,
    historyBytes,
    openTickets: OPEN,
    changes: CHANGES,
    bytesPerChangeJournal: Math.round(journalOnly / CHANGES),
    bytesPerChangeIncludingCompaction: Math.round(withCompaction / CHANGES),
    snapshotBytes: store.stats().snapshotBytes,
    changesPerSecondSequential: Math.round(CHANGES / seconds),
    wholeFileRewriteWouldBe: historyBytes,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
