/**
 * fast-check arbitraries derived from the OpenAPI document's JSON schemas: valid values,
 * boundary values, and hostile values (wrong types, huge strings, Unicode edge cases, NUL,
 * path traversal, SQL-looking text, deep JSON, duplicate keys, wrong content types, bad tokens).
 *
 * Values that depend on the server's state (the caller's own email, a live refresh token) are
 * generated as `Ref` markers and resolved when the request is built.
 */
import fc from 'fast-check';
import type { Contract, JsonSchema, Operation } from './contract.js';
import { freeText, searchQuery } from './search-gen.js';

export const REF = Symbol('ref');
export type RefName = 'selfEmail' | 'knownEmail' | 'adminEmail' | 'selfPassword' | 'selfRefresh' | 'spentRefresh' | 'selfSessionId';
export interface Ref {
  [REF]: RefName;
}
export const ref = (name: RefName): Ref => ({ [REF]: name });
export const isRef = (v: unknown): v is Ref => typeof v === 'object' && v !== null && REF in v;

/** A hand-written request body: exact text or bytes, sent as is. */
export interface RawBody {
  raw: string | Uint8Array;
  why: string;
}

export type AuthVariant =
  | 'self'
  | 'none'
  | 'empty-bearer'
  | 'garbage'
  | 'basic'
  | 'alg-none'
  | 'wrong-key'
  | 'expired'
  | 'revoked'
  | 'long'
  | 'lowercase-scheme'
  | 'double';

export type Category = 'valid' | 'boundary' | 'hostile-field' | 'structure' | 'raw-body' | 'content-type' | 'auth' | 'path' | 'query';

export interface Case {
  op: Operation;
  transport: 'rest' | 'trpc' | 'trpc-batch';
  category: Category;
  who: 'admin' | 'customer';
  auth: AuthVariant;
  /** Path parameters: a value to percent-encode, or `{ rawPath }` sent as is. */
  path: Record<string, unknown>;
  /** Query parameters (REST) or a raw query string. */
  query: Record<string, unknown> | { rawQuery: string };
  body: { json: unknown } | RawBody | undefined;
  contentType?: string;
  /** What was changed, for the failure report. */
  note: string;
}

// ---------------------------------------------------------------------------- strings

/** encodeURIComponent, but lone surrogates become their WTF-8 bytes (%ED%A0%80) instead of throwing. */
export function encodeLoose(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    let out = '';
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (cp >= 0xd800 && cp <= 0xdfff)
        out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      else out += encodeURIComponent(ch);
    }
    return out;
  }
}

/**
 * A path segment: encodeLoose, and `.` or `..` as %2E, which encodeURIComponent leaves alone
 * (dots are unreserved) and the URL parser would then resolve as "this" or "the parent" segment.
 */
export function encodePathSegment(s: string): string {
  const encoded = encodeLoose(s);
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

const UNICODE_BITS = [
  'é',
  'e\u0301',
  'ß',
  'İ',
  'ı',
  'ﬃ',
  'Å',
  '中文',
  '日本語',
  'עברית',
  'العربية',
  '\u202e',
  '\u200b',
  '\u200d',
  '\ufeff',
  '😀',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '𝕒',
  '\u00a0',
  '\u2028',
  '\u2029',
  'Ω',
  'ǅ',
  '\uffff',
  '\ufffd',
];
const charUnit = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -.'") },
  { weight: 2, arbitrary: fc.constantFrom(...UNICODE_BITS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((s) => !s.includes('\u0000')) },
);
const textOf = (min: number, max: number) =>
  fc.array(charUnit, { minLength: Math.max(min, 1), maxLength: Math.max(Math.min(max, 24), Math.max(min, 1)) }).map((parts) => {
    let s = parts.join('');
    while (s.length > max) s = [...s].slice(0, -1).join('');
    return s.trim().length >= min ? s : 'x'.repeat(Math.max(min, 1));
  });

export const randomEmail = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9]{1,12}$/),
    fc.option(fc.stringMatching(/^[a-z0-9]{1,5}$/), { nil: undefined }),
    fc.constantFrom('example.com', 'example.org', 'fuzz.test'),
    fc.constantFrom('lower', 'upper', 'padded'),
  )
  .map(([local, tag, domain, style]) => {
    const e = `fz${local}${tag ? `+${tag}` : ''}@${domain}`;
    return style === 'upper' ? e.toUpperCase() : style === 'padded' ? `  ${e} ` : e;
  });

