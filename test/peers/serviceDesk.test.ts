/**
 * The service desk pages of the dashboard end to end in Debian's chromium (playwright-core)
 * against the real demo in this process: a dispatcher opens a ticket by hand (deadline shown, a
 * second report on the same device shown as its duplicate) and corrects its classification with a
 * reason; a customer reports a problem in its portal, replies and confirms the solution; another
 * customer's portal shows none of it; each flow in English and Polish; a technician records an
 * on-site visit on a phone-sized screen, and the resolved ticket's final report downloads.
 * Screenshots of the form, the portal, the technician page and the final report go to
 * docs/screenshots/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { openDashboardBrowser, signInToDashboard } from '../harness/dashboardBrowser.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../../bin/demo/startDemo.js';
import { createLogger } from '../../shared/logging.js';
import { makeTempDir, requireProgram, waitUntil } from '../harness/peers.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const shots = resolve(repoRoot, 'docs/screenshots');
const dataDir = makeTempDir('service-desk-demo');
const profile = makeTempDir('service-desk-chromium');
const DEVICES = 4;
const CUSTOMER = 'acme-print';

let demo: RunningDemo;
let adminToken: string;
const tokens: Record<'dispatcher' | 'customer' | 'otherCustomer' | 'technician', string> = { dispatcher: '', customer: '', otherCustomer: '', technician: '' };
let context: BrowserContext;
let page: Page;
let deviceKeys: string[] = [];
const pageErrors: string[] = [];

interface TicketView {
  id: string;
  status: string;
  impact: string;
  queue: string;
  channel: string;
  customer: { id: string };
  device: { id: string } | null;
  sla: { level: string; reaction: { deadlineAt: number | null } };
  visits?: Array<{ id: string; arrivedAt: number | null; departedAt: number | null; workDone: string | null }>;
  comments: Array<{ text: string; public: boolean }>;
  history: Array<{ what: string; detail: string }>;
}

async function apiCall<T>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  const res = await fetch(`${demo.apiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? adminToken}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: resolve(shots, `${name}.png`), fullPage: true });
}

const signIn = (token: string, lang: 'en' | 'pl'): Promise<void> => signInToDashboard(page, demo.dashboardUrl, token, lang);

/** The device keys of the customer that have no open ticket (a manual report on them opens a new one). */
async function freeDevices(): Promise<string[]> {
  const { items } = await apiCall<{ items: Array<{ device: { id: string } | null }> }>('/tickets?limit=500');
  const busy = new Set(items.map((t) => t.device?.id));
  return deviceKeys.filter((k) => !busy.has(k));
}

beforeAll(async () => {
  const executablePath = requireProgram('chromium', 'chromium');
  demo = await startDemo({
    devices: DEVICES,
    dataDir: dataDir.path,
    httpPort: 0,
    mqttPort: 0,
    pollSeconds: 2,
    // No scripted faults and no supply backfill: every ticket here is one a person opened.
    scenario: 'steady',
    historyDays: 0,
    logger: createLogger({ name: 'service-desk-test', level: 'warn', format: 'json' }),
  });
  adminToken = readFileSync(demo.adminTokenFile, 'utf8').trim();
  const create = async (body: Record<string, unknown>) => (await apiCall<{ token: string }>('/api-tokens', { method: 'POST', body })).token;
  tokens.dispatcher = await create({ name: 'dora', role: 'dispatcher' });
  tokens.customer = await create({ name: 'anna', role: 'customer', customerId: CUSTOMER });
  tokens.otherCustomer = await create({ name: 'olaf', role: 'customer', customerId: 'other-co' });
  tokens.technician = await create({ name: 'tomek', role: 'technician' });
  await waitUntil(async () => (await apiCall<{ total: number }>('/devices?limit=1')).total === DEVICES, 'the agent to report every device', 60_000, 500);
  deviceKeys = (await apiCall<{ items: Array<{ key: string }> }>('/devices?limit=100')).items.map((d) => d.key);
  ({ context, page } = await openDashboardBrowser(profile.path, executablePath, pageErrors));
  mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await demo?.stop();
  profile.remove();
  dataDir.remove();
});

