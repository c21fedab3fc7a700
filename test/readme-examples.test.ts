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
});
