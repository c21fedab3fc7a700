/**
 * Issue 23, item 9: an erase while another process holds a read transaction on the SQLite file.
 * The WAL checkpoint that scrubs the erased bytes used to retry on the server's connection, whose
 * busy timeout better-sqlite3 waits out synchronously: the event loop stopped (GET /health took
 * 4.9 s). Now the erase answers `scrubPending: true`, the server keeps answering while the reader
 * holds, and once the reader lets go the background retry checkpoints and truncates the WAL, so no
 * byte of the person is left in the files. On PostgreSQL an erase answers `scrubPending: false`.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from './helpers/auth.js';
import { waitFor } from './helpers/events.js';
import { ROOT } from './helpers/process.js';
import { customerPath, newCustomer, rest, startServer, type TestServer, usingPostgres } from './helpers/server.js';

let server: TestServer;
let admin: Record<string, string>;
beforeAll(async () => {
  server = await startServer();
  admin = await adminHeaders(server);
});
afterAll(() => server.close());

/** Another process with a read transaction open on the file until told to end it. */
async function holdReadTransaction(file: string): Promise<{ child: ChildProcessWithoutNullStreams; release: () => Promise<void> }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1], { fileMustExist: true });
    db.exec('begin');
    db.prepare('select count(*) from customers').get();
    process.stdout.write('holding\\n');
    process.stdin.once('data', () => { db.exec('commit'); db.close(); process.stdout.write('released\\n'); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script, file], { cwd: ROOT });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  await waitFor('the reader to hold its transaction', () => out.includes('holding'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    release: async () => {
      child.stdin.write('go\n');
      await exited;
      expect(out).toContain('released');
    },
  };
}

const person = () => newCustomer({ firstName: `Walter${Date.now()}`, lastName: 'Scrubbington', phone: '+44 7700 900123' });

describe.skipIf(usingPostgres())('erase while another process reads the SQLite file', () => {
  it('answers scrubPending, keeps serving while the reader holds, and scrubs the -wal once it lets go (REST and tRPC)', async () => {
    const file = (server.app.config.database as { file: string }).file;
    const viaRest = person();
    const viaTrpc = person();
    for (const p of [viaRest, viaTrpc]) expect((await rest(server.url, 'POST', '/customers', p, admin)).status).toBe(200);

    const reader = await holdReadTransaction(file);
    let released = false;
    try {
      const erased = await rest(server.url, 'POST', `${customerPath(viaRest.email)}/erase`, { confirm: viaRest.email }, admin);
      expect(erased.status).toBe(200);
      expect(erased.body).toEqual({ erased: true, scrubPending: true });
      const client = server.trpc(admin.authorization!.slice('Bearer '.length));
      expect(await client.customers.erase.mutate({ email: viaTrpc.email, confirm: viaTrpc.email })).toEqual({ erased: true, scrubPending: true });
      // The server answers while the reader still holds (before, the event loop sat in the busy timeout).
      for (let i = 0; i < 5; i++) expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect(reader.child.exitCode).toBeNull();
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
      await reader.release();
      released = true;
    } finally {
      if (!released) reader.child.kill();
    }

    // The background retry finishes the checkpoint: the WAL is empty and no byte of either person is left.
    await waitFor('the WAL to be truncated', () => fs.statSync(`${file}-wal`).size === 0, 30_000);
    for (const f of [file, `${file}-wal`].filter((x) => fs.existsSync(x))) {
      const bytes = fs.readFileSync(f);
      for (const p of [viaRest, viaTrpc]) {
        for (const value of [p.email, p.firstName]) expect(bytes.includes(Buffer.from(value, 'utf8')), `${value} in ${f}`).toBe(false);
      }
    }
    // With nobody reading, an erase finishes its checkpoint before answering.
    const third = person();
    expect((await rest(server.url, 'POST', '/customers', third, admin)).status).toBe(200);
    const quiet = await rest(server.url, 'POST', `${customerPath(third.email)}/erase`, { confirm: third.email }, admin);
    expect(quiet.body).toEqual({ erased: true, scrubPending: false });
    const files = [file, `${file}-wal`].filter((x) => fs.existsSync(x)).map((f) => fs.readFileSync(f));
    for (const bytes of files) expect(bytes.includes(Buffer.from(third.email, 'utf8'))).toBe(false);
  });
});

describe.skipIf(!usingPostgres())('erase on PostgreSQL', () => {
  it('answers scrubPending: false on both wires (nothing to checkpoint)', async () => {
    const a = person();
    const b = person();
    for (const p of [a, b]) expect((await rest(server.url, 'POST', '/customers', p, admin)).status).toBe(200);
    expect((await rest(server.url, 'POST', `${customerPath(a.email)}/erase`, { confirm: a.email }, admin)).body).toEqual({ erased: true, scrubPending: false });
    const client = server.trpc(admin.authorization!.slice('Bearer '.length));
    expect(await client.customers.erase.mutate({ email: b.email, confirm: b.email })).toEqual({ erased: true, scrubPending: false });
  });
});