const strongPassword = fc.stringMatching(/^[A-Za-z0-9]{10,30}$/).map((s) => `Fz-${s}-9!`);

export const HOSTILE_STRINGS = [
  '',
  ' ',
  '   ',
  '\u0000',
  'a\u0000b',
  'ada@example.com\u0000.evil',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '..\\..\\windows\\win.ini',
  '/etc/shadow',
  'file:///etc/passwd',
  "' OR '1'='1",
  "'; DROP TABLE customers; --",
  '" OR 1=1 --',
  "admin'--",
  '1; SELECT pg_sleep(5)',
  "%' OR email LIKE '%",
  '%',
  '_',
  '%%',
  '\\',
  '\\%',
  '*',
  '$ne',
  '{"$gt":""}',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '\ud800',
  '\udfff',
  'a\ud83dz',
  '\uffff',
  '\ufeff',
  '\u202e',
  'e\u0301',
  '👨‍👩‍👧‍👦',
  '𝕒',
  'İ',
  '\r\n',
  '\n',
  '\t',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '1e999',
  '0x10',
  '9'.repeat(400),
  'ADA@EXAMPLE.COM',
  ' ada@example.com ',
  'a@b',
  '@',
  'a@@b.com',
  'a@b.c\u0000',
  'ａｄａ@ｅｘａｍｐｌｅ.com',
];

const hugeString = fc
  .constantFrom(101, 201, 255, 501, 1025, 5_000, 70_000)
  .chain((n) => fc.constantFrom('x', 'é', '😀', '\u0000', '%').map((c) => c.repeat(Math.ceil(n / c.length))));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: hugeString },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('\ud800', '\udc00', 'a', '\u0000', '"', '\\'), maxLength: 10 }) },
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      1e308,
      -1e308,
      2 ** 53 + 1,
      [],
      {},
      [null],
      ['a@b.com'],
      { $gt: '' },
      { toString: 'x' },
      { length: 1 },
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

// ---------------------------------------------------------------------------- schema → values

const COUNTRIES = ['GB', 'us', 'DE', ' fr ', 'JP', 'NZ', 'br'];

/** Valid-looking values for a JSON schema (the server's zod rules may still refuse a few). */
export function validArb(c: Contract, schema: JsonSchema, key = '', opId = ''): fc.Arbitrary<unknown> {
  const s = c.resolve(schema);
  if (s.anyOf) {
    const options = (s.anyOf as JsonSchema[]).map((x) => validArb(c, x, key, opId));
    return fc.oneof(...options);
  }
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  if (s.type === 'null') return fc.constant(null);
  if (s.type === 'boolean') return fc.boolean();
  if (s.type === 'integer' || s.type === 'number') {
    return fc.integer({ min: s.minimum ?? 1, max: s.maximum ?? 1000 });
  }
  if (s.type === 'object') {
    if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      const keyS = s.propertyNames ?? { type: 'string', minLength: 1, maxLength: 40 };
      return fc.dictionary(textOf(keyS.minLength ?? 1, keyS.maxLength ?? 40), textOf(0, s.additionalProperties.maxLength ?? 50), { maxKeys: 4 });
    }
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    const required = (s.required ?? []) as string[];
    const rec: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, v] of Object.entries(props)) rec[k] = validArb(c, v, k, opId);
    return fc.record(rec, { requiredKeys: required });
  }
  if (s.type === 'string') {
    if (key === 'email') {
      if (opId === 'auth-signup' || opId === 'customers-create')
        return fc.oneof({ weight: 4, arbitrary: randomEmail }, { weight: 1, arbitrary: fc.constant(ref('knownEmail')) });
      if (opId === 'auth-login' || opId === 'auth-requestPasswordReset')
        return fc.oneof(fc.constant(ref('selfEmail')), fc.constant(ref('knownEmail')), randomEmail);
      return fc.oneof(fc.constant(ref('selfEmail')), fc.constant(ref('knownEmail')), fc.constant(ref('adminEmail')), randomEmail);
    }
    if (key === 'password' && opId === 'auth-login') return fc.oneof(fc.constant(ref('selfPassword')), strongPassword);
    if (key === 'currentPassword') return fc.oneof(strongPassword, textOf(1, 20));
    if (key === 'password' || key === 'newPassword') return strongPassword;
    if (key === 'refreshToken')
      return fc.oneof(fc.constant(ref('selfRefresh')), fc.constant(ref('spentRefresh')), fc.base64String({ minLength: 4, maxLength: 64 }));
    if (key === 'id' && s.format === 'uuid') return fc.oneof(fc.constant(ref('selfSessionId')), fc.uuid());
    if (key === 'country') return fc.constantFrom(...COUNTRIES);
    if (key === 'cursor') return fc.base64String({ maxLength: 60 });
    if (key === 'query' && opId === 'customers-search') return searchQuery;
    if (key === 'q' && opId === 'customers-search') return freeText;
    if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
    if (s.format === 'uuid') return fc.uuid();
    return textOf(s.minLength ?? 0, s.maxLength ?? 60);
  }
  return fc.jsonValue({ maxDepth: 1 });
}

