import type { Role } from '../../client-sdk/src/schemas/auth.js';

const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * Remembers, for at most `ttlMs`, that a session was live. A revocation through this instance
 * evicts the entry at once; another instance's revocation bites when the entry expires, so
 * "within a second across instances" holds with the default TTL of 1 s.
 */
export class LiveSessionCache {
  private readonly entries = new Map<string, { userId: string; email: string; role: Role; hasCustomer: boolean; until: number }>();
  /** When this instance last wrote each session's lastUsedAt. */
  private readonly usesWritten = new Map<string, number>();

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

  /**
   * Whether a use at `now` is to be written as the session's lastUsedAt (kept to the minute):
   * when both the stored value and this instance's last write of it are a minute old. Answers
   * true at most once a minute per session, and then counts the write as done.
   */
  useToWrite(sessionId: string, storedLastUsed: number, now: number): boolean {
    if (now - Math.max(storedLastUsed, this.usesWritten.get(sessionId) ?? 0) <= LAST_USED_GRANULARITY_MS) return false;
    if (this.usesWritten.size >= this.maxEntries) this.usesWritten.clear();
    this.usesWritten.set(sessionId, now);
    return true;
  }

  evict(sessionId: string) {
    this.entries.delete(sessionId);
  }

  evictUser(userId: string) {
    for (const [id, e] of this.entries) if (e.userId === userId) this.entries.delete(id);
  }
}
