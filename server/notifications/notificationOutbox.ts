/**
 * Turns ticket notices into stored deliveries (imperative shell over the pure routing and
 * rendering): routes the notice, renders each message in its recipient's language and writes one
 * pending delivery per target; the dispatcher sends them.
 *
 * The ticket service queues them inside the unit of work that changed the ticket (`enqueueIn`,
 * its `noticesIn` hook): the deliveries commit with the ticket change or not at all, so a crash
 * between the two cannot lose a notification. The notice carries the ticket's facts as the change
 * left them: nothing is read back. `accept`/`enqueue` queue a notice in a unit of their own (tests,
 * tools, notices raised outside a ticket unit).
 */
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import type { Repository, Transaction } from '../storage/repository.js';
import type { Notice } from '../tickets/ticketPolicy.js';
import type { CustomerFixableNotice } from '../tickets/customerFixable.js';
import { DELIVERIES, deliveryId, newDelivery, webhookBody, type Delivery } from './delivery.js';
import { renderMessage, ticketLink } from './messageRendering.js';
import { customerFixableFacts, noticeFacts, type MeterFacts, type NoticeFacts } from './noticeFacts.js';
import { routeNotice, type Target } from './noticeRouting.js';
import type { NotificationSettings } from './notificationSettings.js';

const ValidEmail = z.email();

/** The deliveries of one notice (pure): one per target, message rendered in the target's language. */
export function deliveriesFor(facts: NoticeFacts, targets: readonly Target[], settings: NotificationSettings, now: number): Delivery[] {
  const render = { timeZone: settings.timeZone, dashboardUrl: settings.dashboardUrl };
  const link = facts.ticket && settings.dashboardUrl ? ticketLink(settings.dashboardUrl, facts.ticket.id) : null;
  return targets.map((target) => {
    // A meter notice is about a device's period: one per target, whenever it is queued.
    const about = facts.ticket?.id ?? facts.condition?.key ?? (facts.meter ? `meter:${facts.meter.deviceKey}|${facts.meter.period}` : null);
    const id = deliveryId(facts.kind, about, facts.meter ? 0 : facts.at, target);
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

  /** Queues a notice in a unit of its own; never throws, never blocks the caller. */
  accept(notice: Notice): void {
    const p = this.enqueue(notice).then(
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

  /** Stores the deliveries of a notice in a unit of its own; resolves with them once durable ([] when nobody is routed). */
  enqueue(notice: Notice): Promise<Delivery[]> {
    return this.o.repo.transaction((tx) => this.enqueueIn(tx, [notice]));
  }

  /** Writes the deliveries of `notices` in the caller's unit of work; durable when it commits. */
  async enqueueIn(tx: Transaction, notices: readonly Notice[]): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for (const notice of notices) {
      const contact = notice.contactEmail ?? undefined;
      const targets = routeNotice(
        {
          kind: notice.kind,
          customerId: notice.ticket.customer.id,
          contactEmail: contact !== undefined && ValidEmail.safeParse(contact).success ? contact : undefined,
          notifyDispatch: notice.notifyDispatch,
          managerEmail: notice.managerEmail,
        },
        this.o.settings,
      );
      out.push(...(await this.store(tx, deliveriesFor(noticeFacts(notice), targets, this.o.settings, this.o.clock.now()))));
    }
    return out;
  }

  /** Writes the deliveries of customer-fixable notices (no ticket yet) in the caller's unit of work. */
  async enqueueCustomerIn(tx: Transaction, notices: readonly CustomerFixableNotice[]): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for (const notice of notices) {
      const targets = routeNotice(
        { kind: notice.kind, customerId: notice.facts.customer.id, customerEmails: notice.to.filter((to) => ValidEmail.safeParse(to).success) },
        this.o.settings,
      );
      out.push(...(await this.store(tx, deliveriesFor(customerFixableFacts(notice), targets, this.o.settings, this.o.clock.now()))));
    }
    return out;
  }

  /**
   * Writes the deliveries of a meter notice (meter.missing) in the caller's unit of work: to the
   * dispatch lists and webhooks that take the event, and to the customer's addresses (and its
   * contact, `contactEmail`) when the customer's notifications list it.
   */
  async enqueueMeterIn(tx: Transaction, facts: NoticeFacts & { readonly meter: MeterFacts }, contactEmail: string | undefined): Promise<Delivery[]> {
    if (facts.kind === 'test') return [];
    const targets = routeNotice(
      {
        kind: facts.kind,
        customerId: facts.meter.customer.id,
        contactEmail: contactEmail !== undefined && ValidEmail.safeParse(contactEmail).success ? contactEmail : undefined,
      },
      this.o.settings,
    );
    return this.store(tx, deliveriesFor(facts, targets, this.o.settings, this.o.clock.now()));
  }

  private async store(tx: Transaction, deliveries: readonly Delivery[]): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for (const d of deliveries) {
      // The same notice queued twice (a retried unit of work) keeps its first delivery.
      if ((await tx.get(DELIVERIES, d.id)) !== undefined) continue;
      await tx.put(DELIVERIES, d.id, d);
      out.push(d);
    }
    return out;
  }
}
