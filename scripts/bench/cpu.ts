import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * CPU accounting from /proc (Linux; everything here degrades to "unknown" elsewhere): the CPU
 * the server process spent per request, and how much CPU *other* processes on the machine took
 * during a measurement, since a neighbour's job skews every number on a 2-core box.
 */

let ticksPerSecond: number | undefined;
function hz(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of a process, in µs, or NaN. */
export function processCpuUs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / hz()) * 1e6;
  } catch {
    return NaN;
  }
}

/** Busy CPU time of the whole machine (all cores), in µs, or NaN. */
export function machineBusyUs(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / hz()) * 1e6;
  } catch {
    return NaN;
  }
}

export interface CpuSnapshot {
  /** performance.now() */
  at: number;
  /** utime + stime (µs) of each process asked for. */
  pids: Map<number, number>;
  /** This (bench) process, precise. */
  self: number;
  /** All cores' busy time. */
  machine: number;
}

export const cpuSnapshot = (pids: readonly number[] = []): CpuSnapshot => {
  const u = process.cpuUsage();
  return { at: performance.now(), pids: new Map(pids.map((p) => [p, processCpuUs(p)])), self: u.user + u.system, machine: machineBusyUs() };
};

/**
 * CPU µs the processes in `b` used since `a`. A pid that only `b` knows started in between (a
 * database backend opened by a pool under load) and counts from zero; one gone by `b` is lost.
 */
export function cpuUsed(a: CpuSnapshot, b: CpuSnapshot): number {
  let us = 0;
  for (const [pid, after] of b.pids) us += after - (a.pids.get(pid) ?? 0);
  return us;
}

/** Average cores that processes other than the bench and the `accountedUs` (servers, driver) used between a and b. */
export function foreignCores(a: CpuSnapshot, b: CpuSnapshot, accountedUs: number): number {
  const wallUs = (b.at - a.at) * 1000;
  const foreignUs = b.machine - a.machine - accountedUs - (b.self - a.self);
  return wallUs > 0 ? Math.max(0, foreignUs / wallUs) : NaN;
}

/**
 * Waits (at most maxWaitMs) until the rest of the machine is quiet: under `threshold` cores busy
 * over a 1 s window. The servers are idle between measurements, so busy CPU then is a neighbour's.
 * Returns the last busy figure seen (cores), or NaN when /proc is unavailable.
 */
export async function waitForQuiet(maxWaitMs: number, threshold = 0.25): Promise<{ cores: number; waitedMs: number }> {
  const started = performance.now();
  let cores = NaN;
  do {
    const a = machineBusyUs();
    const selfA = process.cpuUsage();
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const selfB = process.cpuUsage();
    const ownUs = selfB.user - selfA.user + selfB.system - selfA.system;
    cores = (machineBusyUs() - a - ownUs) / ((performance.now() - t) * 1000);
    if (!Number.isFinite(cores) || cores < threshold) break;
  } while (performance.now() - started < maxWaitMs);
  return { cores, waitedMs: performance.now() - started };
}
