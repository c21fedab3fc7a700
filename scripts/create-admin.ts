/**
 * Creates the admin account, promotes an existing account to admin, or resets the default admin:
 *   npm run create-admin -- [--email E] [--password-file F]
 *
 * The password comes from ADMIN_PASSWORD or from the first line of --password-file, never from the
 * command line (it would land in shell history and in `ps`). The email comes from --email or
 * ADMIN_EMAIL. With neither email nor password, admin@carly.local gets a new random password,
 * written to DATA_DIR/initial-admin-password (mode 0600); only that file's path is printed.
 * Uses the server's configuration (DATA_DIR, DATABASE_URL, BCRYPT_COST, ...).
 *
 * Exit codes: 0 done, 2 bad usage or a refused email/password, 1 anything else.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { MikroORM } from '@mikro-orm/core';
import { NewPasswordSchema } from '../client-sdk/src/schemas/auth.js';
import { ensureAdmin } from '../server/auth/admin-bootstrap.js';
import { PasswordHasher } from '../server/auth/passwords.js';
import { systemClock } from '../server/clock.js';
import { ConfigError, loadConfig } from '../server/config.js';
import { openDatabase } from '../server/db/orm.js';
import { DomainError } from '../server/errors.js';

const USAGE = `usage: npm run create-admin -- [--email E] [--password-file F]

  --email E           the admin's email (default: ADMIN_EMAIL)
  --password-file F   read the password from the first line of F (default: ADMIN_PASSWORD)

With neither an email nor a password, admin@carly.local gets a new random password written to
DATA_DIR/initial-admin-password (mode 0600). Passwords are never accepted as arguments.`;

class UsageError extends Error {}

function usage(message: string): never {
  throw new UsageError(message);
}

function readPasswordFile(file: string): string {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (err) {
    usage(`cannot read --password-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const password = content.split(/\r?\n/)[0] ?? '';
  if (!password) usage(`--password-file ${file}: the first line is empty`);
  return password;
}

/** The environment the configuration is read from, with the command line's email and password applied. */
function adminEnv(argv: string[]): NodeJS.ProcessEnv {
  if (argv.some((a) => a === '--password' || a.startsWith('--password=') || a === '-p')) {
    usage('a password is never accepted on the command line; set ADMIN_PASSWORD or use --password-file');
  }
  // Parsed leniently and checked here, so no message ever echoes an argument's value (a stray
  // argument may well be a password typed by mistake).
  const { values, tokens } = parseArgs({
    args: argv,
    options: { email: { type: 'string' }, 'password-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'positional') usage('this command takes no positional arguments (if one was a password, change it: it is in your shell history)');
    if (token.kind !== 'option') continue;
    if (token.name !== 'email' && token.name !== 'password-file' && token.name !== 'help') usage(`unknown option ${token.rawName}`);
    if (token.name !== 'help' && (typeof token.value !== 'string' || token.value === '')) usage(`${token.rawName} needs a value`);
    if (token.name === 'help' && token.value !== undefined) usage(`${token.rawName} takes no value`);
  }
  const env = { ...process.env };
  if (typeof values.email === 'string') env.ADMIN_EMAIL = values.email;
  if (typeof values['password-file'] === 'string') env.ADMIN_PASSWORD = readPasswordFile(values['password-file']);
  const password = env.ADMIN_PASSWORD;
  if (password) {
    // The shared new-password rules (8+ characters, at most 72 bytes: bcrypt would truncate).
    const checked = NewPasswordSchema.safeParse(password);
    if (!checked.success) usage(`the admin password is refused: ${checked.error.issues.map((i) => i.message).join('; ')}`);
  }
  return env;
}

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(adminEnv(process.argv.slice(2)));
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`create-admin: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  const hasher = new PasswordHasher(config.auth.bcryptCost, config.auth.hashConcurrency, config.auth.hashQueueLimit);
  let orm: MikroORM | undefined;
  try {
    orm = await openDatabase(config.database);
    const outcome = await ensureAdmin(orm, hasher, systemClock, config.dataDir, { email: config.auth.adminEmail, password: config.auth.adminPassword }, true);
    const where = config.database.kind === 'sqlite' ? config.database.file : 'the PostgreSQL database of DATABASE_URL';
    if (outcome.action === 'generated') {
      console.log(`create-admin: ${outcome.email}: generated a new password, written to ${outcome.passwordFile} (mode 0600) [${where}]`);
    } else if (outcome.action === 'none') {
      console.log('create-admin: nothing to do');
    } else {
      console.log(`create-admin: ${outcome.email}: ${outcome.action} [${where}]`);
    }
    return 0;
  } catch (err) {
    if (err instanceof DomainError) {
      console.error(`create-admin: refused: ${err.message}`);
      return 2;
    }
    throw err;
  } finally {
    await orm?.close(true);
    await hasher.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('create-admin failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