/** Values just inside and just outside a schema's limits. */
export function boundaryValues(c: Contract, schema: JsonSchema, key = ''): unknown[] {
  const s = c.resolve(schema);
  if (s.anyOf) return (s.anyOf as JsonSchema[]).flatMap((x) => boundaryValues(c, x, key));
  const out: unknown[] = [];
  if (s.type === 'string') {
    const min = s.minLength ?? 0;
    const max = s.maxLength as number | undefined;
    if (min > 0) out.push('x'.repeat(min - 1), 'x'.repeat(min), ' '.repeat(min));
    if (max !== undefined)
      out.push('y'.repeat(max), 'y'.repeat(max + 1), 'é'.repeat(max), '😀'.repeat(Math.ceil(max / 2)), '😀'.repeat(max), ` ${'z'.repeat(max)} `);
    if (key === 'email')
      out.push(`${'a'.repeat(64)}@${'b'.repeat(180)}.com`, `${'a'.repeat(65)}@example.com`, `${'a'.repeat(240)}@example.com`, `${'a'.repeat(250)}@e.co`);
    if (key === 'newPassword' || key === 'password')
      out.push('Aa1!'.repeat(18), `${'Aa1!'.repeat(18)}x`, 'é'.repeat(36), 'é'.repeat(37), '😀'.repeat(18), '😀'.repeat(19), 'password', '12345678', 'short1!');
    if (key === 'country') out.push('gb', 'G', 'GBR', 'XX', 'ZZ', '  ', 'g\u0000');
    out.push('');
  } else if (s.type === 'integer' || s.type === 'number') {
    const min = s.minimum ?? 0;
    const max = s.maximum ?? 2 ** 31;
    out.push(min - 1, min, max, max + 1, 0, -1, 1.5, 2 ** 31, 2 ** 53 + 1, String(min));
  } else if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    const many: Record<string, string> = {};
    for (let i = 0; i < 51; i++) many[`k${i}`] = 'v';
    const fifty: Record<string, string> = {};
    for (let i = 0; i < 50; i++) fifty[`k${i}`] = 'v'.repeat(500);
    out.push(many, fifty, { ['k'.repeat(41)]: 'v' }, { '': 'v' }, { k: 'v'.repeat(501) }, { k: 1 }, { k: null }, { k: { nested: 'x' } });
  } else if (s.type === 'object') {
    out.push({}, null);
  }
  return out;
}

// ---------------------------------------------------------------------------- raw bodies

const deep = (n: number, open: string, close: string, inner = '1') => open.repeat(n) + inner + close.repeat(n);

