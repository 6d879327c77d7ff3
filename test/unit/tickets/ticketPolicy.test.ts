import { describe, expect, it } from 'vitest';
import { openReportedTicket } from '../../../server/tickets/ticketOpening.js';
import { nextDue } from '../../../server/tickets/ticketTimers.js';
import { presetContract } from '../../../server/sla/presets.js';
import { DEFAULT_POLICY } from '../../../server/tickets/ticketPolicy.js';
import {
  agentOffline,
  agentOnline,
  at,
  cleared,
  contextFactory,
  customer,
  DAY,
  device,
  HOUR,
  local,
  MIN,
  raised,
  SITE,
  unreachable,
  World,
} from './fixtures.js';

const MON_0900 = at('2026-03-02T09:00');

describe('ticket policy: automatic tickets from fleet signals', () => {
  it('dedup: the same fault polled again never opens a second ticket', () => {
    const w = new World();
    w.signal(raised('paper.empty', MON_0900));
    w.signal(raised('paper.empty', MON_0900 + 5 * MIN));
    w.signal(raised('paper.empty', MON_0900 + 3 * HOUR));
    expect(w.all()).toHaveLength(1);
    const t = w.get('T1');
    expect(t.faults[0]).toMatchObject({ code: 'paper.empty', occurrences: 3, active: true });
    expect(w.notices.filter((n) => n.kind === 'ticket.opened')).toHaveLength(1);
  });

  it('states the reaction deadline in the contract zone, with its offset', () => {
    const w = new World();
    w.signal(raised('jam', MON_0900, { impact: 'critical' }));
    const opened = w.notices.find((n) => n.kind === 'ticket.opened');
    // Monday 2 March 2026, 09:00 Warsaw (UTC+1) + 2 working hours.
    expect(opened?.detail).toContain('reaction due 2026-03-02T11:00:00+01:00');
  });

  it('carries what a good report needs: device, site, contact, first seen, evidence, impact and rule, queue, deadline', () => {
    const w = new World();
    w.signal(raised('printhead.fault', MON_0900, { impact: 'high' }));
    const t = w.get('T1');
    expect(t).toMatchObject({
      status: 'new',
      tier: 'L1',
      queue: 'ink-head',
      channel: 'monitoring',
      device: { id: 'dev-1', model: 'LaserJet M507', serial: 'SN-dev-1' },
      site: SITE,
      customer: { contact: { name: 'Anna Nowak', phone: '+48 600 100 200' }, contractId: 'device-vendor' },
      firstSeen: MON_0900 - 30_000,
      impact: 'high',
      impactRule: 'rule test → high',
    });
    expect(t.faults[0]!.evidence.supplies?.[0]).toMatchObject({ name: 'Black Toner', levelPercent: 3 });
    expect(t.faults[0]!.evidence.counters).toEqual({ total: 12345 });
    expect(local(t.sla.reaction.deadlineAt)).toBe('2026-03-02T15:00');
    expect(t.history[0]).toMatchObject({ at: MON_0900, by: 'system', what: 'opened' });
  });

  it('join: toner low then toner empty within the window make one ticket; impact rises, elapsed time kept', () => {
    const w = new World();
    w.signal(raised('toner.low', MON_0900, { impact: 'low' }));
    expect(local(w.get('T1').sla.reaction.deadlineAt)).toBe('2026-03-09T09:00');
    w.signal(raised('toner.empty', MON_0900 + 6 * MIN, { impact: 'critical' }));
    expect(w.all()).toHaveLength(1);
    const t = w.get('T1');
    expect(t.faults.map((f) => f.code)).toEqual(['toner.low', 'toner.empty']);
    expect(t.impact).toBe('critical');
    // The critical target counts from the join: the earlier of the low deadline and 09:06 + 2 h.
    expect(local(t.sla.reaction.deadlineAt)).toBe('2026-03-02T11:06');
    expect(t.title).toBe('Toner empty (+1 more) on LaserJet M507 at Warszawa HQ');
    expect(t.history.map((h) => h.what)).toEqual(['opened', 'fault joined', 'title changed', 'impact raised']);
    // Another category, or the same category after the window, opens its own ticket.
    w.signal(raised('jam', MON_0900 + 7 * MIN));
    w.signal(raised('drum.nearEnd', MON_0900 + 30 * MIN, { impact: 'low' }));
    expect(w.all().map((x) => x.key)).toEqual(['device:dev-1:toner.low||', 'device:dev-1:jam||', 'device:dev-1:drum.nearEnd||']);
    // The same related fault of another device does not join.
    w.signal(raised('toner.empty', MON_0900 + 8 * MIN, { device: device('dev-2') }));
    expect(w.all()).toHaveLength(4);
  });

  it('flap damping: a fault that clears and returns within the quiet period keeps its ticket open', () => {
    const w = new World();
    w.signal(raised('door.open', MON_0900));
    w.signal(cleared('door.open', MON_0900 + 2 * MIN));
    expect(w.get('T1').quietSince).toBe(MON_0900 + 2 * MIN);
    expect(nextDue(w.get('T1'), { config: DEFAULT_POLICY, contractFor: presetContract })).toBe(MON_0900 + 2 * MIN + DEFAULT_POLICY.quietPeriodMs);
    w.tick(MON_0900 + 10 * MIN);
    expect(w.get('T1').status).toBe('new');
    w.signal(raised('door.open', MON_0900 + 12 * MIN));
    w.tick(MON_0900 + 30 * MIN);
    expect(w.get('T1')).toMatchObject({ status: 'new', quietSince: null });
    expect(w.get('T1').history.map((h) => h.what)).toContain('fault back');
    // Cleared for good: resolved by the device after the quiet period.
    w.signal(cleared('door.open', MON_0900 + 40 * MIN));
    w.tick(MON_0900 + 54 * MIN);
    expect(w.get('T1').status).toBe('new');
    w.tick(MON_0900 + 55 * MIN);
    expect(w.get('T1')).toMatchObject({ status: 'resolved', resolution: 'byDevice', firstResponseAt: null });
    expect(w.get('T1').sla.reaction.state).toBe('stopped');
    expect(w.all()).toHaveLength(1);
  });

  it('reopen: a fault back within the reopen window reopens; after it the ticket closes and a new one opens', () => {
    const w = new World();
    w.signal(raised('jam', MON_0900));
    w.signal(cleared('jam', MON_0900 + 5 * MIN));
    w.tick(MON_0900 + 20 * MIN);
    expect(w.get('T1').status).toBe('resolved');
    w.signal(raised('jam', MON_0900 + 3 * HOUR));
    const t = w.get('T1');
    expect(t).toMatchObject({ status: 'new', reopenCount: 1, resolvedAt: null });
    expect(t.sla.reaction.state).toBe('running');
    // 20 min elapsed before the resolution are kept: due 2 h - 20 min after 12:00.
    expect(local(t.sla.reaction.deadlineAt)).toBe('2026-03-02T13:40');
    expect(w.notices.map((n) => n.kind)).toContain('ticket.reopened');
    // Resolve again and let the reopen window pass: closed; the next jam is a new ticket.
    w.signal(cleared('jam', MON_0900 + 4 * HOUR));
    w.tick(MON_0900 + 5 * HOUR);
    w.tick(MON_0900 + 5 * HOUR + DAY);
    expect(w.get('T1').status).toBe('closed');
    w.signal(raised('jam', MON_0900 + 2 * DAY));
    expect(w.all().map((x) => [x.id, x.status])).toEqual([
      ['T1', 'closed'],
      ['T2', 'new'],
    ]);
  });

  it('an agent going offline opens one site-level ticket; unreachable devices of that agent join it', () => {
    const w = new World();
    w.signal(agentOffline(MON_0900, ['dev-1', 'dev-2', 'dev-3']));
    w.signal(unreachable(MON_0900 + MIN, device('dev-4')));
    w.signal(unreachable(MON_0900 + 2 * MIN, device('dev-1')));
    w.signal(agentOffline(MON_0900 + 3 * MIN, ['dev-1', 'dev-2', 'dev-3']));
    expect(w.all()).toHaveLength(1);
    const t = w.get('T1');
    expect(t).toMatchObject({ kind: 'site', key: 'agent:acme:agent-1', device: null, affectedDevices: ['dev-1', 'dev-2', 'dev-3', 'dev-4'], queue: 'general' });
    expect(t.title).toMatch(/agent acme:agent-1 offline at Warszawa HQ \(3 devices\)/);
    // Another agent's unreachable device is its own ticket.
    w.signal(unreachable(MON_0900 + 4 * MIN, device('dev-9'), 'acme:agent-2'));
    expect(w.all().map((x) => x.key)).toEqual(['agent:acme:agent-1', 'device:dev-9:device.unreachable||']);
    // Back online: resolved after the quiet period.
    w.signal(agentOnline(MON_0900 + HOUR));
    w.tick(MON_0900 + HOUR + DEFAULT_POLICY.quietPeriodMs);
    expect(w.get('T1')).toMatchObject({ status: 'resolved', resolution: 'byDevice' });
  });
});

