/**
 * The README's curl and Python examples, run exactly as written (the text between the fences,
 * nothing added) against a fresh server started as a newcomer's first `npm start` would be: no
 * ADMIN_EMAIL, so the first admin's password is in data/initial-admin-password. A caller in
 * another language copies them, so they must work, and must say so when a step fails.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_EMAIL, INITIAL_PASSWORD_FILE } from '../server/auth/admin-bootstrap.js';
import { bearer, login } from './helpers/auth.js';
import { waitFor } from './helpers/events.js';
import { ROOT } from './helpers/process.js';
import { rest, startServer, type TestServer, tempDir } from './helpers/server.js';

/** The fenced block right after `<!-- example: name -->` in README.md. */
export function readmeExample(name: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no example "${name}"`);
  return match[1]!;
}

/** Variables a developer's shell may hold that would change what the examples do. */
const EXAMPLE_VARIABLES = ['CARLY_URL', 'CARLY_ADMIN_EMAIL', 'CARLY_ADMIN_PASSWORD', 'CARLY_API_KEY'];

/** Runs a script on the interpreter's stdin, as `bash first-calls.sh` or `python3 -` would. */
function run(command: string, script: string, env: Record<string, string>, cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !EXAMPLE_VARIABLES.includes(name)));
  return new Promise((resolve) => {
    const child = spawn(command, ['-'], { cwd, env: { ...inherited, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(script);
  });
}

let server: TestServer;
/** A folder like the repository's: its `data` is the server's DATA_DIR. */
let folder: string;
beforeAll(async () => {
  server = await startServer({ ADMIN_EMAIL: '', ADMIN_PASSWORD: '' });
  folder = tempDir('carly-readme-');
  fs.symlinkSync(server.dataDir, path.join(folder, 'data'));
});
afterAll(() => server.close());

const firstAdminHeaders = async () =>
  bearer((await login(server, DEFAULT_ADMIN_EMAIL, fs.readFileSync(path.join(server.dataDir, INITIAL_PASSWORD_FILE), 'utf8').trim())).accessToken);

describe('README examples', () => {
  it('curl: signs in as the first admin from data/initial-admin-password, makes a key, creates a customer twice with one Idempotency-Key', async () => {
    const { code, out, err } = await run('bash', readmeExample('curl'), { CARLY_URL: server.url }, folder);
    expect(code, out + err).toBe(0);
    expect(err).toBe('');
    expect(out.match(/^HTTP\/1\.1 200/gim)).toHaveLength(2);
    expect(out.match(/^idempotent-replayed: true/gim)).toHaveLength(1);
    expect(out).toMatch(/"id":"cus_[0-9a-f]{24}","email":"ada@example.com"/);
    const count = await rest(server.url, 'GET', '/customers?q=ada%40example.com', undefined, await firstAdminHeaders());
    expect(count.body.items).toHaveLength(1);
  });

  it("curl: a failed login stops it with the server's answer, and nothing is created", async () => {
    const keysBefore = (await rest(server.url, 'GET', '/api-keys', undefined, await firstAdminHeaders())).body.items.length;
    const { code, out, err } = await run(
      'bash',
      readmeExample('curl'),
      { CARLY_URL: server.url, CARLY_ADMIN_EMAIL: DEFAULT_ADMIN_EMAIL, CARLY_ADMIN_PASSWORD: 'not-the-password' },
      folder,
    );
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^login failed: \{"code":"UNAUTHORIZED","message":"[^"]+"/);
    expect((await rest(server.url, 'GET', '/api-keys', undefined, await firstAdminHeaders())).body.items).toHaveLength(keysBefore);
  });

  it("python: the same with an API key from the environment; an error shows the server's JSON body", async () => {
    const key = await rest(server.url, 'POST', '/api-keys', { name: 'python', scopes: ['customers:read', 'customers:write'] }, await firstAdminHeaders());
    const { code, out, err } = await run('python3', readmeExample('python'), { CARLY_URL: server.url, CARLY_API_KEY: key.body.secret }, folder);
    expect(code, out + err).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\(200, None, \{'id': 'cus_/);
    expect(lines[1]).toMatch(/^\(200, 'true', \{'id': 'cus_/);
    expect(lines[2]).toMatch(/^cus_[0-9a-f]{24}$/);
    // The replay is the first answer itself.
    expect(lines[0]!.replace('None', "'true'")).toBe(lines[1]);
    // What the README's comment promises, word for word.
    expect(lines[3]).toBe("(409, {'code': 'CONFLICT', 'message': 'A customer with email grace@example.com already exists'})");
  });

  it('first sync in two calls (curl and python): the whole export, then exactly the changes made after it', async () => {
    const admin = await firstAdminHeaders();
    const key = await rest(server.url, 'POST', '/api-keys', { name: 'warehouse', scopes: ['customers:export', 'events:read'] }, admin);
    const dir = fs.mkdtempSync(path.join(ROOT, '.tmp-sync-'));
    try {
      for (const [command, name] of [
        ['bash', 'sync-curl'],
        ['python3', 'sync-python'],
      ] as const) {
        const listed = await rest(server.url, 'GET', '/customers?limit=200', undefined, admin);
        expect(listed.body.nextCursor).toBeNull();
        const script = command === 'bash' ? `set -euo pipefail\ncd ${JSON.stringify(dir)}\n${readmeExample(name)}` : readmeExample(name);
        const { code, out } = await run(command, script, { CARLY_URL: server.url, CARLY_API_KEY: key.body.secret }, dir);
        expect(code, out).toBe(0);
        const lines = out.trim().split('\n');
        // The export's size and cursor, then an empty page of events (nothing changed since).
        let count: number;
        let after: string;
        if (command === 'bash') {
          count = Number(lines[0]!.trim());
          const page = JSON.parse(lines[1]!);
          expect(page.items).toEqual([]);
          after = page.nextCursor;
        } else {
          const [n, cursor] = lines[0]!.split(' ');
          count = Number(n);
          after = cursor!;
          expect(lines[1]).toBe('[]');
        }
        expect(count).toBe(listed.body.items.length);
        expect(after).toMatch(/^evt_\d+$/);
        // A change after the export is exactly what the cursor leads to.
        const email = `sync.${name}.${Date.now()}@example.com`;
        expect((await rest(server.url, 'POST', '/customers', { email, firstName: 'Sync', lastName: 'Test' }, admin)).status).toBe(200);
        // On PostgreSQL an event shows once no older transaction can still commit before it (docs/events.md): poll for it.
        let items: { type: string; customer: { email: string } }[] = [];
        await waitFor('the change after the export', async () => {
          items = (await rest(server.url, 'GET', `/events?after=${after}`, undefined, admin)).body.items;
          return items.length > 0;
        });
        expect(items.map((e) => [e.type, e.customer.email])).toEqual([['customer.created', email]]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
