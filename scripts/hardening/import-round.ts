/**
 * The crash test's import round: POST /customers/import streams numbered rows while the server is
 * SIGKILLed at a random moment. After a restart the rows that are there must be a whole number of
 * batches (10,000 rows each, applied in order), each with exactly one `customer.created` event:
 * no batch half-applied, no row without its event, no event without its row.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { SQLITE_BATCH_ROWS } from '../../server/import/customer-writer.js';
import { adminLogin, type Site, sleep, start } from './spawned.js';

// The round runs on SQLite: its writer's batch is the unit that commits whole or not at all.
const BATCH = SQLITE_BATCH_ROWS;

export interface ImportRoundResult {
  sent: number;
  present: number;
  events: number;
  problems: string[];
}

async function count(site: Site, sql: string): Promise<number> {
  if (site.dialect === 'sqlite') {
    const db = new Database(site.sqliteFile, { readonly: true });
    try {
      return Number((db.prepare(sql).get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: site.env.DATABASE_URL });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

export async function importRound(site: Site, random: () => number, rows = 300_000): Promise<ImportRoundResult> {
  const server = await start(site);
  const token = await adminLogin(server.url);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let i = 0;
      const encoder = new TextEncoder();
      const push = () => {
        let text = '';
        for (let k = 0; k < 1000 && i < rows; k++, i++) text += `${JSON.stringify({ email: `imp-${i}@crash.example`, firstName: 'Imp', lastName: `n${i}` })}\n`;
        if (text) controller.enqueue(encoder.encode(text));
        if (i >= rows) controller.close();
        else setTimeout(push, 1);
      };
      push();
    },
  });
  const upload = fetch(`${server.url}/customers/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body,
    duplex: 'half',
  } as RequestInit).catch(() => null);
  // Late enough for a few batches to commit on a busy machine, early enough to cut the import.
  await sleep(3000 + Math.floor(random() * 5000));
  server.child.kill('SIGKILL');
  await server.exited;
  await upload;
  const present = await count(site, "select count(*) as n from customers where email like 'imp-%@crash.example'");
  const events = await count(site, "select count(*) as n from events where type = 'customer.created' and customer_email like 'imp-%@crash.example'");
  const prefix =
    present === 0
      ? 0
      : await count(
          site,
          `select count(*) as n from customers where email in (${Array.from({ length: Math.min(present, 50) }, (_, k) => `'imp-${present - 1 - k}@crash.example'`).join(', ')})`,
        );
  const problems: string[] = [];
  if (present % BATCH !== 0 && present !== rows)
    problems.push(`import: ${present} rows present, not a whole number of ${BATCH}-row batches (a batch half-applied)`);
  if (events !== present) problems.push(`import: ${present} rows present but ${events} customer.created events`);
  if (prefix !== Math.min(present, 50)) problems.push('import: the rows present are not the first ones sent (a batch applied out of order)');
  // The server starts cleanly afterwards.
  const again = await start(site);
  again.child.kill('SIGTERM');
  await again.exited;
  return { sent: rows, present, events, problems };
}
