/**
 * The leader's retention sweep (rules in retentionRules.ts): every `sweepInterval` it deletes the
 * expired ticket audit entries, e-mail message records and handled intake items, `batch` records
 * per unit of work and at most `maxBatches` units per sweep, so a large backlog (the first sweep
 * after an upgrade) is worked off over several sweeps without holding up ingest. It goes through
 * the Repository contract only, so the embedded store and PostgreSQL behave the same.
 */
import { RepeatingTask } from '../cluster/repeatingTask.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { INTAKE_ITEMS, readIntakeItem, type IntakeItem } from '../intake/intakeItems.js';
import { MAIL_MESSAGES, messageRecordKey, type MessageRecord } from '../intake/mailIntake.js';
import type { RecordRef, Repository, Transaction } from '../storage/repository.js';
import { TICKET_AUDIT, ticketAuditKey, type TicketAuditEntry } from '../tickets/ticketAudit.js';
import { TICKETS } from '../tickets/ticketRepository.js';
import { auditEntryExpired, intakeItemExpired, mailRecordFate, type RetentionSettings } from './retentionRules.js';

export interface RetentionResult {
  readonly ticketAudit: number;
  readonly mailMessages: number;
  readonly intakeItems: number;
  /** Message records whose ticket was found closed (their period starts now). */
  readonly closedSeen: number;
  /** Work left for the next sweep (the batch limit was reached). */
  readonly more: boolean;
}

/** One change of the sweep, re-checked inside its unit of work, with the records it reads (prefetched per batch: one query on PostgreSQL). */
interface Step {
  readonly reads: readonly RecordRef[];
  readonly apply: (tx: Transaction, now: number) => Promise<keyof Omit<RetentionResult, 'more'> | null>;
}

export interface RetentionSweepOptions {
  readonly repo: Repository;
  readonly clock: Clock;
  readonly settings: RetentionSettings;
  readonly logger?: Logger;
  /** Delay of the first sweep after start (default 60 s). */
  readonly firstSweepDelayMs?: number;
}

export class RetentionSweep {
  private readonly repeating: RepeatingTask;
  private sweeping: Promise<RetentionResult> | undefined;

  constructor(private readonly o: RetentionSweepOptions) {
    this.repeating = new RepeatingTask({
      clock: o.clock,
      firstDelayMs: o.firstSweepDelayMs ?? 60_000,
      intervalMs: () => o.settings.sweepInterval,
      run: () => this.sweep(),
      onError: (err) => o.logger?.error({ err }, 'retention sweep failed'),
    });
  }

  /** One sweep (a sweep already running is joined, not started twice). */
  sweep(): Promise<RetentionResult> {
    this.sweeping ??= this.run().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async run(): Promise<RetentionResult> {
    const s = this.o.settings;
    const limit = s.batch * s.maxBatches;
    const steps = await this.plan(this.o.clock.now(), limit + 1);
    const counts = { ticketAudit: 0, mailMessages: 0, intakeItems: 0, closedSeen: 0 };
    const todo = steps.slice(0, limit);
    for (let i = 0; i < todo.length; i += s.batch) {
      const batch = todo.slice(i, i + s.batch);
      const done = await this.o.repo.transaction(async (tx) => {
        const now = this.o.clock.now();
        const kinds: Array<keyof typeof counts> = [];
        await tx.prefetch(batch.flatMap((step) => step.reads));
        for (const step of batch) {
          const kind = await step.apply(tx, now);
          if (kind) kinds.push(kind);
        }
        return kinds;
      });
      for (const k of done) counts[k] += 1;
    }
    const result = { ...counts, more: steps.length > limit };
    if (counts.ticketAudit + counts.mailMessages + counts.intakeItems + counts.closedSeen > 0) this.o.logger?.info(result, 'retention sweep done');
    return result;
  }

  /** What is due now (up to `max` steps), each re-checked when applied: the store may have changed since. */
  private async plan(now: number, max: number): Promise<Step[]> {
    const r = this.o.settings;
    const steps: Step[] = [];
    for (const e of await this.o.repo.list<TicketAuditEntry>(TICKET_AUDIT)) {
      if (steps.length >= max) return steps;
      if (!auditEntryExpired(e, now, r)) continue;
      const key = ticketAuditKey(e);
      steps.push({
        reads: [[TICKET_AUDIT, key]],
        apply: async (tx, at) => {
          const cur = await tx.get<TicketAuditEntry>(TICKET_AUDIT, key);
          if (!cur || !auditEntryExpired(cur, at, r)) return null;
          await tx.delete(TICKET_AUDIT, key);
          return 'ticketAudit';
        },
      });
    }
    const items = new Map<string, IntakeItem>();
    for (const [i, v] of (await this.o.repo.list<unknown>(INTAKE_ITEMS)).entries()) {
      const item = readIntakeItem(v, `#${i}`);
      items.set(item.id, item);
    }
    // Hot tickets are the open and resolved ones (closed ones are archived): one read, not one per record.
    const hot = new Set((await this.o.repo.list<{ id: string }>(TICKETS)).map((t) => t.id));
    for (const rec of await this.o.repo.list<MessageRecord>(MAIL_MESSAGES)) {
      if (steps.length >= max) return steps;
      const key = messageRecordKey(rec);
      if (key === undefined) continue;
      const facts = { ticketHot: rec.ticketId !== null && hot.has(rec.ticketId), item: rec.itemId === null ? undefined : items.get(rec.itemId) };
      if (mailRecordFate(rec, facts, now, r).kind === 'keep') continue;
      const reads: RecordRef[] = [[MAIL_MESSAGES, key]];
      if (rec.ticketId !== null) reads.push([TICKETS, rec.ticketId]);
      if (rec.itemId !== null) reads.push([INTAKE_ITEMS, rec.itemId]);
      steps.push({
        reads,
        apply: async (tx, at) => {
          const cur = await tx.get<MessageRecord>(MAIL_MESSAGES, key);
          if (!cur) return null;
          const stored = cur.itemId === null ? undefined : await tx.get<unknown>(INTAKE_ITEMS, cur.itemId);
          const itemNow = stored === undefined ? undefined : readIntakeItem(stored, cur.itemId!);
          const f = mailRecordFate(cur, { ticketHot: cur.ticketId !== null && (await tx.get(TICKETS, cur.ticketId)) !== undefined, item: itemNow }, at, r);
          if (f.kind === 'keep') return null;
          if (f.kind === 'closedSeen') {
            await tx.put<MessageRecord>(MAIL_MESSAGES, key, { ...cur, closedSeenAt: f.at });
            return 'closedSeen';
          }
          await tx.delete(MAIL_MESSAGES, key);
          return 'mailMessages';
        },
      });
    }
    // Items after the records that point to them, so a record's fate is decided while its item is still there.
    for (const item of items.values()) {
      if (steps.length >= max) return steps;
      if (!intakeItemExpired(item, now, r)) continue;
      steps.push({
        reads: [[INTAKE_ITEMS, item.id]],
        apply: async (tx, at) => {
          const v = await tx.get<unknown>(INTAKE_ITEMS, item.id);
          if (v === undefined || !intakeItemExpired(readIntakeItem(v, item.id), at, r)) return null;
          await tx.delete(INTAKE_ITEMS, item.id);
          return 'intakeItems';
        },
      });
    }
    return steps;
  }

  /** Runs it on a timer (the leader instance only). */
  start(): void {
    this.repeating.start();
  }

  stop(): void {
    this.repeating.stop();
  }
}
