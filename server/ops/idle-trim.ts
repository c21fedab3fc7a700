import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

type MinorGc = (options: { type: 'minor'; execution: 'sync' }) => void;

/** V8's `gc()`: the one from `--expose-gc` if the process has it, else exposed for a fresh context. */
function collector(): MinorGc {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as MinorGc;
  // Exposing gc after start is what Node's documentation shows for v8.setFlagsFromString; the
  // function lives in the new context only (globalThis.gc of this one stays undefined).
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as MinorGc;
}

export interface IdleTrimOptions {
  /** How often the process is looked at. */
  everyMs?: number;
  /** Event-loop utilization since the last look below which the process counts as idle. */
  idleBelow?: number;
  /** Committed but unused young-generation bytes worth giving back. */
  slackBytes?: number;
}

/** What one look at the process saw. */
export interface IdleSample {
  /** Event-loop utilization since the previous look, 0..1. */
  busy: number;
  /** V8's young generation (`new_space`) now, or undefined if V8 reports none. */
  young: { committedBytes: number; usedBytes: number } | undefined;
}

/**
 * Whether a minor GC is worth running: the event loop was idle (busy below `idleBelow`) and the
 * young generation holds at least `slackBytes` committed but unused. Pure, so its rule is tested
 * on its own (test/unit/idle-trim.test.ts); startIdleTrim feeds it real samples.
 */
export function shouldTrim({ busy, young }: IdleSample, { idleBelow, slackBytes }: Required<Pick<IdleTrimOptions, 'idleBelow' | 'slackBytes'>>): boolean {
  if (busy >= idleBelow || !young) return false;
  return young.committedBytes - young.usedBytes >= slackBytes;
}

/** The young generation as V8 reports it now. */
function youngGeneration(): IdleSample['young'] {
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return space && { committedBytes: space.physical_space_size, usedBytes: space.space_used_size };
}

/**
 * Gives back the young generation an idle process no longer needs. V8 grows the young generation
 * while the server starts (the module graph) or under load, to up to ~30 MB, and shrinks it only
 * at a scavenge that finds the allocation rate low; an idle process allocates nothing, so it never
 * scavenges and keeps all of it (measured: 28.8 MB committed, 5 MB used, 20 s after start). So
 * every `everyMs`, if the event loop was busy less than `idleBelow` of the time and the young
 * generation holds more than `slackBytes` unused, one minor GC runs (about a millisecond at idle),
 * and V8 shrinks it. Under load nothing happens: the event loop is busy. Returns the stop function.
 * docs/performance.md, "Idle memory".
 */
export function startIdleTrim({ everyMs = 10_000, idleBelow = 0.01, slackBytes = 8 * 1024 * 1024 }: IdleTrimOptions = {}): () => void {
  let gc: MinorGc | undefined;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    // The young generation is only read when the loop was idle: under load a look costs one utilization call.
    if (busy >= idleBelow || !shouldTrim({ busy, young: youngGeneration() }, { idleBelow, slackBytes })) return;
    gc ??= collector();
    gc({ type: 'minor', execution: 'sync' });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
