/**
 * Debian's Chromium for the browser tests, driven by playwright-core. Like
 * the services of the integration tests: missing outside CI, the suite is
 * skipped with one line; missing with CI=true, it fails (`.ci/run`
 * installs it whenever test/e2e exists).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { missingService } from '../helpers/services.js';

export const CHROMIUM = process.env.MILLRACE_CHROMIUM ?? '/usr/bin/chromium';

/** A skip reason for `describe(…, { skip })`, or false; throws under CI=true. */
export function requireChromium(): string | false {
  return existsSync(CHROMIUM) ? false : missingService(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
}

/** How long a page waits for the dashboard to show something. */
export const UI_TIMEOUT = 20_000;

/**
 * A fresh browser context (its own sessionStorage) on the dashboard at
 * `base`, signed in with `token`. Page errors and console errors (but a
 * 401, which signing in may meet) are pushed to `problems`.
 */
export async function signIn(browser: Browser, base: string, token: string, problems: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${base}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Processes' }).waitFor();
  return { context, page };
}
