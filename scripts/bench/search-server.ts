/**
 * The bench's server for the `search` section's create-cost pair: the real app (server/app.ts)
 * as server/main.ts builds it, with one switch main.ts does not have: BENCH_SEARCH_WRITES=off
 * turns off the search writes (server/search/search-writes.ts), the baseline that measures what
 * the search structures cost a create. Both variants run this same entry, so they differ in that
 * switch only (and in the FTS5 triggers / trigram indexes the section drops from the baseline's
 * copy of the database).
 */

import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { disableSearchWritesForBench } from '../../server/search/search-writes.js';

if (process.env.BENCH_SEARCH_WRITES === 'off') disableSearchWritesForBench();
const config = loadConfig();
const { http } = await buildApp(config);
const url = await http.listen({ host: config.host, port: config.port });
http.log.warn({ url }, `bench search server listening (search writes ${process.env.BENCH_SEARCH_WRITES === 'off' ? 'off' : 'on'})`);
const stop = () => void http.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
