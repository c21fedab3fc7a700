/**
 * Long contract-fuzzing run: `npm run fuzz -- --runs N --seed S [--ops customers-get,auth-login]`.
 * Starts its own server (temp SQLite dir, or a scratch database on DATABASE_URL's PostgreSQL),
 * prints each failure with the seed that replays it, and ends with
 *   fuzz: <requests> requests, <n> server errors, <n> schema violations, seed <S>
 * Exit 1 on any server error, schema violation, database change on a 4xx, or leaked secret.
 */
import { parseArgs } from 'node:util';
import { Fuzzer, summaryLine } from './hardening/fuzzer.js';
import { startInProcess } from './hardening/target.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' }, ops: { type: 'string' }, quiet: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- --runs N --seed S');
  process.exit(2);
}

const target = await startInProcess();
console.log(`fuzzing ${target.url} (${target.dialect}), ${runs} cases from seed ${seed}`);
let code = 0;
try {
  const started = Date.now();
  const result = await new Fuzzer(target).run({
    runs,
    seed,
    operations: values.ops?.split(','),
    log: (line) => console.log(line),
  });
  console.log(`statuses: ${JSON.stringify(result.statuses)}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const seeds = [...new Set(result.failures.map((f) => f.seed))];
  if (seeds.length) console.log(`failing case seeds (replay one with --seed <seed> --runs 1): ${seeds.join(' ')}`);
  console.log(`fuzz: ${result.dbChanges} database changes on a 4xx, ${result.leaks} leaks`);
  console.log(summaryLine(result, seed));
  if (result.serverErrors || result.schemaViolations || result.dbChanges || result.leaks) code = 1;
} catch (err) {
  console.error('fuzz: aborted:', err);
  code = 1;
} finally {
  await target.close();
}
process.exit(code);
