/**
 * The web dashboard end to end in Debian's chromium (driven by playwright-core) against the real
 * demo (server, simulator, agent) in this process: log in with the admin token, see the fleet,
 * open a device, wait for a ticket in the queue (live), acknowledge it and see its status and SLA
 * clock change, switch to Polish (persisted across reloads). Screenshots of the main pages go
 * to docs/screenshots/ (1280x800) for the documentation.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { openDashboardBrowser } from '../harness/dashboardBrowser.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../../bin/demo/startDemo.js';
import { createLogger } from '../../shared/logging.js';
import { makeTempDir, requireProgram, waitUntil } from '../harness/peers.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const shots = resolve(repoRoot, 'docs/screenshots');
const dataDir = makeTempDir('dashboard-demo');
const profile = makeTempDir('dashboard-chromium');
const DEVICES = 6;

let demo: RunningDemo;
let token: string;
let context: BrowserContext;
let page: Page;
/** The ticket acknowledged in the queue test (the language test returns to it). */
let ticketId = '';
const pageErrors: string[] = [];

async function apiGet<T>(path: string): Promise<T> {
  const res = await fetch(`${demo.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: resolve(shots, `${name}.png`) });
}

beforeAll(async () => {
  const executablePath = requireProgram('chromium', 'chromium');
  demo = await startDemo({
    devices: DEVICES,
    dataDir: dataDir.path,
    httpPort: 0,
    mqttPort: 0,
    pollSeconds: 2,
    scenario: 'demo',
    logger: createLogger({ name: 'dashboard-test', level: 'warn', format: 'json' }),
  });
  token = readFileSync(demo.adminTokenFile, 'utf8').trim();
  ({ context, page } = await openDashboardBrowser(profile.path, executablePath, pageErrors));
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  await demo?.stop();
  profile.remove();
  dataDir.remove();
});

it('serves the dashboard files with a strict CSP and nothing outside its folder', async () => {
  const root = await fetch(demo.dashboardUrl);
  expect(root.status).toBe(200);
  expect(root.headers.get('content-type')).toMatch(/^text\/html/);
  expect(root.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(root.headers.get('x-frame-options')).toBe('DENY');
  const js = await fetch(new URL('app.js', demo.dashboardUrl));
  expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
  const escape = await fetch(new URL('%2e%2e/dashboardPlugin.ts', demo.dashboardUrl));
  expect(escape.status).toBe(404);
  const labels = (await (await fetch(new URL('fault-labels.json', demo.dashboardUrl))).json()) as Record<string, { pl: string }>;
  expect(labels.jam?.pl).toBeTruthy();
  // Chart.js comes from node_modules through the server (no CDN: works offline).
  const chartJs = await fetch(new URL('vendor/chart.umd.js', demo.dashboardUrl));
  expect(chartJs.status).toBe(200);
  expect(chartJs.headers.get('content-type')).toMatch(/^text\/javascript/);
  expect(await chartJs.text()).toContain('Chart');
});

it('rejects a wrong token and logs in with the admin token', async () => {
  await page.goto(demo.dashboardUrl);
  await page.waitForURL(/#\/login$/);
  await shot('login');
  await page.getByLabel('API token').fill('fdk_not-a-real-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not accepted \(401/);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Ticket queue' }).waitFor();
  expect(await page.locator('#whoami').textContent()).toMatch(/administrator/);
  // The live stream connects with a single-use stream token.
  await page.locator('.live-dot[data-on="1"]').waitFor({ timeout: 15_000 });
});

it('shows the fleet grouped by site, with statuses and supply bars', async () => {
  await waitUntil(async () => (await apiGet<{ total: number }>('/devices?limit=1')).total === DEVICES, 'the agent to report every device', 60_000, 500);
  await page.getByRole('link', { name: 'Fleet', exact: true }).click();
  await page.getByRole('heading', { level: 2, name: /Warszawa, ul\. Prosta 20/ }).waitFor();
  await expect.poll(() => page.locator('tr[data-device]').count()).toBe(DEVICES);
  expect(await page.locator('#fleet-count').textContent()).toContain(`${DEVICES} devices`);
  expect(await page.locator('tr[data-device] .bar[role="img"]').count()).toBeGreaterThan(0);
  // Search goes to the API: a query that matches nothing empties the list.
  await page.getByLabel(/Search/).fill('no-such-printer-xyz');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('No devices match.').waitFor();
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await expect.poll(() => page.locator('tr[data-device]').count()).toBe(DEVICES);
  await shot('fleet');
});

it('opens a device page with identity, state, supplies and counters', async () => {
  await page.locator('tr[data-device] a').first().click();
  await page.getByRole('heading', { level: 2, name: 'Identity' }).waitFor();
  for (const name of ['Live state', 'Supplies', 'Page counters', 'Active faults', 'Open tickets'])
    await page.getByRole('heading', { level: 2, name }).waitFor();
  const key = decodeURIComponent(page.url().split('#/devices/')[1] ?? '');
  const { device } = await apiGet<{ device: { identity: { serial?: string } } }>(`/devices/${encodeURIComponent(key)}`);
  expect(await page.locator('.facts').first().textContent()).toContain(device.identity.serial ?? key);
  await shot('device');
});

it('shows a ticket in the queue, acknowledges it and sees status and SLA clock change', async () => {
  await page.getByRole('link', { name: 'Ticket queue', exact: true }).click();
  // The demo's scripted faults open tickets by themselves; the queue reloads on live events.
  const newRow = page
    .locator('tr[data-ticket]')
    .filter({ has: page.locator('[data-status="new"]') })
    .first();
  await newRow.waitFor({ timeout: 90_000 });
  await expect.poll(() => page.locator('tr[data-ticket] .sla[data-deadline]').count()).toBeGreaterThan(0);
  await shot('queue');
  const id = await newRow.getAttribute('data-ticket');
  expect(id).toBeTruthy();
  ticketId = id!;
  await newRow.getByRole('link', { name: id! }).click();
  await page.getByRole('heading', { level: 2, name: 'Faults and evidence' }).waitFor();
  const reaction = page.getByRole('row', { name: /^Reaction/ });
  expect(await reaction.textContent()).toContain('running');
  await shot('ticket');
  await page.getByLabel('Note (optional)').fill('on it (browser test)');
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.locator('#ticket-badges [data-status="acknowledged"]').waitFor();
  await expect.poll(() => reaction.textContent()).toContain('met');
  expect(await page.locator('#action-status').textContent()).toContain('Done: Acknowledge');
  const stored = await apiGet<{ status: string; firstResponseAt: number | null }>(`/tickets/${id!}`);
  expect(stored.status).toBe('acknowledged');
  expect(stored.firstResponseAt).not.toBeNull();
  // The API's refusal is shown with its reason: a solution of blanks passes the form but not the API.
  await page.getByLabel('Solution').fill('   ');
  await page.getByRole('button', { name: 'Resolve' }).click();
  await expect.poll(() => page.locator('#action-status').textContent()).toMatch(/failed \(400\).*solution/);
  // The field the API named is marked, explained and focused.
  const solution = page.getByLabel('Solution');
  expect(await solution.getAttribute('aria-invalid')).toBe('true');
  expect(await page.locator('#f-resolve-solution-error').textContent()).toMatch(/solution/);
  expect(await page.locator('#f-resolve-solution:focus').count()).toBe(1);
  // One more action from a folded group: work time, shown on the ticket and stored by the API.
  await page.locator('#group-timeEntry > summary').click();
  await page.getByLabel('Work channel').selectOption('phone');
  await page.getByLabel('Minutes').fill('25');
  await page.getByLabel(/^What was done/).fill('called the customer (browser test)');
  await page.getByRole('button', { name: 'Record work time' }).click();
  await expect.poll(() => page.locator('#action-status').textContent()).toContain('Done: Record work time');
  await page.getByRole('cell', { name: 'called the customer (browser test)', exact: true }).waitFor();
  const entries = await apiGet<{ items: Array<{ minutes: number; channel: string }> }>(`/tickets/${id!}/time-entries`);
  expect(entries.items).toEqual([expect.objectContaining({ minutes: 25, channel: 'phone' })]);
});

it('shows times in the site zone with the zone named, and in the browser zone on request', async () => {
  await page.getByRole('link', { name: 'Ticket queue', exact: true }).click();
  const row = page.locator('tr[data-ticket]').first();
  await row.waitFor();
  const id = (await row.getAttribute('data-ticket'))!;
  const { items } = await apiGet<{ items: Array<{ id: string; deadlineAt: string | number | null }> }>('/tickets?limit=200');
  const deadline = items.find((i) => i.id === id)?.deadlineAt;
  expect(deadline).toBeTruthy();
  const inZone = (timeZone: string) => new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(deadline!));
  expect(inZone('Europe/Warsaw')).not.toBe(inZone('UTC'));
  const zone = page.locator('#zone-select');
  expect(await zone.inputValue()).toBe('site');
  expect(await zone.locator('option[value="site"]').textContent()).toBe('Europe/Warsaw (site)');
  expect(await page.locator('#zone-now').textContent()).toMatch(/^(CET|CEST|GMT\+[12])$/);
  expect(await page.locator(`tr[data-ticket="${id}"] td`).first().textContent()).toContain(inZone('Europe/Warsaw'));
  await zone.selectOption('browser');
  await expect.poll(() => page.locator(`tr[data-ticket="${id}"] td`).first().textContent()).toContain(inZone('UTC'));
  expect(await page.locator('#zone-now').textContent()).toBe('UTC');
  await zone.selectOption('site');
  await expect.poll(() => page.locator(`tr[data-ticket="${id}"] td`).first().textContent()).toContain(inZone('Europe/Warsaw'));
});

it('lists the agents with state, last seen, outbox depth and devices', async () => {
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Agents' }).waitFor();
  const row = page.locator('tr[data-agent]');
  await expect.poll(() => row.count()).toBe(1);
  const [agent] = (await apiGet<{ items: Array<{ key: string; state: string; devices: number; outboxDepth?: number }> }>('/agents')).items;
  expect(await row.getAttribute('data-agent')).toBe(agent!.key);
  expect(await row.getAttribute('data-state')).toBe('online');
  const text = (await row.textContent()) ?? '';
  expect(text).toMatch(/online/);
  expect(text).toMatch(/ago|now/);
  expect(await row.locator('td').nth(6).textContent()).toBe(String(agent!.devices));
  expect(await row.locator('time.ago').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
  await page.getByRole('link', { name: /^Offline/ }).click();
  await page.locator('#agents-empty').waitFor();
  await page.getByRole('link', { name: /^All/ }).click();
  await expect.poll(() => row.count()).toBe(1);
  await shot('agents');
});

it('shows supply forecasts, the level history and the supplies to order this week, with a CSV download', async () => {
  // The demo backfills supply history once the devices reported: orders for the lowest toner/ink of a third of them.
  await waitUntil(
    async () => (await apiGet<{ total: number }>('/supplies/to-order?within=7')).total > 0,
    'the demo history backfill and its order tickets',
    90_000,
    500,
  );
  await page.getByRole('link', { name: 'Supplies to order', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Supplies to order' }).waitFor();
  const rows = page.locator('tr[data-device][data-supply]');
  await expect.poll(() => rows.count()).toBeGreaterThan(0);
  expect(await rows.first().textContent()).toMatch(/runs out in \d+ days?|runs out today|empty now/);
  expect(await rows.first().locator('a[href^="#/tickets/"]').count()).toBe(1);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^supplies-to-order-\d{4}-\d\d-\d\d\.csv$/);
  const lines = readFileSync(await file.path(), 'utf8')
    .replace(/^\uFEFF/, '')
    .trimEnd()
    .split('\r\n');
  expect(lines[0]).toMatch(/^customer,site,device,vendor,model,serial,location,supply,part number,/);
  expect(lines.length).toBe((await rows.count()) + 1);
  await shot('supplies');
  // The device page: forecast lines under the supply bars, the level history chart, the fault timeline.
  await rows.first().locator('a[href^="#/devices/"]').click();
  await page.getByRole('heading', { level: 2, name: 'Supply level history' }).waitFor();
  await page.getByRole('heading', { level: 2, name: 'Fault timeline' }).waitFor();
  await expect.poll(() => page.locator('div.forecast[data-forecast="forecast"]').count()).toBeGreaterThan(0);
  expect(await page.locator('#history-h ~ figure canvas.chart-canvas[role="img"]').count()).toBe(1);
  // What the chart draws: no level line may start with a jump (a lone reading near 0 % before the
  // cartridge, or near full before an emptied waste box), which reads as a drop or rise from 0 %.
  const starts = await page.evaluate(() => {
    const w = globalThis as unknown as {
      document: { querySelector(s: string): unknown };
      Chart: { getChart(c: unknown): { data: { datasets: Array<{ label: string; data: Array<{ y: number | null }> }> } } };
    };
    const chart = w.Chart.getChart(w.document.querySelector('#history-h ~ figure canvas.chart-canvas'));
    return chart.data.datasets.map((d) => ({ label: d.label, first: d.data[0]?.y ?? null, second: d.data[1]?.y ?? null }));
  });
  expect(starts.length).toBeGreaterThan(0);
  for (const s of starts)
    if (s.first !== null && s.second !== null) expect(Math.abs(s.second - s.first), `${s.label} starts ${s.first} % → ${s.second} %`).toBeLessThan(50);
  await page.locator('#history-h').scrollIntoViewIfNeeded();
  await shot('device-history');
  // The fleet list's forecast column.
  await page.getByRole('link', { name: 'Fleet', exact: true }).click();
  await expect.poll(() => page.locator('tr[data-device] td.forecast').count()).toBeGreaterThan(0);
});

it('shows this billing period’s meter readings per device and counter, with a CSV download', async () => {
  // The demo's customers read meters on the 1st (Warsaw): this month's period opens with the first readings.
  const period = new Date().toLocaleString('sv-SE', { timeZone: 'Europe/Warsaw' }).slice(0, 7);
  await waitUntil(
    async () => (await apiGet<{ rows: unknown[] }>(`/meters?period=${period}`)).rows.length > 0,
    'meter readings of the demo devices',
    60_000,
    500,
  );
  await page.getByRole('link', { name: 'Meters', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Meter readings for billing' }).waitFor();
  await page.locator('#period').selectOption(period);
  const rows = page.locator('tr[data-device][data-counter="total"]');
  await expect.poll(() => rows.count()).toBeGreaterThan(0);
  await page.getByRole('heading', { level: 2, name: 'Missing meters before the coming cut-off' }).waitFor();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`meters-${period}.csv`);
  const lines = readFileSync(await file.path(), 'utf8')
    .replace(/^\uFEFF/, '')
    .trimEnd()
    .split('\r\n');
  expect(lines[0]).toBe(
    'customer,device,serial,model,period,counter,opening_at,opening,opening_source,opening_counter_source,opening_confidence,' +
      'closing_at,closing,closing_counter_source,closing_confidence,usage,weight,billed_units,flags,confirmed_by',
  );
  // The agent's counter sources reach the export: a device's total is the Printer-MIB or IPP counter, exact.
  expect(
    lines.filter((l) => l.split(',')[5] === 'total').some((l) => /,(Printer-MIB prtMarkerLifeCount|IPP printer-impressions-completed)[^,]*,exact,/.test(l)),
  ).toBe(true);
  expect(lines.length).toBe((await page.locator('table.meters tr[data-device]').count()) + 1);

  // Two periods as one file: the previous one and this one, chosen in the range's month pickers.
  const [y, m] = period.split('-').map(Number) as [number, number];
  const previous = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  await page.locator('#range-from').fill(previous);
  await page.locator('#range-to').fill(period);
  const rangeDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download range CSV' }).click();
  const rangeFile = await rangeDownload;
  expect(rangeFile.suggestedFilename()).toBe(`meters-${previous}_${period}.csv`);
  const rangeLines = readFileSync(await rangeFile.path(), 'utf8')
    .replace(/^\uFEFF/, '')
    .trimEnd()
    .split('\r\n');
  expect(rangeLines[0]).toBe(lines[0]);
  const body = rangeLines.slice(1);
  // Only the two periods, oldest first; the range's rows are those the API lists for it.
  expect(body.every((l) => [previous, period].includes(l.split(',')[4]!))).toBe(true);
  expect(body.map((l) => l.split(',')[4])).toEqual([...body.map((l) => l.split(',')[4]!)].sort());
  const api = await apiGet<{ rows: Array<{ deviceKey: string; period: string; counter: string | null }> }>(`/meters?from=${previous}&to=${period}`);
  expect(body.length).toBe(api.rows.length);
  expect(body.map((l) => l.split(',').slice(4, 6).join(','))).toEqual(api.rows.map((r) => `${r.period},${r.counter ?? ''}`));
  expect(body.some((l) => l.split(',')[4] === period && l.split(',')[5] === 'total')).toBe(true);
});

it('shows the SLA report with charts and a table, and downloads it as CSV', async () => {
  await page.getByRole('link', { name: 'SLA reports', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'SLA reports' }).waitFor();
  const month = new Date().toISOString().slice(0, 7);
  const { items } = await apiGet<{ items: Array<{ customerId: string; month: string; met: number; tickets: number }> }>(`/reports/compliance?since=${month}`);
  expect(items.length).toBeGreaterThan(0);
  const row = page.locator(`tr[data-customer="${items[0]!.customerId}"][data-month="${items[0]!.month}"]`);
  await row.waitFor();
  // The acknowledged ticket met its reaction target: counted as met, in the table as in the API.
  expect(items[0]!.met).toBeGreaterThan(0);
  expect(await row.locator('td').nth(4).textContent()).toBe(String(items[0]!.met));
  // Two charts, each with a spoken summary and its data as a table behind a toggle.
  const canvases = page.locator('canvas.chart-canvas[role="img"]');
  await expect.poll(() => canvases.count()).toBe(2);
  expect(await canvases.first().getAttribute('aria-label')).toMatch(/^Reaction compliance per month\. .+: .+ \d+(\.\d)?%/);
  const toggle = page.locator('.chart-toggle').first();
  expect(await toggle.textContent()).toBe('Show data table');
  await toggle.click();
  expect(await toggle.getAttribute('aria-expanded')).toBe('true');
  expect(await toggle.textContent()).toBe('Hide data table');
  await page.getByRole('table', { name: 'Reaction compliance per month' }).waitFor();
  await toggle.click();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^sla-compliance-\d{4}-\d\d_\d{4}-\d\d\.csv$/);
  const csv = readFileSync(await file.path(), 'utf8');
  const lines = csv
    .replace(/^\uFEFF/, '')
    .trimEnd()
    .split('\r\n');
  expect(lines[0]).toMatch(/^customerId,customerName,contractId,month,tickets,met,breached,/);
  expect(lines).toHaveLength(items.length + 1);
  await shot('reports');
  // A first month after the last one is refused before asking the API.
  await page.getByLabel('From month').fill('2030-01');
  await page.getByRole('button', { name: 'Apply' }).click();
  expect(await page.locator('#rep-range-error').textContent()).toMatch(/not after the last one/);
  await page.getByLabel('From month').fill(month);
  await page.getByRole('button', { name: 'Apply' }).click();
  await row.waitFor();
  await page.goto(`${demo.dashboardUrl}#/tickets/${ticketId}`);
  await page.getByRole('heading', { level: 2, name: 'Faults and evidence' }).waitFor();
});

it('switches to Polish, keeps it after a reload, and formats in Polish', async () => {
  await page.getByLabel('Language').selectOption('pl');
  await page.getByRole('heading', { level: 2, name: 'Usterki i dowody' }).waitFor();
  expect(await page.locator('#ticket-badges').textContent()).toContain('przyjęte');
  await page.reload();
  await page.getByRole('link', { name: 'Kolejka zgłoszeń', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Kolejka zgłoszeń' }).waitFor();
  await page.getByRole('link', { name: 'Przekroczone' }).waitFor();
  // Deadlines in Polish date format (Intl pl-PL: "23 lis 2026, 13:00").
  await expect.poll(() => page.locator('tr[data-ticket] td').first().textContent()).toMatch(/\d{1,2} (sty|lut|mar|kwi|maj|cze|lip|sie|wrz|paź|lis|gru) \d{4}/);
  await shot('queue-pl');
  await page.getByRole('link', { name: 'Flota', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Flota' }).waitFor();
  expect(await page.locator('#fleet-count').textContent()).toContain(`${DEVICES} urządzeń`);
  await shot('fleet-pl');
  expect(await page.locator('html').getAttribute('lang')).toBe('pl');
  expect(pageErrors).toEqual([]);
});
