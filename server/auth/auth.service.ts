import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { FastifyBaseLogger } from 'fastify';
import type { ChangePasswordInput, LoginInput, ResetPasswordInput, Session, SignupData, Tokens, User } from '../../client-sdk/src/schemas/auth.js';
import type { Customer } from '../../client-sdk/src/schemas/customer.js';
import type { Clock } from '../clock.js';
import { nameKeys, newCustomerId, toCustomer } from '../customers/customer.mapper.js';
import { recordCreated } from '../customers/customers.service.js';
import { CustomerEntity } from '../db/customer.entity.js';
import { EmailVerificationTokenEntity } from '../db/email-verification-token.entity.js';
import { ResetTokenEntity } from '../db/reset-token.entity.js';
import { UserEntity } from '../db/user.entity.js';
import type { WriteTransactions } from '../db/write-transaction.js';
import { badRequest, conflict, notFound, unauthorized } from '../errors.js';
import type { RequestInfo } from '../identity/request-info.js';
import { newCustomerSearchKeys } from '../search/search-writes.js';
import type { AuthUser } from './auth-user.js';
import type { BackgroundWork } from './background.js';
import type { KeyedMutex } from './keyed-mutex.js';
import type { LoginAttempts } from './login-attempts.js';
import { tokenLink } from './mail-links.js';
import type { Mailer } from './mailer.js';
import { assertAcceptablePassword, type PasswordHasher } from './passwords.js';
import { type SessionDeps, Sessions, sessionIdOf } from './sessions.js';
import { type Limit, Throttle } from './throttle.js';
import { hashToken, randomToken } from './tokens.js';

const MINUTE = 60_000;
/** Contract: at most 10 failed logins per account per 15 minutes; per address, 50. */
export const LOGIN_LIMITS = { perAccount: 10, perAddress: 50, windowMs: 15 * MINUTE };
export const RESET_LIMITS = { perAccount: 5, perAddress: 20, windowMs: 15 * MINUTE, mailEveryMs: MINUTE, tokenTtlMs: 30 * MINUTE };
/** Contract: a verification link is single-use and valid 24 hours. */
export const VERIFY_TOKEN_TTL_MS = 24 * 60 * MINUTE;
const RESET_ANSWER = 'If an account exists for this email, a reset link is on its way.';
const ok = { ok: true as const };
/** Audit actions of accounts and sessions (docs/audit-and-privacy.md lists them all). */
export const AUTH_ACTIONS = {
  login: 'auth.login',
  logout: 'auth.logout',
  passwordChanged: 'auth.password.changed',
  resetRequested: 'auth.password.resetRequested',
  reset: 'auth.password.reset',
  sessionRevoked: 'auth.session.revoked',
  refreshReused: 'auth.refresh.reused',
} as const;

export interface AuthDeps extends SessionDeps {
  hasher: PasswordHasher;
  accountLocks: KeyedMutex;
  /** Password checks in flight, counted against the login limits (see login-attempts.ts). */
  loginAttempts: LoginAttempts;
  mailer: Mailer;
  /** Work after the answer: reset lookups, every mail, and sessions' lastUsedAt (SessionDeps). */
  background: BackgroundWork;
  /** The pages mails link to (`?token=…` is added): RESET_URL and VERIFY_URL. */
  links: { reset: string; verify: string };
  log: FastifyBaseLogger;
}

export const toUser = (u: UserEntity): User => ({ id: u.id, email: u.email, role: u.role, createdAt: u.createdAt });

/** Accounts and sessions; every rule of the contract's `auth.*` lives here. */
export class AuthService {
  private readonly sessions: Sessions;
  private readonly throttle: Throttle;

  /** The request's entity manager is forked on first use: many requests never need one. */
  constructor(
    private readonly writes: WriteTransactions,
    private readonly deps: AuthDeps,
    private readonly request: RequestInfo,
  ) {
    const emOf = () => writes.entityManager;
    this.sessions = new Sessions(emOf, deps);
    this.throttle = new Throttle(emOf, deps.clock);
  }

  private get em(): EntityManager {
    return this.writes.entityManager;
  }

  private get clock(): Clock {
    return this.deps.clock;
  }

