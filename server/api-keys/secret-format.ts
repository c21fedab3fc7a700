import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API key secrets, after GitHub's token format: a fixed prefix that says what it is, a random
 * base62 body, and a CRC32 of the body at the end. Secret scanners can tell a real key offline,
 * and a mistyped or made-up key is refused without touching the database.
 *
 *   carly_sk_ + 30 base62 characters (178 bits) + 6 base62 characters of CRC32(body)
 */
export const SECRET_PREFIX = 'carly_sk_';
const BODY_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The whole shape, for secret scanners too (published in the docs). */
export const SECRET_PATTERN = /^carly_sk_[0-9A-Za-z]{36}$/;
/** How many leading characters of a secret the API shows, so people can recognise a key. */
export const VISIBLE_START = SECRET_PREFIX.length + 5;

function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

const checksum = (body: string) => base62(crc32(body), CHECKSUM_LENGTH);

/** A new random secret. */
export function generateSecret(): string {
  let body = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < BODY_LENGTH; i++) body += BASE62[randomInt(62)];
  return SECRET_PREFIX + body + checksum(body);
}

/** Whether `secret` has the shape and a correct checksum: no database needed. */
export function isWellFormedSecret(secret: string): boolean {
  if (!SECRET_PATTERN.test(secret)) return false;
  const body = secret.slice(SECRET_PREFIX.length, SECRET_PREFIX.length + BODY_LENGTH);
  return secret.slice(SECRET_PREFIX.length + BODY_LENGTH) === checksum(body);
}

/** What the database keeps of a secret: its SHA-256 (a 178-bit random secret needs no slow hash). */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
