import { describe, expect, it } from 'vitest';
import { intakeBody, intakeOutcome, firstDeadline, severityChoices, INTAKE_CHANNELS } from '../../../server/dashboard/static/intakeForm.js';
import { availableCorrections, correctionBody, currentValue } from '../../../server/dashboard/static/ticketCorrections.js';
import { portalActions, portalTicketLists } from '../../../server/dashboard/static/portalModel.js';
import { arrivalMet, nextVisitStep, orderVisits, visitState } from '../../../server/dashboard/static/visitModel.js';
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
    for (const bad of ['', 'yesterday', '2026-02-31T10:00', '2026-13-01T10:00', '2026-01-01T24:00', 42]) expect(wallTimeToIso(bad, 'Europe/Warsaw'), String(bad)).toBeNull();
  });
});

describe('new ticket form', () => {
  const values = { customer: ' acme ', device: 'SN123', subject: ' Printer smears ', description: 'Streaks on every page', channel: 'phone', severity: 'sev3', 'contact.name': 'Jan Kowalski', 'contact.phone': ' ', 'contact.email': 'jan@acme.example', occurredAt: '2026-12-07T09:30' };

  it('builds the request, reading "occurred at" in the site zone and leaving blank fields out', () => {
    expect(intakeBody(values, { zone: 'Europe/Warsaw' })).toEqual({
      customer: 'acme', device: { key: 'SN123' }, subject: 'Printer smears', description: 'Streaks on every page', channel: 'phone', level: 'sev3',
      contact: { name: 'Jan Kowalski', email: 'jan@acme.example' }, occurredAt: '2026-12-07T08:30:00.000Z',
    });
    const minimal = intakeBody({ customer: 'acme', subject: 's', description: 'd', channel: 'form', severity: 'high', device: '', occurredAt: '' }, { zone: 'UTC' });
    expect(minimal).toEqual({ customer: 'acme', subject: 's', description: 'd', channel: 'form', impact: 'high' });
  });

  it('fixes the customer of a customer token and sends an unreadable time as typed (the API names the field)', () => {
    const body = intakeBody({ ...values, customer: 'other', occurredAt: 'this morning' }, { zone: 'UTC', customer: 'acme' });
    expect(body.customer).toBe('acme');
    expect(body.occurredAt).toBe('this morning');
  });

  it('offers impacts and the contract levels without repeats', () => {
    const contract = { spec: { levels: [{ id: 'sev1', label: 'Critical' }, { id: 'critical' }, { id: 'sev5', label: 'Question' }] } };
    expect(severityChoices(contract).map((c) => `${c.kind}:${c.id}`)).toEqual(['impact:critical', 'impact:high', 'impact:medium', 'impact:low', 'level:sev1', 'level:sev5']);
    expect(severityChoices(null)).toHaveLength(4);
    expect(INTAKE_CHANNELS).toEqual(['phone', 'email', 'form', 'portal', 'chat']);
  });

  it('reads the answer: a new ticket with its first running deadline, or the open ticket it duplicates', () => {
    const ticket = { id: 'T000042', sla: { reaction: { state: 'running', deadlineAt: '2026-12-07T12:00:00Z' }, resolution: { state: 'running', deadlineAt: '2026-12-07T10:00:00Z' }, onSite: null } };
    expect(firstDeadline(ticket)).toBe('2026-12-07T10:00:00Z');
    expect(firstDeadline({ sla: { reaction: { state: 'stopped', deadlineAt: '2026-12-07T12:00:00Z' } } })).toBeNull();
    expect(intakeOutcome({ ticket, duplicateOf: null, deadlines: { reaction: 1_800_000_000_000, resolution: 1_700_000_000_000 } })).toEqual({ kind: 'opened', ticketId: 'T000042', deadlineAt: 1_700_000_000_000 });
    expect(intakeOutcome({ ticket, duplicateOf: null, deadlines: { reaction: null, resolution: null } })).toEqual({ kind: 'opened', ticketId: 'T000042', deadlineAt: '2026-12-07T10:00:00Z' });
    expect(intakeOutcome({ duplicateOf: 'T000007', ticket: { id: 'T000007', sla: {} }, deadlines: { reaction: null, resolution: null } })).toEqual({ kind: 'duplicate', ticketId: 'T000007', deadlineAt: null });
  });
});

describe('ticket corrections', () => {
  const tk = { status: 'inProgress', impact: 'high', queue: 'support', device: { id: 'dev-1' }, customer: { id: 'acme' }, sla: { level: 'sev2', contractId: 'device-vendor' } };
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
    expect(correctionBody('queue', { queue: 'ink-head', reason: 'ink' })).toEqual({ queue: 'ink-head', reason: 'ink' });
    expect(correctionBody('customer', { customer: 'beta', reason: 'called the wrong line' })).toEqual({ customer: 'beta', reason: 'called the wrong line' });
  });
  it('start from what the ticket has now', () => {
    expect(['impact', 'contract', 'queue', 'device', 'customer'].map((id) => currentValue(id as 'impact', tk))).toEqual(['sev2', 'device-vendor', 'support', 'dev-1', 'acme']);
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

describe('on-site visits on the technician page', () => {
  it('step from requested to on site to done', () => {
    expect(visitState({})).toBe('requested');
    expect(visitState({ scheduledFor: '2026-12-07T10:00:00Z' })).toBe('scheduled');
    expect(nextVisitStep({ scheduledFor: '2026-12-07T10:00:00Z' })).toBe('arrive');
    expect(nextVisitStep({ arrivedAt: '2026-12-07T10:05:00Z' })).toBe('depart');
    expect(nextVisitStep({ arrivedAt: '2026-12-07T10:05:00Z', departedAt: '2026-12-07T11:00:00Z' })).toBeNull();
  });
  it('says whether the arrival met the target', () => {
    expect(arrivalMet({ targetAt: '2026-12-07T12:00:00Z', arrivedAt: '2026-12-07T11:59:00Z' })).toBe(true);
    expect(arrivalMet({ targetAt: '2026-12-07T12:00:00Z', arrivedAt: '2026-12-07T12:01:00Z' })).toBe(false);
    expect(arrivalMet({ targetAt: '2026-12-07T12:00:00Z' })).toBeNull();
  });
  it('orders my visits: on site, then by target, then done', () => {
    const visits = [
      { id: 'done-old', arrivedAt: '2026-12-01T10:00:00Z', departedAt: '2026-12-01T11:00:00Z' },
      { id: 'later', targetAt: '2026-12-08T12:00:00Z' },
      { id: 'here', arrivedAt: '2026-12-07T10:00:00Z', targetAt: '2026-12-09T12:00:00Z' },
      { id: 'sooner', targetAt: '2026-12-07T16:00:00Z', scheduledFor: '2026-12-07T14:00:00Z' },
      { id: 'done-new', arrivedAt: '2026-12-06T10:00:00Z', departedAt: '2026-12-06T11:00:00Z' },
    ];
    expect(orderVisits(visits).map((v) => v.id)).toEqual(['here', 'sooner', 'later', 'done-new', 'done-old']);
  });
});
