import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONAL_DATA } from '../server/privacy/personal-data.js';
import { auditRows, verifyChain, waitForChain } from './helpers/audit.js';
import { adminHeaders, bearer, login, type Tokens } from './helpers/auth.js';
import { databaseText, sqlQuery } from './helpers/database.js';
import { waitFor } from './helpers/events.js';
import { waitForMail } from './helpers/outbox.js';
import { customerPath, rest, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

let server: TestServer;
let admin: Record<string, string>;
beforeAll(async () => {
  server = await startServer();
  admin = await adminHeaders(server);
});
afterAll(() => server.close());

let n = 0;
/** A person with something in every table that can hold personal data. */
async function populatedPerson() {
  n++;
  const stamp = `${n}${Date.now().toString(36)}`;
  const person = {
    email: `philippa.quennell.${stamp}@example.com`,
    password: `Philippa-pass-${stamp}`,
    firstName: `Philippa${stamp}`,
    lastName: `Quennell-Xavras${stamp}`,
    phone: `+44 7700 9${String(100000 + n).slice(-5)}`,
    company: `Quennell Holdings ${stamp}`,
    address: { line1: `12 Grimwade Street ${stamp}`, city: 'Thornbury', country: 'GB' },
    metadata: { nickname: `Pippa${stamp}` },
  };
  const userAgent = `PhilippaPhone/${stamp}`;
  const from = { 'user-agent': userAgent };
  // The record exists first (an admin made it), so the sign-up claims it through a verified address.
  const { password, ...fields } = person;
  const record = await rest(server.url, 'POST', '/customers', fields, admin);
  expect(record.status, JSON.stringify(record.body)).toBe(200);
  const signup = await rest(server.url, 'POST', '/auth/signup', { ...fields, password }, from);
  expect(signup.status, JSON.stringify(signup.body)).toBe(200);
  const verifyLink = (await waitForMail(server.dataDir, person.email)).text.match(/https?:\/\/\S+\/verify\?token=\S+/)![0];
  const verified = await rest(server.url, 'POST', '/auth/verify', { token: new URL(verifyLink).searchParams.get('token') }, from);
  expect(verified.status, JSON.stringify(verified.body)).toBe(200);
  const tokens: Tokens[] = [signup.body.tokens];
  for (let i = 0; i < 2; i++) {
    const r = await rest(server.url, 'POST', '/auth/login', { email: person.email, password: person.password }, from);
    expect(r.status).toBe(200);
    tokens.push(r.body.tokens);
  }
  expect((await rest(server.url, 'POST', '/auth/login', { email: person.email, password: 'a-wrong-password' }, from)).status).toBe(401);
  const own = bearer(tokens[2]!.accessToken);
  const selfPatch = await rest(
    server.url,
    'PATCH',
    customerPath(person.email),
    { company: `${person.company} Two` },
    { ...own, ...from, 'idempotency-key': `self-${stamp}` },
  );
  expect(selfPatch.status).toBe(200);
  const adminKey = `admin-${stamp}`;
  const adminPatch = await rest(
    server.url,
    'PATCH',
    customerPath(person.email),
    { lastName: `${person.lastName}-Smythe` },
    { ...admin, 'idempotency-key': adminKey },
  );
  expect(adminPatch.status).toBe(200);
  expect((await rest(server.url, 'POST', '/auth/reset', { email: person.email }, from)).status).toBe(200);
  await waitForMail(server.dataDir, person.email, 2);
  return { ...person, userAgent, tokens, id: signup.body.user.id as string, customerId: record.body.id as string, adminKey };
}

/** The strings whose bytes must be gone after an erasure. */
const identifying = (p: Awaited<ReturnType<typeof populatedPerson>>) => [
  p.email,
  p.firstName,
  p.firstName.toLowerCase(),
  p.lastName,
  p.lastName.toLowerCase(),
  p.phone,
  p.company,
  p.address.line1,
  p.metadata.nickname,
  p.userAgent,
];

describe('export (GDPR art. 15)', () => {
  it('gives the person one document with a non-empty section for every personal-data table, and audits it', async () => {
    const p = await populatedPerson();
    const r = await rest(server.url, 'GET', `${customerPath(p.email)}/export`, undefined, bearer(p.tokens[0]!.accessToken));
    expect(r.status).toBe(200);
    const doc = r.body;
    for (const t of PERSONAL_DATA) {
      const section = doc[t.section];
      expect(section, t.section).toBeTruthy();
      if (Array.isArray(section)) expect(section.length, t.section).toBeGreaterThan(0);
    }
    expect(doc.subject).toEqual({ email: p.email, customerId: p.customerId });
    expect(doc.customer).toEqual((await rest(server.url, 'GET', customerPath(p.email), undefined, admin)).body);
    expect(doc.account).toEqual({ id: p.id, email: p.email, role: 'customer', createdAt: expect.any(String), passwordChangedAt: expect.any(String) });
    expect(doc.sessions).toHaveLength(3);
    expect(doc.sessions.every((s: { userAgent: string; ip: string }) => s.userAgent === p.userAgent && s.ip === '127.0.0.1')).toBe(true);
    expect(doc.passwordResets).toHaveLength(1);
    expect(doc.emailVerifications).toEqual([{ createdAt: expect.any(String), expiresAt: expect.any(String), usedAt: expect.any(String) }]);
    expect(doc.throttleRecords.map((t: { kind: string }) => t.kind).sort()).toEqual(['login', 'reset']);
    expect(doc.idempotencyRecords).toEqual([{ operation: 'customers.update', createdAt: expect.any(String), expiresAt: expect.any(String) }]);
    expect(doc.events.map((e: { type: string }) => e.type)).toEqual(['customer.created', 'customer.updated', 'customer.updated']);
    const actions = doc.auditEntries.map((e: { action: string }) => e.action);
    for (const action of ['auth.signup', 'customer.created', 'auth.login', 'customer.updated', 'auth.password.resetRequested'])
      expect(actions).toContain(action);
    // The admin's update is there too (the person was its target), without who the admin is or where they were.
    const byAdmin = doc.auditEntries.filter((e: { action: string; actor: { id: string | null } }) => e.action === 'customer.updated' && e.actor.id !== p.id);
    expect(byAdmin).toHaveLength(1);
    expect(byAdmin[0]).toMatchObject({
      actor: { type: 'user', id: null, email: null },
      ip: null,
      userAgent: null,
      changes: { lastName: [expect.any(String), `${p.lastName}-Smythe`] },
    });
    expect(JSON.stringify(doc)).not.toContain(TEST_ADMIN.email);

    // Never a hash, token or password.
    const text = JSON.stringify(doc);
    const [account] = await sqlQuery<{ password_hash: string }>(server.app.config.database, 'select password_hash from users where id = $1', [p.id]);
    for (const secret of [account!.password_hash, p.password, ...p.tokens.flatMap((t) => [t.accessToken, t.refreshToken])]) expect(text).not.toContain(secret);

    const [entry] = await auditRows(server, 'request_id = $1', [r.headers.get('x-request-id')]);
    expect(entry).toMatchObject({ action: 'customer.exported', actorId: p.id, targetId: p.customerId });
  });

  it('admins and keys with customers:read may export anyone; another customer gets 403; an unknown email 404', async () => {
    const p = await populatedPerson();
    const other = await populatedPerson();
    const byAdmin = await rest(server.url, 'GET', `${customerPath(p.email)}/export`, undefined, admin);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.customer.id).toBe(p.customerId);
    const key = await rest(server.url, 'POST', '/api-keys', { name: 'dsar desk', scopes: ['customers:read'] }, admin);
    expect((await rest(server.url, 'GET', `${customerPath(p.email)}/export`, undefined, bearer(key.body.secret))).status).toBe(200);
    const nosy = await rest(server.url, 'GET', `${customerPath(p.email)}/export`, undefined, bearer(other.tokens[0]!.accessToken));
    expect(nosy.status).toBe(403);
    const missing = await rest(server.url, 'GET', `${customerPath('nobody.at.all@example.com')}/export`, undefined, admin);
    expect(missing.status).toBe(404);
    expect(missing.body.message).not.toContain('nobody.at.all');
  });
});

