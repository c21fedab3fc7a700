import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

/** The service version, from the root package.json (read, not imported, so dist/ needs no copy of it). */
export const SERVICE_VERSION: string = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
