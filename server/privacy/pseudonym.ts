import { randomBytes } from 'node:crypto';

/**
 * What an erasure writes where a person's data was, in the records it keeps (audit entries,
 * events): one random token per erasure, so the kept records still read as "the same person did
 * these things" without saying who. Values keep their shape: an email stays an email, a string a
 * string, an address an object with the same keys.
 */
export class Pseudonym {
  readonly token: string;

  constructor(token = randomBytes(9).toString('base64url')) {
    this.token = token;
  }

  /** An address in the reserved `.invalid` domain (RFC 2606): never deliverable, never anyone's. */
  get email(): string {
    return `erased-${this.token}@erased.invalid`;
  }

  get text(): string {
    return `erased-${this.token}`;
  }

  /** Every string inside `value` replaced, the structure kept. */
  replaceAll(value: unknown): unknown {
    if (typeof value === 'string') return value.includes('@') ? this.email : this.text;
    if (Array.isArray(value)) return value.map((v) => this.replaceAll(v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, this.replaceAll(v)]));
    }
    return value;
  }

  /**
   * Every occurrence of `email` inside the strings of `value` replaced by the pseudonymous email;
   * with `ignoreCase`, also written in other cases (a search query typed by someone).
   */
  replaceEmail(value: unknown, email: string, { ignoreCase = false } = {}): unknown {
    if (typeof value === 'string') {
      return ignoreCase ? value.replace(new RegExp(email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), this.email) : value.split(email).join(this.email);
    }
    if (Array.isArray(value)) return value.map((v) => this.replaceEmail(v, email, { ignoreCase }));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, this.replaceEmail(v, email, { ignoreCase })]));
    }
    return value;
  }
}
