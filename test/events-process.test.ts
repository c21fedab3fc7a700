import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { adminHeaders } from './helpers/auth.js';
import { onChangeUrl, openSse, sleep, waitFor } from './helpers/events.js';
import { type ServerProcess, spawnServer, stopProcess } from './helpers/process.js';
import { newCustomer, rest, TEST_ADMIN, type TestServer, tempDir, usingPostgres } from './helpers/server.js';

/**
 * customers.onChange against a real server process (`server/main.ts`): a quiet stream outlives
 * the server's request and idle-socket timeouts (set short here: 5 s / 15 s; defaults 30 s / 60 s), SIGTERM still stops the process
 * within its shutdown timeout while streams are open, and a token sent in the URL (tRPC
 * connectionParams, for browsers) never reaches the log.
 */
describe('customers.onChange in a server process', () => {
  let server: ServerProcess;
  let drop: (() => Promise<void>) | undefined;
  const dataDir = tempDir('carly-events-process-');

  beforeAll(async () => {
    const scratch = usingPostgres() ? await createScratchPostgres(process.env.TEST_DATABASE_URL!) : undefined;
    drop = scratch?.drop;
    server = await spawnServer({
      DATA_DIR: dataDir,
      BCRYPT_COST: '4',
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      SHUTDOWN_TIMEOUT_MS: '10000',
      // Short timeouts so outliving them takes seconds, not the defaults' minute; the idle one
      // stays above the 10 s ping, as the configuration requires.
      HTTP_REQUEST_TIMEOUT_MS: '5000',
      HTTP_CONNECTION_TIMEOUT_MS: '15000',
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    });
  }, 60_000);

  afterAll(async () => {
    await stopProcess(server, 'SIGKILL');
    await drop?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a quiet stream stays open past the idle-socket timeout (pings), then delivers; the token in its URL is not logged; SIGTERM ends it and the process exits 0', async () => {
    const admin = await adminHeaders({ url: server.url } as TestServer);
    const token = admin.authorization!.slice('Bearer '.length);
    const stream = openSse(onChangeUrl(server.url, undefined, { token }));
    await waitFor('connected', () => stream.messages.some((m) => m.event === 'connected'));
    await sleep(18_000);
    // A ping every 10 s: at least one in 18 s kept the socket from idling for 15 s.
    expect(stream.messages.filter((m) => m.event === 'ping').length).toBeGreaterThanOrEqual(1);
    expect((await rest(server.url, 'POST', '/customers', newCustomer(), admin)).status).toBe(200);
    await waitFor('the event on the same stream', () => stream.events().length === 1);
    expect(stream.messages.filter((m) => m.event === 'connected')).toHaveLength(1);

    // Exit code 0: stopped gracefully, not by the shutdown timeout's forced exit (1).
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await stream.ended;
    // Ended without tRPC's "return" message, so a client reconnects (to another instance).
    expect(stream.messages.some((m) => m.event === 'return')).toBe(false);

    // The stream's one log line, written when the server ended it, has its URL; its token is nowhere.
    expect(server.output()).toContain('"url":"/trpc/customers.onChange?connectionParams=[redacted]"');
    expect(server.output()).not.toContain(token);
  }, 120_000);
});
