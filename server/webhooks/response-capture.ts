import type { IncomingHttpHeaders } from 'node:http';

/** How much of a receiver's answer body each attempt keeps (what Svix shows too). */
export const KEPT_BODY_BYTES = 4096;

/**
 * The answer headers an attempt keeps: the ones that explain an answer (its type and size, when
 * to come back, which server and which request on the receiver's side). An allowlist, because a
 * receiver's answer may carry a session cookie, a token or a signed URL in headers nobody asked
 * for, and the deliveries list is read by every admin and `webhooks:manage` key.
 */
export const KEPT_RESPONSE_HEADERS: readonly string[] = [
  'content-type',
  'content-length',
  'content-encoding',
  'retry-after',
  'date',
  'server',
  'via',
  'x-request-id',
  'request-id',
  'x-correlation-id',
  'x-amzn-requestid',
  'cf-ray',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/** The kept headers of an answer, lower-cased names, repeated ones joined with ", ", each cut at 256 characters. */
export function keptHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    kept[name] = (Array.isArray(value) ? value.join(', ') : value).slice(0, 256);
  }
  return kept;
}

/** Collects the first KEPT_BODY_BYTES of a body arriving in chunks. */
export class BodyPrefix {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  add(chunk: Buffer): void {
    if (this.size >= KEPT_BODY_BYTES) return;
    const part = chunk.subarray(0, KEPT_BODY_BYTES - this.size);
    this.chunks.push(part);
    this.size += part.length;
  }

  /** As UTF-8 text; a character cut at the 4 KiB boundary is dropped, not shown as a replacement mark. */
  text(): string {
    const bytes = Buffer.concat(this.chunks);
    // `stream: true` holds back an incomplete last character instead of decoding it as U+FFFD.
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes, { stream: true });
  }
}
