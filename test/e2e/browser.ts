/**
 * Debian's Chromium for the browser tests, driven by playwright-core. Like
 * the services of the integration tests: missing outside CI, the suite is
 * skipped with one line; missing with CI=true, it fails (`.ci/run`
 * installs it whenever test/e2e exists).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.MILLRACE_CHROMIUM ?? '/usr/bin/chromium';

/** A skip reason for `describe(…, { skip })`, or false; throws under CI=true. */
export function requireChromium(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const line = `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(`${line} (CI=true: a missing browser is a failure)`);
  return `skipped: ${line}`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
}
