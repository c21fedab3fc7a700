import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { loadConfig } from '../server/config.js';
import { bearer, signupCustomer } from './helpers/auth.js';
import { nodeArgs, ROOT, run, spawnServer } from './helpers/process.js';
import { rest, startServer, type TestServer, tempDir, usingPostgres } from './helpers/server.js';

const DEFAULT_ADMIN = 'admin@carly.local';
const PASSWORD_FILE = 'initial-admin-password';
/** loadConfig counts '' as unset: neither ADMIN_EMAIL nor ADMIN_PASSWORD. */
const NO_ADMIN = { ADMIN_EMAIL: '', ADMIN_PASSWORD: '' };

/** One installation: a data dir and its database, kept across server starts and script runs. */
interface Install {
  dataDir: string;
  passwordFile: string;
  env: Record<string, string>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function install(): Promise<Install> {
  const dataDir = tempDir('carly-admin-');
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env: Record<string, string> = { DATA_DIR: dataDir };
  if (usingPostgres()) {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
    env.DATABASE_URL = scratch.url;
    cleanups.push(scratch.drop);
  }
  return { dataDir, passwordFile: path.join(dataDir, PASSWORD_FILE), env };
}

async function start(inst: Install, env: Record<string, string>): Promise<TestServer> {
  const server = await startServer({ ...inst.env, ...env });
  cleanups.push(() => server.close());
  return server;
}

/** Closes a server early (the cleanup's second close is harmless). */
const stop = (server: TestServer) => server.app.http.close();

async function loginAs(server: TestServer, email: string, password: string) {
  return rest(server.url, 'POST', '/auth/login', { email, password });
}

async function users(server: TestServer): Promise<{ email: string; role: string }[]> {
  const rows = (await server.app.orm.em.getConnection().execute('select email, role from users order by email')) as { email: string; role: string }[];
  return rows.map((r) => ({ email: r.email, role: r.role }));
}

/** `npm run create-admin` as a subprocess on the given installation. */
function createAdmin(inst: Install, args: string[], env: Record<string, string> = {}) {
  return run([...nodeArgs('scripts/create-admin.ts'), ...args], {
    DATABASE_URL: '',
    ...NO_ADMIN,
    BCRYPT_COST: '4',
    ...inst.env,
    ...env,
  });
}

function secretFile(content: string): string {
  const dir = tempDir('carly-secret-');
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'pw');
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** Starts `server/main.ts`; answers whether it came up (then stops it) and what it printed. */
async function tryStartProcess(env: Record<string, string>): Promise<{ started: boolean; output: string }> {
  return spawnServer({ BCRYPT_COST: '4', DATABASE_URL: '', ...env }, 30_000).then(
    async (s) => {
      s.child.kill('SIGTERM');
      await s.exited;
      return { started: true, output: s.output() };
    },
    (err: Error) => ({ started: false, output: err.message }),
  );
}

describe('the first admin', () => {
  it('treats empty ADMIN_EMAIL/ADMIN_PASSWORD as unset', async () => {
    const c = loadConfig({ ...NO_ADMIN, DATA_DIR: path.join(ROOT, 'data') });
    expect(c.auth.adminEmail).toBeUndefined();
    expect(c.auth.adminPassword).toBeUndefined();
  });

  it('is created on the first start with a random password in DATA_DIR/initial-admin-password (0600), once', async () => {
    const inst = await install();
    expect(fs.existsSync(inst.passwordFile)).toBe(false);
    const first = await start(inst, NO_ADMIN);
    expect(fs.existsSync(inst.passwordFile)).toBe(true);
    const stat = fs.statSync(inst.passwordFile);
    expect(stat.mode & 0o777).toBe(0o600);
    const password = fs.readFileSync(inst.passwordFile, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(await users(first)).toEqual([{ email: DEFAULT_ADMIN, role: 'admin' }]);

    const signedIn = await loginAs(first, DEFAULT_ADMIN, password);
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body.user).toMatchObject({ email: DEFAULT_ADMIN, role: 'admin' });
    const me = await rest(first.url, 'GET', '/auth/me', undefined, bearer(signedIn.body.tokens.accessToken));
    expect(me.body).toMatchObject({ user: { email: DEFAULT_ADMIN, role: 'admin' }, customer: null });
    // It is an admin indeed: an admin-only route answers.
    expect((await rest(first.url, 'GET', '/customers', undefined, bearer(signedIn.body.tokens.accessToken))).status).toBe(200);
    await stop(first);

    // A second start on the same data: the file and the password stay as they are.
    const second = await start(inst, NO_ADMIN);
    const again = fs.statSync(inst.passwordFile);
    expect(again.ino).toBe(stat.ino);
    expect(again.mtimeMs).toBe(stat.mtimeMs);
    expect(fs.readFileSync(inst.passwordFile, 'utf8').trim()).toBe(password);
    expect((await loginAs(second, DEFAULT_ADMIN, password)).status).toBe(200);
    expect(await users(second)).toEqual([{ email: DEFAULT_ADMIN, role: 'admin' }]);
  });

  it('from ADMIN_EMAIL/ADMIN_PASSWORD writes no password file', async () => {
    const inst = await install();
    const server = await start(inst, { ADMIN_EMAIL: 'Boss@Example.com', ADMIN_PASSWORD: 'Configured-admin-pass-3' });
    expect(fs.existsSync(inst.passwordFile)).toBe(false);
    expect(await users(server)).toEqual([{ email: 'boss@example.com', role: 'admin' }]);
    const r = await loginAs(server, 'boss@example.com', 'Configured-admin-pass-3');
    expect(r.status).toBe(200);
    expect(r.body.user.role).toBe('admin');
  });

  it('ADMIN_EMAIL/ADMIN_PASSWORD promote an existing customer account and set its password', async () => {
    const inst = await install();
    const first = await start(inst, NO_ADMIN);
    const customer = await signupCustomer(first);
    expect(customer.body.user.role).toBe('customer');
    await stop(first);

    const newPassword = 'Promoted-admin-pass-9';
    const second = await start(inst, { ADMIN_EMAIL: customer.email.toUpperCase(), ADMIN_PASSWORD: newPassword });
    const r = await loginAs(second, customer.email, newPassword);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ email: customer.email, role: 'admin', id: customer.body.user.id });
    expect((await loginAs(second, customer.email, customer.password)).status).toBe(401);
    // Still the same account, its customer record linked; and now it may use admin routes.
    const me = await rest(second.url, 'GET', '/auth/me', undefined, bearer(r.body.tokens.accessToken));
    expect(me.body.customer).toMatchObject({ email: customer.email });
    expect((await rest(second.url, 'GET', '/customers', undefined, bearer(r.body.tokens.accessToken))).status).toBe(200);
    expect((await users(second)).filter((u) => u.email === customer.email)).toEqual([{ email: customer.email, role: 'admin' }]);
  });

