/**
 * The bench's server for the `events` section: the real app (server/app.ts) as server/main.ts
 * builds it, with one switch main.ts does not have: BENCH_RECORD_EVENTS=false builds it without
 * writing change events (AppOptions.recordEvents), the baseline that measures what the event log
 * costs a PATCH. Both variants run this same entry, so they differ in that switch only.
 * BENCH_WRITE_LANE=false builds it with the hot writes through MikroORM (AppOptions.writeLane):
 * the `writes` section's "before the write lane" variant.
 */

import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';

const config = loadConfig();
const { http } = await buildApp(config, {
  recordEvents: process.env.BENCH_RECORD_EVENTS !== 'false',
  writeLane: process.env.BENCH_WRITE_LANE !== 'false',
});
const url = await http.listen({ host: config.host, port: config.port });
http.log.warn({ url }, 'bench events server listening');
const stop = () => void http.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
