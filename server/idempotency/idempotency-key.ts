import { badRequest } from '../errors.js';

/** 1–255 printable ASCII characters (the IETF draft's sf-string, as Stripe takes it). */
const KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * The key in an `Idempotency-Key` header: the bare value, or the quoted structured-field string
 * form the IETF httpapi draft specifies (`"…"`, where only `\"` and `\\` are escapes). Anything
 * else → 400.
 */
export function parseIdempotencyKey(header: string): string {
  const invalid = () => badRequest('Idempotency-Key must be 1-255 printable ASCII characters (optionally as a quoted string)');
  let key = header.trim();
  if (key.startsWith('"')) {
    if (key.length < 2 || !key.endsWith('"')) throw invalid();
    let unquoted = '';
    for (let i = 1; i < key.length - 1; i++) {
      let c = key[i]!;
      if (c === '"') throw invalid();
      if (c === '\\') {
        c = key[++i]!;
        if (i >= key.length - 1 || (c !== '"' && c !== '\\')) throw invalid();
      }
      unquoted += c;
    }
    key = unquoted;
  }
  if (!KEY.test(key)) throw invalid();
  return key;
}