describe('erase (GDPR art. 17)', () => {
  it('refuses a confirm that is not the email with 400, and changes nothing', async () => {
    const p = await populatedPerson();
    const r = await rest(server.url, 'POST', `${customerPath(p.email)}/erase`, { confirm: 'someone.else@example.com' }, admin);
    expect(r.status).toBe(400);
    expect(r.body.issues.map((i: { path: string }) => i.path)).toEqual(['confirm']);
    expect((await rest(server.url, 'POST', `${customerPath(p.email)}/erase`, {}, admin)).status).toBe(400);
    expect((await rest(server.url, 'GET', customerPath(p.email), undefined, bearer(p.tokens[0]!.accessToken))).status).toBe(200);
    expect(await auditRows(server, 'request_id = $1', [r.headers.get('x-request-id')])).toEqual([]);
  });

  it('removes the person from every table and file, ends every token at once, keeps the audit chain, and lets the email sign up again', async () => {
    const p = await populatedPerson();
    const database = server.app.config.database;
    await waitForChain(server);
    const entriesBefore = (await auditRows(server)).length;
    const key = `erase-${p.customerId}`;

    const erased = await rest(server.url, 'POST', `${customerPath(p.email)}/erase`, { confirm: p.email.toUpperCase() }, { ...admin, 'idempotency-key': key });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body).toEqual({ erased: true, scrubPending: false });

    // No row of any table holds the email, names, phone, address, metadata or user agent.
    const text = await databaseText(database);
    for (const value of identifying(p)) expect(text.includes(value), value).toBe(false);
    // On SQLite, not a byte of them is left in the database files either (secure_delete, WAL truncated).
    if (database.kind === 'sqlite') {
      const files = [database.file, `${database.file}-wal`, `${database.file}-shm`].filter((f) => fs.existsSync(f));
      expect(files).toContain(database.file);
      for (const file of files) {
        const bytes = fs.readFileSync(file);
        for (const value of identifying(p)) expect(bytes.includes(Buffer.from(value, 'utf8')), `${value} in ${file}`).toBe(false);
      }
    }

    // Search knows nothing of them: no match, and none of their words (first name, last names, email,
    // company, also the last name an admin replaced) left in the typo dictionary.
    for (const q of [p.firstName, p.lastName, p.company]) {
      const found = await rest(server.url, 'GET', `/customers/search?q=${encodeURIComponent(q)}`, undefined, admin);
      expect(found.status).toBe(200);
      expect(found.body.items, q).toEqual([]);
    }
    const theirWords = [p.firstName, p.lastName, `${p.lastName}-Smythe`, p.email, p.company].flatMap(
      (v) =>
        v
          .normalize('NFKD')
          .toLowerCase()
          .match(/[\p{L}\p{N}]+/gu) ?? [],
    );
    // Words with the person's stamp are theirs alone (others share philippa, quennell, example, ...).
    const personal = theirWords.filter((w) => w.length >= 4 && /\d/.test(w));
    expect(personal.length).toBeGreaterThan(2);
    const left = await sqlQuery<{ word: string }>(
      database,
      `select word from search_words where word in (${personal.map((_, i) => `$${i + 1}`).join(', ')})`,
      personal,
    );
    expect(left).toEqual([]);

    // Every token of the account answers 401 at once.
    for (const t of p.tokens) {
      expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(t.accessToken))).status).toBe(401);
      expect((await rest(server.url, 'POST', '/auth/refresh', { refreshToken: t.refreshToken })).status).toBe(401);
    }

    // The retained records keep their shape under one pseudonym, and say what happened.
    const [event] = await sqlQuery<{ customer_email: string | null; customer_version: number | null }>(
      database,
      "select customer_email, customer_version from events where type = 'customer.erased' and customer_id = $1",
      [p.customerId],
    );
    expect(event).toEqual({ customer_email: null, customer_version: null });
    const kept = await sqlQuery<{ customer_email: string }>(
      database,
      "select customer_email from events where customer_id = $1 and type <> 'customer.erased'",
      [p.customerId],
    );
    expect(kept).toHaveLength(3);
    expect(new Set(kept.map((e) => e.customer_email)).size).toBe(1);
    expect(kept[0]!.customer_email).toMatch(/^erased-[\w-]{12}@erased\.invalid$/);
    await waitForChain(server);
    const after = await auditRows(server);
    expect(after).toHaveLength(entriesBefore + 1);
    const erasure = after[after.length - 1]!;
    expect(erasure).toMatchObject({ action: 'customer.erased', targetId: p.customerId });
    const token = erasure.changes!.pseudonym![1] as string;
    expect(kept[0]!.customer_email).toBe(`erased-${token}@erased.invalid`);
    const created = after.find((e) => e.action === 'customer.created' && e.targetId === p.customerId)!;
    expect(created.pseudonym).toBe(token);
    expect(created.changes).toEqual({
      email: [null, `erased-${token}@erased.invalid`],
      firstName: [null, `erased-${token}`],
      lastName: [null, `erased-${token}`],
      phone: [null, `erased-${token}`],
      company: [null, `erased-${token}`],
      address: [null, { line1: `erased-${token}`, line2: null, city: `erased-${token}`, region: null, postalCode: null, country: `erased-${token}` }],
      metadata: [null, { nickname: `erased-${token}` }],
    });
    expect(await verifyChain(server)).toMatchObject({ ok: true, unchained: 0 });

    // The same key replays the answer; another key finds nobody; the admin's earlier stored answer about the person is gone too.
    const replay = await rest(server.url, 'POST', `${customerPath(p.email)}/erase`, { confirm: p.email.toUpperCase() }, { ...admin, 'idempotency-key': key });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ erased: true, scrubPending: false });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const again = await rest(server.url, 'POST', `${customerPath(p.email)}/erase`, { confirm: p.email }, { ...admin, 'idempotency-key': `${key}-2` });
    expect(again.status).toBe(404);
    const oldPatch = await rest(server.url, 'PATCH', customerPath(p.email), { lastName: `${p.lastName}-Smythe` }, { ...admin, 'idempotency-key': p.adminKey });
    expect(oldPatch.status).toBe(404);
    expect(oldPatch.headers.get('idempotent-replayed')).toBe('true');
    expect(JSON.stringify(oldPatch.body)).not.toContain(p.lastName);

    // The email is free again.
    const back = await rest(server.url, 'POST', '/auth/signup', { email: p.email, password: p.password, firstName: 'New', lastName: 'Start' });
    expect(back.status).toBe(200);
    expect(back.body.customer.id).not.toBe(p.customerId);
    expect(back.body.user.id).not.toBe(p.id);
  });

  it('a person may erase themselves: their own erasure entry carries the pseudonym, not them, and their session ends at once', async () => {
    const p = await populatedPerson();
    const own = bearer(p.tokens[1]!.accessToken);
    const r = await rest(
      server.url,
      'POST',
      `${customerPath(p.email)}/erase`,
      { confirm: p.email },
      { ...own, 'user-agent': p.userAgent, 'idempotency-key': 'my-own-erasure' },
    );
    expect(r.status).toBe(200);
    expect((await rest(server.url, 'GET', '/auth/me', undefined, own)).status).toBe(401);
    const [entry] = await auditRows(server, 'request_id = $1', [r.headers.get('x-request-id')]);
    const token = entry!.changes!.pseudonym![1] as string;
    expect(entry).toMatchObject({
      action: 'customer.erased',
      actorType: 'user',
      actorId: p.id,
      actorEmail: `erased-${token}@erased.invalid`,
      ip: `erased-${token}`,
      userAgent: `erased-${token}`,
      pseudonym: token,
    });
    const text = await databaseText(server.app.config.database);
    for (const value of identifying(p)) expect(text.includes(value), value).toBe(false);
    await waitForChain(server);
    expect(await verifyChain(server)).toMatchObject({ ok: true });
  });

  it("pseudonymises the person's email in a bulk export's audit details (its query), in any case, and the chain still verifies", async () => {
    const stamp = Date.now().toString(36);
    const email = `ottoline.fairweather.${stamp}@example.com`;
    const made = await rest(server.url, 'POST', '/customers', { email, firstName: 'Ottoline', lastName: 'Fairweather' }, admin);
    expect(made.status).toBe(200);
    const exportKey = await rest(server.url, 'POST', '/api-keys', { name: `exporter-${stamp}`, scopes: ['customers:export'] }, admin);
    expect(exportKey.status).toBe(200);
    // One export by the admin naming the email as typed (upper case), one by a key naming another address only.
    const query = `email:${email.toUpperCase()}`;
    const named = await fetch(`${server.url}/customers/export?query=${encodeURIComponent(query)}`, { headers: admin });
    expect(named.status).toBe(200);
    expect(
      (await named.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).email),
    ).toEqual([email]);
    const otherQuery = `email:someone.else.${stamp}@example.com`;
    const unrelated = await fetch(`${server.url}/customers/export?query=${encodeURIComponent(otherQuery)}`, { headers: bearer(exportKey.body.secret) });
    expect(unrelated.status).toBe(200);
    await unrelated.text();
    const exportsOf = async () =>
      (
        await sqlQuery<{ id: string | number; details: string | Record<string, unknown> }>(
          server.app.config.database,
          "select id, details from audit_entries where action = 'customers.exported' order by id",
        )
      ).map((r) => ({ id: String(r.id), details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown> }));
    let before: Awaited<ReturnType<typeof exportsOf>> = [];
    await waitFor('both exports audited', async () => {
      before = (await exportsOf()).filter((e) => e.details.query === query || e.details.query === otherQuery);
      return before.length === 2;
    });
    await waitForChain(server);

    const erased = await rest(server.url, 'POST', `${customerPath(email)}/erase`, { confirm: email }, admin);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    const [erasure] = await auditRows(server, 'request_id = $1', [erased.headers.get('x-request-id')]);
    const token = erasure!.changes!.pseudonym![1] as string;
    const after = new Map((await exportsOf()).map((e) => [e.id, e.details]));
    const namedEntry = before.find((e) => e.details.query === query)!;
    const unrelatedEntry = before.find((e) => e.details.query === otherQuery)!;
    expect(after.get(namedEntry.id)).toEqual({ ...namedEntry.details, query: `email:erased-${token}@erased.invalid` });
    expect(after.get(unrelatedEntry.id)).toEqual(unrelatedEntry.details);
    const rewritten = await auditRows(server, 'id = $1', [namedEntry.id]);
    // The admin's identity in that entry is not the person's: it stays; only the details changed.
    expect(rewritten[0]).toMatchObject({ actorEmail: TEST_ADMIN.email, pseudonym: token, piiSalt: null });
    expect((erasure!.changes!.rewrote![1] as [string, string][]).map(([id]) => id)).toContain(namedEntry.id);
    const text = (await databaseText(server.app.config.database)).toLowerCase();
    expect(text.includes(email)).toBe(false);
    await waitForChain(server);
    expect(await verifyChain(server)).toMatchObject({ ok: true, unchained: 0 });
  });

  it('who may erase: admins, keys with customers:write, the person; not another customer nor a read-only key', async () => {
    const p = await populatedPerson();
    const other = await populatedPerson();
    const nosy = await rest(server.url, 'POST', `${customerPath(p.email)}/erase`, { confirm: p.email }, bearer(other.tokens[0]!.accessToken));
    expect(nosy.status).toBe(403);
    const reader = await rest(server.url, 'POST', '/api-keys', { name: 'reader', scopes: ['customers:read'] }, admin);
    const refused = await rest(server.url, 'POST', `${customerPath(p.email)}/erase`, { confirm: p.email }, bearer(reader.body.secret));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('customers:write');
    const writer = await rest(server.url, 'POST', '/api-keys', { name: 'writer', scopes: ['customers:write'] }, admin);
    const done = await rest(server.url, 'POST', `${customerPath(p.email)}/erase`, { confirm: p.email }, bearer(writer.body.secret));
    expect(done.status).toBe(200);
    const [entry] = await auditRows(server, 'request_id = $1', [done.headers.get('x-request-id')]);
    expect(entry).toMatchObject({ action: 'customer.erased', actorType: 'apiKey', actorId: writer.body.apiKey.id, actorEmail: null });
    // The other customer is untouched.
    expect((await rest(server.url, 'GET', customerPath(other.email), undefined, bearer(other.tokens[0]!.accessToken))).status).toBe(200);
    await login(server, other.email, other.password);
  });
});

