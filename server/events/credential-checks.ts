/**
 * Re-checks of the credentials behind open streams, shared: streams opened with the same
 * credential (one dashboard's many tabs, one integration's key) share one check per interval,
 * instead of each asking the session store at the same moment when an event arrives for all.
 * A failed check fails every stream holding that credential.
 */
export class CredentialChecks {
  private readonly checks = new Map<string, { until: number; result: Promise<void>; passed: boolean }>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /**
   * Undefined when a check of this credential passed within the interval: the caller goes on
   * without an await (a live event reaches every open stream at once, and each await there is a
   * turn of the microtask queue per stream); otherwise the check to wait for.
   */
  check(credential: string, authenticate: () => Promise<unknown>): Promise<void> | undefined {
    const now = performance.now();
    const known = this.checks.get(credential);
    if (known && known.until > now) return known.passed ? undefined : known.result;
    if (this.checks.size >= this.maxEntries) {
      for (const [key, entry] of this.checks) if (entry.until <= now) this.checks.delete(key);
      if (this.checks.size >= this.maxEntries) this.checks.clear();
    }
    const entry = { until: now + this.intervalMs, result: authenticate().then(() => undefined), passed: false };
    entry.result.then(
      () => {
        entry.passed = true;
      },
      () => {}, // awaited by the streams; never an unhandled rejection here
    );
    this.checks.set(credential, entry);
    return entry.result;
  }
}
