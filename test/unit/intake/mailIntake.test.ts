/**
 * The e-mail intake's unit of work over a real journaled store: tickets, replies, intake items,
 * the mailbox position and exactly-once across a reopened store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FleetDirectory, FleetSettings } from '../../../server/fleet/fleetModel.js';
import { INTAKE_ITEMS, type IntakeItem } from '../../../server/intake/intakeItems.js';
import { digestOf, MailIntake, type FetchedMail } from '../../../server/intake/mailIntake.js';
import { readMail } from '../../../server/intake/mailMessage.js';
import { senderDirectory } from '../../../server/intake/mailSettings.js';
import { ticketThreadId } from '../../../server/intake/mailClassification.js';
import { presetContract } from '../../../server/sla/presets.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { StoredTicketRepository } from '../../../server/tickets/ticketRepository.js';
import { TicketService } from '../../../server/tickets/ticketService.js';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';
import { eml } from './mailFixtures.js';

const FLEET = FleetSettings.parse({
  customers: {
    acme: { name: 'Acme', contract: 'device-vendor', contact: { name: 'Anna', email: 'anna@acme.example' }, tenants: ['acme'] },
    globex: { name: 'Globex', contact: { name: 'Gus', email: 'gus@globex.example' }, tenants: ['globex'] },
  },
});

const temps: Array<{ remove: () => void }> = [];
const stores: JournaledStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const t of temps.splice(0)) t.remove();
});

async function setup(dir?: string) {
  let path = dir;
  if (!path) {
    const t = makeTempDir('mailintake');
    temps.push(t);
    path = t.path;
  }
  const repo = new JournaledStore({ dir: path });
  await repo.open();
  stores.push(repo);
  const clock = new ManualClock('2026-01-05T09:00:00Z');
  const ticketRepo = new StoredTicketRepository(repo);
  const tickets = new TicketService({ repository: ticketRepo, clock, contractFor: presetContract, defaultContractId: 'device-vendor' });
  const intake = new MailIntake({
    deps: { repo, tickets, directory: new FleetDirectory(FLEET), contractFor: presetContract, defaultContractId: 'device-vendor' },
    clock,
    customerOf: senderDirectory({ senders: {} }, { acme: 'anna@acme.example', globex: 'gus@globex.example' }),
    impact: 'medium',
  });
  return { repo, tickets, ticketRepo, intake, clock, dir: path };
}

async function fetched(uid: number, raw: Buffer, uidValidity = '100'): Promise<FetchedMail> {
  return { mailbox: 'INBOX', uidValidity, uid, size: raw.length, mail: await readMail(raw), digest: digestOf(raw) };
}

const BOX = 'box1';

describe('e-mail intake unit of work', () => {
  it('opens a ticket (channel email, SLA deadline) for a known sender and records the mailbox position', async () => {
    const { intake, ticketRepo } = await setup();
    const r = await intake.receive(BOX, await fetched(1, eml()));
    expect(r.outcome).toBe('ticket');
    const t = (await ticketRepo.get(r.ticketId!))!;
    expect(t).toMatchObject({ channel: 'email', title: 'Drukarka w księgowości nie drukuje', customer: { id: 'acme' } });
    expect(t.sla.reaction.deadlineAt).toBeTypeOf('number');
    expect(t.comments[0]!.text).toContain('J-201');
    expect(await intake.position(BOX)).toEqual({ uidValidity: '100', lastUid: 1 });
  });

  it('applies a message once: the same UID again is skipped, the same Message-ID under another UID is a duplicate', async () => {
    const { intake, ticketRepo } = await setup();
    const first = await intake.receive(BOX, await fetched(1, eml()));
    expect((await intake.receive(BOX, await fetched(1, eml()))).outcome).toBe('alreadyRead');
    // The mailbox was renumbered (new UIDVALIDITY): the message is recognised by its Message-ID.
    expect(await intake.receive(BOX, await fetched(1, eml(), '200'))).toEqual({ outcome: 'duplicate', ticketId: first.ticketId, itemId: null });
    expect(await ticketRepo.active()).toHaveLength(1);
    expect(await intake.position(BOX)).toEqual({ uidValidity: '200', lastUid: 1 });
  });

  it("holds a message reusing another sender's Message-ID instead of dropping it as a duplicate", async () => {
    const { intake, ticketRepo } = await setup();
    await intake.receive(BOX, await fetched(1, eml()));
    const forged = await intake.receive(BOX, await fetched(2, eml({ from: 'gus@globex.example', body: 'inna treść' })));
    expect(forged.outcome).toBe('intake');
    expect(await ticketRepo.active()).toHaveLength(1);
  });

  it('keeps position and outcome across a reopened store (a restart)', async () => {
    const a = await setup();
    await a.intake.receive(BOX, await fetched(1, eml()));
    await stores.pop()!.close();
    const b = await setup(a.dir);
    expect((await b.intake.receive(BOX, await fetched(1, eml()))).outcome).toBe('alreadyRead');
    expect(await b.ticketRepo.active()).toHaveLength(1);
  });

  it('adds a reply to the same ticket; while the desk waits for the customer it is the answer (clock resumes)', async () => {
    const { intake, tickets, ticketRepo, clock } = await setup();
    const { ticketId } = await intake.receive(BOX, await fetched(1, eml()));
    await tickets.act(ticketId!, { type: 'acknowledge', by: 'disp' });
    await tickets.act(ticketId!, { type: 'waitForCustomer', by: 'disp', question: 'Który podajnik?' });
    clock.advance(60_000);
    const reply = await intake.receive(
      BOX,
      await fetched(2, eml({ messageId: '<m2@acme.example>', subject: 'Re: Drukarka', inReplyTo: '<m1@acme.example>', body: 'Podajnik 2.' })),
    );
    expect(reply).toEqual({ outcome: 'reply', ticketId, itemId: null });
    const t = (await ticketRepo.get(ticketId!))!;
    expect(t.status).toBe('inProgress');
    expect(t.comments.map((c) => c.text)).toContain('Podajnik 2.');
    // A reply to our notification e-mail (References: the ticket thread) joins too.
    const viaNotice = await intake.receive(
      BOX,
      await fetched(
        3,
        eml({ messageId: '<m3@acme.example>', subject: 'Re: [FleetDesk]', references: `<d-abc@fleetdesk> ${ticketThreadId(ticketId!)}`, body: 'Dziękuję' }),
      ),
    );
    expect(viaNotice.ticketId).toBe(ticketId);
  });

  it('queues an unknown sender as an unassigned intake item that a dispatcher assigns to a customer', async () => {
    const { intake, repo, ticketRepo } = await setup();
    const r = await intake.receive(BOX, await fetched(1, eml({ from: 'nowy@unknown.example', messageId: '<u1@unknown.example>' })));
    expect(r.outcome).toBe('intake');
    const item = (await repo.get<IntakeItem>(INTAKE_ITEMS, r.itemId!))!;
    expect(item).toMatchObject({
      status: 'unassigned',
      from: 'nowy@unknown.example',
      reason: 'unknown sender nowy@unknown.example: no customer has this address',
      source: { mailbox: 'INBOX', uidValidity: '100', uid: 1, messageId: '<u1@unknown.example>' },
    });
    expect(await ticketRepo.active()).toHaveLength(0);
    const done = await intake.assign(item.id, { customerId: 'globex', by: 'disp', level: 'high' });
    expect(done.item).toMatchObject({ status: 'assigned', ticketId: done.ticket.id, handledBy: 'disp' });
    expect(done.ticket).toMatchObject({ channel: 'email', customer: { id: 'globex' } });
    await expect(intake.assign(item.id, { customerId: 'globex', by: 'disp' })).rejects.toThrow(/already assigned/);
    // A later reply of that sender to its own message threads to the new ticket (assigned to globex, but the sender is unknown: held).
    const again = await intake.receive(
      BOX,
      await fetched(2, eml({ from: 'nowy@unknown.example', messageId: '<u2@unknown.example>', inReplyTo: '<u1@unknown.example>' })),
    );
    expect(again.outcome).toBe('intake');
  });

  it("a dispatcher attaches an intake item to an existing ticket: the customer's answer there, later replies thread to it", async () => {
    const { intake, repo, ticketRepo, tickets } = await setup();
    const opened = await intake.receive(BOX, await fetched(1, eml()));
    await tickets.act(opened.ticketId!, { type: 'waitForCustomer', by: 'disp', question: 'Który podajnik?' });
    // The answer comes from a private address the desk does not know: held, then attached by hand.
    const held = await intake.receive(
      BOX,
      await fetched(2, eml({ from: 'jan.prywatny@mail.example', messageId: '<p1@mail.example>', subject: 'Odp: drukarka', body: 'Podajnik 1.' })),
    );
    expect(held.outcome).toBe('intake');
    await expect(intake.attach(held.itemId!, { ticketId: 'T999999', by: 'disp' })).rejects.toThrow(/no ticket "T999999"/);
    expect((await repo.get<IntakeItem>(INTAKE_ITEMS, held.itemId!))!.status).toBe('unassigned');
    const done = await intake.attach(held.itemId!, { ticketId: opened.ticketId!, by: 'disp', note: 'Jan from his own mailbox' });
    expect(done.item).toMatchObject({ status: 'attached', ticketId: opened.ticketId, handledBy: 'disp', note: 'Jan from his own mailbox' });
    const t = (await ticketRepo.get(opened.ticketId!))!;
    expect(t.status).toBe('inProgress');
    expect(t.comments.at(-1)).toMatchObject({ public: true, by: 'email:jan.prywatny@mail.example' });
    expect(t.comments.at(-1)?.text).toContain('Podajnik 1.');
    await expect(intake.attach(held.itemId!, { ticketId: opened.ticketId!, by: 'disp' })).rejects.toThrow(/already attached/);
    await expect(intake.dismiss(held.itemId!, 'disp', 'spam')).rejects.toThrow(/already attached/);
  });

  it('never adds to another customer ticket: a forged number becomes an intake item, the ticket is untouched', async () => {
    const { intake, ticketRepo } = await setup();
    const globex = await intake.receive(BOX, await fetched(1, eml({ from: 'gus@globex.example', messageId: '<g1@globex.example>' })));
    const before = (await ticketRepo.get(globex.ticketId!))!;
    const forged = await intake.receive(
      BOX,
      await fetched(2, eml({ messageId: '<f1@acme.example>', subject: `Re: ${globex.ticketId} zamknijcie`, body: 'secret' })),
    );
    expect(forged.outcome).toBe('intake');
    const after = (await ticketRepo.get(globex.ticketId!))!;
    expect(after.comments).toEqual(before.comments);
    expect(after.revision).toBe(before.revision);
  });

  it('holds a message without From and an unreadable one as intake items with reasons', async () => {
    const { intake, repo } = await setup();
    const noFrom = await intake.receive(BOX, await fetched(1, eml({ from: null, messageId: '<nf@x>' })));
    const garbage = await intake.receive(BOX, await fetched(2, Buffer.from('\x00\x01\x02 not mail')));
    const items = await repo.list<IntakeItem>(INTAKE_ITEMS);
    expect(items.map((i) => i.reason).sort()).toEqual(
      [expect.stringMatching(/malformed message|no sender/), 'no sender: the message has no usable From address'].sort(),
    );
    expect([noFrom.outcome, garbage.outcome]).toEqual(['intake', 'intake']);
  });
});
