import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const OPENAPI_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'openapi.json');

/** The committed form: stable key order as generated, two-space indent, final newline. */
export const serializeOpenApi = (doc: object) => `${JSON.stringify(doc, null, 2)}\n`;
