/**
 * The service record on the dashboard's device page in Debian's chromium (playwright-core),
 * against the whole server app (listening on loopback, manual clock) fed with agent messages over
 * three days: a toner replaced (pages per cartridge against its rated yield), a drum (part
 * life), a jam that cleared (a ticket resolved by the device), a firmware update and counters by
 * type. Every value the page must show is worked out by hand from those messages. The customer
 * sees its own device's record, in English and Polish; another customer sees none of it. The
 * section's screenshot goes to docs/screenshots/device-service-record.png.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { openDashboardBrowser, signInToDashboard } from '../harness/dashboardBrowser.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeviceStateMessage, DeviceTelemetryMessage } from '../../shared/wire/messages.js';
import { makeApiKit, type ApiKit } from '../unit/api/apiTestKit.js';
import { clearedMsg, env, fault, raisedMsg, statusMsg } from '../unit/server/wireFixtures.js';
import { makeTempDir, requireProgram, waitUntil } from '../harness/peers.js';

const shots = resolve(import.meta.dirname, '../../docs/screenshots');
const profile = makeTempDir('service-record-chromium');
const KEY = 'acme/sn:sn-sr1';
const DAY0 = '2026-01-05T08:00:00Z';
const DAY1 = '2026-01-06T08:00:00Z';
const DAY2 = '2026-01-07T08:00:00Z';

let kit: ApiKit;
let dashboardUrl = '';
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

/** Toner: impressions (unit 7), rated 12,000 pages. Drum: impressions, 60,000. */
function state(at: string, seq: number, firmware: string, toner: number, total: number): DeviceStateMessage {
  return {
    ...env('acme', 'a1', at),
    type: 'device.state',
    deviceId: 'sr1',
    seq,
    snapshot: {
      address: '192.0.2.50',
      protocols: ['snmp'],
      collectedAt: at,
      identity: { vendor: 'Ricoh', model: 'MP C2503', serial: 'SN-SR1', firmware },
      status: 'idle',
      faults: [],
      supplies: [
        {
          index: 1,
          name: 'Black Toner',
          kind: 'toner',
          color: 'black',
          levelPercent: toner,
          state: toner <= 10 ? 'low' : 'ok',
          raw: { level: toner * 120, max: 12_000, unit: 7, class: 3, type: 3 },
        },
        {
          index: 2,
          name: 'Drum Unit',
          kind: 'drum',
          color: null,
          levelPercent: 50,
          state: 'ok',
          raw: { level: 30_000, max: 60_000, unit: 7, class: 3, type: 9 },
        },
      ],
      inputs: [],
      counters: { total, mono: total - 2_000, color: 2_000 },
    },
  };
}

function telemetry(at: string, seq: number, toner: number, total: number): DeviceTelemetryMessage {
  return {
    ...env('acme', 'a1', at),
    type: 'device.telemetry',
    deviceId: 'sr1',
    seq,
    status: 'idle',
    supplies: [
      { index: 1, kind: 'toner', color: 'black', levelPercent: toner, state: toner <= 10 ? 'low' : 'ok' },
      { index: 2, kind: 'drum', color: null, levelPercent: 50, state: 'ok' },
    ],
    counters: { total, mono: total - 2_000, color: 2_000 },
  };
}

async function at(iso: string): Promise<void> {
  kit.clock.set(iso);
  // A clock jump fires the server's timers; let them run before the next message.
  await new Promise((r) => setTimeout(r, 50));
}

const signIn = (token: string, lang: 'en' | 'pl'): Promise<void> => signInToDashboard(page, dashboardUrl, token, lang);

beforeAll(async () => {
  const executablePath = requireProgram('chromium', 'chromium');
  kit = await makeApiKit();
  dashboardUrl = `http://127.0.0.1:${kit.app.server.httpPort}/dashboard/`;
  // Day 0: toner at 5 %, 10,000 pages, firmware 1.35.
  await at('2026-01-05T08:00:30Z');
  await kit.send(statusMsg('acme', 'a1', 'online', DAY0));
  await kit.send(state(DAY0, 1, '1.35', 5, 10_000));
  // Day 1: a new toner at 10,500 pages; a jam that clears after 5 minutes.
  await at('2026-01-06T08:00:30Z');
  await kit.send(statusMsg('acme', 'a1', 'online', DAY1));
  await kit.send(telemetry(DAY1, 2, 100, 10_500));
  await kit.send(raisedMsg('acme', 'a1', 'sr1', fault('jam'), '2026-01-06T08:01:00Z', 3));
  await at('2026-01-06T08:05:30Z');
  await kit.send(clearedMsg('acme', 'a1', 'sr1', 'jam', '2026-01-06T08:05:00Z', 4));
  // The quiet period (15 min) passes: the ticket resolves by itself.
  await at('2026-01-06T08:30:00Z');
  await waitUntil(
    async () => {
      const res = await kit.call('GET', '/api/v1/tickets?limit=50');
      return kit.json<{ items: Array<{ status: string; title: string }> }>(res).items.some((t) => /jam/i.test(t.title) && t.status === 'resolved');
    },
    'the jam ticket to resolve after its quiet period',
    10_000,
    100,
  );
  // Day 2: 1,200 pages on the new toner (90 % left), firmware updated to 1.40.
  await at('2026-01-07T08:00:30Z');
  await kit.send(statusMsg('acme', 'a1', 'online', DAY2));
  await kit.send(state(DAY2, 5, '1.40', 90, 11_700));

  ({ context, page } = await openDashboardBrowser(profile.path, executablePath, pageErrors, { width: 1280, height: 900 }));
});

