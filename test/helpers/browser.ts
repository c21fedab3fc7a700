/**
 * Debian's Chromium for the browser tests, driven by playwright-core (which downloads no browser).
 * A test file skips visibly, with a message, only when the binary is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { ROOT } from './process.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
/** Screenshots of the browser tests land here. */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/** Headless Chromium without the background traffic (updates, sync) a test machine has no use for. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}
