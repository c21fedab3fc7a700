/**
 * Re-checks of the credentials behind open streams, shared: streams opened with the same
 * credential (one dashboard's many tabs, one integration's key) share one check per interval,
 * instead of each asking the session store at the same moment when an event arrives for all.
 * A failed check fails every stream holding that credential.
 */
export class CredentialChecks {
  private readonly checks = new Map<string, { until: number; result: Promise<void> }>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  check(credential: string, authenticate: () => Promise<unknown>): Promise<void> {
    const now = performance.now();
    const known = this.checks.get(credential);
    if (known && known.until > now) return known.result;
    if (this.checks.size >= this.maxEntries) {
      for (const [key, entry] of this.checks) if (entry.until <= now) this.checks.delete(key);
      if (this.checks.size >= this.maxEntries) this.checks.clear();
    }
    const result = authenticate().then(() => undefined);
    result.catch(() => {}); // awaited by the streams; never an unhandled rejection here
    this.checks.set(credential, { until: now + this.intervalMs, result });
    return result;
  }
}
