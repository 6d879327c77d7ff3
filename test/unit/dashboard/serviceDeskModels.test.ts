import { describe, expect, it } from 'vitest';
import { intakeBody, intakeOutcome, firstDeadline, severityChoices, INTAKE_CHANNELS } from '../../../server/dashboard/static/intakeForm.js';
import { availableCorrections, correctionBody, currentValue } from '../../../server/dashboard/static/ticketCorrections.js';
import { formatSize, INTAKE_STATUSES, intakeActions, intakeExcerpt, senderLabel } from '../../../server/dashboard/static/intakeModel.js';
import { portalActions, portalTicketLists } from '../../../server/dashboard/static/portalModel.js';
import { myVisits, nextVisitStep, visitEndpoint, visitState, visitSteps } from '../../../server/dashboard/static/visitModel.js';
import { isoToWallTime, wallTimeToIso } from '../../../server/dashboard/static/wallTime.js';

describe('wall time in the site zone', () => {
  it('reads a typed time in the zone, winter and summer', () => {
    expect(wallTimeToIso('2026-12-07T09:30', 'Europe/Warsaw')).toBe('2026-12-07T08:30:00.000Z');
    expect(wallTimeToIso('2026-07-07T09:30', 'Europe/Warsaw')).toBe('2026-07-07T07:30:00.000Z');
    expect(wallTimeToIso('2026-07-07T09:30', 'UTC')).toBe('2026-07-07T09:30:00.000Z');
    expect(isoToWallTime('2026-12-07T08:30:00Z', 'Europe/Warsaw')).toBe('2026-12-07T09:30');
  });
  it('reads a time skipped by the spring clock change with the offset before it', () => {
    expect(wallTimeToIso('2026-03-29T02:30', 'Europe/Warsaw')).toBe('2026-03-29T01:30:00.000Z');
  });
  it('refuses what is not a time', () => {
    for (const bad of ['', 'yesterday', '2026-02-31T10:00', '2026-13-01T10:00', '2026-01-01T24:00', 42])
      expect(wallTimeToIso(bad, 'Europe/Warsaw'), String(bad)).toBeNull();
  });
});

describe('new ticket form', () => {
  const values = {
    customer: ' acme ',
    device: 'SN123',
    subject: ' Printer smears ',
    description: 'Streaks on every page',
    channel: 'phone',
    severity: 'sev3',
    'contact.name': 'Jan Kowalski',
    'contact.phone': ' ',
    'contact.email': 'jan@acme.example',
    occurredAt: '2026-12-07T09:30',
  };

  it('builds the request, reading "occurred at" in the site zone and leaving blank fields out', () => {
    expect(intakeBody(values, { zone: 'Europe/Warsaw' })).toEqual({
      customer: 'acme',
      device: { key: 'SN123' },
      subject: 'Printer smears',
      description: 'Streaks on every page',
      channel: 'phone',
      level: 'sev3',
      contact: { name: 'Jan Kowalski', email: 'jan@acme.example' },
      occurredAt: '2026-12-07T08:30:00.000Z',
    });
    const minimal = intakeBody(
      { customer: 'acme', subject: 's', description: 'd', channel: 'form', severity: 'high', device: '', occurredAt: '' },
      { zone: 'UTC' },
    );
    expect(minimal).toEqual({ customer: 'acme', subject: 's', description: 'd', channel: 'form', impact: 'high' });
  });

  it('fixes the customer of a customer token and sends an unreadable time as typed (the API names the field)', () => {
    const body = intakeBody({ ...values, customer: 'other', occurredAt: 'this morning' }, { zone: 'UTC', customer: 'acme' });
    expect(body.customer).toBe('acme');
    expect(body.occurredAt).toBe('this morning');
  });

  it('offers impacts and the contract levels without repeats', () => {
    const contract = { spec: { levels: [{ id: 'sev1', label: 'Critical' }, { id: 'critical' }, { id: 'sev5', label: 'Question' }] } };
    expect(severityChoices(contract).map((c) => `${c.kind}:${c.id}`)).toEqual([
      'impact:critical',
      'impact:high',
      'impact:medium',
      'impact:low',
      'level:sev1',
      'level:sev5',
    ]);
    expect(severityChoices(null)).toHaveLength(4);
    expect(INTAKE_CHANNELS).toEqual(['phone', 'email', 'form', 'portal', 'chat']);
  });

  it('reads the answer: a new ticket with its first running deadline, or the open ticket it duplicates', () => {
    const ticket = {
      id: 'T000042',
      sla: {
        reaction: { state: 'running', deadlineAt: '2026-12-07T12:00:00Z' },
        resolution: { state: 'running', deadlineAt: '2026-12-07T10:00:00Z' },
        onSite: null,
      },
    };
    expect(firstDeadline(ticket)).toBe('2026-12-07T10:00:00Z');
    expect(firstDeadline({ sla: { reaction: { state: 'stopped', deadlineAt: '2026-12-07T12:00:00Z' } } })).toBeNull();
    expect(intakeOutcome({ ticket, duplicateOf: null, deadlines: { reaction: '2026-12-07T11:00:00.000Z', resolution: '2026-12-07T09:00:00.000Z' } })).toEqual({
      kind: 'opened',
      ticketId: 'T000042',
      deadlineAt: '2026-12-07T09:00:00.000Z',
    });
    expect(intakeOutcome({ ticket, duplicateOf: null, deadlines: { reaction: '2026-12-07T11:00:00.000Z', resolution: null } }).deadlineAt).toBe(
      '2026-12-07T11:00:00.000Z',
    );
    expect(intakeOutcome({ ticket, duplicateOf: null, deadlines: { reaction: null, resolution: null } })).toEqual({
      kind: 'opened',
      ticketId: 'T000042',
      deadlineAt: '2026-12-07T10:00:00Z',
    });
    expect(intakeOutcome({ duplicateOf: 'T000007', ticket: { id: 'T000007', sla: {} }, deadlines: { reaction: null, resolution: null } })).toEqual({
      kind: 'duplicate',
      ticketId: 'T000007',
      deadlineAt: null,
    });
  });
});

