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

/**
 * A fresh session in this tab as the token's holder: forget the previous role's token, log in,
 * and switch to `lang` (kept in localStorage, so chosen for each flow; the page re-renders in it).
 */
export async function signInToDashboard(page: Page, dashboardUrl: string, token: string, lang: 'en' | 'pl'): Promise<void> {
  await page.goto(`${dashboardUrl}#/login`);
  await page.evaluate('sessionStorage.clear()');
  await page.reload();
  await page.locator('#token').waitFor();
  await page.locator('#token').fill(token);
  await page.locator('form.login button[type="submit"]').click();
  await page.locator('#whoami').filter({ hasText: /\S/ }).waitFor();
  if ((await page.locator('#lang-select').inputValue()) !== lang) await page.locator('#lang-select').selectOption(lang);
  await page.locator(`html[lang="${lang}"]`).waitFor();
}
