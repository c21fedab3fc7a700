import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarlyEvent } from '../client-sdk/src/schemas/events.js';
import { forkEntityManager } from '../server/db/orm.js';
import { EventLog } from '../server/events/event-log.js';
import { adminHeaders } from './helpers/auth.js';
import { type Cluster, startCluster } from './helpers/cluster.js';
import { allEvents, headOf, sleep, subscribe, visibilityBarrier, waitFor } from './helpers/events.js';
import type { ServerProcess } from './helpers/process.js';
import { customerPath, newCustomer, postgresOnly, rest, startServer, type TestServer, usingPostgres } from './helpers/server.js';

/**
 * PostgreSQL only: transactions commit in any order, so an event's identity value says nothing
 * about when it became visible. These tests hold a write transaction open while later ones
 * commit, and check that no reader skips the held one.
 */

const ids = (events: CarlyEvent[]) => events.map((e) => e.id);

/** Opens a transaction that changes a customer and records its event, and holds it until `commit()`. */
async function holdWrite(url: string, email: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('begin');
  const [customer] = (
    await client.query<{ public_id: string; version: number }>(
      "update customers set company = 'held', version = version + 1 where email = $1 returning public_id, version",
      [email],
    )
  ).rows;
  const [event] = (
    await client.query<{ id: string }>(
      `insert into events (xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id)
       values (pg_current_xact_id()::text::bigint, 'customer.updated', now(), $1, $2, $3, '["company"]', 'system', 'test') returning id`,
      [customer!.public_id, email, customer!.version],
    )
  ).rows;
  await client.query(`select pg_notify('carly_events', '')`);
  return {
    eventId: `evt_${event!.id}`,
    commit: async () => {
      await client.query('commit');
      await client.end();
    },
  };
}

describe.skipIf(!usingPostgres())(postgresOnly('the visibility rule (PostgreSQL)'), () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('an event whose transaction commits after a later one: "id > last" skips it forever; EventLog.read does not', async () => {
    const admin = await adminHeaders(server);
    const held = newCustomer();
    const other = newCustomer();
    for (const c of [held, other]) expect((await rest(server.url, 'POST', '/customers', c, admin)).status).toBe(200);
    const url = (server.app.config.database as { url: string }).url;
    const log = new EventLog(() => forkEntityManager(server.app.orm));
    await visibilityBarrier();
    const start = (await log.head())!.position;
    const naive = new pg.Client({ connectionString: url });
    await naive.connect();
    const naiveRead = async (after: string) =>
      (await naive.query<{ id: string }>('select id from events where id > $1 order by id', [after])).rows.map((r) => `evt_${r.id}`);

    const write = await holdWrite(url, held.email);
    // A later transaction takes a larger id and commits first.
    const later = await rest(server.url, 'PATCH', customerPath(other.email), { company: 'later' }, admin);
    expect(later.status).toBe(200);
    const laterEvent = (await naive.query<{ id: string }>('select max(id) as id from events')).rows[0]!.id;
    expect(BigInt(laterEvent)).toBeGreaterThan(BigInt(write.eventId.slice(4)));

    // The naive reader sees the later event and moves its cursor past the held one.
    const firstRead = await naiveRead(String(start.id));
    expect(firstRead).toEqual([`evt_${laterEvent}`]);
    // The log shows nothing yet: the later event waits behind the transaction still running.
    expect(await log.read(start, 100)).toEqual([]);

    await write.commit();
    expect(await naiveRead(laterEvent)).toEqual([]); // the held event is skipped, forever
    await visibilityBarrier(); // other tests' transactions on this server hold the log back too
    const read = await log.read(start, 100);
    expect(read.map((e) => e.event.id)).toEqual([write.eventId, `evt_${laterEvent}`]);
    await naive.end();
  });
});