describe('ticket policy: lifecycle', () => {
  it('acknowledge stops the reaction clock; every change is in the history with who and when', () => {
    const w = new World();
    w.signal(raised('fuser.fault', MON_0900));
    w.act('T1', { type: 'acknowledge', by: 'jan', note: 'on it' }, MON_0900 + 30 * MIN);
    w.act('T1', { type: 'assign', by: 'jan', assignee: 'piotr' }, MON_0900 + 31 * MIN);
    w.act('T1', { type: 'start', by: 'piotr' }, MON_0900 + 40 * MIN);
    w.act('T1', { type: 'escalate', by: 'piotr', reason: 'fuser needs L2' }, MON_0900 + HOUR);
    w.act('T1', { type: 'escalate', by: 'ewa', reason: 'firmware analysis' }, MON_0900 + 2 * HOUR);
    expect(() => w.act('T1', { type: 'escalate', by: 'ewa', reason: 'more' }, MON_0900 + 3 * HOUR)).toThrow(/already at L3, the highest support tier/);
    w.act('T1', { type: 'comment', by: 'ewa', text: 'replacing fuser', public: false }, MON_0900 + 3 * HOUR);
    w.act('T1', { type: 'addTime', by: 'ewa', id: 'e1', channel: 'remote', minutes: 20, note: 'diagnostics' }, MON_0900 + 3 * HOUR);
    w.act('T1', { type: 'resolve', by: 'ewa', solution: 'fuser replaced' }, MON_0900 + 4 * HOUR);
    w.act('T1', { type: 'close', by: 'jan' }, MON_0900 + 5 * HOUR);
    const t = w.get('T1');
    expect(t).toMatchObject({ status: 'closed', resolution: 'byTechnician', tier: 'L3', assignee: null, firstResponseAt: MON_0900 + 30 * MIN, escalations: 2 });
    expect(t.sla.reaction).toMatchObject({ state: 'stopped', consumedMs: 30 * MIN, breached: false });
    expect(t.history.map((h) => [h.by, h.what])).toEqual([
      ['system', 'opened'],
      ['jan', 'acknowledged'],
      ['jan', 'assigned'],
      ['piotr', 'in progress'],
      ['piotr', 'escalated'],
      ['ewa', 'escalated'],
      ['ewa', 'comment'],
      ['ewa', 'time entry'],
      ['ewa', 'resolved'],
      ['jan', 'closed'],
    ]);
    expect(t.history[4]!.detail).toBe('L1 → L2: fuser needs L2');
  });

  it('a person can reopen a resolved ticket; the history names them', () => {
    const w = new World();
    w.signal(raised('jam', MON_0900));
    w.act('T1', { type: 'resolve', by: 'jan', solution: 'cleared', confirmedByCustomer: true }, MON_0900 + 10 * MIN);
    expect(w.get('T1')).toMatchObject({ status: 'resolved', resolution: 'customerConfirmed', firstResponseAt: MON_0900 + 10 * MIN });
    w.act('T1', { type: 'reopen', by: 'anna', reason: 'jams again' }, MON_0900 + HOUR);
    expect(w.get('T1')).toMatchObject({ status: 'inProgress', reopenCount: 1, resolution: null });
    expect(w.get('T1').history.at(-1)).toMatchObject({ by: 'anna', what: 'reopened', detail: 'jams again' });
  });

  it('refuses transitions the lifecycle does not allow, naming the ticket and the state', () => {
    const w = new World();
    w.signal(raised('jam', MON_0900));
    expect(() => w.act('T1', { type: 'close', by: 'jan' }, MON_0900)).toThrow('ticket T1: cannot close a ticket that is new (allowed from: resolved)');
    expect(() => w.act('T1', { type: 'customerReplied', by: 'anna', text: 'ok' }, MON_0900)).toThrow(/cannot record a customer reply on a ticket that is new/);
    expect(() => w.act('T1', { type: 'addTime', by: 'jan', id: 'x', channel: 'phone', minutes: 0, note: '' }, MON_0900)).toThrow(
      /minutes must be a whole number 1-1440, got 0/,
    );
    expect(() => w.act('T1', { type: 'visitArrival', by: 'jan', visitId: 'V1' }, MON_0900)).toThrow('ticket T1 has no on-site visit "V1" (visits: none)');
    expect(() => w.act('T1', { type: 'changeImpact', by: 'jan', impact: 'low', level: 'sev9', reason: 'x' }, MON_0900)).toThrow(/has no level "sev9"/);
  });

  it('waiting for the customer pauses the resolution clock; 2 weeks silence → 2 contact attempts → closed as solved', () => {
    const w = new World();
    // The rule of §2 (software scheme: 14 days of silence, 2 attempts 2 days apart, then closed as solved).
    w.signal(raised('scanner.fault', MON_0900, { impact: 'medium', contractId: 'software-5level' }));
    w.act('T1', { type: 'waitForCustomer', by: 'jan', question: 'Which tray was used?' }, MON_0900 + HOUR);
    const t0 = w.get('T1');
    expect(t0).toMatchObject({ status: 'waitingForCustomer', firstResponseAt: MON_0900 + HOUR, waitedForCustomer: true });
    const start = MON_0900 + HOUR;
    w.tick(start + 13 * DAY);
    expect(w.get('T1').waiting!.attempts).toEqual([]);
    w.tick(start + 14 * DAY);
    expect(w.get('T1').waiting!.attempts).toEqual([start + 14 * DAY]);
    w.tick(start + 15 * DAY);
    expect(w.get('T1').waiting!.attempts).toHaveLength(1);
    w.tick(start + 16 * DAY);
    expect(w.get('T1').waiting!.attempts).toHaveLength(2);
    w.tick(start + 17 * DAY);
    expect(w.get('T1').status).toBe('waitingForCustomer');
    w.tick(start + 18 * DAY);
    const t = w.get('T1');
    expect(t).toMatchObject({ status: 'closed', resolution: 'noCustomerAnswer', closedAt: start + 18 * DAY });
    expect(w.notices.filter((n) => n.kind === 'customer.contactAttempt').map((n) => [n.detail, n.attempt])).toEqual([
      ['attempt 1 of 2', 1],
      ['attempt 2 of 2', 2],
    ]);
    expect(t.history.map((h) => h.what).slice(-4)).toEqual(['contact attempt', 'contact attempt', 'resolved', 'closed']);
  });

  it('§2 counts only the contact attempts made after the 2 weeks of silence; reminders during them do not close the ticket sooner', () => {
    const w = new World();
    w.signal(raised('scanner.fault', MON_0900, { impact: 'medium', contractId: 'software-5level' }));
    const start = MON_0900 + HOUR;
    w.act('T1', { type: 'waitForCustomer', by: 'jan', question: 'Which tray was used?' }, start);
    // Two reminders by phone during the silence.
    w.act('T1', { type: 'contactAttempt', by: 'jan', channel: 'phone', note: 'no answer' }, start + 3 * DAY);
    w.act('T1', { type: 'contactAttempt', by: 'jan', channel: 'phone', note: 'no answer' }, start + 10 * DAY);
    w.tick(start + 14 * DAY);
    expect(w.get('T1').status).toBe('waitingForCustomer');
    expect(w.get('T1').history.at(-1)).toMatchObject({ what: 'contact attempt', detail: expect.stringMatching(/^automatic reminder 1 of 2/) as unknown });
    // A person's attempt after the silence counts as the second one.
    w.act('T1', { type: 'contactAttempt', by: 'jan', channel: 'email', note: 'sent again' }, start + 15 * DAY);
    w.tick(start + 16 * DAY + HOUR);
    expect(w.get('T1').status).toBe('waitingForCustomer');
    w.tick(start + 17 * DAY);
    expect(w.get('T1')).toMatchObject({ status: 'closed', resolution: 'noCustomerAnswer', closedAt: start + 17 * DAY });
    expect(w.get('T1').history.find((h) => h.what === 'resolved')!.detail).toMatch(/no answer after 14d and 2 contact attempts/);
  });

  it('a customer answer resumes work and restarts the 2-week rule from the next wait', () => {
    const w = new World();
    w.signal(raised('scanner.fault', MON_0900, { impact: 'medium' }));
    w.act('T1', { type: 'waitForCustomer', by: 'jan', question: 'photo of the panel?' }, MON_0900);
    w.tick(MON_0900 + 14 * DAY);
    w.act('T1', { type: 'customerReplied', by: 'anna', text: 'attached' }, MON_0900 + 15 * DAY);
    expect(w.get('T1')).toMatchObject({ status: 'inProgress', waiting: null });
    w.act('T1', { type: 'waitForCustomer', by: 'jan', question: 'does it work now?' }, MON_0900 + 15 * DAY);
    w.tick(MON_0900 + 20 * DAY);
    expect(w.get('T1').waiting!.attempts).toEqual([]);
  });

  it('impact change mid-clock keeps the elapsed working time (vendor: critical 2 h → medium 2 days)', () => {
    const w = new World();
    w.signal(raised('paper.empty', MON_0900));
    w.act('T1', { type: 'changeImpact', by: 'jan', impact: 'medium', reason: 'second printer available' }, MON_0900 + HOUR);
    const t = w.get('T1');
    expect(t).toMatchObject({ impact: 'medium', impactRule: 'manual: jan' });
    expect(t.sla.reaction.consumedMs).toBe(HOUR);
    // 18 h - 1 h = 17 h from Mon 10:00: Mon 7 h, Tue 9 h, Wed 1 h.
    expect(local(t.sla.reaction.deadlineAt)).toBe('2026-03-04T09:00');
  });

  it('a contract change keeps the elapsed working time and decides the guarantee again (COMMUNITY → STANDARD)', () => {
    const w = new World();
    w.signal(raised('jam', MON_0900, { contractId: 'community' }));
    expect(w.get('T1').sla).toMatchObject({ guaranteed: false, contractId: 'community' });
    // COMMUNITY counts 10-13; at 12:00 two working hours have elapsed.
    w.act('T1', { type: 'changeContract', by: 'jan', contractId: 'standard', reason: 'wrong contract on file' }, MON_0900 + 3 * HOUR);
    const t = w.get('T1');
    expect(t.sla).toMatchObject({ guaranteed: true, noGuaranteeReason: null, contractId: 'standard', level: 'guaranteed' });
    expect(t.customer.contractId).toBe('standard');
    expect(t.sla.reaction.consumedMs).toBe(2 * HOUR);
    expect(local(t.sla.reaction.deadlineAt)).toBe('2026-03-02T14:00');
    expect(t.history.at(-1)).toMatchObject({
      by: 'jan',
      what: 'contract changed',
      detail: expect.stringContaining('community → standard: wrong contract on file; elapsed working time kept: reaction due none → ') as string,
    });
  });

  it('STANDARD: a critical fault on Saturday runs on the days-off calendar; lowering it moves the clock to working days', () => {
    const w = new World();
    const sat = at('2026-03-07T10:00');
    w.signal(raised('hardware.fault', sat, { contractId: 'standard' }));
    expect(local(w.get('T1').sla.reaction.deadlineAt)).toBe('2026-03-07T14:00');
    expect(w.get('T1').sla.calendarName).toBe('critical reports on days off');
    w.act('T1', { type: 'changeImpact', by: 'jan', impact: 'high', reason: 'not critical' }, sat + HOUR);
    // 1 h elapsed on Saturday; 3 h left from Monday 07:00.
    expect(local(w.get('T1').sla.reaction.deadlineAt)).toBe('2026-03-09T10:00');
  });

  it('cap exhaustion: past the monthly cap new reports carry no guaranteed deadline', () => {
    const w = new World();
    w.capUsed = 3 * 60;
    w.signal(raised('jam', MON_0900, { contractId: 'email' }));
    const t = w.get('T1');
    expect(t.sla).toMatchObject({ guaranteed: false, noGuaranteeReason: 'monthly cap of 3 h guaranteed support time used up (3 h this month)' });
    expect(t.sla.reaction.targetMs).toBeNull();
    expect(t.sla.reaction.deadlineAt).toBeNull();
    w.tick(MON_0900 + 30 * DAY);
    expect(w.notices.filter((n) => n.kind.startsWith('sla.'))).toEqual([]);
    // It stays without guarantee when its impact changes.
    w.act('T1', { type: 'changeImpact', by: 'jan', impact: 'low', reason: 'minor' }, MON_0900 + 30 * DAY + HOUR);
    expect(w.get('T1').sla).toMatchObject({ guaranteed: false, capExhausted: true });
    w.capUsed = 3 * 60 - 1;
    w.signal(raised('jam', MON_0900, { contractId: 'email', device: device('dev-2') }));
    expect(w.get('T2').sla.guaranteed).toBe(true);
  });

  it('§3: call-backs carry no guarantee; written reports do; levels of the contract scale can be set by hand', () => {
    const ctx = contextFactory()(MON_0900);
    const base = {
      title: 'Cannot print labels',
      customer: customer('software-5level'),
      site: SITE,
      device: null,
      impact: 'low' as const,
      description: 'since the update',
      by: 'anna',
    };
    const phone = openReportedTicket({ ...base, channel: 'callback' }, ctx).tickets[0]!;
    expect(phone.sla.guaranteed).toBe(false);
    expect(phone.sla.noGuaranteeReason).toMatch(/reports by callback carry no guarantee/);
    const mail = openReportedTicket({ ...base, channel: 'email', level: 'sev5' }, ctx).tickets[0]!;
    expect(mail.sla).toMatchObject({ guaranteed: true, level: 'sev5' });
    expect(mail.sla.reaction.targetMs).toBe(14 * 8 * HOUR);
    expect(mail.comments[0]).toMatchObject({ by: 'anna', text: 'since the update' });
    expect(() => openReportedTicket({ ...base, channel: 'email', level: 'p1' }, ctx)).toThrow(/has no level "p1"/);
  });

  it('warning and breach notices are emitted once each by ticks', () => {
    const w = new World();
    w.signal(raised('jam', MON_0900));
    for (const m of [60, 95, 96, 100, 119, 120, 121, 300]) w.tick(MON_0900 + m * MIN);
    expect(w.notices.filter((n) => n.kind.startsWith('sla.')).map((n) => [n.kind, local(n.at), n.clock])).toEqual([
      ['sla.warning', '2026-03-02T10:36', 'reaction'],
      ['sla.breach', '2026-03-02T11:00', 'reaction'],
    ]);
    expect(w.get('T1').sla.reaction.breached).toBe(true);
  });

  it('on-site visit: requested, scheduled, arrival met or missed, departure with the work done', () => {
    const w = new World();
    w.signal(raised('fuser.fault', MON_0900, { contractId: 'device-vendor-onsite-4h' }));
    w.act('T1', { type: 'acknowledge', by: 'jan' }, MON_0900 + 10 * MIN);
    w.act('T1', { type: 'requestVisit', by: 'jan', reason: 'fuser swap' }, at('2026-03-02T15:00'));
    expect(local(w.get('T1').sla.onSite!.deadlineAt)).toBe('2026-03-03T10:00');
    expect(() => w.act('T1', { type: 'requestVisit', by: 'jan', reason: 'again' }, at('2026-03-02T15:10'))).toThrow(/V1 is already requested/);
    expect(() => w.act('T1', { type: 'visitDeparture', by: 'marek', visitId: 'V1', workDone: 'x' }, at('2026-03-02T15:20'))).toThrow(/no arrival recorded/);
    expect(() => w.act('T1', { type: 'scheduleVisit', by: 'jan', visitId: 'V7', technician: 'marek' }, at('2026-03-02T15:20'))).toThrow(
      /no on-site visit "V7" \(visits: V1\)/,
    );
    w.act('T1', { type: 'scheduleVisit', by: 'jan', visitId: 'V1', technician: 'marek', plannedAt: at('2026-03-03T09:00') }, at('2026-03-02T15:30'));
    expect(w.get('T1').visits![0]).toMatchObject({ technician: 'marek', plannedAt: at('2026-03-03T09:00') });
    w.act('T1', { type: 'visitArrival', by: 'marek', visitId: 'V1' }, at('2026-03-03T09:30'));
    expect(w.get('T1').sla.onSite).toMatchObject({ state: 'stopped', breached: false });
    expect(w.get('T1').visits![0]).toMatchObject({ arrivedAt: at('2026-03-03T09:30'), arrivalMet: true, arrivalDueAt: at('2026-03-03T10:00') });
    expect(w.get('T1').history.at(-1)).toMatchObject({ by: 'marek', what: 'technician arrived', detail: 'V1: within the arrival target' });
    w.act('T1', { type: 'visitDeparture', by: 'marek', visitId: 'V1', workDone: 'fuser replaced' }, at('2026-03-03T10:45'));
    expect(w.get('T1').history.at(-1)).toMatchObject({ what: 'technician departed', detail: 'V1: 75 min on site: fuser replaced' });
    // A second visit gets a fresh clock; arriving late misses it.
    w.act('T1', { type: 'requestVisit', by: 'jan', reason: 'check-up' }, at('2026-03-03T11:00'));
    w.act('T1', { type: 'visitArrival', by: 'ola', visitId: 'V2' }, at('2026-03-03T16:00'));
    expect(w.get('T1').visits![1]).toMatchObject({ id: 'V2', technician: 'ola', arrivalMet: false });
  });
});
