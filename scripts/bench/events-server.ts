/**
 * The bench's server for the `events` section: the real app (server/app.ts) as server/main.ts
 * builds it, with one switch main.ts does not have: BENCH_RECORD_EVENTS=false builds it without
 * writing change events (AppOptions.recordEvents), the baseline that measures what the event log
 * costs a PATCH. Both variants run this same entry, so they differ in that switch only.
 */

import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';

const config = loadConfig();
const { http } = await buildApp(config, { recordEvents: process.env.BENCH_RECORD_EVENTS !== 'false' });
const url = await http.listen({ host: config.host, port: config.port });
http.log.warn({ url }, 'bench events server listening');
const stop = () => void http.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
