/**
 * Sends due deliveries (imperative shell). `dispatchDue()` is one step: read the pending
 * deliveries whose time has come, attempt each (a few at once), and record every attempt in the
 * store: delivered and failed ones are archived (the monthly delivery log), the others get their
 * next attempt time from the backoff schedule. `start()`/`stop()` run the step on a timer, woken
 * early when new deliveries are queued; in a cluster only the leader runs it.
 *
 * At least once: an attempt is recorded after it is made, so a crash in between repeats it after
 * the restart. Receivers deduplicate on the delivery id (X-FleetDesk-Delivery, Message-ID).
 */
import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { abandon, afterAttempt, DELIVERIES, isDue, newDelivery, webhookBody, type Delivery } from './delivery.js';
import { MailSender } from './mailSender.js';
import { renderMessage } from './messageRendering.js';
import { testFacts } from './noticeFacts.js';
import type { Target } from './noticeRouting.js';
import type { NotificationDeps } from './notificationOutbox.js';
import type { NotificationSettings } from './notificationSettings.js';
import type { AttemptResult, Random } from './retrySchedule.js';
import { sendWebhook } from './webhookSender.js';
import type { AttachmentsFor } from './reportAttachment.js';

/** Sends one attempt of a delivery; the real one is `channelSender`, tests inject their own. */
export type DeliverySender = (d: Delivery) => Promise<AttemptResult>;

export interface DispatchSummary {
  readonly attempted: number;
  readonly delivered: number;
  readonly retrying: number;
  readonly failed: number;
}

/** Deliveries looked at per step; the rest waits for the next one (which follows at once). */
const BATCH = 100;

class UnknownTargetError extends Error {}

/** The sender of the configured channels: webhooks by endpoint id, e-mail over SMTP. */
export function channelSender(settings: NotificationSettings, clock: Clock, attachments?: AttachmentsFor): { send: DeliverySender; close(): void } {
  const mail = settings.email ? new MailSender(settings.email, attachments) : undefined;
  return {
    send: (d) => {
      if (d.channel === 'webhook') {
        const endpoint = settings.webhooks.find((w) => w.id === d.target);
        if (!endpoint) return Promise.reject(new UnknownTargetError(`webhook endpoint ${d.target} is no longer in notifications.webhooks`));
        return sendWebhook(endpoint, d, clock);
      }
      if (!mail) return Promise.reject(new UnknownTargetError('notifications.email is no longer configured'));
      return mail.send(d);
    },
    close: () => mail?.close(),
  };
}

export class NotificationDispatcher {
  private timer: TimerHandle | undefined;
  private running: Promise<DispatchSummary> | undefined;
  private started = false;
  /** A loop step is between its start and scheduling the next one. */
  private inLoop = false;
  /** Deliveries were queued during a loop step: run the next one at once. */
  private again = false;
  private readonly sender: { send: DeliverySender; close(): void };
  private readonly random: Random;

  constructor(
    private readonly o: NotificationDeps & {
      readonly send?: DeliverySender;
      readonly random?: Random;
      /** Files for an e-mail (the final report on "resolved"). */
      readonly attachments?: AttachmentsFor;
    },
  ) {
    this.sender = o.send ? { send: o.send, close: () => undefined } : channelSender(o.settings, o.clock, o.attachments);
    this.random = o.random ?? Math.random;
  }

