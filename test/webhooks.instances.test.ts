import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import type { Config } from '../server/config.js';
import { sqlQuery } from './helpers/database.js';
import { type ServerProcess, spawnServer } from './helpers/process.js';
import { newCustomer, postgresOnly, rest, TEST_ADMIN, tempDir, usingPostgres } from './helpers/server.js';
import { Receiver, sleep, verifyReceived } from './helpers/webhook-receiver.js';

/**
 * Webhook delivery across real server processes: two instances on one PostgreSQL database, and
 * an instance killed with SIGKILL in the middle of an attempt (both dialects).
 */

interface Site {
  env: Record<string, string>;
  database: Config['database'];
  cleanup: () => Promise<void>;
}

async function makeSite(extra: Record<string, string>): Promise<Site> {
  const dataDir = tempDir('carly-webhooks-');
  const scratch = usingPostgres() ? await createScratchPostgres(process.env.TEST_DATABASE_URL!) : undefined;
  const file = path.join(dataDir, 'carly.sqlite');
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: scratch ? scratch.url : `sqlite://${file}`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    BCRYPT_COST: '4',
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    LOG_LEVEL: 'warn',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    ...extra,
  };
  return {
    env,
    database: scratch ? { kind: 'postgresql', url: scratch.url } : { kind: 'sqlite', file },
    cleanup: async () => {
      await scratch?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** spawnServer prints the URL at info level; the instances here log at warn, so find it in the listen line. */
const start = (site: Site, dataDir?: string) => spawnServer({ ...site.env, LOG_LEVEL: 'info', ...(dataDir ? { DATA_DIR: dataDir } : {}) }, 60_000);

async function adminToken(url: string): Promise<Record<string, string>> {
  const r = await rest(url, 'POST', '/auth/login', TEST_ADMIN);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { authorization: `Bearer ${r.body.tokens.accessToken}` };
}

async function stop(p: ServerProcess | undefined) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  await p.exited;
}

describe('an instance killed with SIGKILL in the middle of an attempt', () => {
  let site: Site;
  let receiver: Receiver;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    // Short timeout and lease, so the killed instance's claim runs out in seconds, not a minute.
    site = await makeSite({ WEBHOOK_TIMEOUT_SECONDS: '1', WEBHOOK_LEASE_SECONDS: '6', WEBHOOK_RETRY_DELAYS: '0.5,0.5' });
  });
  afterAll(async () => {
    await stop(server);
    await receiver?.close();
    await site.cleanup();
  });

  it('loses nothing: after the restart the lease runs out and the same event is delivered, its first attempt marked interrupted', async () => {
    let killed = false;
    receiver = await Receiver.start((_, n) => {
      if (n === 1) {
        // The attempt is on the wire: kill the instance before it can record anything.
        killed = true;
        server!.child.kill('SIGKILL');
        return { status: 200, delayMs: 60_000 };
      }
      return { status: 200 };
    });
    server = await start(site);
    const admin = await adminToken(server.url);
    const created = await rest(server.url, 'POST', '/webhooks', { url: receiver.url(), events: ['*'] }, admin);
    expect(created.status).toBe(200);
    const { webhook, secret } = created.body as { webhook: { id: string }; secret: string };
    expect((await rest(server.url, 'POST', '/customers', newCustomer(), admin)).status).toBe(200);
    await receiver.waitFor(() => killed, 10_000);
    await server.exited;
    server = await start(site);
    await receiver.waitFor((r) => r.length >= 2, 20_000);
    const [first, second] = receiver.received;
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(verifyReceived(secret, second!).type).toBe('customer.created');
    const again = await adminToken(server.url);
    let items: { attempt: number; status: string; error: string | null }[] = [];
    for (let i = 0; i < 100 && items.length < 2; i++) {
      items = (await rest(server.url, 'GET', `/webhooks/${webhook.id}/deliveries`, undefined, again)).body.items;
      if (items.length < 2) await sleep(100);
    }
    expect(items.map((a) => [a.attempt, a.status])).toEqual([
      [2, 'succeeded'],
      [1, 'retrying'],
    ]);
    expect(items[1]!.error).toMatch(/^interrupted/);
    await sleep(1000);
    expect(receiver.received).toHaveLength(2);
  }, 90_000);
});

describe.skipIf(!usingPostgres())(postgresOnly('two instances on one PostgreSQL database'), () => {
  let site: Site;
  let receiver: Receiver;
  const servers: ServerProcess[] = [];
  const dataDirs: string[] = [];

  beforeAll(async () => {
    site = await makeSite({ DB_POOL_MAX: '5' });
    receiver = await Receiver.start();
    for (let i = 0; i < 2; i++) {
      const dir = tempDir('carly-webhooks-b-');
      dataDirs.push(dir);
      servers.push(await start(site, dir));
    }
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) await stop(s);
    await receiver?.close();
    await site?.cleanup();
    for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('500 events to two webhooks: every one delivered, no (webhook, event, attempt) sent twice', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const auth = [await adminToken(a.url), await adminToken(b.url)];
    const secrets: Record<string, string> = {};
    for (const name of ['one', 'two']) {
      const r = await rest(a.url, 'POST', '/webhooks', { url: receiver.url(`/${name}`), events: ['*'] }, auth[0]);
      expect(r.status).toBe(200);
      secrets[`/${name}`] = r.body.secret;
    }
    // 500 customers created through both instances, 10 at a time.
    let next = 0;
    const worker = async () => {
      while (next < 500) {
        const i = next++;
        const r = await rest(servers[i % 2]!.url, 'POST', '/customers', newCustomer(), auth[i % 2]);
        expect(r.status).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
    await receiver.waitFor((r) => r.length >= 1000, 60_000);
    await sleep(2000);
    expect(receiver.received).toHaveLength(1000);
    for (const path of ['/one', '/two']) {
      const ids = receiver.at(path).map((r) => String(r.headers['webhook-id']));
      expect(ids).toHaveLength(500);
      expect(new Set(ids).size).toBe(500);
      for (const r of receiver.at(path).slice(0, 20)) verifyReceived(secrets[path]!, r);
    }
    const rows = await sqlQuery<{ attempt: number; status: string; n: string }>(
      site.database,
      'select attempt, status, count(*) as n from webhook_attempts group by attempt, status',
    );
    expect(rows.map((r) => [r.attempt, r.status, Number(r.n)])).toEqual([[1, 'succeeded', 1000]]);
    const pending = await sqlQuery<{ n: string }>(site.database, "select count(*) as n from webhook_deliveries where state <> 'succeeded'");
    expect(Number(pending[0]!.n)).toBe(0);
  }, 120_000);
});
