import { describe, expect, it } from 'vitest';
import { generateSecret, hashSecret, isWellFormedSecret, SECRET_PATTERN, SECRET_PREFIX, VISIBLE_START } from '../../server/api-keys/secret-format.js';

describe('API key secret format', () => {
  it('generates carly_sk_ + 36 base62 characters with a valid checksum, different each time', () => {
    const secrets = Array.from({ length: 200 }, generateSecret);
    for (const s of secrets) {
      expect(s).toMatch(SECRET_PATTERN);
      expect(s.startsWith(SECRET_PREFIX)).toBe(true);
      expect(s).toHaveLength(45);
      expect(isWellFormedSecret(s)).toBe(true);
    }
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it('refuses a mistyped secret offline: any changed body character breaks the checksum', () => {
    const s = generateSecret();
    for (let i = SECRET_PREFIX.length; i < SECRET_PREFIX.length + 30; i++) {
      const changed = s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
      expect(isWellFormedSecret(changed)).toBe(false);
    }
  });

  it('refuses wrong prefixes, lengths and alphabets', () => {
    const s = generateSecret();
    for (const bad of ['', s.slice(0, -1), `${s}0`, s.replace(SECRET_PREFIX, 'carly_pk_'), `${s.slice(0, -1)}-`, s.toUpperCase(), ` ${s}`]) {
      expect(isWellFormedSecret(bad)).toBe(false);
    }
  });

  it('shows only the prefix and five characters', () => {
    expect(VISIBLE_START).toBe(14);
  });

  it('stores the SHA-256 hex of the secret, never the secret', () => {
    const s = generateSecret();
    expect(hashSecret(s)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(s)).toBe(hashSecret(s));
    expect(hashSecret(s)).not.toContain(s.slice(SECRET_PREFIX.length));
  });
});
