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
 * idle worker.
 */
export class HashWorkers {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (v: string | boolean) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 1;

  constructor(
    readonly size: number,
    nice = 19,
  ) {
    const source = workerSource(createRequire(import.meta.url).resolve('bcrypt'), nice);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(source, { eval: true });
      worker.unref();
      worker.on('message', (reply: Reply) => this.settle(worker, reply));
      worker.on('error', (err) => this.failAll(worker, err));
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  hash(password: string, cost: number): Promise<string> {
    return this.run({ op: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.run({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private run(job: Job): Promise<string | boolean> {
    const worker = this.idle.pop();
    if (!worker) return Promise.reject(new Error('no idle hash worker: callers must bound jobs to the pool size'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage({ id, job });
    });
  }

  private settle(worker: Worker, reply: Reply) {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    this.idle.push(worker);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(new Error(reply.error));
  }

  private failAll(worker: Worker, err: Error) {
    for (const [id, waiter] of this.pending) {
      if (waiter.worker !== worker) continue;
      this.pending.delete(id);
      waiter.reject(err);
    }
  }
}
