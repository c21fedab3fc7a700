/**
 * Regenerates what is derived from the code and committed: `openapi.json` at the repo root.
 *   npm run generate
 */
import fs from 'node:fs';
import { buildOpenApiDocument } from '../server/openapi.js';
import { SERVICE_VERSION } from '../server/version.js';
import { OPENAPI_FILE, serializeOpenApi } from './lib/openapi-file.js';

fs.writeFileSync(OPENAPI_FILE, serializeOpenApi(buildOpenApiDocument(SERVICE_VERSION)));
console.log(`wrote ${OPENAPI_FILE}`);
