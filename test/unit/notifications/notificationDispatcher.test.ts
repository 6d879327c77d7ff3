/**
 * Outbox and dispatcher over the real embedded store (temp dir) with a manual clock and a scripted
 * sender: notices become durable deliveries, due ones are sent, failures back off and give up,
 * finished ones move to the monthly delivery log, and a reopened store still holds what was queued.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../../server/notifications/delivery.js';
import { DELIVERIES } from '../../../server/notifications/delivery.js';
import { NotificationDispatcher, type DeliverySender } from '../../../server/notifications/notificationDispatcher.js';
import { NotificationOutbox } from '../../../server/notifications/notificationOutbox.js';
import { NotificationService } from '../../../server/notifications/notificationService.js';
import { NotificationSettings } from '../../../server/notifications/notificationSettings.js';
import type { AttemptResult } from '../../../server/notifications/retrySchedule.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import type { Repository } from '../../../server/storage/repository.js';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir, waitUntil } from '../../harness/peers.js';
import { presetContract } from '../../../server/sla/presets.js';
import { StoredTicketRepository } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import { raised } from '../tickets/fixtures.js';
import { jamStory, MON_0900 } from './noticeFixtures.js';

const SECRET = 'whsec-0123456789abcdef';
const RAW = {
  webhooks: [{ id: 'chat', url: 'http://127.0.0.1:9/hook', secret: SECRET, events: ['ticket.opened', 'sla.breach', 'customer.contactAttempt'] }],
  email: {
    smtp: { host: '127.0.0.1', port: 9 },
    from: 'FleetDesk <fleetdesk@example.pl>',
    recipients: [{ to: ['dispatch@example.pl'], events: ['ticket.opened', 'sla.breach'] }],
  },
  customers: { acme: {} },
  retry: { maxAttempts: 3, initialDelay: '1m', maxDelay: '10m' },
  dispatchInterval: '30s',
};
const settings = NotificationSettings.parse(RAW);
const story = jamStory();
const OPENED = story.of('ticket.opened');

const temps: Array<{ remove(): void }> = [];
const stores: Repository[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const t of temps.splice(0)) t.remove();
});

async function openStore(dir?: string): Promise<{ repo: Repository; dir: string }> {
  let path = dir;
  if (!path) {
    const t = makeTempDir('notify');
    temps.push(t);
    path = t.path;
  }
  const repo = new JournaledStore({ dir: path });
  await repo.open();
  stores.push(repo);
  return { repo, dir: path };
}

async function withTicket(repo: Repository, ticket = OPENED.ticket): Promise<void> {
  await repo.transaction((tx) => tx.put('tickets', ticket.id, ticket));
}

/** A sender that answers from a script per target (default: delivered) and records every call. */
function scripted(script: Record<string, AttemptResult[]> = {}) {
  const calls: Delivery[] = [];
  const send: DeliverySender = (d) => {
    calls.push(d);
    return Promise.resolve(script[d.target]?.shift() ?? { outcome: 'delivered', statusCode: 250 });
  };
  return { calls, send };
}

async function archived(repo: Repository, month: string): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for await (const r of repo.readArchive<Delivery>(DELIVERIES, month)) out.push(r.value);
  return out;
}