describe('ticket corrections', () => {
  const tk = {
    status: 'inProgress',
    impact: 'high',
    queue: 'support',
    device: { id: 'dev-1' },
    customer: { id: 'acme' },
    sla: { level: 'sev2', contractId: 'device-vendor' },
  };
  it('are offered to dispatchers and admins on tickets that are not closed', () => {
    expect(availableCorrections(tk, { role: 'dispatcher', name: 'd' })).toEqual(['impact', 'contract', 'queue', 'device', 'customer']);
    expect(availableCorrections(tk, { role: 'technician', name: 't' })).toEqual([]);
    expect(availableCorrections(tk, { role: 'customer', name: 'c' })).toEqual([]);
    expect(availableCorrections({ ...tk, status: 'closed' }, { role: 'admin', name: 'a' })).toEqual([]);
  });
  it('always carry the reason; an impact and a level are told apart; a device may be cleared', () => {
    expect(correctionBody('impact', { severity: 'critical', reason: ' wrong guess ' })).toEqual({ impact: 'critical', reason: 'wrong guess' });
    expect(correctionBody('impact', { severity: 'sev5', reason: 'a question' })).toEqual({ level: 'sev5', reason: 'a question' });
    expect(correctionBody('device', { device: '', reason: 'not a device' })).toEqual({ device: null, reason: 'not a device' });
    expect(correctionBody('device', { device: 'acme/dev-2', reason: 'the other printer' })).toEqual({
      device: { key: 'acme/dev-2' },
      reason: 'the other printer',
    });
    expect(correctionBody('contract', { contract: 'standard', reason: 'new contract' })).toEqual({ contract: 'standard', reason: 'new contract' });
    expect(correctionBody('queue', { queue: 'ink-head', reason: 'ink' })).toEqual({ queue: 'ink-head', reason: 'ink' });
    expect(correctionBody('customer', { customer: 'beta', reason: 'called the wrong line' })).toEqual({ customer: 'beta', reason: 'called the wrong line' });
  });
  it('start from what the ticket has now', () => {
    expect(['impact', 'contract', 'queue', 'device', 'customer'].map((id) => currentValue(id as 'impact', tk))).toEqual([
      'sev2',
      'device-vendor',
      'support',
      'dev-1',
      'acme',
    ]);
  });
});

describe('customer portal', () => {
  it('lets the customer reply while a ticket is open or resolved, and confirm a resolved one', () => {
    expect(portalActions({ status: 'inProgress' })).toEqual(['reply']);
    expect(portalActions({ status: 'waitingForCustomer' })).toEqual(['reply']);
    expect(portalActions({ status: 'resolved' })).toEqual(['reply', 'confirm']);
    expect(portalActions({ status: 'closed' })).toEqual([]);
  });
  it('lists open tickets by deadline and done ones newest first', () => {
    const tickets = [
      { id: 'a', status: 'new', deadlineAt: '2026-12-08T10:00:00Z', openedAt: '2026-12-07T09:00:00Z' },
      { id: 'b', status: 'resolved', deadlineAt: null, openedAt: '2026-12-01T09:00:00Z' },
      { id: 'c', status: 'inProgress', deadlineAt: '2026-12-07T12:00:00Z', openedAt: '2026-12-06T09:00:00Z' },
      { id: 'd', status: 'waitingForCustomer', deadlineAt: null, openedAt: '2026-12-05T09:00:00Z' },
      { id: 'e', status: 'closed', deadlineAt: null, openedAt: '2026-12-03T09:00:00Z' },
    ];
    const { open, done } = portalTicketLists(tickets);
    expect(open.map((t) => t.id)).toEqual(['c', 'a', 'd']);
    expect(done.map((t) => t.id)).toEqual(['e', 'b']);
  });
});

