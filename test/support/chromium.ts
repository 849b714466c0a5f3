// Debian's chromium driven by playwright-core for the browser tests (never a downloaded browser).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian installs chromium; a browser test skips with a message when it is absent. */
export const CHROMIUM = '/usr/bin/chromium';

/** Screenshots land here (gitignored) for a human to look at. */
export const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

/** Whether the browser tests can run here. */
export const hasChromium = (): boolean => existsSync(CHROMIUM);

/** The message of the one skipped test where chromium is absent. */
export const NO_CHROMIUM = `skipped: no Debian chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`;

/** A headless chromium with a throwaway profile and no background traffic of its own. */
export function launchChromium(options: { offline?: boolean; viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'doplab-chromium-profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    ...options,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}