  /**
   * Creates the account and its customer record in one transaction. The email of an existing
   * record without an account (imported, or created by an admin) is not proof of owning it: that
   * account starts with no customer, and a mailed verification link (`verifyEmail`) links the
   * record, unchanged, once the address is proven. The signup's own fields are not applied to it.
   */
  async signup(input: SignupData): Promise<{ user: User; customer: Customer | null; tokens: Tokens }> {
    const { password, ...fields } = input;
    assertAcceptablePassword(password);
    if (await this.em.count(UserEntity, { email: fields.email })) throw conflict('An account with this email exists; sign in instead');
    const passwordHash = await this.deps.hasher.hash(password);
    let verification: string | undefined;
    try {
      const result = await this.writes.run(async (tx, log) => {
        const now = this.clock.now();
        const claimed = (await tx.count(CustomerEntity, { email: fields.email })) > 0;
        const customer = claimed
          ? null
          : tx.create(CustomerEntity, {
              ...fields,
              publicId: newCustomerId(),
              ...nameKeys(fields.firstName, fields.lastName),
              ...newCustomerSearchKeys(fields),
              createdAt: now,
              updatedAt: now,
              version: 1,
            });
        const user = tx.create(UserEntity, {
          id: randomUUID(),
          email: fields.email,
          passwordHash,
          role: 'customer',
          customer,
          createdAt: now,
          passwordChangedAt: now,
        });
        if (claimed) {
          verification = randomToken(32);
          tx.create(EmailVerificationTokenEntity, {
            user,
            tokenHash: hashToken(verification),
            createdAt: now,
            expiresAt: new Date(now.getTime() + VERIFY_TOKEN_TTL_MS),
          });
        }
        await tx.flush();
        // A sign-up acts as the account it creates.
        log.actAs({ type: 'user', id: user.id }, user.email);
        log.audit({ action: 'auth.signup', target: { type: 'user', id: user.id } });
        if (customer) recordCreated(log, toCustomer(customer));
        const tokens = await new Sessions(() => tx, this.deps).open(user, this.request);
        return { user: toUser(user), customer: customer ? toCustomer(customer) : null, tokens };
      });
      if (verification) this.mailVerification(result.user.email, verification);
      return result;
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw conflict('An account with this email exists; sign in instead');
      throw err;
    }
  }

  private mailVerification(email: string, token: string): void {
    const link = tokenLink(this.deps.links.verify, token);
    this.deps.background.run('verification mail', () =>
      this.deps.mailer.send({
        to: email,
        subject: 'Confirm your email address for Carly',
        text:
          'Someone signed up to Carly with this address, which already has a customer record.\n\n' +
          `To confirm that the address is yours and link the record to your account, open this link within 24 hours:\n${link}\n\n` +
          'If it was not you, ignore this mail: the record stays unlinked.\n',
      }),
    );
  }

  /**
   * Spends a verification token and links the account to the customer record of its address.
   * The record itself is not changed. `customer` is null if the record was deleted meanwhile.
   */
  async verifyEmail(token: string): Promise<{ user: User; customer: Customer | null }> {
    const invalid = badRequest('This verification link is invalid, used or expired');
    const now = this.clock.now();
    const row = await this.em.findOne(
      EmailVerificationTokenEntity,
      { tokenHash: hashToken(token), usedAt: null, expiresAt: { $gt: now } },
      { populate: ['user'] },
    );
    if (!row) throw invalid;
    const user = row.user;
    const customer = await this.em.transactional(async (tx) => {
      const spent = await tx.nativeUpdate(EmailVerificationTokenEntity, { id: row.id, usedAt: null }, { usedAt: now });
      if (spent !== 1) throw invalid;
      return this.linkClaimedRecord(tx, user.id, user.email, now);
    });
    // The live-session cache holds whether the account has a record: drop it, so the link bites at once.
    this.deps.cache.evictUser(user.id);
    return { user: toUser(user), customer: customer ? toCustomer(customer) : null };
  }

  /**
   * Links a customer account that has no record to the record of its email (the address has just
   * been proven) and spends its verification tokens. Returns the account's record, if any.
   */
  private async linkClaimedRecord(tx: EntityManager, userId: string, email: string, now: Date): Promise<CustomerEntity | null> {
    const user = await tx.findOneOrFail(UserEntity, { id: userId }, { populate: ['customer'] });
    if (user.customer) return user.customer;
    await tx.nativeUpdate(EmailVerificationTokenEntity, { user: userId, usedAt: null }, { usedAt: now });
    if (user.role !== 'customer') return null;
    const customer = await tx.findOne(CustomerEntity, { email });
    if (customer) await tx.nativeUpdate(UserEntity, { id: userId, customer: null }, { customer: customer.id });
    return customer;
  }

  /** Same 401, same message, same bcrypt work for an unknown email and a wrong password. */
  async login(input: LoginInput & { email: string }): Promise<{ user: User; tokens: Tokens }> {
    const user = await this.checkPassword(input.email, input.password, () => unauthorized('Invalid email or password'), AUTH_ACTIONS.login);
    return this.writes.run(async (tx, log) => {
      // A login acts as the account it signs in; its entry commits with the session.
      log.actAs({ type: 'user', id: user.id }, user.email);
      const tokens = await new Sessions(() => tx, this.deps).open(user, this.request);
      log.audit({ action: AUTH_ACTIONS.login, target: { type: 'user', id: user.id }, changes: { session: [null, sessionIdOf(tokens)] } });
      return { user: toUser(user), tokens };
    });
  }

