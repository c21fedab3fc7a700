import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The service version, from the root package.json. */
export const SERVICE_VERSION: string = (require('../package.json') as { version: string }).version;
