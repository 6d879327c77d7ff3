/**
 * A ticket lists its faults by identity (code + subunit, shared/faultIdentity.ts): it resolves only
 * when every fault it holds has cleared, and its title and impact follow what it holds now.
 */
import { describe, expect, it } from 'vitest';
import { ticketFaultLabel } from '../../../server/tickets/ticket.js';
import { DEFAULT_POLICY } from '../../../server/tickets/ticketPolicy.js';
import { at, cartridge, cleared, device, local, MIN, raised, unreachable, World } from './fixtures.js';

const MON_0900 = at('2026-03-02T09:00');
const CYAN = cartridge(2, 'Cyan Cartridge');
const MAGENTA = cartridge(3, 'Magenta Cartridge');
const BLACK = cartridge(1, 'Black Cartridge');
const QUIET = DEFAULT_POLICY.quietPeriodMs;

describe('tickets per fault identity (code + subunit)', () => {
  it('two cartridges empty, one refilled: the other keeps the ticket open; all refilled: resolved after the quiet period', () => {
    const w = new World();
    w.signal(raised('toner.empty', MON_0900, { subunit: CYAN }));
    w.signal(raised('toner.empty', MON_0900 + MIN, { subunit: MAGENTA }));
    expect(w.all()).toHaveLength(1);
    const t = w.get('T1');
    expect(t.faults.map((f) => [f.code, f.subunit?.index, f.active])).toEqual([
      ['toner.empty', 2, true],
      ['toner.empty', 3, true],
    ]);

    w.signal(cleared('toner.empty', MON_0900 + 5 * MIN, 'dev-1', CYAN));
    expect(w.get('T1').faults.map((f) => f.active)).toEqual([false, true]);
    expect(w.get('T1').quietSince).toBeNull();
    w.tick(MON_0900 + 5 * MIN + 2 * QUIET);
    expect(w.get('T1').status).toBe('new');

    const last = MON_0900 + 5 * MIN + 2 * QUIET + MIN;
    w.signal(cleared('toner.empty', last, 'dev-1', MAGENTA));
    expect(w.get('T1').quietSince).toBe(last);
    w.tick(last + QUIET - 1);
    expect(w.get('T1').status).toBe('new');
    w.tick(last + QUIET);
    expect(w.get('T1')).toMatchObject({ status: 'resolved', resolution: 'byDevice' });
  });

  it('the same code on another subunit after the related window opens its own ticket; the same subunit repeats into the first', () => {
    const w = new World();
    w.signal(raised('paper.empty', MON_0900, { subunit: { group: 'input', index: 1 } }));
    w.signal(raised('paper.empty', MON_0900 + 20 * MIN, { subunit: { group: 'input', index: 2 } }));
    w.signal(raised('paper.empty', MON_0900 + 30 * MIN, { subunit: { group: 'input', index: 1, name: 'Tray 1 (renamed)' } }));
    expect(w.all().map((t) => [t.key, t.faults.map((f) => f.occurrences)])).toEqual([
      ['device:dev-1:paper.empty|input|1', [2]],
      ['device:dev-1:paper.empty|input|2', [1]],
    ]);
  });

  it('title and impact follow the faults held now: raised on a worse join, lowered when it clears, both in history', () => {
    const w = new World();
    w.signal(raised('toner.low', MON_0900, { subunit: MAGENTA, impact: 'low' }));
    expect(w.get('T1').title).toBe('Toner low — Magenta Cartridge on LaserJet M507 at Warszawa HQ');
    const lowDeadline = w.get('T1').sla.reaction.deadlineAt;

    w.signal(raised('toner.empty', MON_0900 + 3 * MIN, { subunit: BLACK, impact: 'critical' }));
    let t = w.get('T1');
    expect(t.title).toBe('Toner empty — Black Cartridge (+1 more) on LaserJet M507 at Warszawa HQ');
    expect(t.impact).toBe('critical');
    expect(t.impactRule).toBe('rule test → critical');
    // Raise: the earlier of the deadline in force and the join + the critical 2 working hours.
    expect(local(t.sla.reaction.deadlineAt)).toBe('2026-03-02T11:03');
    const criticalDeadline = t.sla.reaction.deadlineAt;
    expect(criticalDeadline).toBeLessThan(lowDeadline!);

    w.signal(cleared('toner.empty', MON_0900 + 40 * MIN, 'dev-1', BLACK));
    t = w.get('T1');
    expect(t.status).toBe('new');
    expect(t.impact).toBe('low');
    expect(t.title).toBe('Toner low — Magenta Cartridge on LaserJet M507 at Warszawa HQ');
    // Lower: the deadline already promised stays.
    expect(t.sla.reaction.deadlineAt).toBe(criticalDeadline);
    expect(t.history.map((h) => h.what)).toEqual([
      'opened',
      'fault joined',
      'title changed',
      'impact raised',
      'fault cleared',
      'title changed',
      'impact lowered',
    ]);
  });

  it('a worse fault joining late never makes the ticket overdue at once', () => {
    const w = new World({ ...DEFAULT_POLICY, relatedWindowMs: 8 * 60 * MIN });
    w.signal(raised('toner.low', MON_0900, { subunit: MAGENTA, impact: 'medium' }));
    // Three working hours later a critical fault joins: 2 h of critical target from now, not from the opening.
    w.signal(raised('toner.empty', MON_0900 + 3 * 60 * MIN, { subunit: BLACK, impact: 'critical' }));
    const t = w.get('T1');
    expect(t.sla.reaction.breached).toBe(false);
    expect(local(t.sla.reaction.deadlineAt)).toBe('2026-03-02T14:00');
  });

  it('an impact an operator set by hand is not lowered when a fault clears', () => {
    const w = new World();
    w.signal(raised('toner.low', MON_0900, { subunit: MAGENTA, impact: 'low' }));
    w.signal(raised('toner.empty', MON_0900 + MIN, { subunit: BLACK, impact: 'medium' }));
    w.act('T1', { type: 'changeImpact', by: 'jan', impact: 'critical', reason: 'customer production stopped' }, MON_0900 + 2 * MIN);
    w.signal(cleared('toner.empty', MON_0900 + 3 * MIN, 'dev-1', BLACK));
    expect(w.get('T1').impact).toBe('critical');
  });

  it('one "service requested" condition reported as a known code and an unclassified alert opens one ticket, in either order', () => {
    for (const order of [
      ['service.requested', 'unclassified'],
      ['unclassified', 'service.requested'],
    ] as const) {
      const w = new World();
      for (const code of order)
        w.signal(raised(code, MON_0900, { impact: code === 'unclassified' ? 'low' : 'critical', subunit: { group: 'generalPrinter', index: 1 } }));
      expect(w.all()).toHaveLength(1);
      expect(w.get('T1').impact).toBe('critical');
      expect(w.get('T1').title).toMatch(/^Service requested/);
    }
  });

  it('a ticket stored before subunits (faults without one) still matches its code on any subunit and resolves', () => {
    const w = new World();
    w.signal(raised('toner.empty', MON_0900));
    const stored = w.get('T1');
    w.tickets.set('T1', { ...stored, faults: stored.faults.map(({ subunit: _legacy, ...f }) => f) });
    w.signal(raised('toner.empty', MON_0900 + MIN, { subunit: MAGENTA }));
    expect(w.all()).toHaveLength(1);
    expect(w.get('T1').faults[0]!.occurrences).toBe(2);
    w.signal(cleared('toner.empty', MON_0900 + 2 * MIN, 'dev-1', MAGENTA));
    w.tick(MON_0900 + 2 * MIN + QUIET);
    expect(w.get('T1').status).toBe('resolved');
  });

  it('routes by the contract: its ink/print-head line, its connectivity line, its default; a queue named by an impact rule wins', () => {
    const w = new World();
    w.signal(raised('printhead.fault', MON_0900, { device: device('d1') }));
    w.signal(raised('jam', MON_0900, { device: device('d2') }));
    w.signal(unreachable(MON_0900, device('d3')));
    w.signal(raised('printhead.fault', MON_0900, { device: device('d4'), contractId: 'software-5level' }));
    w.signal(raised('printhead.fault', MON_0900, { device: device('d5'), contractId: 'software-5level', queue: 'ink-head' }));
    expect(w.all().map((t) => [t.device?.id, t.queue])).toEqual([
      ['d1', 'ink-head'],
      ['d2', 'general'],
      ['d3', 'general'],
      ['d4', 'support'],
      ['d5', 'ink-head'],
    ]);
  });

  it('labels a fault for a technician, in both languages', () => {
    expect(ticketFaultLabel({ code: 'toner.empty', subunit: MAGENTA }, 'en')).toBe('Toner empty — Magenta Cartridge');
    expect(ticketFaultLabel({ code: 'paper.empty', subunit: { group: 'input', index: 2 } }, 'pl')).toBe('Brak papieru — Podajnik 2');
    expect(ticketFaultLabel({ code: 'jam', subunit: null }, 'en')).toBe('Paper jam');
  });
});