  /**
   * The throttled password check shared by login and password change: refused with 429 once the
   * account or the address used up its failures; a failure is counted, a success never is.
   * Checks of one account run one at a time, so concurrent guesses each see the ones before;
   * checks from one address count while in flight (login-attempts.ts), so parallel guesses at
   * many accounts cannot pass the address's limit either. A failure is audited as `action` with
   * outcome `failure`, in a small transaction of its own (nothing else changes).
   */
  private checkPassword(email: string, password: string, wrong: () => Error, action: string): Promise<UserEntity> {
    return this.deps.accountLocks.run(email, async () => {
      const attempt = await this.deps.loginAttempts.begin(this.loginLimits(email), this.throttle);
      let failed = false;
      try {
        const user = await this.em.findOne(UserEntity, { email });
        const ok = user ? await this.deps.hasher.verify(password, user.passwordHash) : await this.deps.hasher.verifyNothing(password);
        if (!user || !ok) {
          failed = true;
          await this.writes.run(
            async (_tx, log) => log.audit({ action, outcome: 'failure', target: user ? { type: 'user', id: user.id } : { type: 'email', id: email } }),
            { answer: false },
          );
          throw wrong();
        }
        return user;
      } finally {
        await (failed ? attempt.failed() : attempt.done());
      }
    });
  }

  async refresh(refreshToken: string): Promise<{ tokens: Tokens }> {
    // A spent refresh token presented again ends its session: audited, as a likely theft.
    const onReuse = (sessionId: string, userId: string) =>
      this.writes.run(async (tx, log) => {
        if (await new Sessions(() => tx, this.deps).revoke(sessionId, userId)) {
          log.audit({ action: AUTH_ACTIONS.refreshReused, outcome: 'denied', target: { type: 'user', id: userId }, changes: { session: [sessionId, null] } });
        }
      });
    return { tokens: await this.sessions.rotate(refreshToken, onReuse) };
  }

  async logout(me: AuthUser): Promise<{ ok: true }> {
    const answer = await this.writes.run(async (tx, log) => {
      if (await new Sessions(() => tx, this.deps).revoke(me.sessionId, me.id)) {
        log.audit({ action: AUTH_ACTIONS.logout, target: { type: 'user', id: me.id }, changes: { session: [me.sessionId, null] } });
      }
      return ok;
    });
    // Again after the commit: a request in between could have re-cached the session as live.
    this.deps.cache.evict(me.sessionId);
    return answer;
  }

  async me(me: AuthUser): Promise<{ user: User; customer: Customer | null }> {
    const user = await this.em.findOneOrFail(UserEntity, { id: me.id }, { populate: ['customer'] });
    return { user: toUser(user), customer: user.customer ? toCustomer(user.customer) : null };
  }

  /** Needs the current password (failures count like failed logins); ends every other session. */
  async changePassword(me: AuthUser, input: ChangePasswordInput): Promise<{ ok: true }> {
    const user = await this.checkPassword(
      me.email,
      input.currentPassword,
      () => badRequest('The current password is not correct'),
      AUTH_ACTIONS.passwordChanged,
    );
    assertAcceptablePassword(input.newPassword);
    const passwordHash = await this.deps.hasher.hash(input.newPassword);
    const answer = await this.writes.run(async (tx, log) => {
      const now = this.clock.now();
      await tx.nativeUpdate(UserEntity, { id: user.id }, { passwordHash, passwordChangedAt: now });
      await new Sessions(() => tx, this.deps).revokeAll(me.id, me.sessionId);
      log.audit({ action: AUTH_ACTIONS.passwordChanged, target: { type: 'user', id: user.id }, changes: { passwordChangedAt: [user.passwordChangedAt, now] } });
      return ok;
    });
    this.deps.cache.evictUser(me.id);
    return answer;
  }

  /**
   * The same answer whether or not the account exists, after the same work: the throttle, then
   * the answer. Looking the account up, making the token and mailing happen after the answer
   * (BackgroundWork), so neither its timing nor a failure there tells whether the account exists.
   */
  async requestPasswordReset(email: string): Promise<string> {
    const limits: Limit[] = [
      { key: `reset:account:${email}`, max: RESET_LIMITS.perAccount, windowMs: RESET_LIMITS.windowMs },
      { key: `reset:ip:${this.request.ip}`, max: RESET_LIMITS.perAddress, windowMs: RESET_LIMITS.windowMs },
    ];
    await this.throttle.check(limits);
    await this.throttle.record(limits.map((l) => l.key));
    this.deps.background.run('password reset', () => this.mailResetLink(email));
    return RESET_ANSWER;
  }

