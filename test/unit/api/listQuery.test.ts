/** Pure list helpers: pagination with and without a filter, the ticket queue's filter as listing terms. */
import { describe, expect, it } from 'vitest';
import { allOf, paginate, paginateWhere, PageQuery } from '../../../server/api/pagination.js';
import { TicketFilter, ticketListFilter } from '../../../server/api/ticketQuery.js';
import { matchesFilter } from '../../../server/storage/listing.js';
import { ticketListingEntry, ticketListingFilter, type TicketListAccess } from '../../../server/tickets/ticketListing.js';
import type { Ticket } from '../../../server/tickets/ticket.js';

describe('pagination', () => {
  const all = Array.from({ length: 23 }, (_, i) => i);
  it('pages a list and says where the next page starts', () => {
    expect(paginate(all, PageQuery.parse({ limit: '10', offset: '20' }))).toEqual({ items: [20, 21, 22], total: 23, limit: 10, offset: 20, nextOffset: null });
    expect(paginate(all, PageQuery.parse({ limit: '10' }))).toMatchObject({ total: 23, nextOffset: 10 });
  });

  it('pages a filtered list without building it, with the same result as filter + paginate', () => {
    const even = (n: number) => n % 2 === 0;
    for (const [limit, offset] of [
      [5, 0],
      [5, 5],
      [5, 10],
      [50, 0],
      [3, 11],
    ] as const) {
      const q = PageQuery.parse({ limit, offset });
      expect(paginateWhere(all, even, q, (n) => n * 10)).toEqual(paginate(all.filter(even), q, (n) => n * 10));
    }
    expect(paginateWhere(all, null, PageQuery.parse({}), (n) => n).total).toBe(23);
  });

  it('combines checks, null when there are none', () => {
    expect(allOf<number>([])).toBeNull();
    const both = allOf<number>([(n) => n > 2, (n) => n < 5])!;
    expect([1, 3, 4, 6].filter(both)).toEqual([3, 4]);
  });
});

describe('the ticket queue filter (listing terms)', () => {
  const t = (o: Partial<Ticket>) =>
    ({
      id: 't1',
      status: 'new',
      impact: 'high',
      queue: 'general',
      openedAt: 0,
      customer: { id: 'acme' },
      device: { id: 'd1' },
      affectedDevices: ['d1', 'd2'],
      assignee: null,
      sla: { reaction: { breached: false, state: 'stopped' }, resolution: null, onSite: null },
      ...o,
    }) as unknown as Ticket;
  const staff: TicketListAccess = { customer: null, technician: null };
  const filterOf = (q: Record<string, string>, access = staff) => ticketListingFilter(ticketListFilter(TicketFilter.parse(q), 'tomek'), access);
  const pred = (q: Record<string, string>, access = staff) => {
    const f = filterOf(q, access)!;
    return (x: Ticket) => matchesFilter(f, ticketListingEntry(x).terms);
  };

  it('is undefined without filters for staff, a condition for a customer or a technician', () => {
    expect(filterOf({})).toBeUndefined();
    expect(pred({}, { customer: 'acme', technician: null })(t({}))).toBe(true);
    expect(pred({}, { customer: 'globex', technician: null })(t({}))).toBe(false);
    expect(pred({}, { customer: null, technician: 'tomek' })(t({ assignee: 'ola' }))).toBe(false);
    expect(pred({}, { customer: null, technician: 'tomek' })(t({ assignee: 'tomek' }))).toBe(true);
    expect(pred({}, { customer: null, technician: 'tomek' })(t({}))).toBe(true);
  });

  it('applies every filter asked for', () => {
    expect(pred({ status: 'new,acknowledged' })(t({ status: 'acknowledged' }))).toBe(true);
    expect(pred({ status: 'closed' })(t({ status: 'closed' }))).toBe(true);
    expect(pred({ status: 'closed' })(t({}))).toBe(false);
    expect(pred({ impact: 'critical' })(t({}))).toBe(false);
    expect(pred({ customer: 'globex' })(t({}))).toBe(false);
    expect(pred({ device: 'd1' })(t({}))).toBe(true);
    expect(pred({ device: 'd2' })(t({}))).toBe(true);
    expect(pred({ device: 'd3' })(t({}))).toBe(false);
    expect(pred({ assignee: 'me' })(t({ assignee: 'tomek' }))).toBe(true);
    expect(pred({ assignee: 'none' })(t({ assignee: 'tomek' }))).toBe(false);
    expect(pred({ assignee: 'none' })(t({}))).toBe(true);
    expect(pred({ breached: 'true' })(t({ sla: { reaction: { breached: true }, resolution: null, onSite: null } as unknown as Ticket['sla'] }))).toBe(true);
    expect(pred({ breached: 'false', queue: 'general' })(t({}))).toBe(true);
    expect(pred({ breached: 'false', queue: 'field' })(t({}))).toBe(false);
  });
});
