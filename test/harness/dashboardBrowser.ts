/**
 * Headless Debian Chromium on a throw-away profile, as the dashboard's browser tests use it. The
 * browser runs in UTC, as a laptop or a headless runner may: the dashboard must still show times in
 * the contract's zone. Errors thrown by the page are collected into `pageErrors` (tests expect none).
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export async function openDashboardBrowser(
  profileDir: string,
  executablePath: string,
  pageErrors: string[],
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { context, page };
}
