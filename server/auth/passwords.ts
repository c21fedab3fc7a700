import bcrypt from 'bcrypt';
import { dictionary } from '@zxcvbn-ts/language-common';
import { badRequest } from '../errors.js';
import { BoundedSemaphore } from './semaphore.js';
import { PASSWORD_MAX_BYTES as MAX_BYTES } from '../../client-sdk/src/schemas/auth.js';

/** ~18k common passwords of 8+ characters, shipped in the package (no network). */
const COMMON = new Set((dictionary['passwords-common'] as string[]).filter((p) => p.length >= 8));

/** Refuses common passwords; length and byte limits are already checked by the shared schema. */
export function assertAcceptablePassword(password: string): void {
  if (COMMON.has(password.toLowerCase())) {
    throw badRequest('This password is too common; choose another');
  }
}

/** bcrypt with a cap on concurrent hashes, and a dummy hash so unknown accounts cost the same. */
export class PasswordHasher {
  private readonly gate: BoundedSemaphore;
  private dummy: Promise<string> | undefined;

  constructor(
    readonly cost: number,
    concurrency: number,
    queueLimit: number,
  ) {
    this.gate = new BoundedSemaphore(concurrency, queueLimit);
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() => bcrypt.hash(password, this.cost));
  }

  /** bcrypt ignores bytes past 72, so a longer password can never be the right one. */
  async verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_BYTES) return this.verifyNothing(password);
    return this.gate.run(() => bcrypt.compare(password, hash));
  }

  /** Burns the same time as a real check, for an account that does not exist. */
  async verifyNothing(password: string): Promise<false> {
    this.dummy ??= bcrypt.hash('carly-dummy-password', this.cost);
    const dummy = await this.dummy;
    await this.gate.run(() => bcrypt.compare(password, dummy));
    return false;
  }

  /** Compute the dummy hash at start so the first unknown-email login is not faster or slower. */
  async warmUp(): Promise<void> {
    this.dummy ??= bcrypt.hash('carly-dummy-password', this.cost);
    await this.dummy;
  }
}
