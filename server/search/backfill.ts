import type { Address } from '../../client-sdk/src/schemas/customer.js';
import { addToDictionary, type Execute } from './dictionary.js';
import { customerWords, SEARCH_COLUMN_NAMES, searchColumnValues, searchKeys } from './search-keys.js';

interface Row {
  id: number | string;
  email: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  company: string | null;
  address: string | Address | null;
  metadata: string | Record<string, string>;
}

const BATCH = 500;
const parsed = <T>(v: string | T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/**
 * Fills the search columns and the typo dictionary for the customers that exist (the migration
 * that adds them runs it): batches of 500 rows by id, each one UPDATE … FROM (VALUES …), written
 * so the same text runs on SQLite (3.33+) and PostgreSQL (VALUES columns are column1, column2, …
 * on both; the casts give PostgreSQL the types SQLite does not need).
 */
export async function backfillSearchKeys(execute: (sql: string, params: unknown[]) => Promise<unknown>): Promise<void> {
  const run = execute as Execute;
  const tuple = `(cast(? as bigint), ${SEARCH_COLUMN_NAMES.map(() => 'cast(? as text)').join(', ')})`;
  const set = SEARCH_COLUMN_NAMES.map((c, i) => `${c} = v.column${i + 2}`).join(', ');
  let after = 0;
  for (;;) {
    const rows = (await execute(
      `select id, email, first_name, last_name, phone, company, address, metadata from customers where id > ? order by id limit ${BATCH}`,
      [after],
    )) as Row[];
    if (!rows.length) return;
    const params: unknown[] = [];
    const words = new Set<string>();
    for (const row of rows) {
      const fields = {
        email: row.email,
        firstName: row.first_name,
        lastName: row.last_name,
        phone: row.phone,
        company: row.company,
        address: row.address === null ? null : parsed(row.address),
        metadata: parsed(row.metadata),
      };
      params.push(Number(row.id), ...searchColumnValues(searchKeys(fields)));
      for (const w of customerWords(fields)) words.add(w);
    }
    await run(`update customers set ${set} from (values ${rows.map(() => tuple).join(', ')}) as v where customers.id = v.column1`, params);
    await addToDictionary(run, words);
    after = Number(rows[rows.length - 1]!.id);
  }
}