  it('refuses a common ADMIN_PASSWORD at start, and creates no account', async () => {
    const inst = await install();
    const refused = await tryStartProcess({ ...inst.env, ADMIN_EMAIL: 'weak@example.com', ADMIN_PASSWORD: 'ILoveYou' });
    expect(refused.started, refused.output).toBe(false);
    expect(refused.output).toMatch(/too common/i);
    expect(refused.output).not.toContain('ILoveYou');
    const server = await start(inst, NO_ADMIN);
    expect((await users(server)).map((u) => u.email)).not.toContain('weak@example.com');
  });

  // bcrypt hashes only 72 bytes: a longer ADMIN_PASSWORD would make an admin nobody can sign in as.
  it('refuses an ADMIN_PASSWORD of more than 72 bytes at start', async () => {
    const inst = await install();
    const tooLong = `Long-admin-${'é'.repeat(31)}`; // 11 + 62 = 73 bytes
    const outcome = await tryStartProcess({ ...inst.env, ADMIN_EMAIL: 'long@example.com', ADMIN_PASSWORD: tooLong });
    expect(outcome.started, outcome.output).toBe(false);
    expect(outcome.output).toMatch(/72/);
  });
});

describe('npm run create-admin', () => {
  it('is wired in package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts['create-admin']).toBe('tsx scripts/create-admin.ts');
  });

  it('promotes an account from --email and --password-file, and resets the default admin to a new file', async () => {
    const inst = await install();
    const first = await start(inst, NO_ADMIN);
    const firstGenerated = fs.readFileSync(inst.passwordFile, 'utf8').trim();
    const customer = await signupCustomer(first);
    await stop(first);

    const password = 'Script-admin-pass-4';
    const promoted = await createAdmin(inst, ['--email', customer.email, '--password-file', secretFile(`${password}\n`)]);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain(customer.email);
    expect(promoted.stdout).toContain('promoted');
    expect(promoted.stdout + promoted.stderr).not.toContain(password);

    const generated = await createAdmin(inst, []);
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stdout).toContain(DEFAULT_ADMIN);
    expect(generated.stdout).toContain(inst.passwordFile);
    const newGenerated = fs.readFileSync(inst.passwordFile, 'utf8').trim();
    expect(newGenerated).not.toBe(firstGenerated);
    expect(generated.stdout + generated.stderr).not.toContain(newGenerated);
    expect(fs.statSync(inst.passwordFile).mode & 0o777).toBe(0o600);

    const created = await createAdmin(inst, [], { ADMIN_EMAIL: 'Ops@Example.com', ADMIN_PASSWORD: 'Env-admin-pass-5' });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('ops@example.com');
    expect(created.stdout).toContain('created');
    expect(created.stdout + created.stderr).not.toContain('Env-admin-pass-5');

    const server = await start(inst, NO_ADMIN);
    // The server's start leaves the script's file alone: admins exist.
    expect(fs.readFileSync(inst.passwordFile, 'utf8').trim()).toBe(newGenerated);
    for (const [email, pw] of [
      [customer.email, password],
      [DEFAULT_ADMIN, newGenerated],
      ['ops@example.com', 'Env-admin-pass-5'],
    ] as const) {
      const r = await loginAs(server, email, pw);
      expect(r.status, `${email}: ${JSON.stringify(r.body)}`).toBe(200);
      expect(r.body.user.role).toBe('admin');
    }
    expect((await loginAs(server, customer.email, customer.password)).status).toBe(401);
    expect((await loginAs(server, DEFAULT_ADMIN, firstGenerated)).status).toBe(401);
  });

  // Usage is refused before the CLI opens any database, so these run in the SQLite project only
  // (where the check that no database file appeared is possible): on PostgreSQL they spawned the
  // same eight refusals again, each on a scratch database it never touched.
  it.skipIf(usingPostgres()).each([
    ['a password on the command line', ['--password', 'Secret-on-cli-77'], /ADMIN_PASSWORD|--password-file/],
    ['a password on the command line (=)', ['--password=Secret-on-cli-77'], /ADMIN_PASSWORD|--password-file/],
    ['an unknown option', ['--emial', 'x@example.com'], /emial/],
    ['an unknown option with a value', ['--pass=Secret-on-cli-77'], /--pass/],
    ['a stray argument', ['Secret-on-cli-77'], /argument|positional/i],
    ['--email without a value', ['--email'], /email/],
    ['an email without a password', ['--email', 'x@example.com'], /ADMIN_PASSWORD/],
    ['a missing password file', ['--email', 'x@example.com', '--password-file', '/nonexistent/carly-pw'], /nonexistent/],
  ])(
    `exits 2 on bad usage: %s${usingPostgres() ? ' (skipped: refused before any database, runs in the sqlite project)' : ''}`,
    async (_name, args, message) => {
      const inst = await install();
      const r = await createAdmin(inst, args);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/usage/);
      expect(r.stdout + r.stderr).not.toContain('Secret-on-cli-77');
      // Refused before touching anything.
      expect(fs.existsSync(path.join(inst.dataDir, 'carly.sqlite'))).toBe(false);
      expect(fs.existsSync(inst.passwordFile)).toBe(false);
    },
  );

  it.each([
    ['a common password', 'iloveyou\n', /too common/],
    ['a password over 72 bytes', `${'é'.repeat(37)}\n`, /72/],
    ['a short password', 'Short7!\n', /8/],
    ['an empty password file', '\n', /empty/],
  ])('exits 2 and changes nothing for %s', async (_name, content, message) => {
    const inst = await install();
    const r = await createAdmin(inst, ['--email', 'someone@example.com', '--password-file', secretFile(content)]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    const server = await start(inst, NO_ADMIN);
    expect((await users(server)).map((u) => u.email)).toEqual([DEFAULT_ADMIN]);
  });

  it('refuses a common ADMIN_PASSWORD from the environment', async () => {
    const inst = await install();
    const r = await createAdmin(inst, [], { ADMIN_EMAIL: 'weak@example.com', ADMIN_PASSWORD: 'sunshine' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too common/);
    expect(r.stdout + r.stderr).not.toContain('sunshine');
  });
});
