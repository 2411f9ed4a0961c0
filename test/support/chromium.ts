/**
 * Headless Chromium for the tests that drive the dashboard's page, through
 * playwright-core and the system's Chromium (apt-get install chromium):
 * Playwright's own browser download is never used.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined if they can. */
export function chromiumUnavailableReason(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} missing (apt-get install --no-install-recommends chromium)`;
}

/**
 * Chromium, headless, and nothing of its own on the network (no background
 * requests, updates or sync). Playwright gives it a fresh profile in a
 * temporary folder (it refuses `--user-data-dir` here) and removes it at `close()`.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}
