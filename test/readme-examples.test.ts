/**
 * The README's curl and Python examples, run as written against a live server: a caller in
 * another language copies them, so they must work.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from './helpers/auth.js';
import { ROOT } from './helpers/process.js';
import { rest, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

/** The fenced block right after `<!-- example: name -->` in README.md. */
export function readmeExample(name: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no example "${name}"`);
  return match[1]!;
}

function run(command: string, script: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, [], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(script);
  });
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('README examples', () => {
  it('curl: sign in, make an API key, create a customer twice with one Idempotency-Key', async () => {
    const { code, out } = await run('bash', `set -euo pipefail\n${readmeExample('curl')}`, {
      CARLY_URL: server.url,
      CARLY_ADMIN_EMAIL: TEST_ADMIN.email,
      CARLY_ADMIN_PASSWORD: TEST_ADMIN.password,
    });
    expect(code, out).toBe(0);
    expect(out.match(/^HTTP\/1\.1 200/gim)).toHaveLength(2);
    expect(out.match(/^idempotent-replayed: true/gim)).toHaveLength(1);
    expect(out).toMatch(/"id":"cus_[0-9a-f]{24}","email":"ada@example.com"/);
    const count = await rest(server.url, 'GET', '/customers?q=ada%40example.com', undefined, await adminHeaders(server));
    expect(count.body.items).toHaveLength(1);
  });

  it('python: the same with an API key from the environment', async () => {
    const key = await rest(server.url, 'POST', '/api-keys', { name: 'python', scopes: ['customers:read', 'customers:write'] }, await adminHeaders(server));
    const { code, out } = await run('python3', readmeExample('python'), { CARLY_URL: server.url, CARLY_API_KEY: key.body.secret });
    expect(code, out).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\(200, None, \{'id': 'cus_/);
    expect(lines[1]).toMatch(/^\(200, 'true', \{'id': 'cus_/);
    expect(lines[2]).toMatch(/^cus_[0-9a-f]{24}$/);
    // The replay is the first answer itself.
    expect(lines[0]!.replace('None', "'true'")).toBe(lines[1]);
  });

  it('first sync in two calls (curl and python): the whole export, then exactly the changes made after it', async () => {
    const admin = await adminHeaders(server);
    const key = await rest(server.url, 'POST', '/api-keys', { name: 'warehouse', scopes: ['customers:export', 'events:read'] }, admin);
    const dir = fs.mkdtempSync(path.join(ROOT, '.tmp-sync-'));
    try {
      for (const [command, name] of [['bash', 'sync-curl'], ['python3', 'sync-python']] as const) {
        const listed = await rest(server.url, 'GET', '/customers?limit=200', undefined, admin);
        expect(listed.body.nextCursor).toBeNull();
        const script = command === 'bash' ? `set -euo pipefail\ncd ${JSON.stringify(dir)}\n${readmeExample(name)}` : readmeExample(name);
        const { code, out } = await run(command, script, { CARLY_URL: server.url, CARLY_API_KEY: key.body.secret });
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
        const events = await rest(server.url, 'GET', `/events?after=${after}`, undefined, admin);
        expect(events.body.items.map((e: { type: string; customer: { email: string } }) => [e.type, e.customer.email])).toEqual([['customer.created', email]]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
