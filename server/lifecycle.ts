/** One part of the running server: what starts it and what stops it (either may be absent). */
export interface LifecycleStep {
  name: string;
  start?: () => void | Promise<void>;
  stop?: () => void | Promise<void>;
}

/**
 * The server's ordered start/stop list: steps start in the order they were added and stop in the
 * reverse order, so each part stops before what it uses (the webhook worker before the database,
 * the database before tracing sends its last spans). A step with no start is a resource opened
 * while building (the ORM, the read lane): reaching it in `start` is what puts it on the stop list.
 *
 * If a start fails, the steps already started are stopped (in reverse) and the error is rethrown,
 * so a server that cannot start leaves no connection, thread or timer behind.
 */
export class Lifecycle {
  private readonly steps: LifecycleStep[] = [];
  /** How many steps `start` reached: the ones `stop` stops. */
  private started = 0;

  add(step: LifecycleStep): this {
    this.steps.push(step);
    return this;
  }

  /** The steps' names, in start order (a diagnostic; docs/architecture.md lists them). */
  get names(): string[] {
    return this.steps.map((s) => s.name);
  }

  async start(): Promise<void> {
    for (const step of this.steps) {
      try {
        await step.start?.();
      } catch (err) {
        await this.stop();
        throw err;
      }
      this.started++;
    }
  }

  /** Stops every step `start` reached, last first; runs once (a second call finds nothing to stop). */
  async stop(): Promise<void> {
    while (this.started > 0) {
      this.started--;
      await this.steps[this.started]!.stop?.();
    }
  }
}