const FORM = {
  en: {
    nav: 'New ticket',
    customer: 'Customer',
    device: 'Device',
    subject: 'Subject',
    description: 'What the customer reports',
    channel: 'Reported by',
    severity: 'Impact or contract level',
    submit: 'Open ticket',
    opened: /Ticket (T\d+) opened\./,
    duplicate: /already has an open ticket, (T\d+)/,
    deadline: /^Deadline: /,
  },
  pl: {
    nav: 'Nowe zgłoszenie',
    customer: 'Klient',
    device: 'Urządzenie',
    subject: 'Temat',
    description: 'Co zgłasza klient',
    channel: 'Kanał zgłoszenia',
    severity: 'Wpływ lub poziom umowy',
    submit: 'Załóż zgłoszenie',
    opened: /Założono zgłoszenie (T\d+)\./,
    duplicate: /ma już otwarte zgłoszenie (T\d+)/,
    deadline: /^Termin: /,
  },
} as const;

for (const lang of ['en', 'pl'] as const) {
  it(`dispatcher (${lang}): opens a ticket by phone, sees its deadline, then a duplicate of it`, async () => {
    const f = FORM[lang];
    await signIn(tokens.dispatcher, lang);
    await page.getByRole('link', { name: f.nav, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: f.nav }).waitFor();
    const device = (await freeDevices())[0]!;
    await page.getByLabel(f.customer, { exact: true }).selectOption(CUSTOMER);
    await expect.poll(() => page.locator('#intake-device option').count()).toBe(DEVICES + 1);
    await page.locator('#intake-device').selectOption(device);
    await page.getByLabel(f.subject).fill(`Streaks on every page (${lang})`);
    await page.getByLabel(f.description).fill('The customer called: grey streaks on every printed page since the morning.');
    await page.getByLabel(f.channel).selectOption('phone');
    await page.getByLabel(f.severity).selectOption('medium');
    await page.locator('#intake-occurredAt').fill('2026-12-07T09:30');
    if (lang === 'en') await shot('new-ticket');
    await page.getByRole('button', { name: f.submit }).click();
    const outcome = page.locator('#intake-result [data-outcome]');
    await outcome.waitFor();
    expect(await outcome.getAttribute('data-outcome')).toBe('opened');
    const id = f.opened.exec((await outcome.textContent()) ?? '')?.[1];
    expect(id).toBeTruthy();
    expect(await page.locator('#intake-deadline').textContent()).toMatch(f.deadline);
    const stored = await apiCall<TicketView>(`/tickets/${id!}`);
    expect(stored).toMatchObject({ status: 'new', channel: 'phone', customer: { id: CUSTOMER }, device: { id: device } });
    // The deadline shown is the API's, in the site's zone (Warsaw) although the browser is in UTC.
    const shown = new Intl.DateTimeFormat(lang === 'pl' ? 'pl-PL' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Warsaw' }).format(
      new Date(stored.sla.reaction.deadlineAt!),
    );
    expect(await page.locator('#intake-deadline').textContent()).toContain(shown);
    // The same device again: the open ticket takes the report and the page links to it.
    await page.getByLabel(f.subject).fill('Still streaking');
    await page.getByLabel(f.description).fill('Called again.');
    await page.getByRole('button', { name: f.submit }).click();
    await page.locator('#intake-result [data-outcome="duplicate"]').waitFor();
    expect(f.duplicate.exec((await page.locator('#intake-result').textContent()) ?? '')?.[1]).toBe(id);
    await page.locator('#intake-ticket-link').click();
    await page.waitForURL(new RegExp(`#/tickets/${id!}$`));
  });
}

