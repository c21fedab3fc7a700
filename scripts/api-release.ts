/**
 * Marks a release of the API: openapi/released.json becomes the current openapi.json, and
 * CHANGELOG.md's Unreleased section becomes this version's. Run it when the release is cut,
 * after `npm run api:check` passes.
 *
 *   npm run api:release -- <version>      (default: package.json's version)
 */
import fs from 'node:fs';
import { SERVICE_VERSION } from '../server/version.js';
import { releaseChangelog } from './api/changelog.js';
import { CHANGELOG_FILE, RELEASED_OPENAPI_FILE } from './api/files.js';
import { OPENAPI_FILE } from './lib/openapi-file.js';

const version = process.argv[2] ?? SERVICE_VERSION;
const date = new Date().toISOString().slice(0, 10);
fs.copyFileSync(OPENAPI_FILE, RELEASED_OPENAPI_FILE);
fs.writeFileSync(CHANGELOG_FILE, releaseChangelog(fs.readFileSync(CHANGELOG_FILE, 'utf8'), version, date));
console.log(`openapi/released.json is now openapi.json; CHANGELOG.md's Unreleased section is ${version} (${date})`);
