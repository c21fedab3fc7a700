import type { Address } from '../../client-sdk/src/schemas/customer.js';
import { addToDictionary, type Execute } from './dictionary.js';
import { customerWords, searchKeys } from './search-keys.js';

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
const COLUMNS = [
  'first_name_fold',
  'last_name_fold',
  'name_fold',
  'phone_fold',
  'company_fold',
  'city_fold',
  'country_fold',
  'search_words',
  'metadata_fold',
] as const;
const parsed = <T>(v: string | T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/**
 * Fills the search columns and the typo dictionary for the customers that exist (the migration
 * that adds them runs it): batches of 500 rows by id, each one UPDATE … FROM (VALUES …), written
 * so the same text runs on SQLite (3.33+) and PostgreSQL (VALUES columns are column1, column2, …
 * on both; the casts give PostgreSQL the types SQLite does not need).
 */
export async function backfillSearchKeys(execute: (sql: string, params: unknown[]) => Promise<unknown>): Promise<void> {
  const run = execute as Execute;
  const tuple = `(cast(? as bigint), ${COLUMNS.map(() => 'cast(? as text)').join(', ')})`;
  const set = COLUMNS.map((c, i) => `${c} = v.column${i + 2}`).join(', ');
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
      const k = searchKeys(fields);
      params.push(
        Number(row.id),
        k.firstNameFold,
        k.lastNameFold,
        k.nameFold,
        k.phoneFold,
        k.companyFold,
        k.cityFold,
        k.countryFold,
        k.searchWords,
        k.metadataFold,
      );
      for (const w of customerWords(fields)) words.add(w);
    }
    await run(`update customers set ${set} from (values ${rows.map(() => tuple).join(', ')}) as v where customers.id = v.column1`, params);
    await addToDictionary(run, words);
    after = Number(rows[rows.length - 1]!.id);
  }
}