const CORRECT = {
  en: {
    group: 'Change impact or level',
    value: 'New impact or level',
    reason: 'Reason',
    submit: 'Apply correction',
    queueGroup: 'Change queue',
    queueValue: 'New queue',
  },
  pl: {
    group: 'Zmień wpływ lub poziom',
    value: 'Nowy wpływ lub poziom',
    reason: 'Uzasadnienie',
    submit: 'Zastosuj korektę',
    queueGroup: 'Zmień kolejkę',
    queueValue: 'Nowa kolejka',
  },
} as const;

for (const lang of ['en', 'pl'] as const) {
  it(`dispatcher (${lang}): corrects the impact with a reason; a correction without one is refused and marked`, async () => {
    const c = CORRECT[lang];
    await signIn(tokens.dispatcher, lang);
    const { items } = await apiCall<{ items: Array<{ id: string; channel?: string; title: string }> }>('/tickets?limit=500');
    const id = items.find((t) => t.title.endsWith(`(${lang})`))!.id;
    await page.goto(`${demo.dashboardUrl}#/tickets/${id}`);
    await page.locator('#group-correct-impact > summary').filter({ hasText: c.group }).click();
    await page.locator('#c-impact').getByLabel(c.value).selectOption('critical');
    // Blanks pass the browser's "required" but not the API: its refusal marks the reason.
    await page.locator('#c-impact').getByLabel(c.reason).fill('   ');
    await page.locator('#c-impact').getByRole('button', { name: c.submit }).click();
    await expect.poll(() => page.locator('#c-impact-reason').getAttribute('aria-invalid')).toBe('true');
    await page.locator('#c-impact').getByLabel(c.reason).fill('the whole office prints on this device');
    await page.locator('#c-impact').getByRole('button', { name: c.submit }).click();
    await expect.poll(async () => (await apiCall<TicketView>(`/tickets/${id}`)).impact).toBe('critical');
    const stored = await apiCall<TicketView>(`/tickets/${id}`);
    expect(stored.history.some((e) => e.detail.includes('the whole office prints on this device'))).toBe(true);
    await page
      .getByRole('cell', { name: /the whole office prints on this device/ })
      .first()
      .waitFor();
    if (lang === 'en') await shot('ticket-correction');
  });
}

const PORTAL = {
  en: {
    title: 'Service desk',
    report: 'Send report',
    subject: 'Subject',
    description: 'What happens',
    reply: 'Reply to the service desk',
    send: 'Send reply',
    confirm: 'Confirm the solution',
    opened: /Ticket (T\d+) opened\./,
    replied: 'Your reply was sent.',
    notFixed: 'Not fixed? Tell us',
  },
  pl: {
    title: 'Serwis',
    report: 'Wyślij zgłoszenie',
    subject: 'Temat',
    description: 'Co się dzieje',
    reply: 'Odpowiedz serwisowi',
    send: 'Wyślij odpowiedź',
    confirm: 'Potwierdź rozwiązanie',
    opened: /Założono zgłoszenie (T\d+)\./,
    replied: 'Wysłano odpowiedź.',
    notFixed: 'Nie działa? Napisz nam',
  },
} as const;

