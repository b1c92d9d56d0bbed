import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium, which `.ci/run` installs when it is missing. */
export const CHROMIUM = process.env.GROUNDWORK_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when chromium is present. */
export const browserSkipReason = existsSync(CHROMIUM)
  ? undefined
  : `chromium not found at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`;

/**
 * Launch headless chromium with no background network. Playwright gives every `launch` a fresh
 * temporary profile (--user-data-dir) and deletes it on close.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}
