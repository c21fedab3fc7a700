import { describe, expect, it } from 'vitest';
import { CursorCodec, type CursorPosition } from '../../server/customers/cursor.js';
import { DomainError } from '../../server/errors.js';

const codec = new CursorCodec(Buffer.alloc(32, 7));
const position: CursorPosition = { sort: 'email', q: 'ann', value: 'ann@example.com', id: 42 };

const refusal = (cursor: string, sort: CursorPosition['sort'] = 'email', q: string | null = 'ann') => {
  try {
    codec.decode(cursor, sort, q);
  } catch (err) {
    return err;
  }
  throw new Error('decoded');
};

describe('CursorCodec', () => {
  it('round-trips a position, text or number values alike', () => {
    expect(codec.decode(codec.encode(position), 'email', 'ann')).toEqual(position);
    const byTime: CursorPosition = { sort: 'createdAt', q: null, value: 1_767_225_600_000, id: 3 };
    expect(codec.decode(codec.encode(byTime), 'createdAt', null)).toEqual(byTime);
  });

  it('is URL-safe text', () => {
    expect(codec.encode({ ...position, value: 'ä/+?&=' })).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a cursor for another sort or search with a 400', () => {
    const cursor = codec.encode(position);
    for (const err of [refusal(cursor, 'lastName'), refusal(cursor, 'email', 'bob'), refusal(cursor, 'email', null)]) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('BAD_REQUEST');
      expect((err as DomainError).message).toMatch(/^Invalid cursor/);
    }
  });

  it('refuses a cursor signed with another key, edited, truncated or malformed', () => {
    const cursor = codec.encode(position);
    const [body, mac] = cursor.split('.') as [string, string];
    const forgedBody = Buffer.from(JSON.stringify(['email', 'ann', 'zzz@example.com', 1])).toString('base64url');
    const candidates = [
      new CursorCodec(Buffer.alloc(32, 8)).encode(position),
      `${forgedBody}.${mac}`,
      `${body}.${mac.slice(0, -1)}`,
      `${body}.${mac}.x`,
      body,
      '',
      '.',
    ];
    for (const bad of candidates) expect((refusal(bad) as DomainError).code).toBe('BAD_REQUEST');
  });
});
