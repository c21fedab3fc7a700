/**
 * The search feature's own JavaScript per create: the folded columns (searchKeys) and the typo
 * dictionary's rows (dictionaryRows) for 20,000 customers shaped like the search section's create
 * bodies, CPU per customer, three rounds (docs/performance.md, section search).
 *
 *   npx tsx scripts/bench/fold-cost.ts
 */
import type { Address } from '../../client-sdk/src/schemas/customer.js';
import { customerWords, dictionaryRows, searchKeys } from '../../server/search/search-keys.js';
import { rowFor } from './dataset.js';

const fields = Array.from({ length: 20_000 }, (_, k) => {
  const r = rowFor(k);
  return {
    email: `r1-on-abc.${k}@create.example.com`,
    firstName: r.first_name,
    lastName: r.last_name,
    phone: r.phone,
    company: r.company,
    address: r.address === null ? null : (JSON.parse(r.address) as Address),
    metadata: JSON.parse(r.metadata) as Record<string, string>,
  };
});
for (let round = 0; round < 3; round++) {
  const cpu0 = process.cpuUsage();
  let rows = 0;
  for (const f of fields) {
    searchKeys(f);
    rows += dictionaryRows(customerWords(f)).length;
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `searchKeys + dictionaryRows: ${((cpu.user + cpu.system) / fields.length).toFixed(1)} µs per customer (${(rows / fields.length).toFixed(1)} dictionary rows each)`,
  );
}