/** Request bodies that are not a plain JSON object: malformed, deep, duplicate keys, bad bytes. */
export const rawBodyArb = (validText: fc.Arbitrary<string>): fc.Arbitrary<RawBody> =>
  fc.oneof(
    fc.constantFrom<RawBody>(
      { raw: '', why: 'empty body' },
      { raw: '{', why: 'truncated JSON' },
      { raw: '{"a":1,}', why: 'trailing comma' },
      { raw: "{'email':'a@b.c'}", why: 'single quotes' },
      { raw: 'null', why: 'null' },
      { raw: '[]', why: 'array' },
      { raw: '"text"', why: 'string' },
      { raw: '1e999', why: 'huge number' },
      { raw: 'NaN', why: 'NaN' },
      { raw: '\ufeff{}', why: 'BOM' },
      { raw: deep(5_000, '[', ']'), why: 'deep array 5k' },
      { raw: deep(100_000, '[', ']'), why: 'deep array 100k' },
      { raw: deep(20_000, '{"a":', '}'), why: 'deep object 20k' },
      { raw: `{"email":"a@example.com","firstName":"A","lastName":"B","metadata":${deep(10_000, '{"a":', '}', '"x"')}}`, why: 'deep metadata' },
      { raw: '{"__proto__":{"role":"admin","isAdmin":true},"email":"p@example.com","firstName":"P","lastName":"P"}', why: '__proto__ key' },
      { raw: '{"constructor":{"prototype":{"role":"admin"}},"email":"c@example.com","firstName":"C","lastName":"C"}', why: 'constructor key' },
      // Issue 14: a `__proto__` key spelt with escapes, in metadata, and wrapped as superjson's envelope.
      { raw: '{"\\u005f\\u005fproto\\u005f\\u005f":{"role":"admin"},"email":"p2@example.com","firstName":"P","lastName":"P"}', why: 'escaped __proto__ key' },
      { raw: '{"email":"p3@example.com","firstName":"P","lastName":"P","metadata":{"__proto__":"x","plan":"pro"}}', why: '__proto__ metadata key' },
      {
        raw: '{"json":{"email":"p4@example.com","firstName":"P","lastName":"P","metadata":{"__proto__":"x","constructor":"y"}}}',
        why: '__proto__ in a superjson envelope',
      },
      // Issue 14: lone surrogates, as JSON escapes (raw bytes would be invalid UTF-8, decoded to U+FFFD).
      { raw: '{"email":"s@example.com","firstName":"\\ud800x","lastName":"S","metadata":{"\\udc00":"v"}}', why: 'lone surrogates' },
      { raw: '{"json":{"email":"s2@example.com","firstName":"x\\udfff","lastName":"S"}}', why: 'lone surrogate in a superjson envelope' },
      { raw: new Uint8Array([0x7b, 0x22, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), why: 'invalid UTF-8' },
      { raw: new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), why: 'UTF-16 bytes' },
      { raw: '{"email":"a@example.com"}garbage', why: 'trailing garbage' },
      { raw: '\u0000', why: 'NUL body' },
    ),
    validText.map((t) => ({
      raw: t.replace(/^\{/, '{"email":"dup@example.com","refreshToken":"x","firstName":{"$gt":""},'),
      why: 'duplicate keys (hostile first)',
    })),
    validText.map((t) => ({
      raw: t.replace(/\}$/, ',"email":"dup2@example.com","firstName":"Dup","version":0,"role":"admin"}'),
      why: 'duplicate keys (hostile last)',
    })),
    validText.map((t) => ({ raw: `${t}${t}`, why: 'two JSON documents' })),
  );

export const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/xml',
  'application/json, text/plain',
  'application/octet-stream',
  'json',
];

export const AUTH_VARIANTS: AuthVariant[] = [
  'none',
  'empty-bearer',
  'garbage',
  'basic',
  'alg-none',
  'wrong-key',
  'expired',
  'revoked',
  'long',
  'lowercase-scheme',
  'double',
];

// ---------------------------------------------------------------------------- cases

/** Replaces (or removes, or adds) one field somewhere in `obj`; returns a copy and a note. */
function tweak(obj: Record<string, unknown>, key: string, value: unknown, remove = false): Record<string, unknown> {
  const copy = { ...obj };
  if (remove) delete copy[key];
  else copy[key] = value;
  return copy;
}

