/**
 * Escalation notices end to end over the real server composition: a contract with `escalation`
 * (made through the API), a reported ticket moved under it, the manual clock advanced to the
 * warning and the deadline; the notices reach the history and the delivery log (dispatch list and
 * manager), once each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetContract } from '../../../server/sla/presets.js';
import { makeApiKit, type ApiKit } from './apiTestKit.js';

let kit: ApiKit;

beforeAll(async () => {
  kit = await makeApiKit({
    notifications: {
      language: 'en',
      // Nothing listens on port 1: deliveries stay queued (no dispatcher step runs on the manual clock).
      email: {
        smtp: { host: '127.0.0.1', port: 1 },
        from: 'FleetDesk <fleetdesk@vendor.example>',
        recipients: [{ to: ['dispatch@vendor.example'], events: ['escalation.warning', 'escalation.breach'] }],
      },
    },
  });
  await kit.seed();
});
afterAll(async () => {
  await kit.close();
});

interface Delivery {
  kind: string;
  ticketId: string;
  /** The e-mail address (or webhook id). */
  target: string;
}

describe('escalation notices', () => {
  it('warning 30 min ahead and breach at the deadline, once each, in the history and to dispatch and the manager', async () => {
    const spec = {
      ...presetContract('device-vendor').spec,
      id: 'esc-vendor',
      name: 'Device vendor with escalations',
      escalation: { warnBefore: '30m', notify: ['dispatch', 'manager'], manager: 'kierownik@vendor.example' },
    };
    const created = await kit.call('POST', '/api/v1/contracts', kit.tokens.admin, spec);
    expect(created.statusCode, created.body).toBe(201);
    const bad = await kit.call('POST', '/api/v1/contracts', kit.tokens.admin, {
      ...spec,
      id: 'esc-bad',
      escalation: { warnBefore: '30m', notify: ['manager'] },
    });
    expect(kit.json(bad)).toMatchObject({ statusCode: 400, field: 'body.escalation.manager' });

    const opened = kit.json<{ ticket: { id: string; sla: { reaction: { deadlineAt: number } } } }>(
      await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, {
        customer: 'acme',
        subject: 'Network printing down',
        channel: 'email',
        impact: 'critical',
        contact: { name: 'Ewa' },
      }),
    );
    const id = opened.ticket.id;
    const moved = await kit.call('POST', `/api/v1/tickets/${id}/change-contract`, kit.tokens.dispatcher, {
      contract: 'esc-vendor',
      reason: 'signed the escalation annex',
    });
    expect(moved.statusCode, moved.body).toBe(200);
    const deadline = kit.json<{ sla: { reaction: { deadlineAt: number } } }>(moved).sla.reaction.deadlineAt;

    kit.clock.set(deadline - 31 * 60_000);
    await kit.app.tickets.tick();
    expect(kit.notices.filter((n) => n.ticketId === id && n.kind.startsWith('escalation'))).toEqual([]);

    kit.clock.set(deadline - 30 * 60_000);
    await kit.app.tickets.tick();
    kit.clock.set(deadline);
    await kit.app.tickets.tick();
    kit.clock.set(deadline + 60 * 60_000);
    await kit.app.tickets.tick();
    const mine = kit.notices.filter((n) => n.ticketId === id && n.kind.startsWith('escalation'));
    expect(mine.map((n) => `${n.kind}@${new Date(n.at).toISOString()}`)).toEqual([
      `escalation.warning@${new Date(deadline - 30 * 60_000).toISOString()}`,
      `escalation.breach@${new Date(deadline).toISOString()}`,
    ]);

    const ticket = kit.json<{ history: Array<{ what: string; by: string }> }>(await kit.call('GET', `/api/v1/tickets/${id}`, kit.tokens.dispatcher));
    expect(ticket.history.filter((h) => h.what.startsWith('escalation')).map((h) => `${h.what} by ${h.by}`)).toEqual([
      'escalation warning by system',
      'escalation breach by system',
    ]);

    await kit.app.notifications.outbox.idle();
    const log = kit.json<{ items: Delivery[] }>(
      await kit.call('GET', `/api/v1/notifications/deliveries?ticket=${id}&status=pending,delivered,failed`, kit.tokens.dispatcher),
    );
    const targets = log.items.map((d) => `${d.kind} → ${d.target}`).sort();
    expect(targets).toEqual([
      'escalation.breach → dispatch@vendor.example',
      'escalation.breach → kierownik@vendor.example',
      'escalation.warning → dispatch@vendor.example',
      'escalation.warning → kierownik@vendor.example',
    ]);
  });
});
