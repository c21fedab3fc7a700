import type { Role } from '../../client-sdk/src/schemas/auth.js';

/**
 * Remembers, for at most `ttlMs`, that a session was live. A revocation through this instance
 * evicts the entry at once; another instance's revocation bites when the entry expires, so
 * "within a second across instances" holds with the default TTL of 1 s.
 */
export class LiveSessionCache {
  private readonly entries = new Map<string, { userId: string; email: string; role: Role; hasCustomer: boolean; until: number }>();

  constructor(
    private readonly ttlMs = 1000,
    private readonly maxEntries = 10_000,
  ) {}

  get(sessionId: string, now: number) {
    const e = this.entries.get(sessionId);
    if (!e) return undefined;
    if (e.until <= now) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return e;
  }

  set(sessionId: string, userId: string, email: string, role: Role, hasCustomer: boolean, now: number) {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(sessionId, { userId, email, role, hasCustomer, until: now + this.ttlMs });
  }

  evict(sessionId: string) {
    this.entries.delete(sessionId);
  }

  evictUser(userId: string) {
    for (const [id, e] of this.entries) if (e.userId === userId) this.entries.delete(id);
  }
}
