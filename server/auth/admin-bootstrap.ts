import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { EntityManager as KnexEntityManager } from '@mikro-orm/knex';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import { SessionEntity } from '../db/session.entity.js';
import { UserEntity } from '../db/user.entity.js';
import { type ChangeLog, WriteTransactions } from '../db/write-transaction.js';
import { systemIdentity } from '../identity/identity.js';
import { ensurePrivateDir, writePrivateFile } from '../ops/private-files.js';
import { writeHooks } from '../write-hooks.js';
import { assertAcceptablePassword, type PasswordHasher } from './passwords.js';
import { randomToken } from './tokens.js';

export const DEFAULT_ADMIN_EMAIL = 'admin@carly.local';
export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

export interface AdminRequest {
  email?: string;
  password?: string;
}

export type AdminOutcome =
  | { action: 'created' | 'promoted' | 'updated' | 'unchanged'; email: string }
  | { action: 'generated'; email: string; passwordFile: string }
  | { action: 'none' };

/**
 * The first admin. With an email and password: create that account, or promote it and set the
 * password. With neither, when no admin exists yet (or `force`): create admin@carly.local with a
 * random password written to DATA_DIR/initial-admin-password (mode 0600). The password itself is
 * never logged or printed.
 */
export async function ensureAdmin(
  orm: MikroORM,
  hasher: PasswordHasher,
  clock: Clock,
  dataDir: string,
  request: AdminRequest,
  force = false,
): Promise<AdminOutcome> {
  const em = orm.em.fork() as unknown as KnexEntityManager;
  // Audited as the system job that did it: the server's start (ADMIN_EMAIL) or the create-admin command.
  const writes = new WriteTransactions(() => em, systemIdentity(force ? 'create-admin' : 'admin-bootstrap'), { clock, hooks: writeHooks() });
  const now = clock.now();
  if (request.email && request.password) {
    const email = request.email.trim().toLowerCase();
    const existing = await em.findOne(UserEntity, { email });
    if (!existing) {
      assertAcceptablePassword(request.password);
      const passwordHash = await hasher.hash(request.password);
      await writes.run(async (tx, log) => createAdmin(tx, log, email, passwordHash, now));
      return { action: 'created', email };
    }
    const wasAdmin = existing.role === 'admin';
    const passwordMatches = await hasher.verify(request.password, existing.passwordHash);
    // A restart with the same admin and password changes nothing, so it skips the common-password
    // list (~2.5 MB of heap loaded on first use, docs/performance.md "Idle memory"); a promotion or
    // a new password is checked.
    if (wasAdmin && passwordMatches) return { action: 'unchanged', email };
    assertAcceptablePassword(request.password);
    const passwordHash = passwordMatches ? null : await hasher.hash(request.password);
    await writes.run(async (tx, log) => makeAdmin(tx, log, existing, passwordHash, now));
    return { action: !wasAdmin ? 'promoted' : 'updated', email };
  }
  if (!force && (await em.count(UserEntity, { role: 'admin' })) > 0) return { action: 'none' };
  const email = DEFAULT_ADMIN_EMAIL;
  const password = randomToken(18);
  const passwordHash = await hasher.hash(password);
  const existing = await em.findOne(UserEntity, { email });
  await writes.run(async (tx, log) => (existing ? makeAdmin(tx, log, existing, passwordHash, now) : createAdmin(tx, log, email, passwordHash, now)));
  // Written only once the database holds the hash, and atomically (temp file + rename).
  ensurePrivateDir(dataDir);
  const passwordFile = path.join(dataDir, INITIAL_PASSWORD_FILE);
  const temp = `${passwordFile}.${process.pid}.tmp`;
  writePrivateFile(temp, `${password}\n`);
  fs.renameSync(temp, passwordFile);
  return { action: 'generated', email, passwordFile };
}

async function endSessions(em: EntityManager, userId: string, now: Date): Promise<void> {
  await em.nativeUpdate(SessionEntity, { user: userId, revokedAt: null }, { revokedAt: now });
}

/** Audit actions of the admin bootstrap (an admin's own activity lists them: `auth.*`). */
export const ADMIN_ACTIONS = { created: 'auth.admin.created', promoted: 'auth.admin.promoted', passwordSet: 'auth.admin.passwordSet' } as const;

async function createAdmin(tx: KnexEntityManager, log: ChangeLog, email: string, passwordHash: string, now: Date): Promise<void> {
  const id = randomUUID();
  tx.create(UserEntity, { id, email, passwordHash, role: 'admin', createdAt: now, passwordChangedAt: now });
  log.audit({ action: ADMIN_ACTIONS.created, target: { type: 'user', id }, changes: { email: [null, email], role: [null, 'admin'] } });
}

/** Makes an existing account an admin and/or sets its password (a new password ends its sessions). */
async function makeAdmin(tx: KnexEntityManager, log: ChangeLog, user: UserEntity, passwordHash: string | null, now: Date): Promise<void> {
  await tx.nativeUpdate(UserEntity, { id: user.id }, { role: 'admin', ...(passwordHash ? { passwordHash, passwordChangedAt: now } : {}) });
  // A new password ends the account's sessions, as a password change or reset does.
  if (passwordHash) await endSessions(tx, user.id, now);
  const changes: Record<string, [unknown, unknown]> = {};
  if (user.role !== 'admin') changes.role = [user.role, 'admin'];
  if (passwordHash) changes.passwordChangedAt = [user.passwordChangedAt, now];
  log.audit({ action: user.role !== 'admin' ? ADMIN_ACTIONS.promoted : ADMIN_ACTIONS.passwordSet, target: { type: 'user', id: user.id }, changes });
}

export function logAdminOutcome(log: FastifyBaseLogger, outcome: AdminOutcome): void {
  if (outcome.action === 'generated') {
    log.warn({ email: outcome.email, passwordFile: outcome.passwordFile }, 'created the first admin; its password is in the file named here (mode 0600)');
  } else if (outcome.action !== 'none' && outcome.action !== 'unchanged') {
    log.info({ email: outcome.email, action: outcome.action }, 'admin account from ADMIN_EMAIL');
  }
}
