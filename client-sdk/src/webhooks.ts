/**
 * Verifying Carly's webhook deliveries in TypeScript receivers. Standard Webhooks 1.0: the
 * `webhook-signature` header holds one or more `v1,<base64 HMAC-SHA256>` of
 * `<webhook-id>.<webhook-timestamp>.<raw body>` under the endpoint's `whsec_` secret. Web Crypto
 * only (Node 20+, Deno, Bun, browsers, edge runtimes); no server code.
 */

/** How far a `webhook-timestamp` may be from now, either way, as Standard Webhooks' libraries allow. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** Thrown when a delivery does not verify: answer it with a 4xx and do not act on it. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

/** The event a delivery carries, as JSON (timestamps are ISO 8601 strings). */
export interface WebhookEventData {
  id: string;
  type: string;
  occurredAt: string;
  customer: { id: string; email: string | null; version: number | null } | null;
  changed: string[];
  actor: { type: 'user' | 'apiKey' | 'system'; id: string };
  requestId: string | null;
  data: Record<string, number> | null;
}

/** A verified delivery: `{ type, timestamp, data }`. `type` is `webhook.test` for test messages. */
export interface WebhookMessage {
  type: string;
  timestamp: string;
  data: WebhookEventData;
}

/** Request headers as frameworks hand them over: a Fetch `Headers`, or Node's lower- or mixed-case record. */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** Seconds a timestamp may be off (default 300). */
  toleranceSeconds?: number;
  /** "Now", for tests. */
  now?: Date;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

const fromBase64 = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const toBase64 = (bytes: ArrayBuffer): string => btoa(String.fromCharCode(...new Uint8Array(bytes)));

/** Compares in time independent of where the strings differ. */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/**
 * Checks a delivery and returns its parsed body, or throws WebhookVerificationError.
 *
 * - `payload`: the raw request body, exactly as received (do not parse and re-serialise it).
 * - `headers`: the request's headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
 * - `secret`: the webhook's `whsec_…` secret; during a rotation you may pass both, old and new.
 *
 * Then deduplicate on `webhook-id` (= `data.id`): deliveries are at least once.
 */
export async function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Promise<WebhookMessage> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('Invalid webhook-timestamp header');
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  const sent = Number(timestamp);
  if (now - sent > tolerance) throw new WebhookVerificationError('Message timestamp too old');
  if (sent - now > tolerance) throw new WebhookVerificationError('Message timestamp too new');

  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);

  const offered = signatures
    .split(' ')
    .map((s) => s.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => value!);
  const secrets = typeof secret === 'string' ? [secret] : secret;
  let matched = false;
  for (const s of secrets) {
    let key: Uint8Array<ArrayBuffer>;
    try {
      key = fromBase64(s.startsWith('whsec_') ? s.slice('whsec_'.length) : s);
    } catch {
      throw new WebhookVerificationError('The secret is not a whsec_ secret');
    }
    const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const expected = toBase64(await crypto.subtle.sign('HMAC', hmacKey, signed));
    // Every candidate is compared, so the time taken does not tell which one matched.
    for (const candidate of offered) matched = sameText(candidate, expected) || matched;
  }
  if (!matched) throw new WebhookVerificationError('No matching signature found');
  try {
    return JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload)) as WebhookMessage;
  } catch {
    throw new WebhookVerificationError('The body is not JSON');
  }
}
