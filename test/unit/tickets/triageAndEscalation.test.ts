/**
 * Pure rules of issue 15: intake (duplicates, references), corrections with their SLA
 * recalculation (raise, lower, across contracts, after a breach, paused clocks) and escalation
 * notices (once per clock, warnBefore ahead of the deadline, dispatch and manager), on a manual clock.
 */
import { describe, expect, it } from 'vitest';
import { compileContract, type Contract } from '../../../server/sla/contract.js';
import { presetContract } from '../../../server/sla/presets.js';
import { takeReport, type ManualReport } from '../../../server/tickets/ticketOpening.js';
import { applyAction } from '../../../server/tickets/ticketActions.js';
import { DEFAULT_POLICY, type PolicyContext } from '../../../server/tickets/ticketPolicy.js';
import { nextDue, tickTicket } from '../../../server/tickets/ticketTimers.js';
import type { Ticket } from '../../../server/tickets/ticket.js';
import { at, customer, device, HOUR, local, MIN, raised, SITE, World } from './fixtures.js';

const MON_0900 = at('2026-03-02T09:00');

/** device-vendor with a resolution target per level and escalation notices (30 min ahead, dispatch + manager). */
const ESCALATING = compileContract({
  ...presetContract('device-vendor').spec,
  id: 'escalating',
  levels: presetContract('device-vendor').spec.levels.map((l) => ({ ...l, resolution: '2d' })),
  escalation: { warnBefore: '30m', notify: ['dispatch', 'manager'], manager: 'kierownik@vendor.example' },
});
const contracts = (id: string): Contract => (id === 'escalating' ? ESCALATING : presetContract(id));

let n = 0;
const ctxAt = (now: number): PolicyContext => ({
  now,
  config: DEFAULT_POLICY,
  contractFor: contracts,
  capUsedMinutes: 0,
  defaultContractId: 'device-vendor',
  newTicketId: () => `R${++n}`,
});

const report = (over: Partial<ManualReport> = {}): ManualReport => ({
  title: 'Blank pages',
  channel: 'email',
  customer: customer(),
  site: SITE,
  device: device('dev-9'),
  impact: 'critical',
  description: 'every page blank',
  reporter: { name: 'Ewa', email: 'ewa@acme.example' },
  by: 'disp',
  ...over,
});

const open = (over: Partial<ManualReport> = {}, now = MON_0900): Ticket => takeReport(report(over), [], ctxAt(now)).ticket;
const act = (t: Ticket, action: Parameters<typeof applyAction>[1], now: number): Ticket => applyAction(t, action, ctxAt(now)).tickets[0]!;
const tick = (t: Ticket, now: number) => tickTicket(t, ctxAt(now));

describe('intake: duplicates and references', () => {
  it('a second report on the device of an open ticket joins it; another device or customer opens its own', () => {
    const first = open();
    const dup = takeReport(report({ title: 'Still blank', channel: 'phone', reporter: { name: 'Piotr' } }), [first], ctxAt(MON_0900 + HOUR));
    expect(dup.duplicateOf).toBe(first.id);
    expect(dup.notices).toEqual([]);
    expect(dup.ticket.history.at(-1)).toMatchObject({ what: 'duplicate report', detail: 'phone report by Piotr on the same device: Still blank' });
    expect(dup.ticket.comments.at(-1)).toMatchObject({ text: 'Still blank\n\nevery page blank', public: true });
    // Its SLA clocks are the first report's: a duplicate never restarts them.
    expect(dup.ticket.sla).toEqual(first.sla);
    expect(takeReport(report({ device: device('dev-8') }), [first], ctxAt(MON_0900)).duplicateOf).toBeNull();
    expect(takeReport(report({ customer: customer('device-vendor', 'globex') }), [first], ctxAt(MON_0900)).duplicateOf).toBeNull();
    expect(takeReport(report(), [{ ...first, status: 'resolved' }], ctxAt(MON_0900)).duplicateOf).toBeNull();
    expect(takeReport(report({ device: null }), [first], ctxAt(MON_0900)).duplicateOf).toBeNull();
  });

  it('a reference already taken changes nothing (the same e-mail read twice)', () => {
    const first = open({ externalRef: '<a@x>' });
    expect(first.externalRefs).toEqual(['<a@x>']);
    const again = takeReport(report({ externalRef: '<a@x>', device: null }), [first], ctxAt(MON_0900 + MIN));
    expect(again).toMatchObject({ tickets: [], notices: [], duplicateOf: first.id });
    const reply = applyAction(first, { type: 'customerReply', by: 'ewa@acme.example', text: 'more detail', externalRef: '<b@x>' }, ctxAt(MON_0900 + MIN))
      .tickets[0]!;
    expect(reply.externalRefs).toEqual(['<a@x>', '<b@x>']);
    expect(
      applyAction(reply, { type: 'customerReply', by: 'ewa@acme.example', text: 'more detail', externalRef: '<b@x>' }, ctxAt(MON_0900 + 2 * MIN)).tickets,
    ).toEqual([]);
  });

  it('opens with the same SLA clock as a fault of the same impact', () => {
    const w = new World();
    w.signal(raised('jam', MON_0900, { device: device('dev-1'), impact: 'critical' }));
    const fault = w.get('T1');
    const manual = open({ device: device('dev-2') });
    expect(manual.sla.reaction.deadlineAt).toBe(fault.sla.reaction.deadlineAt);
    expect(manual.sla.level).toBe(fault.sla.level);
  });
});

