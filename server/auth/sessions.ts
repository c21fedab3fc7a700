import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/knex';
import type { Tokens } from '../../client-sdk/src/schemas/auth.js';
import type { Clock } from '../clock.js';
import { SessionEntity } from '../db/session.entity.js';
import type { UserEntity } from '../db/user.entity.js';
import { unauthorized } from '../errors.js';
import type { RequestInfo } from '../identity/request-info.js';
import type { AuthUser } from './auth-user.js';
import type { BackgroundWork } from './background.js';
import type { LiveSessionCache } from './session-cache.js';
import type { SessionReads } from './session-reads.js';
import { type AccessTokens, hashToken, randomToken } from './tokens.js';

const DAY_MS = 86_400_000;

/** The session a pair of tokens belongs to: a refresh token is `<session id>.<secret>`. */
export const sessionIdOf = (tokens: Tokens): string => tokens.refreshToken.split('.')[0]!;
export interface SessionDeps {
  clock: Clock;
  /** Writes a session's lastUsedAt after the answer (see live). */
  background: BackgroundWork;
  accessTokens: AccessTokens;
  cache: LiveSessionCache;
  sessionTtlDays: number;
  /** The live-session read off the ORM (see session-reads.ts). */
  reads: SessionReads;
}

/** Sessions: one row per login, a rotating refresh token, revocation that bites at once. */
export class Sessions {
  constructor(
    private readonly emOf: () => EntityManager,
    private readonly deps: SessionDeps,
  ) {}

  private get em(): EntityManager {
    return this.emOf();
  }

  /** Opens a session for `user` (flushed by the caller's unit of work) and issues its tokens. */
  async open(user: UserEntity, request: RequestInfo): Promise<Tokens> {
    const now = this.deps.clock.now();
    const id = randomUUID();
    const refreshToken = `${id}.${randomToken()}`;
    this.em.create(SessionEntity, {
      id,
      user,
      refreshHash: hashToken(refreshToken),
      userAgent: request.userAgent?.slice(0, 512) ?? null,
      ip: request.ip.slice(0, 64),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.deps.sessionTtlDays * DAY_MS),
    });
    await this.em.flush();
    return this.tokens(user, id, refreshToken);
  }

  /**
   * Spends a refresh token for new tokens. The swap is one conditional UPDATE, so of two
   * concurrent uses one wins; a spent (or forged) token for a live session revokes the session.
   */
  async rotate(refreshToken: string, onReuse?: (sessionId: string, userId: string) => Promise<void>): Promise<Tokens> {
    const invalid = unauthorized('Invalid refresh token; sign in again');
    const sessionId = refreshToken.split('.')[0] ?? '';
    if (!/^[0-9a-f-]{36}$/.test(sessionId)) throw invalid;
    const now = this.deps.clock.now();
    const session = await this.em.findOne(SessionEntity, { id: sessionId }, { populate: ['user'] });
    if (!session || session.revokedAt || session.expiresAt <= now) throw invalid;
    const next = `${sessionId}.${randomToken()}`;
    const swapped = await this.em.nativeUpdate(
      SessionEntity,
      { id: sessionId, refreshHash: hashToken(refreshToken), revokedAt: null },
      { refreshHash: hashToken(next), lastUsedAt: now, expiresAt: new Date(now.getTime() + this.deps.sessionTtlDays * DAY_MS) },
    );
    if (swapped !== 1) {
      // Someone presented a token this session already spent: assume it was stolen.
      if (onReuse) await onReuse(sessionId, session.user.id);
      else await this.revoke(sessionId, session.user.id);
      throw invalid;
    }
    return this.tokens(session.user, sessionId, next);
  }

  /** The user of a live session, from a verified access token's claims; 401 otherwise. */
  async live(sessionId: string, userId: string): Promise<Omit<AuthUser, 'sessionId'>> {
    const now = this.deps.clock.now();
    const cached = this.deps.cache.get(sessionId, now.getTime());
    if (cached && cached.userId === userId) return { id: userId, email: cached.email, role: cached.role, hasCustomer: cached.hasCustomer };
    const session = await this.deps.reads.session(sessionId, userId, now);
    if (!session) throw unauthorized('This session has ended; sign in again');
    if (this.deps.cache.useToWrite(sessionId, session.lastUsedAt.getTime(), now.getTime())) {
      // At most once a minute per session, and not awaited: the write waits for the database's
      // write connection, which an import's batch holds for seconds (SQLite), and a read must not
      // wait with it. The request's answer does not depend on it.
      const em = this.em;
      this.deps.background.run('recording a session use', async () => {
        await em.nativeUpdate(SessionEntity, { id: sessionId }, { lastUsedAt: now });
      });
    }
    this.deps.cache.set(sessionId, userId, session.email, session.role, session.hasCustomer, now.getTime());
    return { id: userId, email: session.email, role: session.role, hasCustomer: session.hasCustomer };
  }

  async listLive(userId: string): Promise<SessionEntity[]> {
    return this.em.find(
      SessionEntity,
      { user: userId, revokedAt: null, expiresAt: { $gt: this.deps.clock.now() } },
      { orderBy: { lastUsedAt: 'desc', id: 'asc' } },
    );
  }

  /** Ends one session of `userId`; false if it is not theirs or already ended. */
  async revoke(sessionId: string, userId: string): Promise<boolean> {
    const n = await this.em.nativeUpdate(SessionEntity, { id: sessionId, user: userId, revokedAt: null }, { revokedAt: this.deps.clock.now() });
    // After the write: a request racing it can no longer re-cache the session as live.
    this.deps.cache.evict(sessionId);
    return n === 1;
  }

  /** Ends every session of a user, except `keep` when given. */
  async revokeAll(userId: string, keep?: string): Promise<void> {
    await this.em.nativeUpdate(SessionEntity, { user: userId, revokedAt: null, ...(keep ? { id: { $ne: keep } } : {}) }, { revokedAt: this.deps.clock.now() });
    this.deps.cache.evictUser(userId);
  }

  private async tokens(user: UserEntity, sessionId: string, refreshToken: string): Promise<Tokens> {
    const accessToken = await this.deps.accessTokens.sign({ sub: user.id, sid: sessionId, role: user.role });
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.deps.accessTokens.ttlSeconds };
  }
}
