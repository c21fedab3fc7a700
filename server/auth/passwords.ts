import { createRequire } from 'node:module';
import { PASSWORD_MAX_BYTES as MAX_BYTES } from '../../client-sdk/src/schemas/auth.js';
import { badRequest } from '../errors.js';
import { HashWorkers } from './hash-workers.js';
import { BoundedSemaphore } from './semaphore.js';

let common: Set<string> | undefined;

/**
 * ~18k common passwords of 8+ characters, shipped in the package (no network). Loaded on the first
 * password set, not at start: the package's dictionaries take ~2.5 MB of heap that a server whose
 * passwords do not change never needs (docs/performance.md, "Idle memory").
 */
function commonPasswords(): Set<string> {
  if (!common) {
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    common = new Set((dictionary['passwords-common'] as string[]).filter((p) => p.length >= 8));
  }
  return common;
}

/** Refuses common passwords; length and byte limits are already checked by the shared schema. */
export function assertAcceptablePassword(password: string): void {
  if (commonPasswords().has(password.toLowerCase())) {
    throw badRequest('This password is too common; choose another');
  }
}

/**
 * bcrypt on low-priority worker threads (hash-workers.ts), at most `concurrency` at once and
 * `queueLimit` waiting (429 beyond), and a dummy hash so unknown accounts cost the same.
 */
export class PasswordHasher {
  private readonly gate: BoundedSemaphore;
  private readonly workers: HashWorkers;
  private dummy: Promise<string> | undefined;
  /** bcrypt compares finished, real or dummy (a diagnostic: tests prove an unknown account pays for one). */
  private comparesDone = 0;

  constructor(
    readonly cost: number,
    concurrency: number,
    queueLimit: number,
  ) {
    this.gate = new BoundedSemaphore(concurrency, queueLimit);
    this.workers = new HashWorkers(concurrency);
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() => this.workers.hash(password, this.cost));
  }

  /** bcrypt ignores bytes past 72, so a longer password can never be the right one. */
  async verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_BYTES) return this.verifyNothing(password);
    return this.counted(this.gate.run(() => this.workers.compare(password, hash)));
  }

  /** Burns the same time as a real check, for an account that does not exist. */
  async verifyNothing(password: string): Promise<false> {
    const dummy = await this.dummyHash();
    await this.counted(this.gate.run(() => this.workers.compare(password, dummy)));
    return false;
  }

  get compares(): number {
    return this.comparesDone;
  }

  private async counted<T>(work: Promise<T>): Promise<T> {
    const result = await work;
    this.comparesDone++;
    return result;
  }

  /** Compute the dummy hash at start so the first unknown-email login is not faster or slower. */
  async warmUp(): Promise<void> {
    await this.dummyHash();
  }

  /** bcrypt worker threads running now (a diagnostic: they start on demand and end when idle). */
  get threads(): number {
    return this.workers.threads;
  }

  close(): Promise<void> {
    return this.workers.close();
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= this.gate.run(() => this.workers.hash('carly-dummy-password', this.cost));
    return this.dummy;
  }
}
