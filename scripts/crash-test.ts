/**
 * Crash safety: `npm run crash-test [-- --rounds 5]`.
 *
 * Each round starts the server (node --import tsx server/main.ts) on the same data, runs
 * concurrent creates and updates, and SIGKILLs it at a random moment. After every restart each
 * write a client saw acknowledged (200) must be there, intact (fields as acknowledged, version at
 * least the acknowledged one), the server must start cleanly, and on SQLite `PRAGMA
 * integrity_check` must say ok. A last round sends SIGTERM mid-load: every request already in
 * flight must be answered (a connection error counts as cut off) and the process exit 0.
 * A webhook round (hardening/delivery-round.ts) then kills the server twice mid-delivery: every
 * acknowledged change must still reach the receiver, signed.
 * An import round (hardening/import-round.ts) SIGKILLs the server during POST /customers/import:
 * only whole batches may be there, each row with its event (`--import-only` runs just that round).
 * With DATABASE_URL=postgres://… the same runs on a scratch PostgreSQL database.
 * Ends with `crash: rounds=<R> acknowledged=<N> lost=<L> integrity=<ok|bad>`; exit 1 on loss or damage.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { deliveryRound } from './hardening/delivery-round.js';
import { importRound } from './hardening/import-round.js';
import { adminLogin, makeSite, sleep, start } from './hardening/spawned.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    workers: { type: 'string', default: '8' },
    seed: { type: 'string' },
    'import-only': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const WORKERS = Number(values.workers);
let rng = Number(values.seed ?? Date.now() % 2 ** 31);
const seedUsed = rng;
const random = () => (rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

interface Ack {
  email: string;
  lastName: string;
  version: number;
  /** lastNames sent after the ack whose answers never came: any of them may have landed. */
  pending: Set<string>;
}
const acked = new Map<string, Ack>();
let integrity: 'ok' | 'bad' = 'ok';
const problems: string[] = [];

async function call(url: string, token: string, method: string, path: string, body?: unknown) {
  const r = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
}

/** Writes until `stop()`; records every acknowledged write. */
async function worker(url: string, token: string, id: string, round: number, stop: () => boolean) {
  let n = 0;
  const mine: string[] = [];
  while (!stop()) {
    n++;
    try {
      if (mine.length === 0 || random() < 0.4) {
        const email = `crash-r${round}-w${id}-${n}@example.com`;
        const r = await call(url, token, 'POST', '/customers', { email, firstName: 'Crash', lastName: `v0`, metadata: { round: String(round), worker: id } });
        if (r.status === 200) {
          acked.set(email, { email, lastName: 'v0', version: r.body.version, pending: new Set() });
          mine.push(email);
        }
      } else {
        const email = mine[Math.floor(random() * mine.length)]!;
        const a = acked.get(email)!;
        const lastName = `v${round}-${n}`;
        a.pending.add(lastName);
        const r = await call(url, token, 'PATCH', `/customers/${encodeURIComponent(email)}`, { lastName });
        if (r.status === 200) {
          a.lastName = r.body.lastName;
          a.version = r.body.version;
          a.pending.delete(lastName);
        }
      }
    } catch {
      // Killed mid-request: not acknowledged, nothing to check.
      await sleep(5);
    }
  }
}

async function verify(url: string, token: string, label: string) {
  let lost = 0;
  for (const a of acked.values()) {
    const r = await call(url, token, 'GET', `/customers/${encodeURIComponent(a.email)}`);
    if (r.status !== 200) {
      lost++;
      problems.push(`${label}: ${a.email} acknowledged (v${a.version}) but GET answers ${r.status}`);
      continue;
    }
    const c = r.body;
    const ok = c.version > a.version ? c.lastName === a.lastName || a.pending.has(c.lastName) : c.version === a.version && c.lastName === a.lastName;
    if (!ok || c.firstName !== 'Crash') {
      lost++;
      problems.push(`${label}: ${a.email} acknowledged v${a.version} lastName=${a.lastName}, found v${c.version} lastName=${c.lastName}`);
    } else {
      // What is stored now is the new baseline (an unacknowledged update may have landed).
      a.version = c.version;
      a.lastName = c.lastName;
    }
  }
  return lost;
}

function checkSqlite(file: string, label: string) {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const text = rows.map((r) => r.integrity_check).join('; ');
    if (text !== 'ok') {
      integrity = 'bad';
      problems.push(`${label}: integrity_check: ${text}`);
    }
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length) {
      integrity = 'bad';
      problems.push(`${label}: foreign_key_check: ${JSON.stringify(fk).slice(0, 300)}`);
    }
  } finally {
    db.close();
  }
}

