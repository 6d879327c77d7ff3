/**
 * Live updates: the hub's filtering, heartbeats, replay and bounded buffers (unit), and the SSE
 * route end to end over a loopback socket (an endless stream cannot go through inject): a fault
 * from an agent opens a ticket and the stream of the right customer carries `ticket.opened`.
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../server/auth/apiTokens.js';
import { LiveUpdates, visibleTo, type LiveEvent, type LiveSink } from '../../../server/api/liveUpdates.js';
import type { Repository } from '../../../server/storage/repository.js';
import { ManualClock } from '../../harness/manualClock.js';
import { waitUntil } from '../../harness/peers.js';
import { fault, raisedMsg } from '../server/wireFixtures.js';
import { makeApiKit, type ApiKit } from './apiTestKit.js';

const P = (role: Principal['role'], name: string, customerId: string | null = null): Principal => ({ tokenId: name, name, role, customerId });

class Sink implements LiveSink {
  chunks: string[] = [];
  closed = false;
  constructor(private capacity = Number.POSITIVE_INFINITY) {}
  write(chunk: string): boolean {
    if (this.chunks.length >= this.capacity) return false;
    this.chunks.push(chunk);
    return true;
  }
  close(): void {
    this.closed = true;
  }
  events(): string[] {
    return this.chunks.flatMap((c) => /^event: (.+)$/m.exec(c)?.[1] ?? []);
  }
}

describe('LiveUpdates hub', () => {
  const repo = {} as Repository;

  it('filters by customer and, for technicians, by assignment', () => {
    const ev = (customerId: string | null, assignee?: string | null): LiveEvent => ({
      id: 1,
      type: 't',
      customerId,
      ticket: assignee === undefined ? null : { assignee },
      data: {},
    });
    expect(visibleTo(P('customer', 'c', 'acme'), ev('acme'))).toBe(true);
    expect(visibleTo(P('customer', 'c', 'acme'), ev('globex'))).toBe(false);
    expect(visibleTo(P('customer', 'c', 'acme'), ev(null))).toBe(false);
    expect(visibleTo(P('technician', 'tomek'), ev('globex', null))).toBe(true);
    expect(visibleTo(P('technician', 'tomek'), ev('globex', 'tomek'))).toBe(true);
    expect(visibleTo(P('technician', 'tomek'), ev('globex', 'ola'))).toBe(false);
    expect(visibleTo(P('dispatcher', 'd'), ev('globex', 'ola'))).toBe(true);
  });

  it('sends heartbeats on the injected clock and replays after Last-Event-ID', () => {
    const clock = new ManualClock();
    const hub = new LiveUpdates({ repo, clock, heartbeatMs: 15_000 });
    const a = new Sink();
    hub.connect(P('customer', 'c', 'acme'), a);
    hub.publish('fleet.faultRaised', 'acme', null, { n: 1 });
    hub.publish('fleet.faultRaised', 'globex', null, { n: 2 });
    const second = hub.publish('fleet.faultCleared', 'acme', null, { n: 3 });
    expect(a.events()).toEqual(['fleet.faultRaised', 'fleet.faultCleared']);
    clock.advance(15_000);
    clock.advance(15_000);
    expect(a.chunks.filter((c) => c.startsWith(': heartbeat'))).toHaveLength(2);
    const late = new Sink();
    hub.connect(P('customer', 'c', 'acme'), late, second.id - 2);
    expect(late.events()).toEqual(['fleet.faultCleared']);
    hub.close();
    expect(a.closed && late.closed).toBe(true);
  });

  it('drops a client whose buffer is full instead of queueing without bound', () => {
    const hub = new LiveUpdates({ repo, clock: new ManualClock() });
    const slow = new Sink(3);
    const fast = new Sink();
    hub.connect(P('admin', 'a'), slow);
    hub.connect(P('admin', 'b'), fast);
    for (let i = 0; i < 10; i++) hub.publish('fleet.agentOnline', 'acme', null, { i });
    expect(slow.closed).toBe(true);
    expect(hub.dropped).toBe(1);
    expect(hub.clientCount).toBe(1);
    expect(fast.events()).toHaveLength(10);
  });

  it('refuses clients beyond the limit', () => {
    const hub = new LiveUpdates({ repo, clock: new ManualClock(), maxClients: 1 });
    hub.connect(P('admin', 'a'), new Sink());
    const extra = new Sink();
    hub.connect(P('admin', 'b'), extra);
    expect(extra.closed).toBe(true);
    expect(hub.clientCount).toBe(1);
  });
});

describe('GET /api/v1/events (server-sent events)', () => {
  let kit: ApiKit;
  const open: IncomingMessage[] = [];
  beforeAll(async () => {
    kit = await makeApiKit();
    await kit.seed();
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    await kit.close();
  });

  /** Opens the stream and collects what arrives. */
  const stream = (path: string, headers: Record<string, string>) =>
    new Promise<{ res: IncomingMessage; text: () => string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: kit.app.server.httpPort, path, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        open.push(res);
        resolve({ res, text: () => text });
      });
      req.on('error', reject);
      req.end();
    });

  it('streams ticket.opened to the owning customer and staff, never to another customer', async () => {
    const acme = await stream('/api/v1/events', { authorization: `Bearer ${kit.tokens.acme}` });
    expect(acme.res.statusCode).toBe(200);
    expect(acme.res.headers['content-type']).toContain('text/event-stream');
    expect(acme.res.headers['x-content-type-options']).toBe('nosniff');
    // The browser way: trade the bearer token for a single-use stream token.
    const grant = kit.json<{ token: string }>(await kit.call('POST', '/api/v1/events/token', kit.tokens.globex));
    const globex = await stream(`/api/v1/events?token=${grant.token}`, {});
    expect(globex.res.statusCode).toBe(200);
    const reused = await kit.call('GET', `/api/v1/events?token=${grant.token}`, null);
    expect(reused.statusCode).toBe(401);
    const staff = await stream('/api/v1/events', { authorization: `Bearer ${kit.tokens.dispatcher}` });
    await waitUntil(
      () => acme.text().includes(': connected') && globex.text().includes(': connected') && staff.text().includes(': connected'),
      'three streams connected',
      5000,
    );

    // A jam opens its ticket at once (a door would go to the customer first: customer-fixable).
    await kit.send(raisedMsg('acme', 'a1', 'p2', fault('jam'), '2026-01-05T08:02:00Z', 5));
    await waitUntil(() => acme.text().includes('event: ticket.opened'), 'ticket.opened on the acme stream', 5000);
    const opened = /event: ticket\.opened\ndata: (.+)\n/.exec(acme.text())!;
    expect(JSON.parse(opened[1]!)).toMatchObject({ kind: 'ticket.opened', ticket: { customerId: 'acme', deviceKey: 'acme/sn:sn-a2', status: 'new' } });
    expect(acme.text()).toContain('event: fleet.faultRaised');
    await waitUntil(() => staff.text().includes('event: ticket.opened'), 'ticket.opened on the staff stream', 5000);

    // A later globex event reaches globex: had the acme one been sent to it, it would be there first.
    await kit.send(raisedMsg('globex', 'g1', 'p1', fault('door.open'), '2026-01-05T08:03:00Z', 6));
    await waitUntil(() => globex.text().includes('event: fleet.faultRaised'), 'the globex fault on the globex stream', 5000);
    expect(globex.text()).not.toMatch(/acme/i);
  });
});