describe.skipIf(!usingPostgres())(postgresOnly('two instances on one PostgreSQL database'), () => {
  let cluster: Cluster | undefined;
  let url: string;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    servers = cluster.instances;
    url = cluster.databaseUrl;
  }, 120_000);

  afterAll(() => cluster?.stop());

  it('writes through both, one held open 2 s: a poller on A and subscribers on A then B see every event once, in commit order', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const admin = await adminHeaders({ url: a.url } as TestServer);
    const token = admin.authorization!.slice('Bearer '.length);
    const seed = [newCustomer(), newCustomer()];
    for (const c of seed) expect((await rest(a.url, 'POST', '/customers', c, admin)).status).toBe(200);
    const start = (await headOf(a.url, admin))!;

    // A poller on A, the way a REST integration follows the log.
    const polled: CarlyEvent[] = [];
    let polling = true;
    const poller = (async () => {
      let after = start;
      while (polling) {
        const r = await rest(a.url, 'GET', `/events?after=${after}&limit=7`, undefined, admin);
        expect(r.status).toBe(200);
        polled.push(...(r.body.items as CarlyEvent[]));
        after = r.body.nextCursor;
        if (r.body.items.length < 7) await sleep(100);
      }
    })();
    // A subscriber on A, cut mid-way and resumed on B.
    const first = subscribe(a.url, token, start);
    await first.started();

    const writes = async (server: ServerProcess, n: number) => {
      for (let i = 0; i < n; i++) {
        const c = newCustomer();
        expect((await rest(server.url, 'POST', '/customers', c, admin)).status).toBe(200);
        expect((await rest(server.url, 'PATCH', customerPath(c.email), { company: `co ${i}` }, admin)).status).toBe(200);
      }
    };
    const held = await holdWrite(url, seed[0]!.email);
    const busy = Promise.all([writes(a, 8), writes(b, 8)]);
    await sleep(2000);
    await held.commit();
    await waitFor('the first subscriber to get some events', () => first.events.length >= 3);
    first.stop();
    const fromFirst = [...first.events];
    const second = subscribe(b.url, token, fromFirst[fromFirst.length - 1]!.id);
    await busy;
    await Promise.all([writes(a, 2), writes(b, 2)]);

    const all = await allEvents(b.url, admin, start);
    expect(all).toHaveLength(1 + 2 * (8 + 2) * 2);
    expect(ids(all)).toContain(held.eventId);
    await waitFor('the poller to catch up', () => polled.length >= all.length, 20_000);
    await waitFor('the subscriber to catch up', () => fromFirst.length + second.events.length >= all.length, 20_000);
    await sleep(1500);
    polling = false;
    await poller;
    second.stop();
    expect(ids(polled)).toEqual(ids(all));
    expect(ids([...fromFirst, ...second.events])).toEqual(ids(all));
    expect([...first.errors, ...second.errors]).toEqual([]);
    // Per customer, versions only go up.
    const versions = new Map<string, number>();
    for (const e of all) {
      const id = e.customer!.id;
      expect(e.customer!.version!).toBeGreaterThan(versions.get(id) ?? 0);
      versions.set(id, e.customer!.version!);
    }
  }, 120_000);

  it('a commit on A reaches a subscriber on B through LISTEN/NOTIFY, and still does by polling while the listener reconnects', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const admin = await adminHeaders({ url: a.url } as TestServer);
    const token = admin.authorization!.slice('Bearer '.length);
    const sub = subscribe(b.url, token);
    await sub.started();
    expect((await rest(a.url, 'POST', '/customers', newCustomer(), admin)).status).toBe(200);
    await waitFor('the event on B', () => sub.events.length === 1);

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const listeners = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            "select count(*) as n from pg_stat_activity where application_name = 'carly-events-listener' and datname = current_database()",
          )
        ).rows[0]!.n,
      );
    expect(await listeners()).toBe(2);
    await db.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'carly-events-listener' and datname = current_database()");
    expect((await rest(a.url, 'POST', '/customers', newCustomer(), admin)).status).toBe(200);
    await waitFor('the second event on B', () => sub.events.length === 2);
    await waitFor('both listeners back', async () => (await listeners()) === 2);
    await db.end();
    sub.stop();
    expect(sub.errors).toEqual([]);
  });
});
