/**
 * A sample program as a user of the published package writes it. sdk-package.test.ts copies it
 * into a fresh project outside the repo (the import rewritten to '@carly/client'), compiles it
 * with `tsc --strict` and runs it against a live server:
 *   CARLY_URL=http://127.0.0.1:8000 CARLY_EMAIL=... CARLY_PASSWORD=... node sample.js
 * It prints one JSON line per step and exits non-zero on the first surprise.
 */
import { CarlyError, type Customer, CustomerCreateInput, createCarlyClient, isCarlyError, type Tokens } from '../../client-sdk/src/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
};
const step = (name: string, detail: Record<string, unknown> = {}) => console.log(JSON.stringify({ step: name, ...detail }));
function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${what}`);
}

let persisted: Tokens | null = null;
const carly = createCarlyClient({ url: env('CARLY_URL'), onTokens: (tokens) => void (persisted = tokens) });

const { user } = await carly.auth.login({ email: env('CARLY_EMAIL'), password: env('CARLY_PASSWORD') });
check(user.createdAt instanceof Date, 'user.createdAt is a Date');
check(persisted !== null && carly.tokens !== null, 'login kept the tokens');
step('login', { role: user.role });

// Validate a form locally with exactly the server's rules before sending it.
const tag = `sample${Date.now()}`;
const form = CustomerCreateInput.safeParse({
  email: `  ${tag}.0@Example.com `,
  firstName: 'Ada',
  lastName: 'Lovelace',
  address: { line1: '12 St James Sq', city: 'London', country: 'gb' },
});
check(form.success, 'the form is valid');
const created: Customer = await carly.customers.create(form.data);
check(created.createdAt instanceof Date, 'createdAt is a Date');
check(created.email === `${tag}.0@example.com` && created.address?.country === 'GB', 'the server normalised like the schema');
for (let i = 1; i < 5; i++) await carly.customers.create({ email: `${tag}.${i}@example.com`, firstName: 'Ada', lastName: `Number${i}` });
step('create', { email: created.email, version: created.version });

const page = await carly.customers.list({ limit: 2, q: tag, sort: 'email' });
check(page.items.length === 2 && page.nextCursor !== null, 'a first page of 2 with a cursor');
const next = await carly.customers.list({ limit: 2, q: tag, sort: 'email', cursor: page.nextCursor });
check(next.items[0]!.email === `${tag}.2@example.com`, 'the cursor continues');
step('list', { first: page.items.map((c) => c.email) });

const walked: string[] = [];
for await (const c of carly.customers.iterate({ q: tag, limit: 2 })) walked.push(c.email);
check(walked.length === 5 && new Set(walked).size === 5, 'iterate walks every page once');
step('iterate', { count: walked.length });

const got = await carly.customers.get({ email: created.email });
const updated = await carly.customers.update({ email: got.email, company: 'Analytical Engines', version: got.version });
check(updated.version === got.version + 1, 'update bumps the version');
try {
  await carly.customers.update({ email: got.email, company: 'Stale Ltd', version: got.version });
  throw new Error('a stale update succeeded');
} catch (err) {
  check(isCarlyError(err) && err instanceof CarlyError, 'a stale update throws CarlyError');
  check(err.code === 'CONFLICT' && err.status === 409, `CONFLICT 409, got ${err.code} ${err.status}`);
  step('stale-update', { code: err.code, status: err.status, message: err.message });
}

try {
  await carly.customers.create({ email: 'nope', firstName: '', lastName: 'X' });
  throw new Error('an invalid create succeeded');
} catch (err) {
  check(isCarlyError(err) && err.code === 'BAD_REQUEST', 'invalid input is BAD_REQUEST');
  step('invalid', { issues: err.issues.map((i) => i.path).sort() });
}

for (const email of walked) await carly.customers.delete({ email });
try {
  await carly.customers.get({ email: created.email });
  throw new Error('a deleted customer is still there');
} catch (err) {
  check(isCarlyError(err) && err.code === 'NOT_FOUND', 'deleted customers are gone');
}
step('delete', { count: walked.length });

const raw = await carly.trpc.auth.me.query();
check(raw.user.email === user.email, 'the raw tRPC proxy works with the same tokens');
await carly.auth.logout();
check(carly.tokens === null && persisted === null, 'logout drops the tokens');
step('done');
