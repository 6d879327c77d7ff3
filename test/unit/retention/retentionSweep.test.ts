/** Retention: the rules (pure) and the sweep over the journaled store (test/harness/retentionContract.ts). */
import { afterAll, describe, expect, it } from 'vitest';
import { mailRecordFate, RetentionSettings } from '../../../server/retention/retentionRules.js';
import { ServerConfig } from '../../../server/serverConfig.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { makeTempDir } from '../../harness/peers.js';
import { defineRetentionContract } from '../../harness/retentionContract.js';

const DAY = 86_400_000;
const dirs: Array<{ remove: () => void }> = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});

describe('retention settings', () => {
  it('defaults keep audits ten years and e-mail a year; shorter than audits need is refused', () => {
    expect(RetentionSettings.parse(undefined)).toEqual({ ticketAudit: 3650 * DAY, mail: 365 * DAY, sweepInterval: 6 * 3_600_000, batch: 500, maxBatches: 20 });
    const bad = ServerConfig.safeParse({ retention: { ticketAudit: '90d', mail: '2d', batch: 0 } });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['retention.ticketAudit', 'retention.mail', 'retention.batch']));
    expect(bad.error!.issues.find((i) => i.path.join('.') === 'retention.ticketAudit')?.message).toContain('at least 365d');
  });
});

describe('mail record fate', () => {
  const r = { mail: 30 * DAY };
  const rec = { ticketId: 'T1', itemId: null, at: 0 };
  it('a ticket still hot keeps it; a closed one is marked first, deleted a period after the mark', () => {
    expect(mailRecordFate(rec, { ticketHot: true, item: undefined }, 100 * DAY, r)).toEqual({ kind: 'keep' });
    expect(mailRecordFate(rec, { ticketHot: false, item: undefined }, 100 * DAY, r)).toEqual({ kind: 'closedSeen', at: 100 * DAY });
    expect(mailRecordFate({ ...rec, closedSeenAt: 100 * DAY }, { ticketHot: false, item: undefined }, 129 * DAY, r)).toEqual({ kind: 'keep' });
    expect(mailRecordFate({ ...rec, closedSeenAt: 100 * DAY }, { ticketHot: false, item: undefined }, 130 * DAY, r)).toEqual({ kind: 'delete' });
  });
  it('a waiting intake item is never lost; a handled one goes a period after the handling', () => {
    const intake = { ticketId: null, itemId: 'I-1', at: 0 };
    expect(mailRecordFate(intake, { ticketHot: false, item: { status: 'unassigned', handledAt: null } }, 1000 * DAY, r)).toEqual({ kind: 'keep' });
    expect(mailRecordFate(intake, { ticketHot: false, item: { status: 'dismissed', handledAt: 10 * DAY } }, 39 * DAY, r)).toEqual({ kind: 'keep' });
    expect(mailRecordFate(intake, { ticketHot: false, item: { status: 'dismissed', handledAt: 10 * DAY } }, 40 * DAY, r)).toEqual({ kind: 'delete' });
  });
});

describe('retention sweep: JournaledStore (lowdb)', () => {
  defineRetentionContract({
    open: async () => {
      const dir = makeTempDir('retention');
      dirs.push(dir);
      const store = new JournaledStore({ dir: dir.path });
      await store.open();
      return store;
    },
  });
});
