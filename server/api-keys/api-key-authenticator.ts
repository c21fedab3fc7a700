import type { EntityManager } from '@mikro-orm/knex';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import { ApiKeyEntity } from '../db/api-key.entity.js';
import { unauthorized } from '../errors.js';
import type { ApiKeyCaller } from '../identity/identity.js';
import type { ApiKeyReads, ApiKeyRow } from './api-key-reads.js';
import { hashSecret, isWellFormedSecret } from './secret-format.js';

/** How long a key checked against the database is trusted without asking again (revocation on other instances). */
const CACHE_TTL_MS = 1000;
const MAX_CACHED = 10_000;
/** `lastUsedAt` is kept to the minute: at most one write per key per minute, never one per request. */
const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * Turns `carly_sk_…` secrets into callers. A secret of the wrong shape or checksum is refused
 * before any database lookup; a genuine one is looked up by its SHA-256 and then trusted for at
 * most a second (a revocation here evicts it at once; elsewhere it bites within that second).
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { row: ApiKeyRow; until: number }>();
  /** When this instance last wrote each key's lastUsedAt (or saw it written). */
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly deps: {
      clock: Clock;
      /** A fresh entity manager (lastUsedAt writes). */
      em: () => EntityManager;
      /** The prepared read of a key by the hash of its secret. */
      reads: ApiKeyReads;
      log: FastifyBaseLogger;
    },
  ) {}

  async authenticate(secret: string): Promise<ApiKeyCaller> {
    // Made only when thrown: an Error (its stack trace) is not free, and this runs on every request.
    const invalid = () => unauthorized('Invalid API key');
    if (!isWellFormedSecret(secret)) throw invalid();
    const hash = hashSecret(secret);
    const now = this.deps.clock.now().getTime();
    let row: ApiKeyRow | null | undefined = this.cached(hash, now);
    if (!row) {
      row = await this.lookup(hash);
      if (!row) throw invalid();
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(hash, { row, until: now + CACHE_TTL_MS });
      if (row.lastUsedAt) this.noteWritten(row.id, row.lastUsedAt.getTime());
    }
    if (row.revokedAt) throw unauthorized('This API key was revoked');
    if (row.expiresAt && row.expiresAt.getTime() <= now) throw unauthorized('This API key has expired');
    this.touch(row.id, now);
    return { id: row.id, name: row.name, scopes: row.scopes };
  }

  /** Forgets a key at once on this instance (after its revocation committed). */
  evict(id: string): void {
    for (const [hash, entry] of this.cache) if (entry.row.id === id) this.cache.delete(hash);
  }

  private cached(hash: string, now: number): ApiKeyRow | undefined {
    const entry = this.cache.get(hash);
    if (!entry) return undefined;
    if (entry.until > now) return entry.row;
    this.cache.delete(hash);
    return undefined;
  }

  private async lookup(hash: string): Promise<ApiKeyRow | null> {
    return this.deps.reads.apiKey(hash);
  }

  private noteWritten(id: string, at: number): void {
    if ((this.lastUsedWritten.get(id) ?? 0) < at) this.lastUsedWritten.set(id, at);
  }

  /** Records a use, writing lastUsedAt only when the stored one is a minute old or more. */
  private touch(id: string, now: number): void {
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_GRANULARITY_MS) return;
    if (this.lastUsedWritten.size >= MAX_CACHED) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(id, now);
    const at = new Date(now);
    // Conditional, so instances that see the same key in the same minute write once between them.
    // Not awaited: the request does not wait for bookkeeping.
    this.deps
      .em()
      .nativeUpdate(ApiKeyEntity, { id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lte: new Date(now - LAST_USED_GRANULARITY_MS) } }] }, { lastUsedAt: at })
      .catch((err: unknown) => this.deps.log.warn({ err }, 'could not record an API key use'));
  }
}
