/**
 * E-mail intake end to end against Debian's Dovecot (dovecot-imapd) on loopback, with a
 * throw-away maildir and a passwd-file user: messages are put in the mailbox with IMAP APPEND,
 * the server polls it and the result is read through the REST API. New mail → ticket; reply →
 * same ticket; restart of the server and of Dovecot → no duplicate; unknown sender → intake item;
 * bad input (20 MB attachment, no From, HTML-only, unknown charset, malformed, forged number).
 */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServerApp, type ServerApp } from '../../server/serverApp.js';
import { startDovecot, type DovecotPeer } from '../harness/dovecot.js';
import { makeTempDir, waitUntil } from '../harness/peers.js';
import { eml, withAttachment } from '../unit/intake/mailFixtures.js';

const ADMIN = 'fdk_mail-intake-peer-admin-0123456789';
let dovecot: DovecotPeer;
const data = makeTempDir('mail-intake');
let app: ServerApp | undefined;
const logLines: string[] = [];

function config(password = dovecot.password) {
  return ServerConfig.parse({
    dataDir: join(data.path, 'server'),
    http: { host: '127.0.0.1', port: 0 },
    broker: { embedded: { host: '127.0.0.1', port: 0 } },
    fleet: {
      customers: {
        acme: { name: 'ACME sp. z o.o.', contract: 'device-vendor', tenants: ['acme'], contact: { name: 'Anna Nowak', email: 'anna@acme.example' } },
        globex: { name: 'Globex S.A.', contract: 'device-vendor', tenants: ['globex'], contact: { name: 'Gus', email: 'gus@globex.example' } },
      },
    },
    intake: {
      mail: {
        host: dovecot.host,
        port: dovecot.port,
        tls: false,
        requireTls: false,
        user: dovecot.user,
        password,
        pollInterval: '5s',
        maxMessageBytes: '10MiB',
        senders: { acme: ['@acme.example'] },
      },
    },
    log: { level: 'silent' },
  });
}

async function start(password?: string): Promise<ServerApp> {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ name: 'mail-peer', level: 'debug', format: 'json', destination: sink });
  app = await startServerApp(config(password), logger, { env: { FLEETDESK_ADMIN_TOKEN: ADMIN } });
  return app;
}

async function stopApp(): Promise<void> {
  await app?.close();
  app = undefined;
}

/** Puts messages in the test mailbox as a mail server would deliver them. */
async function deliver(...messages: Buffer[]): Promise<number[]> {
  const c = new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: dovecot.user, pass: dovecot.password },
    logger: false,
  });
  await c.connect();
  try {
    const uids: number[] = [];
    for (const m of messages) {
      const r = await c.append('INBOX', m);
      if (r && r.uid !== undefined) uids.push(r.uid);
    }
    return uids;
  } finally {
    await c.logout();
  }
}

async function seenUids(): Promise<number[]> {
  const c = new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: dovecot.user, pass: dovecot.password },
    logger: false,
  });
  await c.connect();
  const lock = await c.getMailboxLock('INBOX');
  try {
    return (await c.fetchAll('1:*', { uid: true, flags: true })).filter((m) => m.flags?.has('\\Seen')).map((m) => m.uid);
  } finally {
    lock.release();
    await c.logout();
  }
}

