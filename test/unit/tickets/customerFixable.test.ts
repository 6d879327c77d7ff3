import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/manualClock.js';
import { classifyImpact, DEFAULT_IMPACT_SETTINGS, ImpactSettings } from '../../../server/impact/impactRules.js';
import { compileContract, type Contract } from '../../../server/sla/contract.js';
import { PRESET_SPECS, presetContract } from '../../../server/sla/presets.js';
import { admitFaultEvent, holdTimer, readHold, untoldCustomerHolds, type CustomerFixableNotice } from '../../../server/tickets/customerFixable.js';
import { InMemoryTicketRepository } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import type { FaultRaisedEvent } from '../../../server/events/fleetEvents.js';
import { renderMessage } from '../../../server/notifications/messageRendering.js';
import { customerFixableFacts } from '../../../server/notifications/noticeFacts.js';
import { routeNotice } from '../../../server/notifications/noticeRouting.js';
import { NotificationSettings } from '../../../server/notifications/notificationSettings.js';
import { at, cleared, contextFactory, local, MIN, raised, World } from './fixtures.js';

/** A raise as ingest classifies it: the impact says whether the fault is customer-fixable. */
function fixableRaise(code: Parameters<typeof raised>[0], now: number, fixable = true): FaultRaisedEvent {
  const e = raised(code, now, { impact: 'high' });
  return { ...e, impact: { ...e.impact, ...(fixable ? { customerFixable: true as const } : {}) } };
}

function withTerm(term: unknown): Contract {
  return compileContract({ ...PRESET_SPECS['device-vendor'], customerFixable: term });
}

const vendor = presetContract('device-vendor');
/** Monday 2 March 2026, 10:00 Warsaw: inside device-vendor's hours (Mon–Fri 08:00–17:00, Polish holidays). */
const MON_1000 = at('2026-03-02T10:00');

