import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

/**
 * Child processes the bench starts. Every one is killed when the bench exits, however it exits
 * (normal end, error, Ctrl-C): the servers must never outlive it.
 */
export interface Child {
  name: string;
  proc: ChildProcess;
  /** The last lines the child wrote, for the error message when it dies. */
  tail: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Set once the bench asked it to stop: an exit after that is expected. */
  stopping: boolean;
  /** Set when the process has exited, expectedly or not. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

const children = new Set<Child>();
/** Lines of a child's output echoed before the rest is only counted. */
const MAX_ECHO = 10;
let handlersInstalled = false;

function killAllNow() {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      try {
        c.proc.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/** Kill every child on any exit path; call once at start. */
export function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, killing ${children.size} child process(es)`);
      killAllNow();
      process.exit(130);
    });
  }
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Echo the child's output as it comes (prefixed); otherwise only kept for errors. */
  echo?: boolean;
}

/** Starts `node <args>` (the same Node as the bench) and tracks it. */
export function spawnNode(name: string, args: string[], options: SpawnOptions): Child {
  return spawnCommand(name, process.execPath, args, options);
}

/** Starts any program (the load generator) and tracks it like a server. */
export function spawnCommand(name: string, command: string, args: string[], options: SpawnOptions): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  let echoed = 0;
  let suppressed = 0;
  // Per stream: a chunk may end inside a line, whose rest comes with the next chunk. Split
  // naively, the request log's info lines were echoed as fragments that no longer start with
  // their level.
  const lineReader = () => {
    let partial = '';
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      onLines(lines);
    };
  };
  const onLines = (lines: string[]) => {
    for (const line of lines) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      // Carly runs at its default LOG_LEVEL (info), as `npm start` does: its request log lines are not news.
      if (!options.echo || line.startsWith('{"level":30')) continue;
      // A server logging an error per request would drown the bench's own output.
      if (echoed < MAX_ECHO) {
        echoed++;
        process.stderr.write(`[${name}] ${line.length > 2000 ? `${line.slice(0, 2000)}…` : line}\n`);
      } else {
        suppressed++;
      }
    }
  };
  proc.stdout!.on('data', lineReader());
  proc.stderr!.on('data', lineReader());
  const child: Child = {
    name,
    proc,
    tail,
    stopping: false,
    exited: new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  children.add(child);
  void child.exited.then(({ code, signal }) => {
    child.exit = { code, signal };
    children.delete(child);
    if (suppressed) console.error(`[${name}] ... ${suppressed} more line(s) of output not shown`);
    if (!child.stopping) {
      console.error(`\n!!! ${name} exited unexpectedly (code ${code}, signal ${signal}). Its last output:\n${tail.map((l) => `  ${l}`).join('\n')}\n`);
    }
  });
  return child;
}

/** Asks the child to stop (SIGTERM lets --cpu-prof write its profile), SIGKILL after a grace period. */
export async function stopChild(child: Child, graceMs = 15_000): Promise<void> {
  child.stopping = true;
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `url` until it answers 2xx; fails early when the child dies. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let dead = false;
  void child.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${child.name} exited before answering ${url}:\n${child.tail.join('\n')}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s (last: ${last}):\n${child.tail.join('\n')}`);
}
