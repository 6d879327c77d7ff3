/**
 * Notifications as one part of the server app: the outbox (every instance: notices → stored
 * deliveries) and the dispatcher (the leader: sends due deliveries), wired so that a queued
 * delivery wakes the dispatcher. docs/notifications.md.
 *
 *   const notifications = new NotificationService({ settings, repo, clock, logger });
 *   ticketService noticesIn: (tx, notices) => notifications.queueIn(tx, notices)   (in the ticket's unit)
 *   ticketService onNotice:  () => notifications.queued()                          (after the commit)
 *   leader: notifications.dispatcher.start() / await notifications.dispatcher.stop()
 *   shutdown: await notifications.close()   (before the store closes)
 */
import type { Transaction } from '../storage/repository.js';
import type { Notice } from '../tickets/ticketPolicy.js';
import type { CustomerFixableNotice } from '../tickets/customerFixable.js';
import { NotificationDispatcher, type DeliverySender } from './notificationDispatcher.js';
import { NotificationOutbox, type NotificationDeps } from './notificationOutbox.js';
import { notificationsEnabled } from './notificationSettings.js';
import type { MeterFacts, NoticeFacts } from './noticeFacts.js';
import type { AttachmentsFor } from './reportAttachment.js';

export class NotificationService {
  readonly outbox: NotificationOutbox;
  readonly dispatcher: NotificationDispatcher;
  /** False when nothing is configured: notices are not even queued. */
  readonly enabled: boolean;

  constructor(o: NotificationDeps & { readonly send?: DeliverySender; readonly attachments?: AttachmentsFor }) {
    this.enabled = notificationsEnabled(o.settings);
    this.dispatcher = new NotificationDispatcher(o);
    this.outbox = new NotificationOutbox({ ...o, onQueued: () => this.dispatcher.wake() });
    if (this.enabled) {
      const s = o.settings;
      o.logger?.info(
        {
          webhooks: s.webhooks.map((w) => w.id),
          smtp: s.email ? `${s.email.smtp.host}:${s.email.smtp.port}` : null,
          dispatchLists: s.email?.recipients.length ?? 0,
          customers: Object.keys(s.customers),
        },
        'notifications on',
      );
    }
  }

  accept(notice: Notice): void {
    if (this.enabled) this.outbox.accept(notice);
  }

  /** Queues the notifications of `notices` inside the caller's unit of work (atomic with the ticket change). */
  async queueIn(tx: Transaction, notices: readonly Notice[]): Promise<void> {
    if (this.enabled) await this.outbox.enqueueIn(tx, notices);
  }

  /** Queues customer-fixable notices (customer first, no ticket yet) inside the caller's unit of work. */
  async queueCustomerIn(tx: Transaction, notices: readonly CustomerFixableNotice[]): Promise<void> {
    if (this.enabled) await this.outbox.enqueueCustomerIn(tx, notices);
  }

  /** Queues a meter notice (meter.missing) inside the caller's unit of work. */
  async queueMeterIn(tx: Transaction, facts: NoticeFacts & { readonly meter: MeterFacts }, contactEmail: string | undefined): Promise<void> {
    if (this.enabled) await this.outbox.enqueueMeterIn(tx, facts, contactEmail);
  }

  /** Deliveries were queued by a unit that committed: the dispatcher sends them now rather than at its next interval. */
  queued(): void {
    if (this.enabled) this.dispatcher.wake();
  }

  /** Waits for notices being queued and the dispatch step in progress, then closes connections. */
  async close(): Promise<void> {
    await this.outbox.idle();
    await this.dispatcher.stop();
    this.dispatcher.close();
  }
}
