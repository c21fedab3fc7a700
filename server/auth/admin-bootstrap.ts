import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import { UserEntity } from '../db/user.entity.js';
import { SessionEntity } from '../db/session.entity.js';
import { assertAcceptablePassword, type PasswordHasher } from './passwords.js';
import { randomToken } from './tokens.js';
import { ensurePrivateDir, writePrivateFile } from '../ops/private-files.js';

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
  const em = orm.em.fork();
  const now = clock.now();
  if (request.email && request.password) {
    assertAcceptablePassword(request.password);
    const email = request.email.trim().toLowerCase();
    const existing = await em.findOne(UserEntity, { email });
    if (!existing) {
      em.create(UserEntity, { id: randomUUID(), email, passwordHash: await hasher.hash(request.password), role: 'admin', createdAt: now, passwordChangedAt: now });
      await em.flush();
      return { action: 'created', email };
    }
    const wasAdmin = existing.role === 'admin';
    existing.role = 'admin';
    const passwordMatches = await hasher.verify(request.password, existing.passwordHash);
    if (!passwordMatches) {
      existing.passwordHash = await hasher.hash(request.password);
      existing.passwordChangedAt = now;
    }
    await em.flush();
    // A new password ends the account's sessions, as a password change or reset does.
    if (!passwordMatches) await endSessions(em, existing.id, now);
    return { action: !wasAdmin ? 'promoted' : passwordMatches ? 'unchanged' : 'updated', email };
  }
  if (!force && (await em.count(UserEntity, { role: 'admin' })) > 0) return { action: 'none' };
  const email = DEFAULT_ADMIN_EMAIL;
  const password = randomToken(18);
  const passwordHash = await hasher.hash(password);
  const existing = await em.findOne(UserEntity, { email });
  if (existing) {
    Object.assign(existing, { role: 'admin', passwordHash, passwordChangedAt: now });
  } else {
    em.create(UserEntity, { id: randomUUID(), email, passwordHash, role: 'admin', createdAt: now, passwordChangedAt: now });
  }
  await em.flush();
  if (existing) await endSessions(em, existing.id, now);
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

export function logAdminOutcome(log: FastifyBaseLogger, outcome: AdminOutcome): void {
  if (outcome.action === 'generated') {
    log.warn({ email: outcome.email, passwordFile: outcome.passwordFile }, 'created the first admin; its password is in the file named here (mode 0600)');
  } else if (outcome.action !== 'none' && outcome.action !== 'unchanged') {
    log.info({ email: outcome.email, action: outcome.action }, 'admin account from ADMIN_EMAIL');
  }
}
