import { describe, expect, it } from 'vitest';
import { type ChainedFields, chainHash, chainHashOfRow, GENESIS_HASH, personalDigest } from '../../server/audit/chain-hash.js';

const entry: ChainedFields = {
  id: '41',
  chainSeq: '7',
  at: new Date('2026-03-04T05:06:07.089Z'),
  actorType: 'user',
  actorId: '3',
  action: 'customer.update',
  targetType: 'customer',
  outcome: 'success',
  requestId: 'req-1',
  piiDigest: 'ab'.repeat(32),
};

describe('chainHash', () => {
  it('is SHA-256 hex, fixed for a given entry and previous hash (a stored chain must keep verifying)', () => {
    const h = chainHash(GENESIS_HASH, entry);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(GENESIS_HASH, { ...entry })).toBe(h);
  });

  it.each(Object.keys(entry) as (keyof ChainedFields)[])('changes when %s changes', (field) => {
    const changed = { ...entry, [field]: field === 'at' ? new Date(entry.at.getTime() + 1) : `${entry[field] as string}x` };
    expect(chainHash(GENESIS_HASH, changed)).not.toBe(chainHash(GENESIS_HASH, entry));
  });

  it('changes with the previous hash, so entries cannot be reordered or dropped', () => {
    expect(chainHash('1'.repeat(64), entry)).not.toBe(chainHash(GENESIS_HASH, entry));
  });

  it('tells null from the text "null"', () => {
    expect(chainHash(GENESIS_HASH, { ...entry, actorId: null })).not.toBe(chainHash(GENESIS_HASH, { ...entry, actorId: 'null' }));
  });
});

describe('chainHashOfRow', () => {
  it('gives the same hash from a stored row on either dialect (numbers or text, epoch ms or ISO time)', () => {
    const row = {
      id: 41,
      at: entry.at.getTime(),
      actor_type: 'user',
      actor_id: '3',
      action: 'customer.update',
      target_type: 'customer',
      outcome: 'success',
      request_id: 'req-1',
      pii_digest: 'ab'.repeat(32),
    };
    const expected = chainHash(GENESIS_HASH, entry);
    expect(chainHashOfRow(GENESIS_HASH, row, 7n)).toBe(expected);
    expect(chainHashOfRow(GENESIS_HASH, { ...row, id: '41', at: entry.at.toISOString() }, 7n)).toBe(expected);
    expect(chainHashOfRow(GENESIS_HASH, { ...row, at: entry.at }, 7n)).toBe(expected);
    expect(chainHashOfRow(GENESIS_HASH, row, 8n)).not.toBe(expected);
  });
});

describe('personalDigest', () => {
  const fields = { actorEmail: 'a@x.io', targetId: '9', changes: { email: ['a@x.io', 'b@x.io'] as [unknown, unknown] }, ip: '127.0.0.1', userAgent: 'ua' };

  it('depends on the salt: without it the digest confirms no guess', () => {
    expect(personalDigest('s1', fields)).toBe(personalDigest('s1', { ...fields }));
    expect(personalDigest('s2', fields)).not.toBe(personalDigest('s1', fields));
  });

  it('is taken on the stored form of changes, so a Date and its ISO text agree', () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    expect(personalDigest('s', { ...fields, changes: { at: [null, at] } })).toBe(personalDigest('s', { ...fields, changes: { at: [null, at.toISOString()] } }));
  });
});
