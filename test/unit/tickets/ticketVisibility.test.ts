/** What a customer sees of a ticket: one filter for comments and history (server/tickets/ticketVisibility.ts). */
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../server/tickets/ticket.js';
import { customerView, historyVisibility } from '../../../server/tickets/ticketVisibility.js';

const entry = (what: string, visibility?: 'internal' | 'customer'): HistoryEntry => ({
  at: 1,
  by: 'disp',
  what,
  detail: `${what} detail`,
  ...(visibility ? { visibility } : {}),
});

describe('customerView', () => {
  it('keeps public comments and customer-visible entries, drops internal ones', () => {
    const view = customerView({
      comments: [
        { at: 1, by: 'disp', text: 'internal', public: false },
        { at: 2, by: 'disp', text: 'public', public: true },
      ],
      history: [entry('opened'), entry('comment', 'internal'), entry('comment', 'customer'), entry('escalated')],
    });
    expect(view.comments.map((c) => c.text)).toEqual(['public']);
    expect(view.history.map((e) => `${e.what}/${e.visibility ?? '-'}`)).toEqual(['opened/-', 'comment/customer']);
  });

  it('entries stored without a visibility take the default of their kind; unknown kinds stay internal', () => {
    expect(historyVisibility(entry('resolved'))).toBe('customer');
    expect(historyVisibility(entry('technician arrived'))).toBe('customer');
    for (const what of ['impact changed', 'assigned', 'time entry', 'contact attempt', 'escalation warning', 'sla.breach', 'a kind added later'])
      expect(historyVisibility(entry(what)), what).toBe('internal');
    // The stored visibility wins over the kind's default.
    expect(historyVisibility(entry('opened', 'internal'))).toBe('internal');
  });
});
