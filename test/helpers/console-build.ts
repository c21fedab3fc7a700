/**
 * vitest globalSetup: builds the web console once per test run (skipped in well under a second
 * when its inputs are unchanged: scripts/console/build.ts), before any test file starts a server
 * that serves it at /console/.
 */
import { buildConsole } from '../../scripts/console/build.js';

export default async function setup() {
  await buildConsole({ quiet: true });
}