for (const lang of ['en', 'pl'] as const) {
  it(`customer portal (${lang}): reports a problem on its device, replies, and confirms the solution`, async () => {
    const p = PORTAL[lang];
    await signIn(tokens.customer, lang);
    // A customer starts in its portal: its devices, a report form, its tickets.
    await page.getByRole('heading', { level: 1, name: p.title }).waitFor();
    await expect.poll(() => page.locator('#portal-tickets table, #portal-tickets p').count()).toBeGreaterThan(0);
    expect(await page.locator('tr[data-device]').count()).toBe(DEVICES);
    const device = (await freeDevices())[0]!;
    await page.locator(`tr[data-device="${device}"] a`).click();
    await expect.poll(() => page.locator('#report-device').inputValue()).toBe(device);
    await page.getByLabel(p.subject).fill(`Paper jams in tray 2 (${lang})`);
    await page.getByLabel(p.description).fill('Every second sheet from tray 2 jams.');
    if (lang === 'en') await shot('portal');
    else await shot('portal-pl');
    await page.getByRole('button', { name: p.report }).click();
    const outcome = page.locator('#report-result [data-outcome="opened"]');
    await outcome.waitFor();
    const id = p.opened.exec((await outcome.textContent()) ?? '')?.[1];
    expect(id).toBeTruthy();
    const opened = await apiCall<TicketView>(`/tickets/${id!}`);
    expect(opened).toMatchObject({ channel: 'portal', customer: { id: CUSTOMER }, device: { id: device } });
    // Its ticket: deadlines and history; a reply becomes a public comment.
    await page.locator('#report-ticket-link').click();
    await page.locator('tr[data-clock="reaction"]').waitFor();
    await page.getByLabel(p.reply).fill('It also happens with new paper.');
    await page.getByRole('button', { name: p.send }).click();
    await expect.poll(() => page.locator('#portal-status').textContent()).toContain(p.replied);
    expect((await apiCall<TicketView>(`/tickets/${id!}`)).comments).toContainEqual(
      expect.objectContaining({ text: 'It also happens with new paper.', public: true }),
    );
    if (lang === 'en') await shot('portal-ticket');
    // Staff-internal notes and corrections are made before the resolution: the portal must never show them.
    const secret = `internal-only-${lang}-5c1`;
    await apiCall(`/tickets/${id!}/comments`, { method: 'POST', body: { text: `Customer is difficult (${secret})` }, token: tokens.dispatcher });
    await apiCall(`/tickets/${id!}/change-queue`, { method: 'POST', body: { queue: 'field', reason: `moved (${secret})` }, token: tokens.dispatcher });
    // The service desk resolves it; the portal (live) offers the confirmation, which closes it.
    await apiCall(`/tickets/${id!}/resolve`, { method: 'POST', body: { solution: 'Replaced the tray 2 pick-up roller.' }, token: tokens.dispatcher });
    await page.getByRole('button', { name: p.confirm }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#history-h').count()).toBe(1);
    expect(await page.content()).not.toContain(secret);
    await page.getByLabel(p.notFixed).waitFor();
    await page.getByRole('button', { name: p.confirm }).click();
    await expect.poll(async () => (await apiCall<TicketView>(`/tickets/${id!}`)).status).toBe('closed');
    await page.locator('#ticket-badges [data-status="closed"]').waitFor();
  });
}

it("another customer's portal shows none of it, and its token cannot open the ticket", async () => {
  await signIn(tokens.otherCustomer, 'en');
  await page.getByRole('heading', { level: 1, name: 'Service desk' }).waitFor();
  await page.locator('#portal-tickets').getByText('No open tickets.').waitFor();
  expect(await page.locator('tr[data-device]').count()).toBe(0);
  expect(await page.locator('tr[data-ticket]').count()).toBe(0);
  const acme = await apiCall<{ ticket: { id: string } }>('/tickets', {
    method: 'POST',
    token: tokens.dispatcher,
    body: { customer: CUSTOMER, subject: 'Toner smudges', description: 'Reported by phone.', channel: 'phone' },
  });
  await page.goto(`${demo.dashboardUrl}#/portal/tickets/${acme.ticket.id}`);
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/not found|404/i);
  // Reporting on the other customer's device is refused, naming the device field.
  const res = await fetch(`${demo.apiUrl}/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.otherCustomer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customer: 'other-co', device: { key: deviceKeys[0] }, subject: 'x', channel: 'portal' }),
  });
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(JSON.stringify(await res.json())).not.toContain('ACME');
});

it('technician on a phone: sees the visit, records arrival and departure with the work done; the final report follows', async () => {
  const device = (await freeDevices())[0]!;
  const opened = await apiCall<{ ticket: { id: string } }>('/tickets', {
    method: 'POST',
    token: tokens.dispatcher,
    body: {
      customer: CUSTOMER,
      device: { key: device },
      subject: 'Fuser noise',
      description: 'Loud grinding from the fuser.',
      channel: 'phone',
      impact: 'high',
    },
  });
  const id = opened.ticket.id;
  await apiCall(`/tickets/${id}/assign`, { method: 'POST', token: tokens.dispatcher, body: { assignee: 'tomek' } });
  // The dispatcher requests and schedules the visit on the ticket page.
  await signIn(tokens.dispatcher, 'en');
  await page.goto(`${demo.dashboardUrl}#/tickets/${id}`);
  await page.locator('#group-visit-request > summary').click();
  await page.getByLabel('Why a visit is needed').fill('the fuser has to be replaced on site');
  await page.locator('#visit-request-submit').click();
  await page.locator('tr[data-visit="V1"]').waitFor();
  await page.locator('#group-visit-schedule > summary').click();
  await page.locator('#v-schedule').getByLabel('Technician').fill('tomek');
  await page.locator('#visit-schedule-submit').click();
  await expect
    .poll(async () => (await apiCall<TicketView & { visits: Array<{ technician: string | null }> }>(`/tickets/${id}`)).visits[0]?.technician)
    .toBe('tomek');
  // The technician, on a phone-sized screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(tokens.technician, 'en');
  await page.getByRole('link', { name: 'My visits', exact: true }).click();
  const card = page.locator(`article[data-ticket="${id}"]`);
  await card.waitFor();
  expect(await card.textContent()).toContain('Fuser noise');
  await card.getByRole('button', { name: 'I have arrived' }).click();
  await expect.poll(async () => (await apiCall<TicketView>(`/tickets/${id}`)).visits?.[0]?.arrivedAt ?? null).not.toBeNull();
  await card.getByLabel('What was done on site').waitFor();
  await shot('visits');
  await card.getByLabel('What was done on site').fill('Replaced the fuser unit, printed a test page.');
  await card.getByRole('button', { name: 'I am leaving' }).click();
  await expect
    .poll(async () => (await apiCall<TicketView>(`/tickets/${id}`)).visits?.[0]?.workDone ?? null)
    .toBe('Replaced the fuser unit, printed a test page.');
  await page.getByText('No visits planned for you.').waitFor();
  await page.setViewportSize({ width: 1280, height: 800 });
  // Resolved: the ticket page offers the final report; the PDF downloads with the token.
  await apiCall(`/tickets/${id}/time-entries`, { method: 'POST', token: tokens.technician, body: { channel: 'onsite', minutes: 50, note: 'fuser replaced' } });
  await apiCall(`/tickets/${id}/resolve`, { method: 'POST', token: tokens.technician, body: { solution: 'Fuser unit replaced.' } });
  await signIn(tokens.dispatcher, 'pl');
  await page.goto(`${demo.dashboardUrl}#/tickets/${id}`);
  await page.locator('#final-report').waitFor();
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.locator('#report-pdf-pl').click()]);
  expect(pdf.suggestedFilename()).toBe(`${id}-report-pl.pdf`);
  const [html] = await Promise.all([page.waitForEvent('download'), page.locator('#report-html-en').click()]);
  expect(html.suggestedFilename()).toBe(`${id}-report-en.html`);
  const saved = readFileSync(await html.path(), 'utf8');
  expect(saved).toContain('Replaced the fuser unit, printed a test page.');
  // The report as the customer sees it, for the documentation.
  const reportPage = await context.newPage();
  await reportPage.setContent(saved);
  await reportPage.screenshot({ path: resolve(shots, 'final-report.png'), fullPage: true });
  await reportPage.close();
});

it('raised no script error', () => {
  expect(pageErrors).toEqual([]);
});
