import { createHmac } from 'node:crypto';
import { secretKey } from './secret-box.js';

/**
 * The `webhook-signature` header of Standard Webhooks 1.0: `v1,<base64 HMAC-SHA256>` of
 * `<webhook-id>.<webhook-timestamp>.<body>` under each secret, space-separated (during a rotation
 * the old and the new secret both sign, so receivers can switch without a gap). `body` must be
 * exactly the bytes sent.
 */
export function signatureHeader(messageId: string, timestampSeconds: number, body: string, secrets: readonly string[]): string {
  const signed = `${messageId}.${timestampSeconds}.${body}`;
  return secrets.map((secret) => `v1,${createHmac('sha256', secretKey(secret)).update(signed, 'utf8').digest('base64')}`).join(' ');
}