describe('notification outbox', () => {
  it('queues one delivery per routed target, durably, and only once for the same notice', async () => {
    const { repo, dir } = await openStore();
    await withTicket(repo);
    const clock = new ManualClock(OPENED.notice.at);
    const outbox = new NotificationOutbox({ repo, settings, clock });
    const queued = await outbox.enqueue(OPENED.notice);
    expect(queued.map((d) => `${d.channel}:${d.target}:${d.audience}`)).toEqual([
      'webhook:chat:vendor',
      'email:dispatch@example.pl:vendor',
      'email:anna@acme.example:customer',
    ]);
    expect(await outbox.enqueue(OPENED.notice)).toEqual([]);
    await repo.close();
    stores.splice(0);
    const reopened = (await openStore(dir)).repo;
    const pending = await reopened.list<Delivery>(DELIVERIES);
    expect(pending.map((d) => d.id).sort()).toEqual(queued.map((d) => d.id).sort());
    expect(pending.every((d) => d.status === 'pending')).toBe(true);
  });

  it("queues inside the caller's unit of work: deliveries commit with it or not at all", async () => {
    const { repo } = await openStore();
    const outbox = new NotificationOutbox({ repo, settings, clock: new ManualClock(OPENED.notice.at) });
    const crash = await repo
      .transaction(async (tx) => {
        expect(await outbox.enqueueIn(tx, [OPENED.notice])).toHaveLength(3);
        throw new Error('crash before the commit');
      })
      .catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(Error);
    expect(await repo.list(DELIVERIES)).toEqual([]);
    // No ticket in the store: the notice's own facts are enough.
    await repo.transaction((tx) => outbox.enqueueIn(tx, [OPENED.notice]));
    expect(await repo.list(DELIVERIES)).toHaveLength(3);
  });

  it("the ticket service queues a notice's deliveries in the unit that changed the ticket", async () => {
    const { repo } = await openStore();
    const clock = new ManualClock(MON_0900);
    const notifications = new NotificationService({ repo, settings, clock });
    const tickets = new TicketService({
      repository: new StoredTicketRepository(repo),
      clock,
      contractFor: presetContract,
      defaultContractId: 'device-vendor',
      noticesIn: (tx, notices) => notifications.queueIn(tx, notices),
    });
    const outcome = await tickets.handleEvent(raised('jam', MON_0900));
    // Durable when handleEvent returns, i.e. when the ticket is: no second unit, no read of the ticket.
    const queued = await repo.list<Delivery>(DELIVERIES);
    expect(queued.map((d) => [d.kind, d.ticketId, d.target])).toEqual([
      ['ticket.opened', outcome.tickets[0]!.id, 'chat'],
      ['ticket.opened', outcome.tickets[0]!.id, 'dispatch@example.pl'],
      ['ticket.opened', outcome.tickets[0]!.id, 'anna@acme.example'],
    ]);
    expect(outcome.notices[0]!.ticket).toMatchObject({ id: outcome.tickets[0]!.id, status: 'new', customer: { id: 'acme' } });
  });
});

