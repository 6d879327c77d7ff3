/**
 * Notifications end to end against real receivers on loopback: Debian's aiosmtpd (python3-aiosmtpd,
 * Mailbox handler writing a maildir that the test reads back with Python's own e-mail parser) and
 * a local webhook receiver (node http) that verifies every HMAC signature and fails the first
 * attempts to exercise the retries. Faults are ingested into the whole server app (real clock);
 * tickets open and notify. Last, a restart: a delivery still pending when the server stops is
 * sent exactly once by the next server over the same data directory.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/logging.js';
import type { WireMessage } from '../../shared/wire/messages.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServerApp, type ServerApp } from '../../server/serverApp.js';
import { NotificationService } from '../../server/notifications/notificationService.js';
import { NotificationSettings } from '../../server/notifications/notificationSettings.js';
import { verifySignature } from '../../server/notifications/webhookSignature.js';
import { freeTcpPort, makeTempDir, requireProgram, startPeer, tcpAnswers, waitUntil, type PeerProcess } from '../harness/peers.js';
import { bytes, fault, raisedMsg, stateMsg, statusMsg, topicOf } from '../unit/server/wireFixtures.js';

const ADMIN = 'fdk_notifications-peer-admin-0123456789';
const SECRET = 'whsec-peer-test-0123456789abcdef';
const SMTP_PASSWORD = 'Sup3r-S3cret-smtp-pass';

interface Mail {
  file: string;
  rcptTo: string;
  from: string;
  to: string;
  subject: string;
  contentLanguage: string;
  messageId: string;
  event: string;
  ticket: string;
  references: string;
  text: string;
  hasHtml: boolean;
  /** Attached files: name, type and their first bytes. */
  attachments: Array<{ name: string; type: string; head: string }>;
}

/** Reads the maildir with Python's e-mail package (decodes RFC 2047 subjects, quoted-printable bodies). */
const READ_MAILDIR = `
import email, email.policy, json, os, sys
out = []
for sub in ('new', 'cur'):
    d = os.path.join(sys.argv[1], sub)
    if not os.path.isdir(d):
        continue
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), 'rb') as f:
            m = email.message_from_binary_file(f, policy=email.policy.default)
        body = m.get_body(('plain',))
        out.append({'file': name, 'rcptTo': str(m.get('X-RcptTo', '')), 'from': str(m['From']), 'to': str(m['To']), 'subject': str(m['Subject']),
                    'contentLanguage': str(m.get('Content-Language', '')), 'messageId': str(m['Message-ID']), 'event': str(m.get('X-FleetDesk-Event', '')),
                    'ticket': str(m.get('X-FleetDesk-Ticket', '')), 'references': str(m.get('References', '')), 'text': body.get_content() if body else '', 'hasHtml': m.get_body(('html',)) is not None,
                    'attachments': [{'name': p.get_filename(), 'type': p.get_content_type(), 'head': p.get_payload(decode=True)[:5].decode('latin-1')} for p in m.iter_attachments()]})
print(json.dumps(out))
`;

const AUTH_MAILBOX = `
from aiosmtpd.handlers import Mailbox

class AuthAdvertisingMailbox(Mailbox):
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses[:-1] + ['250-AUTH PLAIN LOGIN', responses[-1]]
`;

interface Hit {
  delivery: string;
  event: string;
  attempt: number;
  signatureOk: boolean;
  answered: number;
  body: string;
}

/** A webhook receiver: verifies signatures, answers 503 to the first `failFirst` attempts of each delivery. */
class WebhookReceiver {
  readonly hits: Hit[] = [];
  private server: Server | undefined;
  constructor(private readonly failFirst: number) {}

  async listen(port = 0): Promise<number> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => this.answer(req.headers, body, res));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  private answer(headers: IncomingHttpHeaders, body: string, res: ServerResponse): void {
    const delivery = String(headers['x-fleetdesk-delivery']);
    const check = verifySignature(SECRET, headers['x-fleetdesk-signature'] as string | undefined, body, Date.now());
    const seen = this.hits.filter((h) => h.delivery === delivery).length;
    const answered = !check.ok ? 401 : seen < this.failFirst ? 503 : 200;
    this.hits.push({
      delivery,
      event: String(headers['x-fleetdesk-event']),
      attempt: Number(headers['x-fleetdesk-attempt']),
      signatureOk: check.ok,
      answered,
      body,
    });
    res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'try later');
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