describe('corrections: SLA recalculation', () => {
  it('raise: the new, shorter target counts the working time already elapsed', () => {
    const t = open({ impact: 'low' });
    const raisedT = act(t, { type: 'changeImpact', by: 'disp', impact: 'critical', reason: 'blocks invoicing' }, MON_0900 + HOUR);
    expect(raisedT.sla.reaction.consumedMs).toBe(HOUR);
    expect(local(raisedT.sla.reaction.deadlineAt)).toBe('2026-03-02T11:00');
    expect(raisedT.history.at(-1)?.detail).toContain('low/low → critical/critical: blocks invoicing; elapsed working time kept: reaction due');
  });

  it('raise past the elapsed time: due at once, breached at the next tick (not backdated)', () => {
    const t = open({ impact: 'low' });
    const late = act(t, { type: 'changeImpact', by: 'disp', impact: 'critical', reason: 'r' }, MON_0900 + 3 * HOUR);
    expect(late.sla.reaction.deadlineAt).toBe(MON_0900 + 3 * HOUR);
    const fired = tick(late, MON_0900 + 3 * HOUR)!;
    expect(fired.notices.map((x) => x.kind)).toContain('sla.breach');
  });

  it('lower: the longer target from the opening, elapsed time kept', () => {
    const t = open();
    const lowered = act(t, { type: 'changeImpact', by: 'disp', impact: 'low', reason: 'workaround found' }, MON_0900 + HOUR);
    expect(lowered.sla.reaction.consumedMs).toBe(HOUR);
    expect(lowered.sla.reaction.targetMs).toBe(5 * 9 * HOUR);
    expect(lowered.sla.reaction.deadlineAt).toBeGreaterThan(t.sla.reaction.deadlineAt!);
  });

  it('after a breach: lowering gives the new deadline but the breach stays recorded and is not notified again', () => {
    const t = open();
    const breached = tick(t, MON_0900 + 2 * HOUR + MIN)!.tickets[0]!;
    expect(breached.sla.reaction).toMatchObject({ breached: true, breachedAt: MON_0900 + 2 * HOUR });
    const lowered = act(breached, { type: 'changeImpact', by: 'disp', impact: 'low', reason: 'customer says it can wait' }, MON_0900 + 3 * HOUR);
    expect(lowered.sla.reaction).toMatchObject({ breached: true, breachedAt: MON_0900 + 2 * HOUR, targetMs: 45 * HOUR });
    expect(lowered.history.at(-1)?.detail).toContain('(breach stays recorded)');
    const later = tick(lowered, lowered.sla.reaction.deadlineAt! + MIN);
    expect((later?.notices ?? []).filter((x) => x.kind === 'sla.breach')).toEqual([]);
  });

  it('a level alone (a contract level only people set) keeps the impact the desk sees', () => {
    const t = open({ customer: customer('software-5level'), impact: 'low', channel: 'email' });
    const sev5 = act(t, { type: 'changeImpact', by: 'disp', level: 'sev5', reason: 'feature request' }, MON_0900 + HOUR);
    expect(sev5).toMatchObject({ impact: 'low', sla: { level: 'sev5' } });
    expect(() => act(t, { type: 'changeImpact', by: 'disp', level: 'sev9', reason: 'r' }, MON_0900)).toThrow(/has no level "sev9"/);
    expect(() => act(t, { type: 'changeImpact', by: 'disp', reason: 'r' }, MON_0900)).toThrow(/name the new impact or level/);
  });

  it('paused clocks stay paused: the new target applies once the customer answers', () => {
    const t = open({ customer: customer('escalating'), impact: 'low' });
    const waiting = act(
      act(t, { type: 'start', by: 'disp' }, MON_0900 + HOUR),
      { type: 'waitForCustomer', by: 'disp', question: 'which tray?' },
      MON_0900 + 2 * HOUR,
    );
    expect(waiting.sla.resolution).toMatchObject({ state: 'paused', consumedMs: 2 * HOUR, deadlineAt: null });
    const moved = act(waiting, { type: 'changeImpact', by: 'disp', impact: 'critical', reason: 'r' }, MON_0900 + 4 * HOUR);
    expect(moved.sla.resolution).toMatchObject({ state: 'paused', consumedMs: 2 * HOUR, deadlineAt: null, targetMs: 18 * HOUR });
    const answered = act(moved, { type: 'customerReply', by: 'ewa', text: 'tray 2' }, MON_0900 + 5 * HOUR);
    expect(answered.status).toBe('inProgress');
    // 16 h of working time left from Monday 14:00: Monday 3 h, Tuesday 9 h, Wednesday 4 h → Wednesday 12:00.
    expect(local(answered.sla.resolution!.deadlineAt)).toBe('2026-03-04T12:00');
  });

  it('across contracts: a customer change runs the clocks under the new customer’s contract, elapsed time kept', () => {
    const t = open({ device: null, impact: 'high' });
    const moved = act(
      t,
      { type: 'changeCustomer', by: 'disp', customer: customer('escalating', 'globex'), site: SITE, device: null, reason: 'wrong caller' },
      MON_0900 + HOUR,
    );
    expect(moved).toMatchObject({ customer: { id: 'globex', contractId: 'escalating' }, sla: { contractId: 'escalating' } });
    expect(moved.sla.reaction.consumedMs).toBe(HOUR);
    // The new contract promises a resolution: counted from the opening.
    expect(moved.sla.resolution).toMatchObject({ state: 'running', targetMs: 18 * HOUR });
    expect(moved.history.at(-1)).toMatchObject({
      what: 'customer changed',
      detail: expect.stringContaining('acme → globex (contract device-vendor → escalating): wrong caller') as string,
    });
  });

  it('queue and device corrections; a monitoring ticket keeps its device and customer', () => {
    const t = open({ device: null });
    const q = act(t, { type: 'changeQueue', by: 'disp', queue: 'ink-head', reason: 'ink problem' }, MON_0900);
    expect(q.queue).toBe('ink-head');
    expect(() => act(q, { type: 'changeQueue', by: 'disp', queue: 'ink-head', reason: 'r' }, MON_0900)).toThrow(/already in queue ink-head/);
    const d = act(q, { type: 'changeDevice', by: 'disp', device: device('dev-3'), site: SITE, reason: 'named by serial' }, MON_0900);
    expect(d).toMatchObject({ device: { id: 'dev-3' }, affectedDevices: ['dev-3'], sla: t.sla });
    const w = new World();
    w.signal(raised('jam', MON_0900));
    expect(() => act(w.get('T1'), { type: 'changeDevice', by: 'disp', device: device('dev-3'), site: SITE, reason: 'r' }, MON_0900)).toThrow(
      /opened by monitoring/,
    );
    expect(() =>
      act(w.get('T1'), { type: 'changeCustomer', by: 'disp', customer: customer('device-vendor', 'globex'), site: SITE, device: null, reason: 'r' }, MON_0900),
    ).toThrow(/opened by monitoring/);
  });
});

