/** Pure list helpers: pagination with and without a filter, the ticket filter predicate. */
import { describe, expect, it } from 'vitest';
import { allOf, paginate, paginateWhere, PageQuery } from '../../../server/api/pagination.js';
import { ticketPredicate, TicketFilter } from '../../../server/api/ticketQuery.js';
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

describe('ticketPredicate', () => {
  const t = (o: Partial<Ticket>) =>
    ({
      status: 'new',
      impact: 'high',
      queue: 'general',
      customer: { id: 'acme' },
      device: { id: 'd1' },
      affectedDevices: ['d1'],
      assignee: null,
      sla: { reaction: { breached: false }, resolution: null, onSite: null },
      ...o,
    }) as unknown as Ticket;
  const pred = (q: Record<string, string>, hot = true) => ticketPredicate(TicketFilter.parse(q), 'tomek', hot);

  it('is null without filters on the hot list, and excludes closed tickets elsewhere', () => {
    expect(pred({})).toBeNull();
    expect(pred({}, false)!(t({ status: 'closed' }))).toBe(false);
    expect(pred({ status: 'closed' }, false)!(t({ status: 'closed' }))).toBe(true);
  });

  it('applies every filter asked for', () => {
    expect(pred({ status: 'new,acknowledged' })!(t({ status: 'acknowledged' }))).toBe(true);
    expect(pred({ impact: 'critical' })!(t({}))).toBe(false);
    expect(pred({ customer: 'globex' })!(t({}))).toBe(false);
    expect(pred({ device: 'd1' })!(t({}))).toBe(true);
    expect(pred({ assignee: 'me' })!(t({ assignee: 'tomek' }))).toBe(true);
    expect(pred({ assignee: 'none' })!(t({ assignee: 'tomek' }))).toBe(false);
    expect(pred({ breached: 'true' })!(t({ sla: { reaction: { breached: true }, resolution: null, onSite: null } as unknown as Ticket['sla'] }))).toBe(true);
    expect(pred({ breached: 'false', queue: 'general' })!(t({}))).toBe(true);
  });
});
