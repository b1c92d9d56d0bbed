import { type ChildProcess, spawn } from 'node:child_process';
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

/** A `groundwork view` process started by a test, and how to stop it. */
export interface ViewerProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * Start the real `groundwork view` on a free port over `db` (it builds the app bundle when it is
 * missing or stale) and resolve with its URL once it prints it.
 */
export async function startViewerProcess(bin: string, db: string): Promise<ViewerProcess> {
  const viewer: ChildProcess = spawn(process.execPath, [bin, 'view', '--port', '0', '--json', '--db', db], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  viewer.stderr!.on('data', (chunk) => (stderr += chunk));
  const stop = async () => {
    if (viewer.exitCode !== null || viewer.signalCode !== null) return;
    const exited = new Promise((resolveExit) => viewer.once('exit', resolveExit));
    viewer.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`viewer did not start: ${stderr}`)), 90_000);
      viewer.stdout!.on('data', (chunk) => {
        out += chunk;
        try {
          resolveUrl(JSON.parse(out).url);
          clearTimeout(timer);
        } catch {
          // not a whole document yet
        }
      });
      viewer.on('exit', (code) => reject(new Error(`viewer exited with ${code}: ${stderr}`)));
    });
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