describe('customer-fixable faults (pure rule)', () => {
  it('warns at start only when a contract holds them for a customer no e-mail can tell', () => {
    const noHold = withTerm(null);
    expect(untoldCustomerHolds(DEFAULT_IMPACT_SETTINGS, [vendor, noHold], false)).toEqual(['door.open', 'paper.empty', 'input.trayMissing', 'output.full']);
    expect(untoldCustomerHolds(DEFAULT_IMPACT_SETTINGS, [vendor], true)).toEqual([]);
    expect(untoldCustomerHolds(DEFAULT_IMPACT_SETTINGS, [noHold], false)).toEqual([]);
    expect(untoldCustomerHolds({ customerFixable: [] }, [vendor], false)).toEqual([]);
  });

  it('a customer-fixable fault tells the contact and holds the vendor ticket for the contract time', () => {
    const r = admitFaultEvent(fixableRaise('door.open', MON_1000), undefined, [], vendor, MON_1000);
    expect(r.apply).toBeNull();
    expect(r.hold).toMatchObject({ key: 'dev-1|door.open||', notified: ['anna@acme.example'], contractId: 'device-vendor', vendorTicketAfter: '30m' });
    expect(local(r.hold!.dueAt)).toBe('2026-03-02T10:30');
    expect(r.notice).toMatchObject({
      kind: 'device.customerFixable',
      to: ['anna@acme.example'],
      facts: { customer: { id: 'acme' }, fault: { code: 'door.open' } },
    });
    expect(r.notice!.facts.vendorTicketAt).toBe(r.hold!.dueAt);
  });

  it('counts the time in the contract calendar: a door left open on Friday evening is the customer’s until Monday 08:30', () => {
    const fri = at('2026-03-06T16:50');
    const r = admitFaultEvent(fixableRaise('paper.empty', fri), undefined, [], vendor, fri);
    // 10 min on Friday, 20 min from the Monday opening.
    expect(local(r.hold!.dueAt)).toBe('2026-03-09T08:20');
    // 30 April 2026 (Thursday) 16:45: Friday 1 May is a Polish holiday, the weekend follows.
    const beforeMayDay = at('2026-04-30T16:45');
    expect(local(admitFaultEvent(fixableRaise('output.full', beforeMayDay), undefined, [], vendor, beforeMayDay).hold!.dueAt)).toBe('2026-05-04T08:15');
  });

  it('a fault cleared during the hold ends it and opens no ticket', () => {
    const hold = admitFaultEvent(fixableRaise('door.open', MON_1000), undefined, [], vendor, MON_1000).hold!;
    const clear = cleared('door.open', MON_1000 + 10 * MIN);
    const r = admitFaultEvent(clear, hold, [], vendor, MON_1000 + 10 * MIN);
    expect(r).toEqual({ apply: clear, hold: null, notice: null });
    const world = new World();
    world.signal(r.apply!);
    expect(world.all()).toEqual([]);
  });

  it('a fault that outlasts the hold opens the vendor ticket, with the SLA clock from then and the customer notice in its history', () => {
    const hold = admitFaultEvent(fixableRaise('door.open', MON_1000), undefined, [], vendor, MON_1000).hold!;
    const ctx = contextFactory();
    const out = holdTimer(hold).fire(ctx(hold.dueAt), []);
    const t = out.tickets[0]!;
    expect(t).toMatchObject({ id: 'T1', impact: 'high', channel: 'monitoring', status: 'new' });
    expect(local(t.openedAt)).toBe('2026-03-02T10:30');
    // device-vendor: high = 6 working hours of reaction, from the opening.
    expect(local(t.sla.reaction.deadlineAt)).toBe('2026-03-02T16:30');
    const told = t.history.find((h) => h.what === 'customer told first');
    expect(told?.detail).toContain(`customer told at ${new Date(MON_1000).toISOString()} (anna@acme.example)`);
    expect(told?.detail).toContain('still there after 30m of working time (contract device-vendor');
    expect(out.notices.map((n) => n.kind)).toEqual(['ticket.opened']);
  });

  it('a repeated raise during the hold keeps its deadline and sends no second notice', () => {
    const hold = admitFaultEvent(fixableRaise('door.open', MON_1000), undefined, [], vendor, MON_1000).hold!;
    const again = admitFaultEvent(fixableRaise('door.open', MON_1000 + 5 * MIN), hold, [], vendor, MON_1000 + 5 * MIN);
    expect(again).toEqual({ apply: null, hold: undefined, notice: null });
  });

  it('a fault that is not customer-fixable, or one a ticket already holds, goes to the ticket rules as today', () => {
    const jam = fixableRaise('jam', MON_1000, false);
    expect(admitFaultEvent(jam, undefined, [], vendor, MON_1000)).toEqual({ apply: jam, hold: undefined, notice: null });
    // The door's ticket is still open (or resolved within the reopen window): the fault is back on it.
    const world = new World();
    world.signal(fixableRaise('door.open', MON_1000));
    const back = fixableRaise('door.open', MON_1000 + 20 * MIN);
    expect(admitFaultEvent(back, undefined, world.all(), vendor, MON_1000 + 20 * MIN).apply).toBe(back);
  });

  it('the contract sets the time and the recipients; null or 0 opens the vendor ticket at once', () => {
    const twoHours = withTerm({ vendorTicketAfter: '2h', notify: ['contact', 'it@acme.example', 'Anna@acme.example'] });
    const r = admitFaultEvent(fixableRaise('door.open', MON_1000), undefined, [], twoHours, MON_1000);
    expect(local(r.hold!.dueAt)).toBe('2026-03-02T12:00');
    expect(r.notice!.to).toEqual(['anna@acme.example', 'it@acme.example']);
    for (const term of [null, { vendorTicketAfter: '0m' }]) {
      const e = fixableRaise('door.open', MON_1000);
      expect(admitFaultEvent(e, undefined, [], withTerm(term), MON_1000)).toEqual({ apply: e, hold: undefined, notice: null });
    }
  });

  it('names a bad contract term by its key', () => {
    expect(() => withTerm({ vendorTicketAfter: 'soon' })).toThrow(/customerFixable\.vendorTicketAfter: expected a working-time target/);
    expect(() => withTerm({ notify: ['the boss'] })).toThrow(/customerFixable\.notify\[0\]: expected "contact" or an e-mail address/);
    expect(() => withTerm({ notify: [] })).toThrow(/customerFixable\.notify: expected at least 1 items/);
    expect(() => withTerm({ after: '1h' })).toThrow(/unknown key "customerFixable\.after"/);
  });

  it('a stored hold reads back as it was written; a broken record is named', () => {
    const hold = admitFaultEvent(fixableRaise('door.open', MON_1000), undefined, [], vendor, MON_1000).hold!;
    expect(readHold(JSON.parse(JSON.stringify(hold)), hold.key)).toEqual(hold);
    expect(() => readHold({ key: 'x' }, 'x')).toThrow(/stored customer-fixable hold "x" is invalid/);
  });
});

describe('the customer notice', () => {
  const notice = admitFaultEvent(fixableRaise('door.open', MON_1000), undefined, [], vendor, MON_1000).notice!;

  it('asks the customer, in Polish or English, to fix it before the vendor ticket opens', () => {
    const pl = renderMessage(customerFixableFacts(notice), 'pl', { timeZone: 'Europe/Warsaw' });
    expect(pl.subject).toBe('[FleetDesk] Otwarte drzwiczki lub pokrywa: HP LaserJet M507, nr ser. SN-dev-1, floor 2, prosimy o sprawdzenie');
    expect(pl.text).toContain('w lokalizacji Warszawa HQ (acme sp. z o.o.) zgłasza: Otwarte drzwiczki lub pokrywa.');
    expect(pl.text).toContain('Jeśli stan utrzyma się do 2 marca 2026, 10:30 CET, serwis otworzy zgłoszenie.');
    const en = renderMessage(customerFixableFacts(notice), 'en', { timeZone: 'Europe/Warsaw' });
    expect(en.text).toContain('If it is still there at 2 March 2026, 10:30 CET, the service desk will open a ticket.');
    expect(en.text).not.toContain('SLA deadline');
  });

  it('goes to the contract’s addresses with only SMTP configured, and to webhooks that subscribe to it', () => {
    const settings = NotificationSettings.parse({
      language: 'en',
      email: { smtp: { host: 'smtp.example.pl' }, from: 'fleetdesk@vendor.example' },
      webhooks: [{ id: 'chat', url: 'https://hooks.example.pl/x', secret: 'a-long-enough-secret-1234', events: ['device.customerFixable'] }],
      customers: { acme: { to: [], language: 'pl', events: ['ticket.opened'] } },
    });
    const targets = routeNotice({ kind: notice.kind, customerId: 'acme', customerEmails: notice.to }, settings);
    expect(targets).toEqual([
      { channel: 'webhook', endpoint: 'chat', language: 'en' },
      { channel: 'email', to: 'anna@acme.example', language: 'pl', audience: 'customer' },
    ]);
  });
});

