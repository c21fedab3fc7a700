import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The prefix Standard Webhooks gives symmetric secrets. */
export const SECRET_PREFIX = 'whsec_';
/** 32 random bytes (256 bits; the spec allows 24-64). */
const SECRET_BYTES = 32;

/** A new signing secret: `whsec_` + base64 of 32 random bytes, as Standard Webhooks libraries expect. */
export const newWebhookSecret = (): string => SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');

/** The HMAC key a `whsec_…` secret stands for. */
export const secretKey = (secret: string): Buffer => Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');

const VERSION = 'v1';

/**
 * Encrypts webhook secrets at rest with AES-256-GCM under a key derived from the server secret
 * (secrets.ts deriveKey), so a database dump alone does not reveal them. We must sign with the
 * secret itself, so a hash (as for API keys) would not do. Each value is bound to its webhook id
 * (GCM additional data): a sealed secret copied onto another row does not open.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(plain: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** Throws when the value was not sealed with this key for this id (tampered, or another server secret). */
  open(sealed: string, boundTo: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || !body || !tag) throw new Error('Unknown sealed-secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