// Webhooks to the loopback receiver of the delivery round, and a short lease so a killed
// instance's claims come back in seconds.
const site = await makeSite({
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_TIMEOUT_SECONDS: '2',
  WEBHOOK_LEASE_SECONDS: '7',
  WEBHOOK_RETRY_DELAYS: '1,1,2,2,5',
});
console.log(`crash test on ${site.dialect} (${site.dataDir}), ${ROUNDS} SIGKILL rounds + 1 SIGTERM round, ${WORKERS} workers, seed ${seedUsed}`);
let lost = 0;
let rounds = 0;
let cutOff = 0;
try {
  for (let round = 1; round <= (values['import-only'] ? 0 : ROUNDS); round++) {
    const server = await start(site); // throws unless it starts cleanly
    const token = await adminLogin(server.url);
    if (round > 1) lost += await verify(server.url, token, `after kill ${round - 1}`);
    let stopped = false;
    const before = acked.size;
    const work = Array.from({ length: WORKERS }, (_, i) => worker(server.url, token, String(i), round, () => stopped));
    await sleep(300 + Math.floor(random() * 1500));
    server.child.kill('SIGKILL');
    await server.exited;
    stopped = true;
    await Promise.all(work);
    rounds++;
    console.log(`round ${round}: killed; ${acked.size - before} new customers acknowledged (${acked.size} in all)`);
    if (site.dialect === 'sqlite') checkSqlite(site.sqliteFile, `after kill ${round}`);
  }

  // kill -9 during POST /customers/import: whole batches only, each row with its event.
  const imported = await importRound(site, random);
  rounds++;
  console.log(`import: ${imported.present} of ${imported.sent} rows committed before the kill, ${imported.events} customer.created events`);
  problems.push(...imported.problems);
  if (values['import-only']) throw new Error('--import-only: stopped after the import round');

  // SIGTERM mid-load: everything already in flight is answered.
  const server = await start(site);
  const token = await adminLogin(server.url);
  lost += await verify(server.url, token, `after kill ${ROUNDS}`);
  // Raw sockets: a request counts as in flight once all its bytes are written to the server.
  const port = Number(new URL(server.url).port);
  const written: Promise<void>[] = [];
  const inflight: Promise<'answered' | 'cut'>[] = [];
  for (let i = 0; i < 40; i++) {
    const body = JSON.stringify({ email: `term-${i}-${Date.now()}@example.com`, firstName: 'Crash', lastName: 'term' });
    const head = `POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    let markWritten!: () => void;
    written.push(new Promise((r) => (markWritten = r)));
    inflight.push(
      new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(head + body, () => markWritten()));
        let answer = '';
        socket.on('data', (d) => (answer += d.toString()));
        socket.on('close', () => resolve(/^HTTP\/1\.1 [234]\d\d/.test(answer) ? 'answered' : 'cut'));
        socket.on('error', () => {
          markWritten();
        });
      }),
    );
  }
  await Promise.all(written);
  // Give the server time to accept and read them: each is then truly in flight.
  await sleep(Number(process.env.CRASH_TERM_DELAY_MS ?? 150));
  server.child.kill('SIGTERM');
  const outcomes = await Promise.all(inflight);
  cutOff = outcomes.filter((o) => o === 'cut').length;
  const code = await server.exited;
  rounds++;
  console.log(`SIGTERM round: ${outcomes.length - cutOff}/${outcomes.length} in-flight requests answered, exit code ${code}`);
  if (cutOff) problems.push(`SIGTERM: ${cutOff} in-flight requests cut off`);
  if (code !== 0) problems.push(`SIGTERM: exit code ${code}`);
  if (site.dialect === 'sqlite') checkSqlite(site.sqliteFile, 'after SIGTERM');

  const last = await start(site);
  lost += await verify(last.url, await adminLogin(last.url), 'final');
  last.child.kill('SIGTERM');
  await last.exited;

  const hooks = await deliveryRound(site, random, (line) => console.log(line));
  rounds++;
  console.log(
    `webhooks: acknowledged=${hooks.acknowledged} delivered=${hooks.delivered} lost=${hooks.lost} repeats=${hooks.repeats} badSignatures=${hooks.badSignatures}`,
  );
  if (hooks.lost) problems.push(`webhooks: ${hooks.lost} acknowledged changes never delivered`);
  if (hooks.badSignatures) problems.push(`webhooks: ${hooks.badSignatures} deliveries failed verification`);
  lost += hooks.lost;
} catch (err) {
  if (!(values['import-only'] && (err as Error).message.startsWith('--import-only'))) {
    problems.push(`aborted: ${(err as Error).message.slice(0, 2000)}`);
    integrity = 'bad';
  }
} finally {
  await site.cleanup();
}
for (const p of problems) console.log(`PROBLEM ${p}`);
console.log(`crash: rounds=${rounds} acknowledged=${acked.size} lost=${lost} integrity=${integrity}`);
process.exit(lost > 0 || integrity === 'bad' || problems.length > 0 ? 1 : 0);
