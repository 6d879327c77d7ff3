/**
 * Customer-fixable faults end to end over the real server composition (ingest → impact rules →
 * ticket service → notifications and device timeline), on the manual clock: a door left open
 * that the customer closes in time gives the contact a notice and no ticket; one that stays past
 * the contract's time (device-vendor default: 30 working minutes) opens the vendor ticket, whose
 * history says when the customer was told.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearedMsg, fault, raisedMsg } from '../server/wireFixtures.js';
import { makeApiKit, type ApiKit } from './apiTestKit.js';

let kit: ApiKit;
let deviceKey: string;

beforeAll(async () => {
  kit = await makeApiKit({
    notifications: {
      language: 'en',
      // Nothing listens on port 1: deliveries stay queued (no dispatcher step runs on the manual clock).
      email: { smtp: { host: '127.0.0.1', port: 1 }, from: 'FleetDesk <fleetdesk@vendor.example>' },
    },
  });
  await kit.seed();
  const devices = kit.json<{ items: Array<{ key: string; identity: { serial?: string } }> }>(await kit.call('GET', '/api/v1/devices?limit=50'));
  deviceKey = devices.items.find((d) => d.identity.serial === 'SN-A2')!.key;
});
afterAll(async () => {
  await kit.close();
});

interface Delivery {
  kind: string;
  ticketId: string | null;
  target: string;
  subject: string;
  audience: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;

async function customerNotices(): Promise<Delivery[]> {
  await kit.app.notifications.outbox.idle();
  return kit.json<{ items: Delivery[] }>(
    await kit.call('GET', '/api/v1/notifications/deliveries?kind=device.customerFixable&status=pending,delivered,failed', kit.tokens.dispatcher),
  ).items;
}

async function ticketsOfDevice(): Promise<Array<{ id: string; title: string; history: Array<{ what: string; detail: string }> }>> {
  const all = await kit.app.tickets.workQueue();
  return all.filter((t) => t.device?.id === deviceKey);
}

describe('customer-fixable faults through the server', () => {
  it('a door closed within the contract time: the contact is told, no vendor ticket opens', async () => {
    const start = kit.clock.now();
    await kit.send(raisedMsg('acme', 'a1', 'p2', fault('door.open'), iso(start), 10));
    expect(await ticketsOfDevice()).toEqual([]);
    const notices = await customerNotices();
    expect(notices.map((d) => `${d.target} ${d.audience} ${d.ticketId}`)).toEqual(['jan@example.com customer null']);
    expect(notices[0]!.subject).toBe('[FleetDesk] Door or cover open: Brother HL-L5100, S/N SN-A2, please check');

    const timeline = kit.json<{ faults: { entries: Array<{ kind: string; code: string; message: string | null }> } }>(
      await kit.call('GET', `/api/v1/devices/${encodeURIComponent(deviceKey)}/history`, kit.tokens.dispatcher),
    ).faults.entries;
    expect(timeline.map((e) => `${e.kind} ${e.code}`)).toEqual(['raised door.open', 'customerNotified door.open']);
    expect(timeline[1]!.message).toContain('customer told (jan@example.com); vendor ticket at');

    kit.clock.set(start + 10 * MIN);
    await kit.send(clearedMsg('acme', 'a1', 'p2', 'door.open', iso(kit.clock.now()), 11));
    kit.clock.set(start + 2 * 60 * MIN);
    await kit.app.tickets.tick();
    expect(await ticketsOfDevice()).toEqual([]);
  });

  it('a door still open after the contract time opens the vendor ticket, whose history says when the customer was told', async () => {
    const start = kit.clock.now();
    await kit.send(raisedMsg('acme', 'a1', 'p2', fault('door.open'), iso(start), 12));
    expect(await customerNotices()).toHaveLength(2);
    kit.clock.set(start + 29 * MIN);
    await kit.app.tickets.tick();
    expect(await ticketsOfDevice()).toEqual([]);

    kit.clock.set(start + 31 * MIN);
    await kit.app.tickets.tick();
    const [ticket] = await ticketsOfDevice();
    expect(ticket?.title).toBe('Door or cover open on HL-L5100 at ACME HQ');
    const opened = kit.notices.filter((n) => n.kind === 'ticket.opened' && n.ticketId === ticket!.id);
    expect(opened.map((n) => iso(n.at))).toEqual([iso(start + 31 * MIN)]);
    const told = ticket!.history.find((h) => h.what === 'customer told first');
    expect(told?.detail).toContain(`customer told at ${iso(start)} (jan@example.com)`);
    expect(told?.detail).toContain('still there after 30m of working time (contract device-vendor');
  });
});
