import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../server/audit/chain-hash.js';
import { housekeeping } from '../server/ops/housekeeping.js';
import { auditRows, verifyChain, waitForChain } from './helpers/audit.js';
import { adminHeaders, bearer, login, signupCustomer } from './helpers/auth.js';
import { TestClock } from './helpers/clock.js';
import { sqlQuery } from './helpers/database.js';
import { nodeArgs, run } from './helpers/process.js';
import { customerPath, newCustomer, postgresOnly, rest, startServer, type TestServer, usingPostgres } from './helpers/server.js';

const DAY = 86_400_000;

/** `npm run audit:verify` against the server's database, as an operator runs it. */
function auditVerify(server: TestServer) {
  const database = server.app.config.database;
  const url = database.kind === 'sqlite' ? `sqlite://${database.file}` : database.url;
  return run(nodeArgs('scripts/audit-verify.ts'), { DATABASE_URL: url, DATA_DIR: server.dataDir });
}

/** Some of everything: sign-ups, logins (good and bad), updates, a reset request. */
async function activity(server: TestServer, admin: Record<string, string>) {
  const user = await signupCustomer(server, { phone: '+1 555 0100' });
  await login(server, user.email, user.password);
  expect((await rest(server.url, 'POST', '/auth/login', { email: user.email, password: 'wrong-pass-123' })).status).toBe(401);
  expect((await rest(server.url, 'PATCH', customerPath(user.email), { company: 'Chained Inc' }, bearer(user.tokens.accessToken))).status).toBe(200);
  expect((await rest(server.url, 'POST', '/customers', newCustomer(), admin)).status).toBe(200);
  return user;
}

