import { describe, expect, it } from 'vitest';
import { classifyMail, referencedTickets, ticketThreadId, type TicketFacts } from '../../../server/intake/mailClassification.js';
import { readMail, type InboundMail } from '../../../server/intake/mailMessage.js';
import { senderDirectory } from '../../../server/intake/mailSettings.js';
import { eml, withAttachment } from './mailFixtures.js';

const customerOf = senderDirectory({ senders: { acme: ['@acme.example'], globex: ['boss@globex.example'] } }, { globex: 'it@globex.example' });

function classify(mail: InboundMail, tickets: TicketFacts[] = [], threads: Record<string, string> = {}) {
  const refs = referencedTickets(mail, (id) => threads[id]);
  return classifyMail(mail, { customerOf, tickets: new Map(tickets.map((t) => [t.id, t])), byThread: refs.byThread, bySubject: refs.bySubject });
}

describe('reading an e-mail', () => {
  it('reads sender, subject, text, Message-ID and threading headers', async () => {
    const m = await readMail(eml({ inReplyTo: '<a@x>', references: '<r0@x> <a@x>' }));
    expect(m).toMatchObject({
      from: 'anna@acme.example',
      fromName: 'Anna Nowak',
      subject: 'Drukarka w księgowości nie drukuje',
      messageId: '<m1@acme.example>',
      problems: [],
    });
    expect(m.text).toBe('Zacięcie papieru w podajniku 2, komunikat J-201.');
    expect(m.threadIds).toEqual(['<a@x>', '<r0@x>']);
    expect(m.date).toBe(Date.parse('2026-01-05T08:00:00Z'));
  });

  it('extracts the text of an HTML-only message', async () => {
    const m = await readMail(
      eml({ contentType: 'text/html; charset=utf-8', body: '<html><style>p{}</style><p>Toner <b>pusty</b></p><p>w pokoju&nbsp;12</p></html>' }),
    );
    expect(m.problems).toEqual([]);
    expect(m.text).toContain('Toner pusty');
    expect(m.text).toContain('w pokoju 12');
    expect(m.text).not.toContain('<');
  });

  it('decodes a declared legacy charset (ISO-8859-2)', async () => {
    const m = await readMail(eml({ contentType: 'text/plain; charset=iso-8859-2', body: 'Za\xbf\xf3\xb3\xe6 g\xea\xb6l\xb1 ja\xbc\xf1' }));
    expect(m.text).toBe('Zażółć gęślą jaźń');
    expect(m.problems).toEqual([]);
  });

  it('names an unknown charset as a problem instead of guessing', async () => {
    const m = await readMail(eml({ contentType: 'text/plain; charset=x-bogus-9', body: 'Za\xbf\xf3\xb3' }));
    expect(m.problems.join()).toMatch(/could not be decoded \(declared charset x-bogus-9\)/);
  });

  it('reports a message without a From address', async () => {
    const m = await readMail(eml({ from: null }));
    expect(m.from).toBeNull();
    expect(m.problems).toEqual(['no sender: the message has no usable From address']);
  });

  it('reads garbage without throwing, with a reason', async () => {
    const m = await readMail(Buffer.from('\x00\x01 this is not a message \xff'));
    expect(m.problems.join()).toMatch(/malformed message|no sender/);
    expect(m.from).toBeNull();
  });

  it('describes attachments without keeping them', async () => {
    const m = await readMail(withAttachment(3000));
    expect(m.attachments).toEqual([{ filename: 'panel.jpg', contentType: 'image/jpeg', size: 3000 }]);
    expect(JSON.stringify(m)).not.toContain(Buffer.alloc(30, 7).toString('base64'));
  });

  it('marks a message read by its header only as too large', async () => {
    const header = eml().subarray(0, eml().indexOf('\r\n\r\n') + 4);
    const m = await readMail(header, { tooLarge: { size: 20_971_520, limit: 10_485_760 } });
    expect(m.from).toBe('anna@acme.example');
    expect(m.problems).toEqual(['too large: 20971520 bytes, the intake accepts at most 10485760; only the header was read']);
  });
});

describe('classifying an e-mail', () => {
  const acmeTicket: TicketFacts = { id: 'T000007', customerId: 'acme' };
  const globexTicket: TicketFacts = { id: 'T000009', customerId: 'globex' };

  it('opens a ticket for a known sender (by domain, by address, by the customer contact)', async () => {
    expect(classify(await readMail(eml()))).toMatchObject({ kind: 'newTicket', customerId: 'acme', title: 'Drukarka w księgowości nie drukuje' });
    expect(classify(await readMail(eml({ from: 'Boss <BOSS@globex.example>' })))).toMatchObject({ kind: 'newTicket', customerId: 'globex' });
    expect(classify(await readMail(eml({ from: 'it@globex.example' })))).toMatchObject({ kind: 'newTicket', customerId: 'globex' });
  });

  it('queues an unknown sender as an intake item', async () => {
    expect(classify(await readMail(eml({ from: 'someone@elsewhere.example' })))).toEqual({
      kind: 'intake',
      customerId: null,
      reason: 'unknown sender someone@elsewhere.example: no customer has this address',
    });
  });

  it('adds a reply to the ticket its thread names: our References id, or a message received for the ticket', async () => {
    expect(classify(await readMail(eml({ references: ticketThreadId('T000007'), subject: 'Re: something' })), [acmeTicket])).toMatchObject({
      kind: 'reply',
      ticketId: 'T000007',
      customerId: 'acme',
    });
    expect(
      classify(await readMail(eml({ inReplyTo: '<first@acme.example>', subject: 'Re: x' })), [acmeTicket], { '<first@acme.example>': 'T000007' }),
    ).toMatchObject({ kind: 'reply', ticketId: 'T000007' });
  });

  it('adds a reply to the ticket number in the subject when it is the same customer', async () => {
    expect(classify(await readMail(eml({ subject: 'Re: [FleetDesk] Ticket T000007 resolved' })), [acmeTicket])).toMatchObject({
      kind: 'reply',
      ticketId: 'T000007',
    });
  });

  it('never attaches to another customer ticket: a forged number becomes an intake item', async () => {
    const d = classify(await readMail(eml({ subject: 'Re: T000009 please close' })), [acmeTicket, globexTicket]);
    expect(d).toEqual({ kind: 'intake', customerId: 'acme', reason: "names ticket T000009, which does not belong to the sender's customer acme" });
    const forgedThread = classify(await readMail(eml({ references: ticketThreadId('T000009') })), [globexTicket]);
    expect(forgedThread.kind).toBe('intake');
  });

  it('prefers the own ticket when a subject names both', async () => {
    expect(classify(await readMail(eml({ subject: 'T000009 and T000007' })), [acmeTicket, globexTicket])).toMatchObject({ kind: 'reply', ticketId: 'T000007' });
  });

  it('opens a new ticket when the number names no open ticket', async () => {
    expect(classify(await readMail(eml({ subject: 'Re: T000123' })))).toMatchObject({ kind: 'newTicket', customerId: 'acme' });
  });

  it('holds any message with a problem for a dispatcher, even from a known sender', async () => {
    const header = eml().subarray(0, eml().indexOf('\r\n\r\n') + 4);
    const d = classify(await readMail(header, { tooLarge: { size: 20_000_000, limit: 1_000_000 } }));
    expect(d).toMatchObject({ kind: 'intake', customerId: 'acme' });
    expect(d.kind === 'intake' && d.reason).toMatch(/^too large/);
  });
});
