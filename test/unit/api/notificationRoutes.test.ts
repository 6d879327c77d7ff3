/**
 * The notification routes over the whole server app: tickets opened by ingested faults become
 * signed webhook deliveries to a local receiver (node http on loopback), listed in the delivery
 * log with filters and pagination; test messages go out on request; bad input names the field.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../server/notifications/webhookSignature.js';
import { makeApiKit, type ApiKit } from './apiTestKit.js';

const SECRET = 'whsec-api-test-0123456789';
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
let receiver: Server;
let kit: ApiKit;
let acmeTicket = '';

interface Page {
  items: Array<{
    id: string;
    kind: string;
    ticketId: string | null;
    status: string;
    target: string;
    channel: string;
    attempts: Array<{ outcome: string; statusCode?: number; durationMs: number }>;
  }>;
  total: number;
  nextOffset: number | null;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  kit = await makeApiKit({
    notifications: { language: 'en', webhooks: [{ id: 'ops', url: `http://127.0.0.1:${port}/hook`, secret: SECRET, events: ['ticket.opened', 'sla.breach'] }] },
  });
  ({ acmeTicket } = await kit.seed());
  // Notices are queued by the outbox; one dispatcher step sends them (the timer is the manual clock's).
  await kit.app.notifications.outbox.idle();
  await kit.app.notifications.dispatcher.dispatchDue();
});

afterAll(async () => {
  await kit.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

describe('notification routes', () => {
  it('delivered one signed webhook per opened ticket', () => {
    const opened = received.filter((r) => r.headers['x-fleetdesk-event'] === 'ticket.opened');
    expect(opened).toHaveLength(2);
    for (const r of opened) {
      expect(verifySignature(SECRET, r.headers['x-fleetdesk-signature'] as string, r.body, kit.clock.now())).toMatchObject({ ok: true });
      const body = JSON.parse(r.body) as { id: string; event: string; ticket: { id: string; customer: { id: string } } };
      expect(r.headers['x-fleetdesk-delivery']).toBe(body.id);
      expect(body.event).toBe('ticket.opened');
    }
  });

  it('lists the delivery log with filters and pagination', async () => {
    const all = kit.json<Page>(await kit.call('GET', '/api/v1/notifications/deliveries', kit.tokens.dispatcher));
    expect(all.total).toBe(2);
    expect(all.items.every((d) => d.status === 'delivered' && d.channel === 'webhook' && d.target === 'ops')).toBe(true);
    expect(all.items[0]!.attempts).toEqual([expect.objectContaining({ outcome: 'delivered', statusCode: 200 })]);
    const acme = kit.json<Page>(await kit.call('GET', `/api/v1/notifications/deliveries?ticket=${acmeTicket}`));
    expect(acme.items.map((d) => d.ticketId)).toEqual([acmeTicket]);
    expect(kit.json<Page>(await kit.call('GET', '/api/v1/notifications/deliveries?kind=sla.breach,sla.warning')).total).toBe(0);
    expect(kit.json<Page>(await kit.call('GET', '/api/v1/notifications/deliveries?status=pending')).total).toBe(0);
    expect(kit.json<Page>(await kit.call('GET', '/api/v1/notifications/deliveries?month=2025-12')).total).toBe(0);
    const first = kit.json<Page>(await kit.call('GET', '/api/v1/notifications/deliveries?limit=1'));
    expect(first).toMatchObject({ total: 2, nextOffset: 1 });
    const second = kit.json<Page>(await kit.call('GET', '/api/v1/notifications/deliveries?limit=1&offset=1'));
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
  });

  it('names the bad filter', async () => {
    const res = await kit.call('GET', '/api/v1/notifications/deliveries?status=lost');
    expect(res.statusCode).toBe(400);
    expect(kit.json(res)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'querystring.status[0]' });
    expect(kit.json(await kit.call('GET', '/api/v1/notifications/deliveries?month=2026-13'))).toMatchObject({ field: 'querystring.month' });
  });

  it('sends a test message to an endpoint now and keeps it in the log', async () => {
    const before = received.length;
    const res = await kit.call('POST', '/api/v1/notifications/test', kit.tokens.dispatcher, { webhook: 'ops', language: 'pl' });
    expect(res.statusCode, res.body).toBe(200);
    expect(kit.json(res)).toMatchObject({ kind: 'test', status: 'delivered', target: 'ops', language: 'pl', subject: '[FleetDesk] Powiadomienie testowe' });
    expect(received).toHaveLength(before + 1);
    const got = received.at(-1)!;
    expect(got.headers['x-fleetdesk-event']).toBe('test');
    expect(verifySignature(SECRET, got.headers['x-fleetdesk-signature'] as string, got.body, kit.clock.now()).ok).toBe(true);
    const tests = kit.json<Page>(await kit.call('GET', '/api/v1/notifications/deliveries?kind=test'));
    expect(tests.items.map((d) => d.id)).toEqual([kit.json<{ id: string }>(res).id]);
  });

  it('refuses a test to an unknown endpoint, to e-mail without SMTP, and an ambiguous body', async () => {
    const unknown = await kit.call('POST', '/api/v1/notifications/test', kit.tokens.admin, { webhook: 'nope' });
    expect(unknown.statusCode).toBe(400);
    expect(kit.json(unknown)).toMatchObject({ field: 'body.webhook', message: expect.stringContaining('configured: ops') as unknown });
    expect(kit.json(await kit.call('POST', '/api/v1/notifications/test', kit.tokens.admin, { email: 'x@example.pl' }))).toMatchObject({
      statusCode: 400,
      field: 'body.email',
    });
    expect((await kit.call('POST', '/api/v1/notifications/test', kit.tokens.admin, {})).statusCode).toBe(400);
    expect((await kit.call('POST', '/api/v1/notifications/test', kit.tokens.admin, { webhook: 'ops', email: 'x@example.pl' })).statusCode).toBe(400);
    expect(kit.json(await kit.call('POST', '/api/v1/notifications/test', kit.tokens.admin, { email: 'not-an-address' }))).toMatchObject({
      field: 'body.email',
    });
  });
});