describe('the hash chain', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  const db = () => server.app.config.database;
  beforeAll(async () => {
    server = await startServer();
    admin = await adminHeaders(server);
    for (let i = 0; i < 3; i++) await activity(server, admin);
    await waitForChain(server);
  });
  afterAll(() => server.close());

  it('chains every entry soon after its commit, in order, each hash over the one before', async () => {
    const rows = await auditRows(server);
    expect(rows.length).toBeGreaterThan(15);
    const bySeq = [...rows].sort((a, b) => Number(a.chainSeq) - Number(b.chainSeq));
    expect(bySeq.map((r) => Number(r.chainSeq))).toEqual(rows.map((_, i) => i + 1));
    const hashes = await sqlQuery<{ prev_hash: string; hash: string }>(db(), 'select prev_hash, hash from audit_entries order by chain_seq');
    expect(hashes[0]!.prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < hashes.length; i++) expect(hashes[i]!.prev_hash).toBe(hashes[i - 1]!.hash);
    expect(await verifyChain(server)).toMatchObject({ ok: true, verified: rows.length, first: '1', last: String(rows.length), unchained: 0 });
  });

  it('npm run audit:verify says how many entries verified (exit 0)', async () => {
    const rows = await auditRows(server);
    const r = await auditVerify(server);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${rows.length} entries verified`);
  });

  type Sql = [string, unknown[]];
  /** Applies a raw SQL edit, checks audit:verify names `named` (an entry id), then undoes the edit. */
  async function tamper(edit: Sql, undo: Sql, named: string, reason: RegExp) {
    await sqlQuery(db(), ...edit);
    try {
      const result = await verifyChain(server);
      expect(result).toMatchObject({ ok: false, entry: `aud_${named}` });
      if (!result.ok) expect(result.reason).toMatch(reason);
    } finally {
      await sqlQuery(db(), ...undo);
    }
    expect(await verifyChain(server)).toMatchObject({ ok: true });
  }

  it('a raw SQL edit of an entry: audit:verify names that entry and exits 1', async () => {
    const rows = await auditRows(server);
    const victim = rows[Math.floor(rows.length / 2)]!;
    await sqlQuery(db(), "update audit_entries set action = 'customer.viewed' where id = $1", [victim.id]);
    try {
      const r = await auditVerify(server);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(`BROKEN at entry aud_${victim.id} (chain seq ${victim.chainSeq}`);
    } finally {
      await sqlQuery(db(), 'update audit_entries set action = $1 where id = $2', [victim.action, victim.id]);
    }
    expect((await auditVerify(server)).code).toBe(0);
  });

  it('names the entry whose personal fields, changes or time were edited', async () => {
    const rows = await auditRows(server);
    const withEmail = rows.find((r) => r.actorEmail !== null && r.action === 'customer.updated')!;
    await tamper(
      ["update audit_entries set actor_email = 'someone.else@example.com' where id = $1", [withEmail.id]],
      ['update audit_entries set actor_email = $1 where id = $2', [withEmail.actorEmail, withEmail.id]],
      withEmail.id,
      /actor email, target, changes, IP or user agent/,
    );
    const before = await sqlQuery<{ changes: unknown }>(db(), 'select changes from audit_entries where id = $1', [withEmail.id]);
    const original = typeof before[0]!.changes === 'string' ? before[0]!.changes : JSON.stringify(before[0]!.changes);
    await tamper(
      [`update audit_entries set changes = '{"company":[null,"Forged Ltd"]}' where id = $1`, [withEmail.id]],
      ['update audit_entries set changes = $1 where id = $2', [original, withEmail.id]],
      withEmail.id,
      /changes/,
    );
    const [at] = await sqlQuery<{ at: unknown }>(db(), 'select at from audit_entries where id = $1', [withEmail.id]);
    await tamper(
      ['update audit_entries set at = $1 where id = $2', [shift(at!.at), withEmail.id]],
      ['update audit_entries set at = $1 where id = $2', [at!.at, withEmail.id]],
      withEmail.id,
      /hash does not match/,
    );
  });

  it('names the entry after a deleted one, and after one whose hash was recomputed to hide an edit', async () => {
    const rows = await auditRows(server);
    const i = Math.floor(rows.length / 3);
    const [gone, next] = [rows[i]!, rows[i + 1]!];
    const [saved] = await sqlQuery<Record<string, unknown>>(db(), 'select * from audit_entries where id = $1', [gone.id]);
    await sqlQuery(db(), 'delete from audit_entries where id = $1', [gone.id]);
    try {
      expect(await verifyChain(server)).toMatchObject({ ok: false, entry: `aud_${next.id}`, reason: expect.stringMatching(/jumps/) });
    } finally {
      const columns = Object.keys(saved!);
      await sqlQuery(
        db(),
        `insert into audit_entries (${columns.join(', ')}) values (${columns.map((_, k) => `$${k + 1}`).join(', ')})`,
        columns.map((c) => saved![c]),
      );
    }
    expect(await verifyChain(server)).toMatchObject({ ok: true });

    // An attacker who edits an entry and recomputes its hash over the edit breaks the link to the next one.
    const forged = chainHash(saved!.prev_hash as string, {
      id: gone.id,
      chainSeq: gone.chainSeq!,
      at: gone.at,
      actorType: gone.actorType,
      actorId: gone.actorId,
      action: 'customer.viewed',
      targetType: gone.targetType,
      outcome: gone.outcome,
      requestId: gone.requestId,
      piiDigest: saved!.pii_digest as string,
    });
    await tamper(
      ["update audit_entries set action = 'customer.viewed', hash = $1 where id = $2", [forged, gone.id]],
      ['update audit_entries set action = $1, hash = $2 where id = $3', [gone.action, saved!.hash, gone.id]],
      next.id,
      /does not follow/,
    );
  });

  it('names an entry whose personal fields were emptied as if erased, without a recorded erasure', async () => {
    const rows = await auditRows(server);
    const victim = rows.find((r) => r.ip !== null)!;
    await tamper(
      ["update audit_entries set pii_salt = null, pseudonym = 'fakeerasure1', ip = 'erased-fakeerasure1' where id = $1", [victim.id]],
      ['update audit_entries set pii_salt = $1, pseudonym = null, ip = $2 where id = $3', [victim.piiSalt, victim.ip, victim.id]],
      victim.id,
      /without a customer\.erased entry/,
    );
  });

  it('an erasure pseudonymises entries and the chain still verifies', async () => {
    const user = await activity(server, admin);
    const erased = await rest(server.url, 'POST', `${customerPath(user.email)}/erase`, { confirm: user.email }, admin);
    expect(erased.status).toBe(200);
    await waitForChain(server);
    const [erasure] = await auditRows(server, "action = 'customer.erased'");
    const token = erasure!.changes!.pseudonym![1] as string;
    const touched = await auditRows(server, 'pseudonym = $1', [token]);
    expect(touched.length).toBeGreaterThanOrEqual(5);
    expect(touched.every((e) => e.piiSalt === null)).toBe(true);
    expect(JSON.stringify(await auditRows(server))).not.toContain(user.email);
    expect(await verifyChain(server)).toMatchObject({ ok: true, unchained: 0 });
    // The erasure's own entry commits to exactly the entries it rewrote.
    const rewrote = erasure!.changes!.rewrote![1] as [string, string][];
    expect(rewrote.map(([id]) => id).sort()).toEqual(touched.map((e) => e.id).sort());
  });

  it("a forged entry reusing an erasure's pseudonym fails audit:verify, and so does an edit of an entry the erasure rewrote (issue 23, item 3)", async () => {
    const [erasure] = await auditRows(server, "action = 'customer.erased'");
    const token = erasure!.changes!.pseudonym![1] as string;
    const [rewritten] = await auditRows(server, 'pseudonym = $1 and ip is not null', [token]);
    // An unrelated chained entry: its actor, target, changes and IP forged into the pseudonym's
    // form, its salt dropped, the erasure's pseudonym claimed. The chain's hashes are untouched.
    const victim = (await auditRows(server, "pii_salt is not null and ip is not null and action = 'auth.login'")).at(-1)!;
    const [saved] = await sqlQuery<Record<string, unknown>>(db(), 'select actor_email, target_id, changes, ip from audit_entries where id = $1', [victim.id]);
    const changes = typeof saved!.changes === 'string' || saved!.changes === null ? saved!.changes : JSON.stringify(saved!.changes);
    const forge: Sql = [
      `update audit_entries set actor_email = $1, target_id = $2, changes = '{"company":[null,"erased-${token}"]}', ip = $3, pii_salt = null, pseudonym = $4 where id = $5`,
      [`erased-${token}@erased.invalid`, `erased-${token}@erased.invalid`, `erased-${token}`, token, victim.id],
    ];
    const undo: Sql = [
      'update audit_entries set actor_email = $1, target_id = $2, changes = $3, ip = $4, pii_salt = $5, pseudonym = null where id = $6',
      [saved!.actor_email, saved!.target_id, changes, saved!.ip, victim.piiSalt, victim.id],
    ];
    await sqlQuery(db(), ...forge);
    try {
      const r = await auditVerify(server);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(`BROKEN at entry aud_${victim.id}`);
      expect(r.stderr).toContain('the customer.erased entry it names did not rewrite it');
    } finally {
      await sqlQuery(db(), ...undo);
    }
    expect(await verifyChain(server)).toMatchObject({ ok: true });
    // An entry the erasure did rewrite, edited afterwards (its IP put back to some address).
    await tamper(
      ["update audit_entries set ip = '203.0.113.9' where id = $1", [rewritten!.id]],
      ['update audit_entries set ip = $1 where id = $2', [rewritten!.ip, rewritten!.id]],
      rewritten!.id,
      /differ from what the customer\.erased entry it names wrote there/,
    );
    // The erasure entry's list cannot be extended to cover a forgery: it is salted and chained.
    const [raw] = await sqlQuery<{ changes: unknown }>(db(), 'select changes from audit_entries where id = $1', [erasure!.id]);
    const original = typeof raw!.changes === 'string' ? raw!.changes : JSON.stringify(raw!.changes);
    const extended = JSON.parse(original);
    extended.rewrote[1].push([victim.id, 'f'.repeat(64)]);
    await tamper(
      ['update audit_entries set changes = $1 where id = $2', [JSON.stringify(extended), erasure!.id]],
      ['update audit_entries set changes = $1 where id = $2', [original, erasure!.id]],
      erasure!.id,
      /actor email, target, changes, IP or user agent/,
    );
  });
});

/** A stored time moved by a second, in the form the database gave it. */
function shift(at: unknown): unknown {
  if (at instanceof Date) return new Date(at.getTime() + 1000);
  return Number(at) + 1000;
}

describe('retention', () => {
  const clock = new TestClock();
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUDIT_RETENTION_DAYS: '365' }, { clock });
  });
  afterAll(() => server.close());

  it('housekeeping deletes entries past AUDIT_RETENTION_DAYS as a prefix of the chain, records it, and the rest still verifies', async () => {
    const admin = await adminHeaders(server);
    await activity(server, admin);
    await waitForChain(server);
    const old = await auditRows(server);
    expect(old.length).toBeGreaterThan(5);
    clock.advance(200 * DAY);
    expect((await housekeeping(server.app.orm, clock, { auditRetentionDays: 365 })).auditEntries).toBe(0);
    const recent = await activity(server, await adminHeaders(server));
    await waitForChain(server);
    clock.advance(200 * DAY);

    const deleted = (await housekeeping(server.app.orm, clock, { auditRetentionDays: 365 })).auditEntries;
    expect(deleted).toBe(old.length);
    await waitForChain(server);
    const [purge] = await auditRows(server, "action = 'audit.purged'");
    expect(purge).toMatchObject({ actorType: 'system', actorId: 'housekeeping', outcome: 'success' });
    expect(purge!.changes!.purgedThrough).toEqual([null, String(old.length)]);
    expect(purge!.changes!.entries).toEqual([null, old.length]);
    const kept = await auditRows(server);
    expect(kept.map((r) => r.id)).not.toContain(old[0]!.id);
    expect(kept.some((r) => r.actorEmail === recent.email)).toBe(true);
    expect(await verifyChain(server)).toMatchObject({ ok: true, first: String(old.length + 1) });

    // Deleting the oldest kept entry is not a purge: verify names the entry that now starts the chain.
    const [first, second] = [...kept].sort((a, b) => Number(a.chainSeq) - Number(b.chainSeq));
    await sqlQuery(server.app.config.database, 'delete from audit_entries where id = $1', [first!.id]);
    expect(await verifyChain(server)).toMatchObject({ ok: false, entry: `aud_${second!.id}`, reason: expect.stringMatching(/no audit\.purged entry/) });
  });

  it('AUDIT_RETENTION_DAYS must be a whole number of days, 1 or more', async () => {
    const { loadConfig } = await import('../server/config.js');
    expect(loadConfig({}).audit.retentionDays).toBe(365);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30' }).audit.retentionDays).toBe(30);
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '0' })).toThrow(/AUDIT_RETENTION_DAYS/);
  });
});

describe.skipIf(!usingPostgres())(postgresOnly('two instances appending to one PostgreSQL database'), () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startServer();
    const database = a.app.config.database;
    if (database.kind !== 'postgresql') throw new Error('expected PostgreSQL');
    b = await startServer({ DATABASE_URL: database.url });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('both write at once; every entry is chained exactly once, in one unbroken chain', async () => {
    const adminA = await adminHeaders(a);
    const adminB = await adminHeaders(b);
    const writes = Array.from({ length: 40 }, (_, i) => rest((i % 2 ? a : b).url, 'POST', '/customers', newCustomer(), i % 2 ? adminA : adminB));
    const answers = await Promise.all(writes);
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    await waitForChain(a);
    const rows = await auditRows(a);
    expect(rows.filter((r) => r.action === 'customer.created')).toHaveLength(40);
    expect(new Set(rows.map((r) => r.chainSeq)).size).toBe(rows.length);
    expect(await verifyChain(a)).toMatchObject({ ok: true, verified: rows.length, unchained: 0 });
  });
});