describe('customer-fixable faults in the impact rules', () => {
  const input = (fault: 'door.open' | 'paper.empty' | 'input.trayMissing' | 'output.full' | 'jam') => ({
    fault,
    deviceCritical: false,
    onlyDeviceOnSite: false,
    contract: 'device-vendor',
  });

  it('marks door open, paper out, input tray missing and output tray full by default, not a jam', () => {
    for (const code of ['door.open', 'paper.empty', 'input.trayMissing', 'output.full'] as const)
      expect(classifyImpact(DEFAULT_IMPACT_SETTINGS, input(code)).customerFixable, code).toBe(true);
    expect(classifyImpact(DEFAULT_IMPACT_SETTINGS, input('jam')).customerFixable).toBeUndefined();
  });

  it('takes the list from the table like every other rule: replaced, or emptied', () => {
    const own = ImpactSettings.parse({ rules: DEFAULT_IMPACT_SETTINGS.rules, customerFixable: ['jam'] });
    expect(classifyImpact(own, input('jam')).customerFixable).toBe(true);
    expect(classifyImpact(own, input('door.open')).customerFixable).toBeUndefined();
    const none = ImpactSettings.parse({ rules: DEFAULT_IMPACT_SETTINGS.rules, customerFixable: [] });
    expect(classifyImpact(none, input('door.open')).customerFixable).toBeUndefined();
  });

  it('refuses unknown and repeated fault codes, naming the entry', () => {
    const bad = ImpactSettings.safeParse({ rules: DEFAULT_IMPACT_SETTINGS.rules, customerFixable: ['door.open', 'door.opened'] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['customerFixable', 1]);
    const twice = ImpactSettings.safeParse({ rules: DEFAULT_IMPACT_SETTINGS.rules, customerFixable: ['door.open', 'door.open'] });
    expect(twice.error!.issues.map((i) => i.message)).toEqual(['fault code "door.open" listed twice']);
  });
});

describe('customer-fixable holds in the ticket service (in-memory store, manual clock)', () => {
  const stops: Array<() => void> = [];
  afterEach(() => {
    while (stops.length) stops.pop()!();
  });

  function service(repository: InMemoryTicketRepository, clock: ManualClock, told: CustomerFixableNotice[]) {
    const svc = new TicketService({
      repository,
      clock,
      contractFor: presetContract,
      defaultContractId: 'device-vendor',
      onCustomerNotice: (n) => told.push(n),
    });
    stops.push(() => svc.stop());
    return svc;
  }

  it('a hold survives a restart: a new service over the same store opens the vendor ticket when it is due', async () => {
    const clock = new ManualClock(MON_1000);
    const repo = new InMemoryTicketRepository();
    const told: CustomerFixableNotice[] = [];
    const first = service(repo, clock, told);
    const out = await first.handleEvent(fixableRaise('door.open', MON_1000));
    expect(out.tickets).toEqual([]);
    expect(told.map((n) => n.to)).toEqual([['anna@acme.example']]);
    expect((await repo.customerFixableHolds()).map((h) => local(h.dueAt))).toEqual(['2026-03-02T10:30']);
    first.stop();

    const second = service(repo, clock, told);
    clock.set(at('2026-03-02T10:29'));
    expect(await second.tick()).toEqual([]);
    clock.set(at('2026-03-02T10:31'));
    const notices = await second.tick();
    expect(notices.map((n) => `${n.kind} ${n.ticketId}`)).toEqual(['ticket.opened T000001']);
    expect(await repo.customerFixableHolds()).toEqual([]);
    const t = (await repo.active())[0]!;
    expect(t.history.map((h) => h.what)).toContain('customer told first');
  });

  it('the fault clearing before the time removes the hold; nothing opens later', async () => {
    const clock = new ManualClock(MON_1000);
    const repo = new InMemoryTicketRepository();
    const svc = service(repo, clock, []);
    await svc.handleEvent(fixableRaise('paper.empty', MON_1000));
    clock.set(MON_1000 + 12 * MIN);
    await svc.handleEvent(cleared('paper.empty', MON_1000 + 12 * MIN));
    expect(await repo.customerFixableHolds()).toEqual([]);
    clock.set(at('2026-03-02T12:00'));
    expect(await svc.tick()).toEqual([]);
    expect(await repo.active()).toEqual([]);
  });
});
