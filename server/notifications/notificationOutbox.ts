/**
 * Accepts ticket notices and turns them into stored deliveries (imperative shell over the pure
 * routing and rendering): in one store transaction it reads the ticket, routes the notice,
 * renders each message in its recipient's language and writes one pending delivery per target.
 * Once that transaction is durable the notice cannot be lost by a restart; the dispatcher sends.
 *
 * The ticket service hands notices over right after its own unit of work (for fleet events,
 * while that transaction is still open): the outbox transaction queues behind it, so it sees the
 * ticket as the notice left it. Runs on every instance (whichever handled the notice).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import type { Repository, Transaction } from '../storage/repository.js';
import { Ticket } from '../tickets/ticket.js';
import type { Notice } from '../tickets/ticketPolicy.js';
import { ticketStoreIn } from '../tickets/ticketRepository.js';
import { DELIVERIES, deliveryId, newDelivery, webhookBody, type Delivery } from './delivery.js';
import { renderMessage, ticketLink } from './messageRendering.js';
import { noticeFacts, type NoticeFacts } from './noticeFacts.js';
import { routeNotice, type Target } from './noticeRouting.js';
import type { NotificationSettings } from './notificationSettings.js';

const TICKETS = 'tickets';
const VISIBILITY_WAITS_MS = [20, 40, 80, 160];
const ValidEmail = z.email();

/** The deliveries of one notice (pure): one per target, message rendered in the target's language. */
export function deliveriesFor(facts: NoticeFacts, targets: readonly Target[], settings: NotificationSettings, now: number): Delivery[] {
  const render = { timeZone: settings.timeZone, dashboardUrl: settings.dashboardUrl };
  const link = facts.ticket && settings.dashboardUrl ? ticketLink(settings.dashboardUrl, facts.ticket.id) : null;
  return targets.map((target) => {
    const id = deliveryId(facts.kind, facts.ticket?.id ?? null, facts.at, target);
    const message = renderMessage(facts, target.language, render);
    return newDelivery({ id, facts, target, message, webhookJson: target.channel === 'webhook' ? webhookBody(id, facts, message, link) : null, now });
  });
}

/** What the outbox and the dispatcher both work with. */
export interface NotificationDeps {
  readonly repo: Repository;
  readonly settings: NotificationSettings;
  readonly clock: Clock;
  readonly logger?: Logger;
}

export class NotificationOutbox {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly o: NotificationDeps & {
      /** Told after new deliveries are durable (the dispatcher sends them at once). */
      readonly onQueued?: () => void;
    },
  ) {}

  /** For the ticket service's onNotice: never throws, never blocks the ticket engine. */
  accept(notice: Notice): void {
    const p = this.enqueueWhenVisible(notice).then(
      (queued) => {
        if (queued.length > 0) this.o.onQueued?.();
      },
      (err: unknown) => this.o.logger?.error({ err, notice: notice.kind, ticketId: notice.ticketId }, 'notification not queued'),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Resolves when every accepted notice is queued (or failed to be): before closing the store. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * With a store whose transactions run side by side (PostgreSQL), the notice may arrive before
   * the transaction that changed its ticket has committed: look again a few times, briefly. This
   * waits for another transaction, not for domain time, so it uses the wall clock (bounded: ~0.3 s).
   */
  private async enqueueWhenVisible(notice: Notice): Promise<Delivery[]> {
    for (let attempt = 0; ; attempt++) {
      const queued = await this.enqueueIfTicket(notice);
      if (queued !== null) return queued;
      if (attempt >= VISIBILITY_WAITS_MS.length) {
        this.o.logger?.warn({ notice: notice.kind, ticketId: notice.ticketId }, 'notice about a ticket that is not in the store; no notification');
        return [];
      }
      await sleep(VISIBILITY_WAITS_MS[attempt]);
    }
  }

  /** Stores the deliveries of a notice; resolves with them once durable ([] when nobody is routed or the ticket is unknown). */
  async enqueue(notice: Notice): Promise<Delivery[]> {
    return (await this.enqueueIfTicket(notice)) ?? [];
  }

  private enqueueIfTicket(notice: Notice): Promise<Delivery[] | null> {
    return this.o.repo.transaction(async (tx) => {
      const ticket = await this.ticketOf(tx, notice);
      if (!ticket) return null;
      const contact = ticket.customer.contact.email;
      const targets = routeNotice({ kind: notice.kind, customerId: ticket.customer.id, contactEmail: contact !== undefined && ValidEmail.safeParse(contact).success ? contact : undefined }, this.o.settings);
      const out: Delivery[] = [];
      for (const d of deliveriesFor(noticeFacts(notice, ticket), targets, this.o.settings, this.o.clock.now())) {
        // The same notice accepted twice (a retried unit of work) keeps its first delivery.
        if ((await tx.get(DELIVERIES, d.id)) !== undefined) continue;
        await tx.put(DELIVERIES, d.id, d);
        out.push(d);
      }
      return out;
    });
  }

  /** Hot tickets by id; a ticket closed by this very notice is already in this month's archive. */
  private async ticketOf(tx: Transaction, notice: Notice): Promise<Ticket | undefined> {
    const hot = await ticketStoreIn(tx).get(notice.ticketId);
    if (hot || notice.kind !== 'ticket.closed') return hot;
    let found: Ticket | undefined;
    const month = new Date(this.o.clock.now()).toISOString().slice(0, 7);
    for await (const rec of this.o.repo.readArchive<unknown>(TICKETS, month)) {
      if (rec.id !== notice.ticketId) continue;
      const parsed = Ticket.safeParse(rec.value);
      if (parsed.success) found = parsed.data;
    }
    return found;
  }
}
