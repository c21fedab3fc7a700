/**
 * Compares openapi.json with the last released document (openapi/released.json) and fails on a
 * breaking change that CHANGELOG.md's Unreleased section does not acknowledge.
 *
 *   npm run api:check
 *
 * Exit 0: compatible, or every breaking change acknowledged (they are listed). Exit 1: not.
 */
import fs from 'node:fs';
import { breakingChanges } from './api/breaking-changes.js';
import { unacknowledged } from './api/changelog.js';
import { CHANGELOG_FILE, RELEASED_OPENAPI_FILE } from './api/files.js';
import { OPENAPI_FILE } from './lib/openapi-file.js';

const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const changes = breakingChanges(read(RELEASED_OPENAPI_FILE), read(OPENAPI_FILE));
const missing = unacknowledged(changes, fs.readFileSync(CHANGELOG_FILE, 'utf8'));
for (const c of changes) console.log(`${missing.includes(c) ? 'BREAKING (not acknowledged)' : 'breaking (acknowledged)'}  ${c.operation}: ${c.change}`);
if (missing.length) {
  const operations = [...new Set(missing.map((c) => c.operation))];
  console.error(
    `\n${missing.length} breaking change(s) to ${operations.length} operation(s) since the last release.\n` +
      'Make the change compatible (an optional input, a new field, a new operation), or acknowledge it in CHANGELOG.md\n' +
      'under "## Unreleased" with a line per operation:\n' +
      operations.map((o) => `  - BREAKING \`${o}\`: what changed, and what callers do about it`).join('\n'),
  );
  process.exit(1);
}
console.log(changes.length ? 'Every breaking change is acknowledged in CHANGELOG.md.' : 'openapi.json is compatible with openapi/released.json.');
