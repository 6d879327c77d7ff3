/**
 * The retention sweep (server/retention) on the embedded store: N expired ticket audit entries and
 * N e-mail records (closed tickets, already marked) deleted in batches of 500. Reports the wall
 * and CPU time per deleted record, the longest gap between two commits (the first includes the
 * sweep's planning read of both collections; an upper bound on how long one unit of work holds the
 * store), and the journal bytes written.
 *
 *   node --import tsx bench/retentionSweep.ts [records=20000]
 *
 * Bounded: at most records/500 + 1 sweeps of 1,000 batches. Prints one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { MAIL_MESSAGES, messageRecordKey, type MessageRecord } from '../server/intake/mailIntake.js';
import { RetentionSettings } from '../server/retention/retentionRules.js';
import { RetentionSweep } from '../server/retention/retentionSweep.js';
import { JournaledStore } from '../server/storage/journaledStore.js';
import { TICKET_AUDIT, ticketAuditKey, type TicketAuditEntry } from '../server/tickets/ticketAudit.js';
import { ManualClock } from '../test/harness/manualClock.js';
import { makeTempDir } from '../test/harness/peers.js';

const records = Number(process.argv[2] ?? 20_000);
const DAY = 86_400_000;
const dir = makeTempDir('bench-retention');
const repo = new JournaledStore({ dir: dir.path });
await repo.open();
const clock = new ManualClock('2030-06-01T00:00:00Z');
const old = clock.now() - 4000 * DAY;
for (let start = 0; start < records; start += 1000) {
  await repo.transaction(async (tx) => {
    for (let n = start; n < Math.min(records, start + 1000); n++) {
      const e: TicketAuditEntry = {
        id: `a${n}`,
        at: new Date(old + n).toISOString(),
        ticketId: `T${n}`,
        by: 'disp',
        tokenId: 't',
        change: 'impact',
        from: 'medium/medium',
        to: 'high/high',
        reason: 'the whole office prints on this device',
      };
      await tx.put(TICKET_AUDIT, ticketAuditKey(e), e);
      const m: MessageRecord = {
        messageId: `<m${n}@bench>`,
        from: 'a@b.example',
        outcome: 'ticket',
        ticketId: `T${n}`,
        itemId: null,
        at: old,
        closedSeenAt: old,
      };
      await tx.put(MAIL_MESSAGES, messageRecordKey(m)!, m);
    }
  });
}
const settings = RetentionSettings.parse({ batch: 500, maxBatches: 1000 });
const sweep = new RetentionSweep({ repo, clock, settings });
let longestBatch = 0;
let last = performance.now();
repo.onCommit(() => {
  const t = performance.now();
  longestBatch = Math.max(longestBatch, t - last);
  last = t;
});
const bytesBefore = repo.stats().bytesWritten;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let deleted = 0;
for (let i = 0; i <= records / 500 + 1; i++) {
  last = performance.now();
  const r = await sweep.sweep();
  deleted += r.ticketAudit + r.mailMessages;
  if (!r.more) break;
}
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await repo.close();
dir.remove();
console.log(
  JSON.stringify({
    records: records * 2,
    deleted,
    wallSeconds: +(wall / 1000).toFixed(2),
    wallMicrosPerRecord: +((wall * 1000) / deleted).toFixed(1),
    cpuMicrosPerRecord: +((cpu.user + cpu.system) / deleted).toFixed(1),
    longestCommitGapMs: +longestBatch.toFixed(1),
    journalBytes: repo.stats().bytesWritten - bytesBefore,
  }),
);
