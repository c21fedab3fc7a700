import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { createScratchPostgres } from '../../scripts/lib/scratch-postgres.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Every process a test spawned that is still running. Whatever a test's hooks forget, or a failed
 * start leaves behind, is killed when the test file's worker exits: no server outlives its file.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns `node args…` in the repository, tracked so it cannot outlive the test file. */
export function spawnTracked(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * The `node` arguments that run a TypeScript file of the repository (`server/main.ts`,
 * `scripts/create-admin.ts`, …): its copy compiled once for this run (test/helpers/compiled-build.ts),
 * or the source through tsx when there is none (CARLY_TEST_FROM_SOURCES=1).
 */
export function nodeArgs(file: string): string[] {
  const compiled = compiledRoot();
  const relative = path.isAbsolute(file) ? path.relative(ROOT, file) : file;
  return compiled ? ['--enable-source-maps', path.join(compiled, relative.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', relative];
}

/**
 * The compiled copy's folder, given by vitest's global setup. Outside vitest (the crash test and
 * the fuzzer spawn servers through these helpers too) `inject` throws: they run the sources.
 */
function compiledRoot(): string | undefined {
  try {
    return inject('compiledRoot');
  } catch {
    return undefined;
  }
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Runs `server/main.ts` as its own process, as `npm start` does, and waits until it listens. */
export function spawnServer(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawnTracked(nodeArgs('server/main.ts'), { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', SEED_SAMPLE_DATA: 'false', ...env });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // A server that did not start in time is killed, not left running beside the next attempt.
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/"url":"(http:\/\/[^"]+)"/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}

/**
 * Stops a spawned server: `signal` (SIGTERM by default), then SIGKILL if it has not exited within
 * `graceMs`. Resolves with its exit code (null when killed by a signal); at once if it had exited.
 */
export async function stopProcess(p: ServerProcess | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<number | null> {
  if (!p) return null;
  if (!hasExited(p.child)) {
    p.child.kill(signal);
    const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    try {
      return await p.exited;
    } finally {
      clearTimeout(timer);
    }
  }
  return p.exited;
}

/** Runs a command to completion and returns its exit code and output; SIGKILL after `timeoutMs`. */
export function run(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnTracked(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A server process as `npm start` runs it, on a fresh data dir and (when the tests run on
 * PostgreSQL) a scratch database of its own; `close` kills it and removes both.
 */
export async function spawnServerOnItsOwn(env: Record<string, string>, usePostgres: boolean): Promise<{ server: ServerProcess; close: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'carly-own-'));
  const scratch = usePostgres ? await createScratchPostgres(process.env.TEST_DATABASE_URL!) : undefined;
  const close = async (server?: ServerProcess) => {
    await stopProcess(server, 'SIGKILL');
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const server = await spawnServer({ DATA_DIR: dataDir, DATABASE_URL: scratch?.url ?? '', ...env });
    return { server, close: () => close(server) };
  } catch (err) {
    await close();
    throw err;
  }
}