export function caseArb(c: Contract, ops: Operation[] = c.operations): fc.Arbitrary<Case> {
  return fc.constantFrom(...ops).chain((op) => caseForOp(c, op));
}

export function caseForOp(c: Contract, op: Operation): fc.Arbitrary<Case> {
  const hasBody = Boolean(op.body) || op.method === 'POST' || op.method === 'PATCH';
  const bodyArb: fc.Arbitrary<Record<string, unknown> | undefined> = op.body
    ? (validArb(c, op.body, '', op.id) as fc.Arbitrary<Record<string, unknown>>)
    : fc.constant(undefined);
  const pathArb = fc.record(Object.fromEntries(op.pathParams.map((p) => [p.name, validArb(c, p.schema, p.name, op.id)])));
  const queryArb = fc.record(Object.fromEntries(op.queryParams.map((p) => [p.name, validArb(c, p.schema, p.name, op.id)])), { requiredKeys: [] });
  const categories: { weight: number; arbitrary: fc.Arbitrary<Category> }[] = [
    { weight: 6, arbitrary: fc.constant('valid') },
    { weight: 3, arbitrary: fc.constant('auth') },
  ];
  const fields = [...Object.keys(c.resolve(op.body ?? {}).properties ?? {})];
  if (fields.length) {
    categories.push(
      { weight: 3, arbitrary: fc.constant('boundary') },
      { weight: 5, arbitrary: fc.constant('hostile-field') },
      { weight: 2, arbitrary: fc.constant('structure') },
    );
  }
  if (hasBody) categories.push({ weight: 2, arbitrary: fc.constant('raw-body') }, { weight: 2, arbitrary: fc.constant('content-type') });
  if (op.pathParams.length) categories.push({ weight: 4, arbitrary: fc.constant('path') });
  if (op.queryParams.length) categories.push({ weight: 4, arbitrary: fc.constant('query') });

  return fc
    .record({
      category: fc.oneof(...categories),
      transport: fc.constantFrom<Case['transport']>('rest', 'rest', 'trpc', 'trpc-batch'),
      who: fc.constantFrom<Case['who']>('admin', 'admin', 'customer'),
      body: bodyArb,
      path: pathArb,
      query: queryArb,
      pick: fc.nat(),
      hostile: hostileValue,
      authVariant: fc.constantFrom(...AUTH_VARIANTS),
      contentType: fc.constantFrom(...CONTENT_TYPES),
      raw: rawBodyArb(bodyArb.map((b) => JSON.stringify(b ?? {}))),
      rawPath: fc.oneof(
        hostileString.map((s) => encodeLoose(s)),
        fc.constantFrom(
          '%',
          '%00',
          '%ZZ',
          '%E0%A4%A',
          '%C0%AE%C0%AE',
          '..%2F..%2Fetc%2Fpasswd',
          '%2e%2e',
          '..',
          '.',
          'a%2Fb',
          '%252e%252e',
          'x'.repeat(600),
          '%F0%9F%98%80@example.com',
          "'%20OR%201%3D1--",
        ),
      ),
      rawQuery: fc.constantFrom(
        'limit=1&limit=2',
        'limit[]=1',
        'limit=',
        'limit=abc',
        'limit=1e3',
        'limit=0x10',
        // Issue 14: only decimal digits are numbers.
        'limit=1e2',
        'limit=%205%20',
        'limit=%2B5',
        'limit=5.0',
        'limit=0b11',
        'limit=-0',
        'limit=%00',
        'sort=email&sort=-email',
        'sort=__proto__',
        `cursor=${'A'.repeat(1001)}`,
        'cursor=%FF%FE',
        'cursor=eyJpZCI6MX0',
        'q=%25',
        'q=_',
        'q=%00',
        "q='%20OR%201=1--",
        `q=${'x'.repeat(5_000)}`,
        'unknown=1',
        '__proto__[role]=admin',
        'constructor[prototype][x]=1',
        'input=%7B%7D',
      ),
    })
    .map((g): Case => {
      const base: Case = {
        op,
        transport: g.transport,
        category: g.category,
        who: g.who,
        auth: 'self',
        path: g.path,
        query: g.query,
        body: op.body ? { json: g.body } : undefined,
        note: g.category,
      };
      const body = (g.body ?? {}) as Record<string, unknown>;
      const fieldKey = fields[g.pick % Math.max(fields.length, 1)]!;
      switch (g.category) {
        case 'valid':
          break;
        case 'auth':
          base.auth = g.authVariant;
          base.note = `auth ${g.authVariant}`;
          break;
        case 'boundary': {
          const schema = c.resolve(op.body!).properties[fieldKey];
          const values = boundaryValues(c, schema, fieldKey);
          const v = values[g.pick % values.length];
          base.body = { json: tweak(body, fieldKey, v) };
          base.note = `boundary ${fieldKey}=${JSON.stringify(v)?.slice(0, 60)}`;
          break;
        }
        case 'hostile-field': {
          // Sometimes aim into the nested address / metadata objects.
          if (fieldKey === 'address' && g.pick % 2 === 0) {
            const addrKeys = ['line1', 'line2', 'city', 'region', 'postalCode', 'country', 'extra'];
            const k = addrKeys[g.pick % addrKeys.length]!;
            base.body = { json: tweak(body, 'address', { line1: '1 High St', city: 'London', country: 'GB', [k]: g.hostile }) };
            base.note = `hostile address.${k}`;
          } else if (fieldKey === 'metadata' && g.pick % 2 === 0) {
            const k = typeof g.hostile === 'string' && g.hostile.length > 0 && g.hostile.length < 60 ? g.hostile : 'key';
            base.body = { json: tweak(body, 'metadata', { [k]: g.pick % 3 === 0 ? 'v' : g.hostile }) };
            base.note = `hostile metadata[${JSON.stringify(k)}]`;
          } else {
            base.body = { json: tweak(body, fieldKey, g.hostile) };
            base.note = `hostile ${fieldKey}=${JSON.stringify(g.hostile)?.slice(0, 60)}`;
          }
          break;
        }
        case 'structure': {
          const which = g.pick % 5;
          if (which === 0) {
            const required = (c.resolve(op.body!).required ?? []) as string[];
            const k = required[g.pick % Math.max(required.length, 1)] ?? fieldKey;
            base.body = { json: tweak(body, k, undefined, true) };
            base.note = `missing ${k}`;
          } else if (which === 1) {
            base.body = { json: { ...body, role: 'admin', id: 1, isAdmin: true, version: 99 } };
            base.note = 'unknown fields';
          } else if (which === 2) {
            base.body = { json: g.hostile };
            base.note = `body=${JSON.stringify(g.hostile)?.slice(0, 60)}`;
          } else if (which === 3) {
            base.body = { json: [body] };
            base.note = 'body in an array';
          } else {
            base.body = { json: Object.fromEntries(Object.entries(body).map(([k, v]) => [k.toUpperCase(), v])) };
            base.note = 'upper-case keys';
          }
          break;
        }
        case 'raw-body':
          base.body = g.raw;
          base.note = `raw body: ${g.raw.why}`;
          break;
        case 'content-type':
          base.contentType = g.contentType;
          if (!base.body) base.body = { json: {} };
          base.note = `content-type ${g.contentType}`;
          break;
        case 'path': {
          const p = op.pathParams[g.pick % op.pathParams.length]!;
          base.path = { ...g.path, [p.name]: { rawPath: g.rawPath } };
          base.note = `path ${p.name}=${g.rawPath.slice(0, 80)}`;
          break;
        }
        case 'query': {
          if (g.pick % 2 === 0) {
            base.query = { rawQuery: g.rawQuery };
            base.note = `query ${g.rawQuery.slice(0, 80)}`;
          } else {
            const p = op.queryParams[g.pick % op.queryParams.length]!;
            const values = [...boundaryValues(c, p.schema, p.name), g.hostile];
            const v = values[(g.pick >> 3) % values.length];
            base.query = { ...g.query, [p.name]: v };
            base.note = `query ${p.name}=${JSON.stringify(v)?.slice(0, 60)}`;
          }
          break;
        }
      }
      return base;
    });
}