describe('the same over tRPC (the SDK wire)', () => {
  it('exports with Dates, lists the audit trail with a Date filter, and erases', async () => {
    const p = await populatedPerson();
    const self = server.trpc(p.tokens[0]!.accessToken);
    const doc = await self.customers.export.query({ email: p.email });
    expect(doc.exportedAt).toBeInstanceOf(Date);
    expect(doc.customer.id).toBe(p.customerId);
    expect(doc.sessions[0]!.createdAt).toBeInstanceOf(Date);
    const activity = await self.auth.activity.query({ limit: 2 });
    expect(activity.items).toHaveLength(2);
    expect(activity.items[0]!.at).toBeInstanceOf(Date);

    const login = await rest(server.url, 'POST', '/auth/login', { email: TEST_ADMIN.email, password: TEST_ADMIN.password });
    const staff = server.trpc(login.body.tokens.accessToken);
    const page = await staff.audit.list.query({ target: p.customerId, since: new Date(Date.now() - 60_000) });
    expect(page.items.map((e) => e.action)).toContain('customer.exported');
    await expect(self.customers.erase.mutate({ email: p.email, confirm: 'x@example.com' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    expect(await self.customers.erase.mutate({ email: p.email, confirm: p.email })).toEqual({ erased: true, scrubPending: false });
    await expect(self.auth.me.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });
});
