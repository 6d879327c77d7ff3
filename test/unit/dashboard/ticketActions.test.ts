import { describe, expect, it } from 'vitest';
import { ACTIONS, assignMode, availableActions, fieldOfError, type Me } from '../../../server/dashboard/static/ticketActions.js';
import { TicketStatus } from '../../../server/tickets/ticket.js';

const admin: Me = { role: 'admin', name: 'admin' };
const tech: Me = { role: 'technician', name: 'tomek' };
const customer: Me = { role: 'customer', name: 'acme' };
const ticket = (status: string, extra: Partial<{ tier: string; assignee: string | null }> = {}) => ({ status, tier: 'L1', assignee: null, ...extra });

describe('ticket actions offered by the page', () => {
  it('follows the lifecycle of each status (ticketPolicy requireStatus)', () => {
    expect(availableActions(ticket('new'), admin)).toEqual([
      'acknowledge',
      'start',
      'assign',
      'waitForCustomer',
      'escalate',
      'comment',
      'timeEntry',
      'resolve',
    ]);
    expect(availableActions(ticket('acknowledged'), admin)).toEqual(['start', 'assign', 'waitForCustomer', 'escalate', 'comment', 'timeEntry', 'resolve']);
    expect(availableActions(ticket('inProgress'), admin)).toEqual(['assign', 'waitForCustomer', 'escalate', 'comment', 'timeEntry', 'resolve']);
    expect(availableActions(ticket('waitingForCustomer'), admin)).toEqual([
      'assign',
      'customerReplied',
      'contactAttempt',
      'escalate',
      'comment',
      'timeEntry',
      'resolve',
    ]);
    expect(availableActions(ticket('resolved'), admin)).toEqual(['comment', 'timeEntry', 'close', 'reopen']);
    expect(availableActions(ticket('closed'), admin)).toEqual([]);
  });

  it('knows every ticket status of the engine', () => {
    for (const s of TicketStatus.options) expect(Array.isArray(availableActions(ticket(s), admin)), s).toBe(true);
    const covered = new Set(Object.values(ACTIONS).flatMap((a) => a.statuses));
    expect([...covered].sort()).toEqual(TicketStatus.options.filter((s) => s !== 'closed').sort());
  });

  it('offers nothing to customers and stops escalation at the highest tier', () => {
    expect(availableActions(ticket('new'), customer)).toEqual([]);
    expect(availableActions(ticket('new'), null)).toEqual([]);
    expect(availableActions(ticket('inProgress', { tier: 'L3' }), admin)).not.toContain('escalate');
    expect(availableActions(ticket('inProgress', { tier: 'L2' }), tech)).toContain('escalate');
  });

  it('lets a technician only take a ticket or give their own back (access.canAssign)', () => {
    expect(assignMode(ticket('new'), tech)).toBe('take');
    expect(assignMode(ticket('new', { assignee: 'tomek' }), tech)).toBe('giveBack');
    expect(assignMode(ticket('new', { assignee: 'ola' }), tech)).toBe('none');
    expect(assignMode(ticket('new', { assignee: 'ola' }), { role: 'dispatcher', name: 'd' })).toBe('any');
    expect(assignMode(ticket('new'), customer)).toBe('none');
  });

  it('builds the request bodies the API routes expect', () => {
    expect(ACTIONS.acknowledge.body({ note: '  ' })).toEqual({});
    expect(ACTIONS.acknowledge.body({ note: ' on it ' })).toEqual({ note: 'on it' });
    expect(ACTIONS.assign.body({ assignee: '' })).toEqual({ assignee: null });
    expect(ACTIONS.comment.body({ text: 'x', public: true })).toEqual({ text: 'x', public: true });
    expect(ACTIONS.timeEntry.body({ channel: 'phone', minutes: ' 25 ', note: ' called ' })).toEqual({ channel: 'phone', minutes: 25, note: 'called' });
    // Not a whole number: sent as typed, so the API names body.minutes.
    expect(ACTIONS.timeEntry.body({ channel: 'phone', minutes: '2.5' })).toEqual({ channel: 'phone', minutes: '2.5', note: '' });
    expect(ACTIONS.resolve.body({ solution: 's', confirmedByCustomer: false })).toEqual({ solution: 's' });
    expect(ACTIONS.resolve.body({ solution: 's', confirmedByCustomer: true })).toEqual({ solution: 's', confirmedByCustomer: true });
    expect(ACTIONS.waitForCustomer.path).toBe('wait-for-customer');
    expect(ACTIONS.contactAttempt.path).toBe('contact-attempts');
  });

  it('maps the API error field to the form field', () => {
    expect(fieldOfError('body.minutes')).toBe('minutes');
    expect(fieldOfError('body')).toBeNull();
    expect(fieldOfError('querystring.limit')).toBeNull();
    expect(fieldOfError(undefined)).toBeNull();
  });
});
