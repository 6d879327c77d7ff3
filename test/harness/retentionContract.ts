/**
 * The retention sweep (server/retention) as one test suite, run against every store: the
 * journaled lowdb store (test/unit/retention/retentionSweep.test.ts) and PostgreSQL
 * (test/peers/retentionPostgres.test.ts). Call `defineRetentionContract` inside a `describe`.
 */
import { afterEach, expect, it } from 'vitest';
import { INTAKE_ITEMS, type IntakeItem } from '../../server/intake/intakeItems.js';
import { MAIL_MESSAGES, messageRecordKey, type MessageRecord } from '../../server/intake/mailIntake.js';
import { RetentionSettings } from '../../server/retention/retentionRules.js';
import { RetentionSweep } from '../../server/retention/retentionSweep.js';
import type { Repository } from '../../server/storage/repository.js';
import { TICKET_AUDIT, ticketAuditKey, type TicketAuditEntry } from '../../server/tickets/ticketAudit.js';
import { TICKETS } from '../../server/tickets/ticketRepository.js';
import { ManualClock } from './manualClock.js';

const DAY = 86_400_000;

export interface RetentionTarget {
  /** A fresh, opened, empty store. */
  open(): Promise<Repository>;
}

function audit(n: number, at: number): TicketAuditEntry {
  return {
    id: `a-${n}`,
    at: new Date(at).toISOString(),
    ticketId: `T${String(n).padStart(6, '0')}`,
    by: 'disp',
    tokenId: 't1',
    change: 'queue',
    from: 'a',
    to: 'b',
    reason: 'x',
  };
}

function item(id: string, status: IntakeItem['status'], handledAt: number | null, receivedAt: number): IntakeItem {
  return {
    id,
    channel: 'email',
    receivedAt,
    status,
    reason: 'unknown sender',
    customerId: null,
    from: 'x@unknown.example',
    fromName: null,
    subject: 's',
    text: 't',
    attachments: [],
    source: { mailbox: 'INBOX', uidValidity: '1', uid: 1, messageId: null, size: 10 },
    handledBy: handledAt === null ? null : 'disp',
    handledAt,
    ticketId: null,
    note: null,
  };
}

export function defineRetentionContract(target: RetentionTarget): void {
  const stores: Repository[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  const open = async () => {
    const repo = await target.open();
    stores.push(repo);
    return repo;
  };
  const settings = (over: Record<string, unknown> = {}) => RetentionSettings.parse({ ticketAudit: '365d', mail: '30d', ...over });

  it('deletes audit entries past their period, keeps the recent ones', async () => {
    const repo = await open();
    const clock = new ManualClock('2030-06-01T00:00:00Z');
    const now = clock.now();
    const old = audit(1, now - 400 * DAY);
    const recent = audit(2, now - 300 * DAY);
    await repo.transaction(async (tx) => {
      for (const e of [old, recent]) await tx.put(TICKET_AUDIT, ticketAuditKey(e), e);
    });
    const r = await new RetentionSweep({ repo, clock, settings: settings() }).sweep();
    expect(r).toMatchObject({ ticketAudit: 1, more: false });
    expect((await repo.list<TicketAuditEntry>(TICKET_AUDIT)).map((e) => e.id)).toEqual(['a-2']);
  });

  it('keeps e-mail while its ticket is open or its item waits; counts from the closing and the handling', async () => {
    const repo = await open();
    const clock = new ManualClock('2030-06-01T00:00:00Z');
    const t0 = clock.now() - 100 * DAY;
    const records: Record<string, MessageRecord> = {
      openTicket: { messageId: '<open@x>', outcome: 'ticket', ticketId: 'T000001', itemId: null, at: t0 },
      closedTicket: { messageId: '<closed@x>', outcome: 'ticket', ticketId: 'T000002', itemId: null, at: t0 },
      waiting: { messageId: '<wait@x>', outcome: 'intake', ticketId: null, itemId: 'I-wait', at: t0 },
      dismissed: { messageId: '<dis@x>', outcome: 'intake', ticketId: null, itemId: 'I-dis', at: t0 },
      byDigest: { messageId: null, digest: 'ab'.repeat(32), outcome: 'intake', ticketId: null, itemId: null, at: t0 },
      legacyNoKey: { messageId: null, outcome: 'intake', ticketId: null, itemId: null, at: t0 },
    };
    await repo.transaction(async (tx) => {
      await tx.put(TICKETS, 'T000001', { id: 'T000001', status: 'inProgress' });
      for (const [name, rec] of Object.entries(records)) await tx.put(MAIL_MESSAGES, messageRecordKey(rec) ?? `legacy-${name}`, rec);
      await tx.put(INTAKE_ITEMS, 'I-wait', item('I-wait', 'unassigned', null, t0));
      await tx.put(INTAKE_ITEMS, 'I-dis', item('I-dis', 'dismissed', t0 + DAY, t0));
    });
    const sweep = new RetentionSweep({ repo, clock, settings: settings() });
    const first = await sweep.sweep();
    // The closed ticket's record is only marked: its 30 days start now. The dismissed item (handled 99 days ago) and its record go, and the old digest record.
    expect(first).toMatchObject({ closedSeen: 1, mailMessages: 2, intakeItems: 1, more: false });
    const left = async () => (await repo.list<MessageRecord>(MAIL_MESSAGES)).map((r) => r.messageId ?? r.digest ?? 'legacy').sort();
    expect(await left()).toEqual(['<closed@x>', '<open@x>', '<wait@x>', 'legacy'].sort());
    expect((await repo.list<IntakeItem>(INTAKE_ITEMS)).map((i) => i.id)).toEqual(['I-wait']);
    clock.advance(29 * DAY);
    expect(await sweep.sweep()).toMatchObject({ closedSeen: 0, mailMessages: 0, intakeItems: 0 });
    clock.advance(2 * DAY);
    expect(await sweep.sweep()).toMatchObject({ mailMessages: 1 });
    expect(await left()).toEqual(['<open@x>', '<wait@x>', 'legacy'].sort());
  });

  it('works in bounded batches: at most batch × maxBatches per sweep, the rest on the next', async () => {
    const repo = await open();
    const clock = new ManualClock('2030-06-01T00:00:00Z');
    const old = clock.now() - 500 * DAY;
    await repo.transaction(async (tx) => {
      for (let n = 0; n < 35; n++) {
        const e = audit(n, old + n * 1000);
        await tx.put(TICKET_AUDIT, ticketAuditKey(e), e);
      }
    });
    const commits: number[] = [];
    repo.onCommit(() => commits.push(1));
    const sweep = new RetentionSweep({ repo, clock, settings: settings({ batch: 10, maxBatches: 2 }) });
    expect(await sweep.sweep()).toMatchObject({ ticketAudit: 20, more: true });
    expect(commits).toHaveLength(2);
    expect(await sweep.sweep()).toMatchObject({ ticketAudit: 15, more: false });
    expect(await repo.list(TICKET_AUDIT)).toEqual([]);
  });
}