const data = makeTempDir('notify-peers');
const maildir = join(data.path, 'maildir');
let smtp: PeerProcess;
let smtpPort = 0;
let hooks: WebhookReceiver;
let hookPort = 0;
let latePort = 0;
let app: ServerApp | undefined;

/** Async: the server under test runs in this process and must keep running while the maildir is read. */
async function readMail(): Promise<Mail[]> {
  const python = requireProgram('python3', 'python3');
  const { stdout } = await promisify(execFile)(python, ['-c', READ_MAILDIR, maildir], { encoding: 'utf8' });
  return JSON.parse(stdout) as Mail[];
}

function config(extraWebhooks: unknown[] = []) {
  return ServerConfig.parse({
    dataDir: join(data.path, 'server'),
    http: { host: '127.0.0.1', port: 0 },
    broker: { embedded: { host: '127.0.0.1', port: 0 } },
    fleet: {
      customers: {
        acme: { name: 'ACME sp. z o.o.', contract: 'device-vendor', tenants: ['acme'], contact: { name: 'Jan Kowalski', email: 'jan@acme.example' } },
        globex: { name: 'Globex S.A.', contract: 'device-vendor', tenants: ['globex'] },
      },
      sites: {
        'acme-hq': { name: 'ACME Łódź HQ', customer: 'acme', agents: ['acme/a1'] },
        'globex-waw': { name: 'Globex Warszawa', customer: 'globex', agents: ['globex/g1'] },
      },
    },
    notifications: {
      language: 'pl',
      dashboardUrl: 'https://fleetdesk.example.pl',
      webhooks: [
        { id: 'ops', url: `http://127.0.0.1:${hookPort}/fleetdesk`, secret: SECRET, events: ['ticket.opened', 'ticket.escalated'], timeout: '5s' },
        ...extraWebhooks,
      ],
      email: {
        smtp: { host: '127.0.0.1', port: smtpPort, timeout: '5s' },
        from: 'FleetDesk Serwis <fleetdesk@vendor.example>',
        recipients: [{ to: ['dispatch@vendor.example'], events: ['ticket.opened', 'sla.breach', 'ticket.escalated'] }],
      },
      customers: { acme: { to: ['it@acme.example'], language: 'en' } },
      retry: { maxAttempts: 6, initialDelay: '200ms', maxDelay: '1s' },
      dispatchInterval: '200ms',
    },
    log: { level: 'silent' },
  });
}

async function start(extraWebhooks: unknown[] = []): Promise<ServerApp> {
  const logger = createLogger({ name: 'notify-peer', level: (process.env.TEST_LOG as 'debug' | undefined) ?? 'silent', format: 'json' });
  app = await startServerApp(config(extraWebhooks), logger, { env: { FLEETDESK_ADMIN_TOKEN: ADMIN } });
  return app;
}

async function stop(): Promise<void> {
  await app?.close();
  app = undefined;
}