  /**
   * Issues a reset token and mails it, if the account exists and had no mail in the last minute;
   * the request is audited either way, in the transaction that stores the token.
   */
  private async mailResetLink(email: string): Promise<void> {
    const user = await this.em.findOne(UserEntity, { email });
    const action = AUTH_ACTIONS.resetRequested;
    const token = await this.writes.run(
      async (tx, log) => {
        if (!user) {
          log.audit({ action, outcome: 'failure', target: { type: 'email', id: email } });
          return null;
        }
        const target = { type: 'user', id: user.id };
        const now = this.clock.now();
        const recent = await tx.count(ResetTokenEntity, { user, createdAt: { $gt: new Date(now.getTime() - RESET_LIMITS.mailEveryMs) } });
        if (recent > 0) {
          // At most one mail per account per minute.
          log.audit({ action, outcome: 'denied', target });
          return null;
        }
        const fresh = randomToken(32);
        // A new token retires the older ones: only the latest mail works.
        await tx.nativeUpdate(ResetTokenEntity, { user, usedAt: null }, { usedAt: now });
        tx.create(ResetTokenEntity, { user, tokenHash: hashToken(fresh), createdAt: now, expiresAt: new Date(now.getTime() + RESET_LIMITS.tokenTtlMs) });
        log.audit({ action, target });
        return fresh;
      },
      { answer: false },
    );
    if (!user || !token) return;
    const link = tokenLink(this.deps.links.reset, token);
    await this.deps.mailer.send({
      to: user.email,
      subject: 'Reset your Carly password',
      text: `Someone asked to reset the password of your Carly account.\n\nTo choose a new password, open this link within 30 minutes:\n${link}\n\nIf it was not you, ignore this mail; your password stays as it is.\n`,
    });
  }

  /**
   * Spends the token, sets the password, ends every session of the account. The mailed link
   * proves the address as a verification link does, so a pending claim of a record is linked too.
   */
  async resetPassword(input: ResetPasswordInput): Promise<void> {
    assertAcceptablePassword(input.newPassword);
    const invalid = badRequest('This reset link is invalid, used or expired; ask for a new one');
    const now = this.clock.now();
    const reset = await this.em.findOne(ResetTokenEntity, { tokenHash: hashToken(input.token), usedAt: null, expiresAt: { $gt: now } }, { populate: ['user'] });
    if (!reset) throw invalid;
    const passwordHash = await this.deps.hasher.hash(input.newPassword);
    const user = reset.user;
    await this.writes.run(async (tx, log) => {
      const spent = await tx.nativeUpdate(ResetTokenEntity, { id: reset.id, usedAt: null }, { usedAt: now });
      if (spent !== 1) throw invalid;
      await tx.nativeUpdate(UserEntity, { id: user.id }, { passwordHash, passwordChangedAt: now });
      await this.linkClaimedRecord(tx, user.id, user.email, now);
      await new Sessions(() => tx, this.deps).revokeAll(user.id);
      // Whoever holds the mailed token proved they read the account's mail: they act as it.
      log.actAs({ type: 'user', id: user.id }, user.email);
      log.audit({ action: AUTH_ACTIONS.reset, target: { type: 'user', id: user.id }, changes: { passwordChangedAt: [user.passwordChangedAt, now] } });
    });
    // Again after the commit: a request between the in-transaction eviction and the commit could
    // have re-cached a session that the commit just ended.
    this.deps.cache.evictUser(user.id);
    await this.throttle.clear(`login:account:${user.email}`);
  }

  async listSessions(me: AuthUser): Promise<Session[]> {
    const rows = await this.sessions.listLive(me.id);
    return rows.map((s) => ({
      id: s.id,
      createdAt: s.createdAt,
      lastUsedAt: s.lastUsedAt,
      userAgent: s.userAgent,
      ip: s.ip,
      current: s.id === me.sessionId,
    }));
  }

  async revokeSession(me: AuthUser, sessionId: string): Promise<{ ok: true }> {
    const answer = await this.writes.run(async (tx, log) => {
      if (!(await new Sessions(() => tx, this.deps).revoke(sessionId, me.id))) throw notFound('No live session of yours has this id');
      log.audit({ action: AUTH_ACTIONS.sessionRevoked, target: { type: 'user', id: me.id }, changes: { session: [sessionId, null] } });
      return ok;
    });
    this.deps.cache.evict(sessionId);
    return answer;
  }

  private loginLimits(email: string): Limit[] {
    return [
      { key: `login:account:${email}`, max: LOGIN_LIMITS.perAccount, windowMs: LOGIN_LIMITS.windowMs },
      { key: `login:ip:${this.request.ip}`, max: LOGIN_LIMITS.perAddress, windowMs: LOGIN_LIMITS.windowMs },
    ];
  }
}
