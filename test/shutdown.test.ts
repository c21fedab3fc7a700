import http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { spawnServer } from './helpers/process.js';
import { newCustomer, rest, TEST_ADMIN, tempDir, usingPostgres } from './helpers/server.js';

describe('graceful shutdown', () => {
  it('on SIGTERM finishes the request in flight, refuses new connections, then exits 0', async () => {
    const scratch = usingPostgres() ? await createScratchPostgres(process.env.TEST_DATABASE_URL!) : undefined;
    onTestFinished(() => scratch?.drop());
    const server = await spawnServer({
      DATA_DIR: tempDir(),
      BCRYPT_COST: '4',
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      DATABASE_URL: scratch?.url ?? '',
    });
    const token = (await rest(server.url, 'POST', '/auth/login', TEST_ADMIN)).body.tokens.accessToken as string;
    const url = new URL(server.url);
    const body = JSON.stringify(newCustomer());
    // A request whose body arrives in two halves: SIGTERM lands while it is in flight.
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/customers',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    const done = await answer;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.body).email).toBeTruthy();
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('stopping');
    expect(server.output()).toContain(`"database":"${usingPostgres() ? 'postgresql' : 'sqlite'}"`);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