async function send(a: ServerApp, msg: WireMessage): Promise<void> {
  const verdict = await a.server.ingest.handle(topicOf(msg), bytes(msg));
  if (verdict.outcome !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(verdict)}`);
}

/** A device of `tenant` reports a jam now: one ticket opens. */
async function jam(a: ServerApp, tenant: string, agent: string, identity: { vendor: string; model: string; serial: string }): Promise<string> {
  const now = new Date().toISOString();
  await send(a, statusMsg(tenant, agent, 'online', now));
  await send(a, stateMsg(tenant, agent, 'p1', { identity, collectedAt: now }));
  await send(a, raisedMsg(tenant, agent, 'p1', fault('jam'), now));
  const ticket = (await a.tickets.workQueue()).find((t) => t.customer.id === tenant);
  if (!ticket) throw new Error(`no ticket opened for ${tenant}`);
  return ticket.id;
}

interface LogPage {
  items: Array<{
    id: string;
    kind: string;
    ticketId: string | null;
    status: string;
    channel: string;
    target: string;
    audience: string;
    language: string;
    attempts: Array<{ outcome: string; statusCode?: number; durationMs: number; error?: string }>;
  }>;
  total: number;
}

async function deliveryLog(a: ServerApp, query = ''): Promise<LogPage> {
  const res = await a.server.http.inject({
    method: 'GET',
    url: `/api/v1/notifications/deliveries?limit=500${query}`,
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return JSON.parse(res.body) as LogPage;
}

beforeAll(async () => {
  requireProgram('aiosmtpd', 'python3-aiosmtpd');
  smtpPort = await freeTcpPort();
  smtp = await startPeer({
    name: 'aiosmtpd',
    program: 'aiosmtpd',
    debPackage: 'python3-aiosmtpd',
    args: ['-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir],
    port: smtpPort,
    ready: () => tcpAnswers(smtpPort),
  });
  hooks = new WebhookReceiver(2);
  hookPort = await hooks.listen();
  latePort = await freeTcpPort();
});

afterAll(async () => {
  await stop();
  await hooks?.close();
  await smtp?.stop();
  data.remove();
});

describe('notifications against a real SMTP receiver and a webhook receiver', () => {
  let acmeTicket = '';

  it('a new ticket: Polish e-mail to dispatch, English e-mail to the customer, a signed webhook retried until delivered', async () => {
    const a = await start();
    acmeTicket = await jam(a, 'acme', 'a1', { vendor: 'HP', model: 'LaserJet M404', serial: 'SN-A1' });
    await waitUntil(async () => (await readMail()).length >= 3, 'three e-mails (dispatch, customer list, customer contact)', 15_000, 200);
    await waitUntil(() => hooks.hits.some((h) => h.answered === 200), 'the webhook delivered');

    const mails = await readMail();
    expect(mails.map((m) => m.rcptTo).sort()).toEqual(['dispatch@vendor.example', 'it@acme.example', 'jan@acme.example']);
    const dispatch = mails.find((m) => m.rcptTo === 'dispatch@vendor.example')!;
    expect(dispatch.from).toBe('FleetDesk Serwis <fleetdesk@vendor.example>');
    expect(dispatch.to).toBe('dispatch@vendor.example');
    expect(dispatch.subject).toMatch(new RegExp(`^\\[FleetDesk\\] Nowe zgłoszenie ${acmeTicket}: `));
    expect(dispatch.contentLanguage).toBe('pl');
    expect(dispatch).toMatchObject({ event: 'ticket.opened', ticket: acmeTicket, hasHtml: true });
    // The ticket's thread, which a customer's reply carries back to the e-mail intake (server/intake).
    expect(dispatch.references).toBe(`<ticket-${acmeTicket}@fleetdesk>`);
    expect(dispatch.messageId).toMatch(/^<d-[0-9a-f]{24}@fleetdesk>$/);
    expect(dispatch.text).toContain(`Zgłoszenie: ${acmeTicket}`);
    expect(dispatch.text).toContain('Klient: ACME sp. z o.o.');
    expect(dispatch.text).toContain('Lokalizacja: ACME Łódź HQ');
    expect(dispatch.text).toContain('Urządzenie: HP LaserJet M404, nr ser. SN-A1');
    expect(dispatch.text).toMatch(/Wpływ: (krytyczny|wysoki|średni|niski)/);
    expect(dispatch.text).toMatch(
      /Termin SLA: \d{1,2} (stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia) \d{4}, \d{2}:\d{2} CES?T/,
    );
    expect(dispatch.text).toContain(`https://fleetdesk.example.pl/dashboard/#/tickets/${acmeTicket}`);

    const customer = mails.filter((m) => m.rcptTo !== 'dispatch@vendor.example');
    for (const m of customer) {
      expect(m.contentLanguage).toBe('en');
      expect(m.subject).toMatch(new RegExp(`^\\[FleetDesk\\] New ticket ${acmeTicket}: `));
      expect(m.text).toContain('Site: ACME Łódź HQ');
      expect(m.text).toMatch(
        /SLA deadline: \d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}, \d{2}:\d{2}/,
      );
    }

    // The webhook: 503, 503, 200 for one delivery id, every attempt signed and numbered.
    const attempts = hooks.hits.filter((h) => h.event === 'ticket.opened');
    expect(attempts.map((h) => [h.attempt, h.answered])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
    expect(new Set(attempts.map((h) => h.delivery)).size).toBe(1);
    expect(attempts.every((h) => h.signatureOk)).toBe(true);
    const body = JSON.parse(attempts[2]!.body) as {
      event: string;
      ticket: { id: string; customer: { id: string }; site: { name: string } };
      message: { language: string; subject: string };
    };
    expect(body).toMatchObject({
      event: 'ticket.opened',
      ticket: { id: acmeTicket, customer: { id: 'acme' }, site: { name: 'ACME Łódź HQ' } },
      message: { language: 'pl' },
    });

    // The delivery log has each attempt with its status code and duration.
    await waitUntil(async () => (await deliveryLog(a, '&status=delivered')).total === 4, 'four deliveries in the log');
    const hook = (await deliveryLog(a, `&ticket=${acmeTicket}&channel=webhook`)).items;
    expect(hook).toHaveLength(1);
    expect(hook[0]!.attempts.map((x) => [x.outcome, x.statusCode])).toEqual([
      ['error', 503],
      ['error', 503],
      ['delivered', 200],
    ]);
    expect(hook[0]!.attempts.every((x) => x.durationMs >= 0)).toBe(true);
  });

  it('contact attempts reach the customer in its language, not the dispatch list; an escalation reaches dispatch in Polish', async () => {
    const a = app!;
    const before = (await readMail()).length;
    await a.tickets.act(acmeTicket, { type: 'acknowledge', by: 'disp' });
    await a.tickets.act(acmeTicket, { type: 'waitForCustomer', by: 'disp', question: 'Which tray jams?' });
    await a.tickets.act(acmeTicket, { type: 'contactAttempt', by: 'disp', channel: 'phone', note: 'no answer' });
    await a.tickets.act(acmeTicket, { type: 'escalate', by: 'disp', reason: 'needs a part' });
    await waitUntil(async () => (await readMail()).length >= before + 3, 'two contact-attempt e-mails and one escalation e-mail', 15_000, 200);
    const fresh = (await readMail()).filter((m) => m.event === 'customer.contactAttempt' || m.event === 'ticket.escalated');
    const contact = fresh.filter((m) => m.event === 'customer.contactAttempt');
    expect(contact.map((m) => m.rcptTo).sort()).toEqual(['it@acme.example', 'jan@acme.example']);
    for (const m of contact) {
      expect(m.subject).toBe(`[FleetDesk] Please contact us about ticket ${acmeTicket}`);
      expect(m.text).toContain('(attempt 1)');
    }
    const escalation = fresh.filter((m) => m.event === 'ticket.escalated');
    expect(escalation.map((m) => [m.rcptTo, m.subject])).toEqual([
      ['dispatch@vendor.example', `[FleetDesk] Eskalacja zgłoszenia ${acmeTicket} do L2 (diagnostyka)`],
    ]);
  });

  it('the "resolved" e-mail to the customer carries the final report PDF in its language', async () => {
    const a = app!;
    await a.tickets.act(acmeTicket, { type: 'resolve', by: 'disp', solution: 'Wymieniono rolkę' });
    await waitUntil(
      async () => (await readMail()).some((m) => m.event === 'ticket.resolved' && m.rcptTo === 'it@acme.example'),
      'the resolved e-mail to the customer',
      15_000,
      200,
    );
    const resolved = (await readMail()).filter((m) => m.event === 'ticket.resolved');
    const english = resolved.find((m) => m.rcptTo === 'it@acme.example');
    expect(english?.attachments).toEqual([{ name: `${acmeTicket}-report-en.pdf`, type: 'application/pdf', head: '%PDF-' }]);
    for (const m of resolved) expect(m.attachments.map((x) => x.name)).toEqual([expect.stringMatching(new RegExp(`^${acmeTicket}-report-(pl|en)\\.pdf$`))]);
  });

  it('sends a test e-mail on request through the API', async () => {
    const a = app!;
    const res = await a.server.http.inject({
      method: 'POST',
      url: '/api/v1/notifications/test',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { email: 'ops@vendor.example', language: 'pl' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      kind: 'test',
      status: 'delivered',
      target: 'ops@vendor.example',
      attempts: [{ outcome: 'delivered', statusCode: 250 }],
    });
    const mail = (await readMail()).find((m) => m.rcptTo === 'ops@vendor.example');
    expect(mail).toMatchObject({ subject: '[FleetDesk] Powiadomienie testowe', contentLanguage: 'pl', event: 'test' });
  });

  it('never logs or stores the SMTP password, even when the server refuses the login', async () => {
    // A second aiosmtpd whose handler advertises AUTH on a plain connection; aiosmtpd then refuses
    // the login itself (538: encryption required), a permanent SMTP failure.
    const modules = join(data.path, 'py');
    mkdirSync(modules, { recursive: true });
    writeFileSync(join(modules, 'authmailbox.py'), AUTH_MAILBOX);
    const authPort = await freeTcpPort();
    const authSmtp = await startPeer({
      name: 'aiosmtpd-auth',
      program: 'aiosmtpd',
      debPackage: 'python3-aiosmtpd',
      args: ['-n', '-l', `127.0.0.1:${authPort}`, '-c', 'authmailbox.AuthAdvertisingMailbox', join(data.path, 'maildir-auth')],
      env: { PYTHONPATH: modules },
      port: authPort,
      ready: () => tcpAnswers(authPort),
    });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ name: 'smtp-auth', level: 'debug', format: 'json', destination: sink });
    const settings = NotificationSettings.parse({
      email: {
        smtp: { host: '127.0.0.1', port: authPort, auth: { user: 'fleetdesk', password: SMTP_PASSWORD }, timeout: '5s' },
        from: 'fleetdesk@vendor.example',
      },
    });
    const service = new NotificationService({ settings, repo: app!.server.repo, clock: systemClock, logger });
    const d = await service.dispatcher
      .sendTest({ channel: 'email', to: 'auth@vendor.example', language: 'en', audience: 'vendor' })
      .finally(() => authSmtp.stop());
    await service.close();
    expect(d.status).toBe('failed');
    expect(d.failure).toMatch(/EAUTH 538/);
    expect(d.attempts).toEqual([expect.objectContaining({ outcome: 'error', statusCode: 538 })]);
    expect(lines.join('\n')).toContain('notification failed for good');
    expect(lines.join('\n')).not.toContain(SMTP_PASSWORD);
    expect(JSON.stringify(d)).not.toContain(SMTP_PASSWORD);
  });

  it('a delivery pending when the server stops is sent exactly once after the restart', async () => {
    // Earlier tests' deliveries still retrying (the escalation webhook is refused twice first) end
    // before the restart, so that every webhook hit after it belongs to this test.
    const previous = app;
    if (previous) await waitUntil(async () => (await deliveryLog(previous, '&status=pending')).total === 0, 'earlier deliveries finished', 30_000, 200);
    await stop();
    // Phase 1: the "late" endpoint is down (nothing listens on its port); a globex ticket opens.
    const late = { id: 'late', url: `http://127.0.0.1:${latePort}/in`, secret: SECRET, events: ['ticket.opened'], customers: ['globex'] };
    let a = await start([late]);
    const hitsBefore = hooks.hits.length;
    const globexTicket = await jam(a, 'globex', 'g1', { vendor: 'Canon', model: 'iR-ADV C5535', serial: 'SN-G1' });
    await waitUntil(
      async () => (await deliveryLog(a, '&status=pending&channel=webhook')).items.some((d) => d.target === 'late' && d.attempts.length >= 1),
      'a failed attempt to the late endpoint',
    );
    const pending = (await deliveryLog(a, '&status=pending&channel=webhook')).items.find((d) => d.target === 'late')!;
    expect(pending.attempts[0]!.error).toMatch(/ECONNREFUSED/);
    await stop();

    // Phase 2: the endpoint is up; a new server over the same data directory sends it.
    const receiver = new WebhookReceiver(0);
    await receiver.listen(latePort);
    try {
      a = await start([late]);
      await waitUntil(() => receiver.hits.length >= 1, 'the pending delivery sent after the restart');
      // Several dispatch intervals and retry delays later it has still been sent once.
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiver.hits.map((h) => [h.delivery, h.answered, h.signatureOk])).toEqual([[pending.id, 200, true]]);
      expect(JSON.parse(receiver.hits[0]!.body)).toMatchObject({ event: 'ticket.opened', ticket: { id: globexTicket, customer: { id: 'globex' } } });
      const log = await deliveryLog(a, '&channel=webhook');
      const done = log.items.find((d) => d.id === pending.id)!;
      expect(done.status).toBe('delivered');
      expect(done.attempts.at(-1)).toMatchObject({ outcome: 'delivered', statusCode: 200 });
      // Deliveries finished before the restart were not sent again.
      expect(
        hooks.hits
          .slice(hitsBefore)
          .filter((h) => h.event !== 'ticket.opened' || (JSON.parse(h.body) as { ticket: { id: string } }).ticket.id !== globexTicket),
      ).toEqual([]);
    } finally {
      await stop();
      await receiver.close();
    }
  });
});
