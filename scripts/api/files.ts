import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The document of the last release, as callers have it (updated by `npm run api:release`). */
export const RELEASED_OPENAPI_FILE = path.join(ROOT, 'openapi', 'released.json');
export const CHANGELOG_FILE = path.join(ROOT, 'CHANGELOG.md');