afterAll(async () => {
  await context?.close();
  await kit?.close();
  profile.remove();
});

it('the customer’s device page shows its service record with the values of its messages', async () => {
  await signIn(kit.tokens.acme, 'en');
  await page.goto(`${dashboardUrl}#/devices/${encodeURIComponent(KEY)}`);
  await page.getByRole('heading', { level: 2, name: 'Service record' }).waitFor();

  // The jam's ticket, resolved by the device.
  const jamRow = page.locator('#sr-tickets tr[data-ticket]').filter({ hasText: /jam/i });
  expect(await jamRow.getAttribute('data-outcome')).toBe('byDevice');
  expect(await jamRow.textContent()).toContain('cleared on the device');
  expect(await jamRow.locator('td').nth(2).textContent()).toMatch(/^6 Jan 2026, 09:\d\d$/);

  // One jam in January 2026.
  expect(await page.locator('#sr-faults tr[data-month="2026-01"] td').nth(1).textContent()).toBe('1');

  // The toner put in on day 1: 11,700 − 10,500 = 1,200 pages of 12,000 rated = 10 %, still in use.
  const cartridge = page.locator('#sr-cartridges tr[data-supply="1"]').first();
  const cells = await cartridge.locator('td').allTextContents();
  expect(cells[0]).toBe('Black Toner');
  expect(cells[2]).toBe('in use');
  expect(cells.slice(3)).toEqual(['1,200', '12,000', '10%']);

  // The drum: half its life left.
  const drum = page.locator('#sr-parts tr[data-kind="drum"]');
  expect(await drum.textContent()).toMatch(/Drum Unit · drum/);
  expect(await drum.locator('td').nth(1).textContent()).toMatch(/^50% · OK/);

  // The firmware update from 1.35 to 1.40 on day 2.
  expect(await page.locator('#sr-firmware-now').textContent()).toBe('Firmware version now: 1.40');
  const update = page.locator('#sr-firmware li[data-event="firmware"]');
  expect(await update.count()).toBe(1);
  expect(await update.textContent()).toContain('firmware 1.35 → 1.40');

  // Counters by type: total, mono and colour lines, ending at the day-2 reading.
  await page.locator('#sr-counters canvas.chart-canvas[role="img"]').waitFor();
  const lines = await page.evaluate(() => {
    const w = globalThis as unknown as {
      document: { querySelector(s: string): unknown };
      Chart: { getChart(c: unknown): { data: { datasets: Array<{ label: string; data: Array<{ y: number }> }> } } };
    };
    const chart = w.Chart.getChart(w.document.querySelector('#sr-counters canvas.chart-canvas'));
    return Object.fromEntries(chart.data.datasets.map((d) => [d.label, d.data[d.data.length - 1]?.y]));
  });
  expect(lines).toEqual({ total: 11_700, mono: 9_700, color: 2_000 });
  mkdirSync(shots, { recursive: true });
  await page.locator('#service-record').screenshot({ path: resolve(shots, 'device-service-record.png') });
  expect(pageErrors).toEqual([]);
});

it('in Polish', async () => {
  await page.locator('#lang-select').selectOption('pl');
  await page.getByRole('heading', { level: 2, name: 'Historia serwisowa' }).waitFor();
  expect(await page.locator('#sr-tickets tr[data-outcome="byDevice"]').textContent()).toContain('ustąpiło na urządzeniu');
  expect(await page.locator('#sr-cartridges tr[data-supply="1"] td').nth(2).textContent()).toBe('w użyciu');
  expect(await page.locator('#sr-firmware-now').textContent()).toBe('Obecna wersja oprogramowania: 1.40');
  expect(await page.locator('#sr-parts tr[data-kind="drum"]').textContent()).toContain('bęben');
  await page.locator('#lang-select').selectOption('en');
});

it('another customer sees no record of the device', async () => {
  await signIn(kit.tokens.globex, 'en');
  await page.goto(`${dashboardUrl}#/devices/${encodeURIComponent(KEY)}`);
  await page.getByRole('alert').waitFor();
  expect(await page.locator('#service-record').count()).toBe(0);
  expect((await kit.call('GET', `/api/v1/devices/${encodeURIComponent(KEY)}/service-record`, kit.tokens.globex)).statusCode).toBe(404);
});