describe('notification dispatcher', () => {
  it('sends due deliveries, backs off on failure, gives up after maxAttempts and archives finished ones', async () => {
    const { repo } = await openStore();
    await withTicket(repo);
    const clock = new ManualClock(OPENED.notice.at);
    await new NotificationOutbox({ repo, settings, clock }).enqueue(OPENED.notice);
    const fail = (error: string): AttemptResult => ({ outcome: 'error', error, permanent: false });
    const sender = scripted({
      chat: [fail('ECONNREFUSED'), { outcome: 'delivered', statusCode: 200 }],
      'dispatch@example.pl': [fail('ETIMEDOUT'), fail('ETIMEDOUT'), fail('ETIMEDOUT')],
    });
    const dispatcher = new NotificationDispatcher({ repo, settings, clock, send: sender.send, random: () => 0.5 });

    expect(await dispatcher.dispatchDue()).toEqual({ attempted: 3, delivered: 1, retrying: 2, failed: 0 });
    expect(await dispatcher.dispatchDue()).toEqual({ attempted: 0, delivered: 0, retrying: 0, failed: 0 });
    const pending = await repo.list<Delivery>(DELIVERIES);
    // 1 min nominal, equal jitter at 0.5: 45 s after the attempt.
    expect(pending.map((d) => d.nextAttemptAt! - clock.now())).toEqual([45_000, 45_000]);

    clock.advance(45_000);
    expect(await dispatcher.dispatchDue()).toEqual({ attempted: 2, delivered: 1, retrying: 1, failed: 0 });
    clock.advance(89_999);
    expect((await dispatcher.dispatchDue()).attempted).toBe(0);
    clock.advance(1);
    expect(await dispatcher.dispatchDue()).toEqual({ attempted: 1, delivered: 0, retrying: 0, failed: 1 });

    expect(await repo.list(DELIVERIES)).toEqual([]);
    const log = await archived(repo, '2026-03');
    const byTarget = Object.fromEntries(log.map((d) => [d.target, d]));
    expect(byTarget.chat).toMatchObject({
      status: 'delivered',
      attempts: [
        { outcome: 'error', error: 'ECONNREFUSED' },
        { outcome: 'delivered', statusCode: 200 },
      ],
    });
    expect(byTarget['anna@acme.example']).toMatchObject({ status: 'delivered', attempts: [{ outcome: 'delivered' }] });
    expect(byTarget['dispatch@example.pl']).toMatchObject({ status: 'failed', failure: 'gave up after 3 attempts; last: ETIMEDOUT' });
    expect(byTarget['dispatch@example.pl']!.attempts).toHaveLength(3);
    expect(sender.calls).toHaveLength(6);
  });

  it('fails deliveries whose endpoint or SMTP settings were removed from the config, without attempting them', async () => {
    const { repo } = await openStore();
    await withTicket(repo);
    const clock = new ManualClock(OPENED.notice.at);
    await new NotificationOutbox({ repo, settings, clock }).enqueue(OPENED.notice);
    const without = NotificationSettings.parse({ ...RAW, webhooks: [], email: undefined, customers: {} });
    const dispatcher = new NotificationDispatcher({ repo, settings: without, clock });
    expect(await dispatcher.dispatchDue()).toEqual({ attempted: 3, delivered: 0, retrying: 0, failed: 3 });
    const log = await archived(repo, '2026-03');
    expect(log.find((d) => d.target === 'chat')).toMatchObject({
      status: 'failed',
      attempts: [],
      failure: 'webhook endpoint chat is no longer in notifications.webhooks',
    });
    expect(log.find((d) => d.target === 'dispatch@example.pl')).toMatchObject({
      status: 'failed',
      attempts: [],
      failure: 'notifications.email is no longer configured',
    });
    dispatcher.close();
  });

  it('runs on its timer once started, is woken by new deliveries, and stops', async () => {
    const { repo } = await openStore();
    await withTicket(repo);
    const clock = new ManualClock(OPENED.notice.at);
    const sender = scripted({ chat: [{ outcome: 'error', error: 'HTTP 503', statusCode: 503, permanent: false }] });
    const service = new NotificationService({ settings, repo, clock, send: sender.send });
    service.dispatcher.start();
    clock.advance(0);
    service.accept(OPENED.notice);
    await service.outbox.idle();
    // The wake-up is a 0 ms timer of the manual clock, armed now or when the step in progress ends.
    await waitUntil(() => {
      clock.advance(0);
      return sender.calls.length === 3;
    }, 'the three deliveries attempted after the wake-up');
    // The failed webhook is retried by the timer when its time comes, between interval steps.
    const t0 = clock.now();
    await waitUntil(async () => {
      if (clock.now() - t0 < 120_000) clock.advance(5_000);
      return (await repo.list(DELIVERIES)).length === 0;
    }, 'the retry delivered');
    const chat = sender.calls.filter((d) => d.target === 'chat');
    expect(chat).toHaveLength(2);
    const log = await archived(repo, '2026-03');
    const attempts = log.find((d) => d.target === 'chat')!.attempts;
    expect(attempts.map((a) => a.outcome)).toEqual(['error', 'delivered']);
    // initialDelay 1m with equal jitter: 30–60 s later (the clock moves in 5 s steps here).
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(30_000);
    expect(attempts[1]!.at - attempts[0]!.at).toBeLessThanOrEqual(65_000);
    await service.close();
    expect(clock.timerCount).toBe(0);
  });
});