describe('on-site visits', () => {
  const dispatcher = { role: 'dispatcher', name: 'dora' };
  const tech = { role: 'technician', name: 'tomek' };
  it('step from requested to scheduled, on site and done', () => {
    expect(visitState({})).toBe('requested');
    expect(visitState({ technician: 'tomek', plannedAt: null })).toBe('scheduled');
    expect(visitState({ arrivedAt: 2 })).toBe('onSite');
    expect(visitState({ arrivedAt: 2, departedAt: 3 })).toBe('done');
    expect(nextVisitStep({ plannedAt: 1 })).toBe('arrive');
    expect(nextVisitStep({ arrivedAt: 2 })).toBe('depart');
    expect(nextVisitStep({ arrivedAt: 2, departedAt: 3 })).toBeNull();
  });

  it('offers the steps the lifecycle allows: one visit waits for its arrival at a time; scheduling is for the dispatch desk', () => {
    expect(visitSteps({ status: 'inProgress', visits: [] }, dispatcher)).toEqual([{ step: 'request' }]);
    const waiting = { status: 'inProgress', visits: [{ id: 'V1', arrivedAt: null, departedAt: null }] };
    expect(visitSteps(waiting, dispatcher)).toEqual([
      { step: 'schedule', visitId: 'V1' },
      { step: 'arrive', visitId: 'V1' },
    ]);
    expect(visitSteps(waiting, tech)).toEqual([{ step: 'arrive', visitId: 'V1' }]);
    const onSite = { status: 'inProgress', visits: [{ id: 'V1', arrivedAt: 5, departedAt: null }] };
    expect(visitSteps(onSite, tech)).toEqual([{ step: 'request' }, { step: 'depart', visitId: 'V1' }]);
    expect(visitSteps({ status: 'resolved', visits: onSite.visits }, tech)).toEqual([{ step: 'depart', visitId: 'V1' }]);
    expect(visitSteps({ status: 'closed', visits: onSite.visits }, dispatcher)).toEqual([]);
    expect(visitSteps(waiting, { role: 'customer', name: 'c' })).toEqual([]);
  });

  it('names the endpoint of each step', () => {
    expect(visitEndpoint('request')).toEqual({ method: 'POST', path: '' });
    expect(visitEndpoint('schedule', 'V2')).toEqual({ method: 'PATCH', path: '/V2' });
    expect(visitEndpoint('arrive', 'V2')).toEqual({ method: 'POST', path: '/V2/arrival' });
    expect(visitEndpoint('depart', 'V2')).toEqual({ method: 'POST', path: '/V2/departure' });
  });

  it('lists my visits: the one I am at first, then by arrival deadline; dispatchers see all', () => {
    const visit = (technician: string | null, dueAt: number | null, arrivedAt: number | null = null) => ({
      visitId: 'V1',
      dueAt,
      breached: false,
      technician,
      plannedAt: null,
      arrivedAt,
    });
    const rows = [
      { id: 'later', assignee: 'tomek', onSite: visit('tomek', 300) },
      { id: 'none', assignee: 'tomek', onSite: null },
      { id: 'other', assignee: 'ewa', onSite: visit('ewa', 100) },
      { id: 'here', assignee: 'tomek', onSite: visit('tomek', 50, 60) },
      { id: 'unnamed-mine', assignee: 'tomek', onSite: visit(null, 200) },
      { id: 'unnamed-free', assignee: null, onSite: visit(null, 150) },
      { id: 'no-target', assignee: 'tomek', onSite: visit('tomek', null) },
    ];
    expect(myVisits(rows, tech).map((r) => r.id)).toEqual(['here', 'unnamed-mine', 'later', 'no-target']);
    expect(myVisits(rows, dispatcher).map((r) => r.id)).toEqual(['here', 'other', 'unnamed-free', 'unnamed-mine', 'later', 'no-target']);
  });
});

describe('e-mail intake page', () => {
  it('offers the three actions only while an item waits', () => {
    expect(intakeActions({ status: 'unassigned' })).toEqual(['assign', 'attach', 'dismiss']);
    for (const status of ['assigned', 'attached', 'dismissed']) expect(intakeActions({ status }), status).toEqual([]);
    expect(INTAKE_STATUSES).toEqual(['unassigned', 'assigned', 'attached', 'dismissed']);
  });
  it('shows a one-line excerpt cut at a word, the sender as written, and sizes', () => {
    expect(intakeExcerpt('Dzień dobry,\n\n  drukarka   nie działa.')).toBe('Dzień dobry, drukarka nie działa.');
    const long = intakeExcerpt(`${'słowo '.repeat(60)}koniec`, 40);
    expect(long.endsWith('…')).toBe(true);
    expect(long.length).toBeLessThanOrEqual(41);
    expect(long).not.toContain('koniec');
    expect(intakeExcerpt(null)).toBe('');
    expect(senderLabel({ from: 'jan@x.example', fromName: 'Jan Kowalski' })).toBe('Jan Kowalski <jan@x.example>');
    expect(senderLabel({ from: 'jan@x.example', fromName: null })).toBe('jan@x.example');
    expect(senderLabel({ from: null, fromName: null })).toBeNull();
    expect([formatSize(812), formatSize(4_200), formatSize(20_000_000)]).toEqual(['812 B', '4.2 kB', '20.0 MB']);
  });
});
