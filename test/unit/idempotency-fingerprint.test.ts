import { describe, expect, it } from 'vitest';
import { canonicalJson, requestFingerprint } from '../../server/idempotency/fingerprint.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, so key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('writes Dates as ISO strings and drops undefined properties (as JSON would)', () => {
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05.006Z'), gone: undefined })).toBe('{"at":"2026-01-02T03:04:05.006Z"}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson([undefined, 'x'])).toBe('[null,"x"]');
  });

  it('keeps strings exact (escapes, case, Unicode)', () => {
    expect(canonicalJson({ 'k"': 'Ä\n' })).toBe('{"k\\"":"Ä\\n"}');
  });
});

describe('requestFingerprint', () => {
  it('is the same for the same operation and input in any key order', () => {
    expect(requestFingerprint('customers.create', { email: 'a@x.io', firstName: 'A' })).toBe(
      requestFingerprint('customers.create', { firstName: 'A', email: 'a@x.io' }),
    );
  });

  it('differs when the operation or any value differs', () => {
    const fp = requestFingerprint('customers.create', { email: 'a@x.io' });
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint('customers.update', { email: 'a@x.io' })).not.toBe(fp);
    expect(requestFingerprint('customers.create', { email: 'A@x.io' })).not.toBe(fp);
    expect(requestFingerprint('customers.create', { email: 'a@x.io', note: null })).not.toBe(fp);
  });

  it('cannot be confused by moving text between the operation and the input', () => {
    expect(requestFingerprint('a', 'b\nc')).not.toBe(requestFingerprint('a\n"b', 'c'));
  });
});