async function api<T>(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<{ status: number; body: T }> {
  const res = await app!.server.http.inject({
    method,
    url,
    headers: { authorization: `Bearer ${ADMIN}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

interface TicketRow {
  id: string;
  title: string;
  channel: string;
  customer: { id: string };
}
const tickets = async () => (await api<{ items: TicketRow[] }>('GET', '/api/v1/tickets?limit=100')).body.items;
const items = async (status = 'unassigned') =>
  (
    await api<{ items: Array<{ id: string; reason: string; from: string | null; subject: string; text: string; attachments: unknown[] }> }>(
      'GET',
      `/api/v1/intake?status=${status}&limit=100`,
    )
  ).body.items;

/** Drives the poller by hand (its timer is stopped after the first, automatic poll). */
const poll = () => app!.mailPoller!.pollOnce();

beforeAll(async () => {
  dovecot = await startDovecot();
}, 30_000);

afterAll(async () => {
  await stopApp();
  await dovecot?.stop();
  dovecot?.remove();
  data.remove();
});

describe('e-mail intake over IMAP (Dovecot)', () => {
  let first = '';

  it('a new message from a known customer address opens a ticket (channel email) on the first poll', async () => {
    await deliver(eml({ messageId: '<new-1@acme.example>', subject: 'Drukarka HP w księgowości: zacięcie' }));
    await start();
    await waitUntil(async () => (await tickets()).length === 1, 'the first poll to open a ticket', 15_000);
    await app!.mailPoller!.stop();
    const [t] = await tickets();
    expect(t).toMatchObject({ title: 'Drukarka HP w księgowości: zacięcie', customer: { id: 'acme' } });
    first = t!.id;
    const detail = (
      await api<{ channel: string; sla: { reaction: { deadlineAt: number | null } }; comments: Array<{ text: string }> }>('GET', `/api/v1/tickets/${first}`)
    ).body;
    expect(detail.channel).toBe('email');
    expect(detail.sla.reaction.deadlineAt).toBeTypeOf('number');
    expect(detail.comments[0]!.text).toContain('J-201');
    // Marked \Seen only after the commit.
    expect(await seenUids()).toEqual([1]);
  }, 30_000);

  it('a reply (In-Reply-To) and a reply to the ticket number join the same ticket', async () => {
    await deliver(
      eml({ messageId: '<reply-1@acme.example>', subject: 'Re: Drukarka HP', inReplyTo: '<new-1@acme.example>', body: 'Nadal się zacina.' }),
      eml({ from: 'piotr@acme.example', messageId: '<reply-2@acme.example>', subject: `Re: [FleetDesk] ${first}`, body: 'Potwierdzam, pokój 12.' }),
    );
    const r = await poll();
    expect(r.outcomes).toEqual({ reply: 2 });
    expect(await tickets()).toHaveLength(1);
    const detail = (await api<{ comments: Array<{ text: string }> }>('GET', `/api/v1/tickets/${first}`)).body;
    expect(detail.comments.map((c) => c.text)).toEqual(expect.arrayContaining(['Nadal się zacina.', 'Potwierdzam, pokój 12.']));
  }, 30_000);

  it('an unknown sender becomes an unassigned intake item that a dispatcher assigns to a customer', async () => {
    await deliver(eml({ from: 'Kto Inny <ktos@nieznany.example>', messageId: '<unknown-1@nieznany.example>', subject: 'Prośba o serwis' }));
    expect((await poll()).outcomes).toEqual({ intake: 1 });
    const [item] = await items();
    expect(item).toMatchObject({
      from: 'ktos@nieznany.example',
      subject: 'Prośba o serwis',
      reason: 'unknown sender ktos@nieznany.example: no customer has this address',
    });
    const assigned = await api<{ item: { status: string }; ticket: { id: string; channel: string; customer: { id: string } } }>(
      'POST',
      `/api/v1/intake/${item!.id}/assign`,
      { customer: 'globex', impact: 'high' },
    );
    expect(assigned.status).toBe(201);
    expect(assigned.body.ticket).toMatchObject({ channel: 'email', customer: { id: 'globex' } });
    expect(await items()).toEqual([]);
    expect((await api('POST', `/api/v1/intake/${item!.id}/assign`, { customer: 'globex' })).status).toBe(409);
  }, 30_000);

  it('bad input: each gets a reason on an intake item or a ticket, nothing crashes, nothing is lost', async () => {
    const before = (await tickets()).length;
    const globexTicket = (await tickets()).find((t) => t.customer.id === 'globex')!;
    const globexBefore = (await api<{ comments: unknown[] }>('GET', `/api/v1/tickets/${globexTicket.id}`)).body.comments.length;
    await deliver(
      withAttachment(20 * 1024 * 1024),
      eml({ from: null, messageId: '<nofrom@x.example>', subject: 'bez nadawcy' }),
      eml({ messageId: '<html@acme.example>', subject: 'Tylko HTML', contentType: 'text/html; charset=utf-8', body: '<p>Brak <b>tonera</b> w drukarce</p>' }),
      eml({ messageId: '<charset@acme.example>', subject: 'Zły zestaw znaków', contentType: 'text/plain; charset=x-bogus-9', body: 'Za\xbf\xf3\xb3' }),
      Buffer.from('this is not\r\na message at all \x00\x01\r\n'),
      eml({ messageId: '<forged@acme.example>', subject: `Re: ${globexTicket.id} proszę zamknąć`, body: 'podrobiony numer' }),
    );
    const r = await poll();
    expect(r.read).toBe(6);
    const reasons = (await items()).map((i) => i.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^too large: \d+ bytes, the intake accepts at most 10485760; only the header was read$/),
        'no sender: the message has no usable From address',
        expect.stringMatching(/could not be decoded \(declared charset x-bogus-9\)/),
        expect.stringMatching(/malformed message|no sender/),
        `names ticket ${globexTicket.id}, which does not belong to the sender's customer acme`,
      ]),
    );
    expect(reasons).toHaveLength(5);
    // The HTML-only message from a known customer is a ticket with its text extracted.
    const all = await tickets();
    expect(all).toHaveLength(before + 1);
    const html = all.find((t) => t.title === 'Tylko HTML')!;
    const htmlDetail = (await api<{ comments: Array<{ text: string }> }>('GET', `/api/v1/tickets/${html.id}`)).body;
    expect(htmlDetail.comments[0]!.text).toBe('Brak tonera w drukarce');
    // The forged number did not touch the other customer's ticket.
    expect((await api<{ comments: unknown[] }>('GET', `/api/v1/tickets/${globexTicket.id}`)).body.comments).toHaveLength(globexBefore);
    // The large attachment was not kept.
    const big = (await items()).find((i) => i.reason.startsWith('too large'))!;
    expect(JSON.stringify(big).length).toBeLessThan(10_000);
  }, 60_000);

  it('after a restart of the server and of Dovecot nothing is read twice; the same message delivered again is recognised', async () => {
    const ticketsBefore = (await tickets()).length;
    const itemsBefore = (await items()).length;
    await stopApp();
    dovecot = await dovecot.restart();
    await start();
    await app!.mailPoller!.stop();
    expect((await poll()).read).toBe(0);
    // A copy of the first message (new UID, same Message-ID), e.g. a mail server that delivered twice.
    await deliver(eml({ messageId: '<new-1@acme.example>', subject: 'Drukarka HP w księgowości: zacięcie' }));
    expect((await poll()).outcomes).toEqual({ duplicate: 1 });
    expect(await tickets()).toHaveLength(ticketsBefore);
    expect(await items()).toHaveLength(itemsBefore);
  }, 60_000);

  it('a wrong password is logged as a failed poll, never with the password', async () => {
    await stopApp();
    logLines.length = 0;
    await start('wrong-password-xyz');
    await waitUntil(() => logLines.some((l) => l.includes('mailbox poll failed')), 'the failed poll to be logged', 15_000);
    const text = logLines.join('\n');
    expect(text).toMatch(/AUTHENTICATIONFAILED|Authentication failed|auth/i);
    expect(text).not.toContain('wrong-password-xyz');
    expect(text).not.toContain(dovecot.password);
  }, 30_000);
});
