/**
 * Regenerates what is derived from the server's code:
 *   - openapi.json at the repo root (committed);
 *   - client-sdk/src/procedures.gen.ts, the SDK's list of procedures (committed);
 *   - client-sdk/dist, the built SDK with its self-contained declarations (not committed).
 *
 *   npm run generate
 */
import fs from 'node:fs';
import { buildOpenApiDocument } from '../server/openapi.js';
import { appRouter } from '../server/trpc/root.js';
import { SERVICE_VERSION } from '../server/version.js';
import { OPENAPI_FILE, serializeOpenApi } from './lib/openapi-file.js';
import { buildSdk } from './sdk/build.js';
import { PROCEDURES_FILE, renderProcedureMap } from './sdk/procedures.js';

fs.writeFileSync(OPENAPI_FILE, serializeOpenApi(buildOpenApiDocument(SERVICE_VERSION)));
console.log(`wrote ${OPENAPI_FILE}`);
fs.writeFileSync(PROCEDURES_FILE, renderProcedureMap(appRouter));
console.log(`wrote ${PROCEDURES_FILE}`);
await buildSdk();
console.log('built client-sdk/dist');
