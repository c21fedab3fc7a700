import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

type Job = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };
type Reply = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; error: string };

/**
 * The worker's code. Each worker first lowers its own scheduling priority: on Linux,
 * os.setPriority() inside a worker thread renices that thread alone (the main thread stays at
 * 0), so bcrypt takes every idle cycle of every core and yields the CPU at once when the event
 * loop has a request to serve (measured: full bcrypt throughput, read p99 near idle). Plain
 * JavaScript evaluated as the worker, so it runs the same from TypeScript sources and from dist/.
 */
const workerSource = (bcryptPath: string, nice: number) => `
const { parentPort } = require('node:worker_threads');
const os = require('node:os');
const bcrypt = require(${JSON.stringify(bcryptPath)});
try { os.setPriority(${nice}); } catch {}
parentPort.on('message', ({ id, job }) => {
  try {
    const value = job.op === 'hash' ? bcrypt.hashSync(job.password, job.cost) : bcrypt.compareSync(job.password, job.hash);
    parentPort.postMessage({ id, ok: true, value });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: String(err && err.message || err) });
  }
});`;

/**
 * bcrypt on a pool of low-priority worker threads, one job per worker at a time. Callers bound
 * the jobs in flight to the pool's size (PasswordHasher's semaphore), so a job always finds an
 * idle worker or room to start one.
 *
 * Workers start on the first job that needs one and end after `idleMs` without a job: each is a
 * thread with its own V8 heap and bcrypt loaded (about 9 MB of RSS, measured), which an idle
 * server need not keep (docs/performance.md, "Idle memory"). Starting one again costs ~30 ms,
 * once, on the first login after a quiet spell.
 */
export class HashWorkers {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly idleTimers = new Map<Worker, NodeJS.Timeout>();
  private readonly pending = new Map<number, { resolve: (v: string | boolean) => void; reject: (e: Error) => void; worker: Worker }>();
  private readonly source: string;
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    nice = 19,
    private readonly idleMs = 30_000,
  ) {
    this.source = workerSource(createRequire(import.meta.url).resolve('bcrypt'), nice);
  }

  /** Worker threads running now (a diagnostic: 0 on an idle server). */
  get threads(): number {
    return this.all.size;
  }

  hash(password: string, cost: number): Promise<string> {
    return this.run({ op: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.run({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    this.idle.length = 0;
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
  }

  private run(job: Job): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('the hash workers are closed'));
    const worker = this.idle.pop() ?? (this.all.size < this.size ? this.spawn() : undefined);
    if (!worker) return Promise.reject(new Error('no idle hash worker: callers must bound jobs to the pool size'));
    const timer = this.idleTimers.get(worker);
    if (timer) {
      clearTimeout(timer);
      this.idleTimers.delete(worker);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage({ id, job });
    });
  }

  private spawn(): Worker {
    const worker = new Worker(this.source, { eval: true });
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(worker, reply));
    worker.on('error', (err) => this.failAll(worker, err));
    // A worker that ended (reaped, or crashed) is forgotten, so the next job starts a new one.
    worker.on('exit', () => this.forget(worker));
    this.all.add(worker);
    return worker;
  }

  private settle(worker: Worker, reply: Reply) {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    this.idle.push(worker);
    this.reapLater(worker);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(new Error(reply.error));
  }

  private reapLater(worker: Worker) {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.idleTimers.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at < 0) return;
      this.idle.splice(at, 1);
      this.all.delete(worker);
      void worker.terminate();
    }, this.idleMs);
    timer.unref();
    this.idleTimers.set(worker, timer);
  }

  private forget(worker: Worker) {
    this.all.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    const timer = this.idleTimers.get(worker);
    if (timer) clearTimeout(timer);
    this.idleTimers.delete(worker);
    this.failAll(worker, new Error('the hash worker stopped'));
  }

  private failAll(worker: Worker, err: Error) {
    for (const [id, waiter] of this.pending) {
      if (waiter.worker !== worker) continue;
      this.pending.delete(id);
      waiter.reject(err);
    }
  }
}
