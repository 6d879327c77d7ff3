/**
 * The e-mail intake page of the dashboard end to end in Debian's chromium (playwright-core)
 * against the real demo in this process, in English and Polish: messages from unknown senders
 * wait in the queue (sender, subject, received, excerpt); a dispatcher opens one (text,
 * attachments listed) and assigns it to a customer (a ticket opens), attaches another to that
 * ticket (a wrong ticket number is refused on its field), and dismisses a third with a reason.
 * The messages enter through the server's own intake (MailIntake.receive with mailparser, as the
 * IMAP poller hands them over); reading them from a real mailbox is test/peers/mailIntake.test.ts.
 * Screenshots of the queue and of one message go to docs/screenshots/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { openDashboardBrowser, signInToDashboard } from '../harness/dashboardBrowser.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../../bin/demo/startDemo.js';
import type { IntakeItem } from '../../server/intake/intakeItems.js';
import { digestOf } from '../../server/intake/mailIntake.js';
import { readMail } from '../../server/intake/mailMessage.js';
import { createLogger } from '../../shared/logging.js';
import { makeTempDir, requireProgram, waitUntil } from '../harness/peers.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const shots = resolve(repoRoot, 'docs/screenshots');
const dataDir = makeTempDir('intake-queue-demo');
const profile = makeTempDir('intake-queue-chromium');
const CUSTOMER = 'acme-print';

let demo: RunningDemo;
let adminToken: string;
let dispatcher = '';
let customer = '';
let context: BrowserContext;
let page: Page;
let uid = 0;
const pageErrors: string[] = [];

interface TicketView {
  id: string;
  channel: string;
  customer: { id: string };
  comments: Array<{ text: string; public: boolean }>;
}

async function apiCall<T>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${demo.apiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? adminToken}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** A message from a sender no customer has, handed to the running server's intake; returns the item id. */
async function unknownSenderMail(p: { from: string; subject: string; body: string; attachment?: { name: string; bytes: number } }): Promise<string> {
  uid += 1;
  const id = `<q${uid}-${Date.now()}@private.example>`;
  const head = [`From: ${p.from}`, 'To: serwis@vendor.example', `Subject: ${p.subject}`, `Message-ID: ${id}`, 'MIME-Version: 1.0'];
  const lines = p.attachment
    ? [
        ...head,
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        p.body,
        '--b1',
        `Content-Type: image/jpeg; name="${p.attachment.name}"`,
        `Content-Disposition: attachment; filename="${p.attachment.name}"`,
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.alloc(p.attachment.bytes, 7).toString('base64').replace(/.{76}/g, '$&\r\n'),
        '--b1--',
        '',
      ]
    : [...head, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', p.body, ''];
  const raw = Buffer.from(lines.join('\r\n'), 'utf8');
  const r = await demo.app.intake.receive('intake-queue-test', {
    mailbox: 'INBOX',
    uidValidity: '1',
    uid,
    size: raw.length,
    mail: await readMail(raw),
    digest: digestOf(raw),
  });
  expect(r.outcome).toBe('intake');
  return r.itemId!;
}

const signIn = (token: string, lang: 'en' | 'pl'): Promise<void> => signInToDashboard(page, demo.dashboardUrl, token, lang);

beforeAll(async () => {
  const executablePath = requireProgram('chromium', 'chromium');
  demo = await startDemo({
    devices: 2,
    dataDir: dataDir.path,
    httpPort: 0,
    mqttPort: 0,
    pollSeconds: 5,
    scenario: 'steady',
    historyDays: 0,
    logger: createLogger({ name: 'intake-queue-test', level: 'warn', format: 'json' }),
  });
  adminToken = readFileSync(demo.adminTokenFile, 'utf8').trim();
  const create = async (body: Record<string, unknown>) => (await apiCall<{ token: string }>('/api-tokens', { method: 'POST', body })).body.token;
  dispatcher = await create({ name: 'dora', role: 'dispatcher' });
  customer = await create({ name: 'anna', role: 'customer', customerId: CUSTOMER });
  ({ context, page } = await openDashboardBrowser(profile.path, executablePath, pageErrors));
  mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await demo?.stop();
  profile.remove();
  dataDir.remove();
});

const TEXT = {
  en: {
    nav: 'E-mail intake',
    title: 'E-mail intake',
    assign: 'Open the ticket',
    attach: 'Attach',
    dismiss: 'Dismiss the message',
    customer: 'Customer',
    ticket: 'Ticket',
    reason: 'Why (spam, not a service matter…)',
    assigned: 'new ticket opened',
    attached: 'attached to a ticket',
    dismissed: 'dismissed',
  },
  pl: {
    nav: 'Zgłoszenia e-mail',
    title: 'Zgłoszenia e-mail',
    assign: 'Załóż zgłoszenie',
    attach: 'Dołącz',
    dismiss: 'Odrzuć wiadomość',
    customer: 'Klient',
    ticket: 'Zgłoszenie',
    reason: 'Dlaczego (spam, nie dotyczy serwisu…)',
    assigned: 'założono zgłoszenie',
    attached: 'dołączone do zgłoszenia',
    dismissed: 'odrzucone',
  },
} as const;

for (const lang of ['en', 'pl'] as const) {
  it(`a dispatcher works through the e-mail intake queue (${lang}): assign, attach, dismiss`, async () => {
    const x = TEXT[lang];
    const report = await unknownSenderMail({
      from: `Jan Nowak <jan.${lang}@private.example>`,
      subject: `Printer in room 12 prints stripes (${lang})`,
      body: 'Good morning,\n\nthe printer in room 12 prints grey stripes on every page since Monday.\n\nJan',
      attachment: { name: `stripes-${lang}.jpg`, bytes: 4_000 },
    });
    const answer = await unknownSenderMail({
      from: `jan.home.${lang}@private.example`,
      subject: `Re: stripes (${lang})`,
      body: 'It is the colour printer by the window.',
    });
    const spam = await unknownSenderMail({ from: `offers.${lang}@spam.example`, subject: `Cheap toner (${lang})`, body: 'Buy now!' });

    await signIn(dispatcher, lang);
    await page.getByRole('link', { name: x.nav, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: x.title }).waitFor();
    // The waiting messages: sender, subject (a link), received, excerpt.
    for (const id of [report, answer, spam]) await page.locator(`tr[data-item="${id}"]`).waitFor();
    const row = page.locator(`tr[data-item="${report}"]`);
    expect(await row.textContent()).toContain(`Jan Nowak <jan.${lang}@private.example>`);
    expect(await row.textContent()).toContain('the printer in room 12 prints grey stripes');
    if (lang === 'en') await page.screenshot({ path: resolve(shots, 'intake.png'), fullPage: true });

    // One message: its text and attachments, then a ticket for the customer.
    await row.getByRole('link').click();
    await page.locator('#intake-body').waitFor();
    expect(await page.locator('#intake-body').textContent()).toContain('since Monday');
    expect(await page.locator('#intake-attachments').textContent()).toContain(`stripes-${lang}.jpg (image/jpeg, 4.0 kB)`);
    if (lang === 'en') await page.screenshot({ path: resolve(shots, 'intake-message.png'), fullPage: true });
    await page.locator('#intake-assign').getByLabel(x.customer).selectOption(CUSTOMER);
    await page.getByRole('button', { name: x.assign }).click();
    await page.locator('#intake-outcome a').waitFor();
    const ticketId = (await page.locator('#intake-outcome a').textContent())!.trim();
    expect(ticketId).toMatch(/^T\d+$/);
    expect(await page.locator('#intake-item-status').getAttribute('data-status')).toBe('assigned');
    expect(await page.locator('#intake-item-status').textContent()).toBe(x.assigned);
    const opened = (await apiCall<TicketView>(`/tickets/${ticketId}`)).body;
    expect(opened).toMatchObject({ id: ticketId, channel: 'email', customer: { id: CUSTOMER } });

    // The answer from another address goes on that ticket; a wrong number is refused on its field first.
    await page.goto(`${demo.dashboardUrl}#/intake/${answer}`);
    await page.locator('#intake-attach').waitFor();
    const ticketField = page.locator('#intake-attach').getByLabel(x.ticket);
    await ticketField.fill('T999999');
    await page.getByRole('button', { name: x.attach, exact: true }).click();
    await expect.poll(() => ticketField.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#intake-result').textContent()).toContain('T999999');
    await ticketField.fill(ticketId);
    await page.getByRole('button', { name: x.attach, exact: true }).click();
    await expect.poll(() => page.locator('#intake-item-status').getAttribute('data-status')).toBe('attached');
    expect(await page.locator('#intake-item-status').textContent()).toBe(x.attached);
    const withAnswer = (await apiCall<TicketView>(`/tickets/${ticketId}`)).body;
    expect(withAnswer.comments.some((c) => c.public && c.text.includes('the colour printer by the window'))).toBe(true);

    // Spam is dismissed with a reason and leaves the waiting list.
    await page.goto(`${demo.dashboardUrl}#/intake/${spam}`);
    await page.locator('#intake-dismiss').getByLabel(x.reason).fill('advertising');
    await page.getByRole('button', { name: x.dismiss }).click();
    await expect.poll(() => page.locator('#intake-item-status').getAttribute('data-status')).toBe('dismissed');
    expect(await page.locator('#intake-item-status').textContent()).toBe(x.dismissed);
    const stored = (await apiCall<IntakeItem>(`/intake/${spam}`)).body;
    expect(stored).toMatchObject({ status: 'dismissed', handledBy: 'dora', note: 'advertising' });
    await page.goto(`${demo.dashboardUrl}#/intake`);
    await page.getByRole('heading', { level: 1, name: x.title }).waitFor();
    await page.locator('#intake-list').waitFor();
    for (const id of [report, answer, spam]) expect(await page.locator(`tr[data-item="${id}"]`).count()).toBe(0);
  });
}

it('customers have no intake queue: no link, the page refuses, the API answers 403', async () => {
  await signIn(customer, 'en');
  expect(await page.getByRole('link', { name: 'E-mail intake' }).count()).toBe(0);
  // The portal's device list answers only after the customer has moved on (as on a loaded server):
  // the late page must not paint over the one now shown (it did, and this test failed in CI).
  const deviceList = /\/api\/v1\/devices(\?|$)/;
  let releaseDevices: (() => void) | undefined;
  await page.route(deviceList, async (route) => {
    await new Promise<void>((r) => (releaseDevices = r));
    await route.continue();
  });
  await page.goto(`${demo.dashboardUrl}#/portal?late=1`);
  await waitUntil(() => releaseDevices !== undefined, 'the portal asking for its devices', 10_000, 20);
  await page.goto(`${demo.dashboardUrl}#/intake`);
  const refused = page.getByText('Only dispatchers and admins handle the e-mail intake.');
  await refused.waitFor();
  const late = page.waitForResponse(deviceList);
  releaseDevices!();
  await (await late).finished();
  // The portal's code after its fetch runs in the next turns of the page's event loop.
  await page.evaluate('new Promise((r) => setTimeout(r, 300))');
  expect(await refused.isVisible()).toBe(true);
  await page.unroute(deviceList);
  expect((await apiCall('/intake', { token: customer })).status).toBe(403);
  expect(pageErrors).toEqual([]);
});