  get isStarted(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops the timer and waits for the step in progress (its attempts are recorded). */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** New deliveries were queued: send them now rather than at the next interval. */
  wake(): void {
    if (!this.started) return;
    // During a step its last read of the queue may predate these deliveries: ask for another step.
    if (this.inLoop) this.again = true;
    else this.schedule(0);
  }

  close(): void {
    this.sender.close();
  }

  private schedule(ms: number): void {
    if (!this.started) return;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      void this.loopStep();
    }, ms);
  }

  private async loopStep(): Promise<void> {
    this.inLoop = true;
    this.again = false;
    let delay = this.o.settings.dispatchInterval;
    try {
      const summary = await this.dispatchDue();
      if (summary.attempted >= BATCH) delay = 0;
      else {
        // Sleep until the interval or the earliest retry, whichever comes first.
        const now = this.o.clock.now();
        for (const d of await this.o.repo.list<Delivery>(DELIVERIES)) {
          if (d.status === 'pending' && d.nextAttemptAt !== null) delay = Math.min(delay, Math.max(0, d.nextAttemptAt - now));
        }
      }
    } catch (err) {
      this.o.logger?.error({ err }, 'notification dispatch failed; trying again at the next interval');
    }
    this.inLoop = false;
    if (this.again) delay = 0;
    this.again = false;
    this.schedule(delay);
  }

  /** One step: attempts every due delivery (at most a batch) and records the outcomes. Never runs twice at once. */
  dispatchDue(): Promise<DispatchSummary> {
    if (this.running) return this.running;
    const run = this.step().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async step(): Promise<DispatchSummary> {
    const now = this.o.clock.now();
    const due = (await this.o.repo.list<Delivery>(DELIVERIES))
      .filter((d) => isDue(d, now))
      .sort((a, b) => a.nextAttemptAt! - b.nextAttemptAt! || (a.id < b.id ? -1 : 1))
      .slice(0, BATCH);
    const counts = { attempted: 0, delivered: 0, retrying: 0, failed: 0 };
    let i = 0;
    const worker = async () => {
      while (i < due.length) {
        const d = due[i++]!;
        const next = await this.attempt(d);
        if (!next) continue;
        counts.attempted += 1;
        if (next.status === 'delivered') counts.delivered += 1;
        else if (next.status === 'failed') counts.failed += 1;
        else counts.retrying += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.settings.concurrency, due.length) }, worker));
    return counts;
  }

  /** One attempt of one delivery, recorded; undefined when the record changed meanwhile. */
  private async attempt(d: Delivery): Promise<Delivery | undefined> {
    const at = this.o.clock.now();
    const t0 = performance.now();
    const timing = () => ({ at, finishedAt: this.o.clock.now(), durationMs: performance.now() - t0 });
    let next: Delivery;
    try {
      const result = await this.sender.send(d);
      next = afterAttempt(d, result, timing(), this.o.settings.retry, this.random);
    } catch (err) {
      if (err instanceof UnknownTargetError) next = abandon(d, at, err.message);
      else
        next = afterAttempt(
          d,
          { outcome: 'error', error: (err as Error).message ?? String(err), permanent: false },
          timing(),
          this.o.settings.retry,
          this.random,
        );
    }
    const saved = await this.o.repo.transaction(async (tx) => {
      const current = await tx.get<Delivery>(DELIVERIES, d.id);
      if (!current || current.status !== 'pending' || current.attempts.length !== d.attempts.length) return false;
      if (next.status === 'pending') await tx.put(DELIVERIES, d.id, next);
      else await tx.archive(DELIVERIES, d.id, next, new Date(this.o.clock.now()));
      return true;
    });
    if (!saved) return undefined;
    this.log(next);
    return next;
  }

  private log(d: Delivery): void {
    const last = d.attempts.at(-1);
    const fields = {
      delivery: d.id,
      kind: d.kind,
      ticketId: d.ticketId,
      channel: d.channel,
      target: d.target,
      attempt: d.attempts.length,
      statusCode: last?.statusCode,
      durationMs: last?.durationMs,
    };
    if (d.status === 'delivered') this.o.logger?.info(fields, 'notification delivered');
    else if (d.status === 'failed') this.o.logger?.error({ ...fields, failure: d.failure }, 'notification failed for good');
    else
      this.o.logger?.warn(
        { ...fields, error: last?.error, nextAttemptAt: new Date(d.nextAttemptAt!).toISOString() },
        'notification attempt failed; will retry',
      );
  }

  /**
   * A test message to one target, sent now (one attempt, no retries) and kept in the delivery log
   * as kind "test". Throws UnknownTargetError's message as an Error for an unknown endpoint.
   */
  async sendTest(target: Target): Promise<Delivery> {
    const now = this.o.clock.now();
    const facts = testFacts(now);
    const message = renderMessage(facts, target.language, { timeZone: this.o.settings.timeZone, dashboardUrl: this.o.settings.dashboardUrl });
    const id = `t-${now.toString(36)}-${Math.floor(this.random() * 2 ** 32).toString(36)}`;
    const d = newDelivery({ id, facts, target, message, webhookJson: target.channel === 'webhook' ? webhookBody(id, facts, message, null) : null, now });
    const t0 = performance.now();
    let result: AttemptResult;
    try {
      result = await this.sender.send(d);
    } catch (err) {
      result = { outcome: 'error', error: (err as Error).message, permanent: true };
    }
    const done = afterAttempt(
      d,
      result.outcome === 'error' ? { ...result, permanent: true } : result,
      { at: now, finishedAt: this.o.clock.now(), durationMs: performance.now() - t0 },
      this.o.settings.retry,
      this.random,
    );
    await this.o.repo.transaction((tx) => tx.archive(DELIVERIES, d.id, done, new Date(this.o.clock.now())));
    this.log(done);
    return done;
  }
}