describe('escalation notices', () => {
  it('a warning warnBefore ahead of each deadline and a breach notice at it, once per clock, to dispatch and the manager, in the history', () => {
    const t = open({ customer: customer('escalating') });
    // Reaction 2 h → due 11:00: warning at 10:30 (wall clock), breach at 11:00.
    // Before the 80 % warning share (10:36): the escalation warning is the first timer.
    expect(nextDue(t, ctxAt(MON_0900))).toBe(at('2026-03-02T10:30'));
    expect(tick(t, at('2026-03-02T10:29'))).toBeNull();
    const warned = tick(t, at('2026-03-02T10:30'))!;
    const warning = warned.notices.find((x) => x.kind === 'escalation.warning');
    expect(warning).toMatchObject({ clock: 'reaction', notifyDispatch: true, managerEmail: 'kierownik@vendor.example', at: at('2026-03-02T10:30') });
    const w1 = warned.tickets[0]!;
    expect(w1.history.at(-1)).toMatchObject({
      what: 'escalation warning',
      by: 'system',
      detail: expect.stringContaining('reaction due 2026-03-02T10:00:00.000Z (30m before): notified dispatch, manager kierownik@vendor.example') as string,
    });
    // Not again at the next tick.
    expect(tick(w1, at('2026-03-02T10:31'))?.notices.filter((x) => x.kind === 'escalation.warning') ?? []).toEqual([]);
    const breached = tick(w1, at('2026-03-02T11:00'))!;
    expect(breached.notices.map((x) => x.kind)).toEqual(expect.arrayContaining(['sla.breach', 'escalation.breach']));
    const b1 = breached.tickets[0]!;
    expect(b1.escalationNotices?.map((e) => `${e.clock}:${e.kind}`)).toEqual(['reaction:warning', 'reaction:breach']);
    expect(tick(b1, at('2026-03-02T12:00'))?.notices.filter((x) => x.kind.startsWith('escalation')) ?? []).toEqual([]);
  });

  it('each clock has its own notices; a stopped clock none; a paused clock waits', () => {
    const t = open({ customer: customer('escalating') });
    const acked = act(t, { type: 'acknowledge', by: 'disp' }, MON_0900 + 10 * MIN);
    // The reaction clock stopped: only the resolution clock escalates.
    const due = acked.sla.resolution!.deadlineAt!;
    const waiting = act(acked, { type: 'waitForCustomer', by: 'disp', question: 'q' }, MON_0900 + HOUR);
    expect(tick(waiting, due + HOUR)?.notices.filter((x) => x.kind.startsWith('escalation')) ?? []).toEqual([]);
    const resumed = act(waiting, { type: 'customerReply', by: 'ewa', text: 'a' }, MON_0900 + 2 * HOUR);
    const newDue = resumed.sla.resolution!.deadlineAt!;
    const warned = tick(resumed, newDue - 30 * MIN)!;
    expect(warned.notices.filter((x) => x.kind.startsWith('escalation')).map((x) => `${x.clock}:${x.kind}`)).toEqual(['resolution:escalation.warning']);
    const breached = tick(warned.tickets[0]!, newDue)!;
    expect(breached.notices.filter((x) => x.kind.startsWith('escalation')).map((x) => `${x.clock}:${x.kind}`)).toEqual(['resolution:escalation.breach']);
  });

  it('a contract without escalation sends none; notify names manager only with an address', () => {
    const t = open();
    const all = tick(t, MON_0900 + 3 * HOUR)!;
    expect(all.notices.some((x) => x.kind.startsWith('escalation'))).toBe(false);
    expect(() => compileContract({ ...presetContract('device-vendor').spec, id: 'bad', escalation: { warnBefore: '30m', notify: ['manager'] } })).toThrow(
      /escalation\.manager/,
    );
    expect(() => compileContract({ ...presetContract('device-vendor').spec, id: 'bad', escalation: { warnBefore: 'soon', notify: ['dispatch'] } })).toThrow(
      /escalation\.warnBefore/,
    );
  });
});
