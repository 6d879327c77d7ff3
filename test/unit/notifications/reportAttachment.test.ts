import { describe, expect, it } from 'vitest';
import { finalReportAttachments } from '../../../server/notifications/reportAttachment.js';
import type { Delivery } from '../../../server/notifications/delivery.js';
import { presetContract } from '../../../server/sla/presets.js';
import { applyAction } from '../../../server/tickets/ticketActions.js';
import { applyFleetEvent } from '../../../server/tickets/ticketFleetEvents.js';
import type { Ticket } from '../../../server/tickets/ticket.js';
import { ManualClock } from '../../harness/manualClock.js';
import { at, contextFactory, raised } from '../tickets/fixtures.js';

const ctx = contextFactory();
const open = applyFleetEvent(raised('jam', at('2026-03-02T09:00')), [], ctx(at('2026-03-02T09:00'))).tickets[0]!;
const resolved = applyAction(open, { type: 'resolve', by: 'jan', solution: 'cleared the jam' }, ctx(at('2026-03-02T10:00'))).tickets[0]!;

function delivery(o: Partial<Delivery>): Delivery {
  return {
    id: 'd1',
    kind: 'ticket.resolved',
    ticketId: resolved.id,
    customerId: 'acme',
    noticeAt: 0,
    createdAt: 0,
    channel: 'email',
    target: 'a@example.com',
    audience: 'customer',
    language: 'pl',
    subject: 's',
    text: 't',
    html: null,
    status: 'pending',
    nextAttemptAt: 0,
    attempts: [],
    finishedAt: null,
    failure: null,
    ...o,
  };
}

describe('final report attached to the "resolved" e-mail', () => {
  const tickets = new Map<string, Ticket>([[resolved.id, resolved]]);
  const repo = { get: <T>(_c: string, id: string) => Promise.resolve(tickets.get(id) as T | undefined) };
  const attach = finalReportAttachments(repo, (id) => presetContract(id), new ManualClock(at('2026-03-02T11:00')));

  it('a PDF named after the ticket and the language, for e-mails of resolved tickets only', async () => {
    const [pdf, ...rest] = await attach(delivery({}));
    expect(rest).toEqual([]);
    expect(pdf).toMatchObject({ filename: `${resolved.id}-report-pl.pdf`, contentType: 'application/pdf' });
    expect(pdf!.content.subarray(0, 5).toString()).toBe('%PDF-');
    expect((await attach(delivery({ language: 'en' })))[0]!.filename).toBe(`${resolved.id}-report-en.pdf`);
    expect(await attach(delivery({ kind: 'ticket.opened' }))).toEqual([]);
    expect(await attach(delivery({ channel: 'webhook' }))).toEqual([]);
    expect(await attach(delivery({ ticketId: 'T999' }))).toEqual([]);
  });

  it('no report for a ticket that is not resolved', async () => {
    tickets.set(open.id, open);
    expect(await attach(delivery({ ticketId: open.id }))).toEqual([]);
  });
});
