import { randomBytes } from 'node:crypto';
/**
 * The contract fuzzer: generates cases from openapi.json (gen.ts), sends them over REST and
 * tRPC one at a time, and checks the properties every answer must have:
 *
 *   - never a 5xx (nor a dropped connection);
 *   - every REST answer matches the document's schema for its operation and status;
 *   - a 4xx changes nothing in the database (customers, users, sessions, reset tokens;
 *     throttle_events may grow on failed logins, sessions.last_used_at may be bumped by a read,
 *     and presenting a spent refresh token legitimately revokes its session);
 *   - no body carries a secret: bcrypt hashes, refresh/reset hashes, column names of secrets,
 *     known passwords;
 *   - a 200 never acknowledges less than was sent: no text that is not well-formed Unicode in a
 *     JSON input, and every metadata key sent comes back (both used to slip through on tRPC).
 *
 * Every case has its own seed (`seed + index`): `npm run fuzz -- --seed <case seed> --runs 1`
 * replays it against a fresh server.
 */
import fs from 'node:fs';
import nodeHttp from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { checkRestResponse } from '../../test/helpers/openapi-validate.js';
import { loadContract, type Operation } from './contract.js';
import { type Case, caseArb, encodeLoose, encodePathSegment, isRef, type RawBody, REF, type RefName } from './gen.js';

export interface FuzzTarget {
  url: string;
  /** The server's DATA_DIR (for its jwt-secret, to forge an expired but genuine token). */
  dataDir?: string;
  admin: { email: string; password: string };
  /** Runs a read-only SQL query on the server's database. */
  query: (sql: string) => Promise<Record<string, unknown>[]>;
}

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** Only these operationIds (default: all). */
  operations?: string[];
  log?: (line: string) => void;
  /** A request unanswered for this long counts as a server error (default 20 s). */
  requestTimeoutMs?: number;
}

export type FailureKind = 'server-error' | 'schema' | 'db-changed' | 'secret-leak' | 'no-request-id' | 'acknowledged-less';

export interface FuzzFailure {
  kind: FailureKind;
  seed: number;
  detail: string;
}

export interface FuzzResult {
  requests: number;
  serverErrors: number;
  schemaViolations: number;
  dbChanges: number;
  leaks: number;
  failures: FuzzFailure[];
  statuses: Record<string, number>;
}

interface Identity {
  role: 'admin' | 'customer';
  email: string;
  password: string;
  access: string;
  refresh: string;
  dirty: boolean;
}

const SECRET_MARKERS = ['$2b$', '$2a$', '$2y$', 'password_hash', 'passwordHash', 'refresh_hash', 'refreshHash', 'token_hash', 'tokenHash', 'jwt-secret'];
/** Operations whose work goes on after the answer (server/auth/background.ts): reset tokens are written then. */
const DEFERRED = new Set(['auth-requestPasswordReset']);
/** Operations after which the caller's session (or account) may be gone. */
const DISRUPTIVE = new Set(['auth-logout', 'auth-refresh', 'auth-revokeSession', 'auth-changePassword', 'auth-resetPassword', 'customers-delete']);

let ipCounter = 1;
/** A fresh client address per maintenance login, so the fuzzer's own logins are never throttled (needs TRUST_PROXY=true). */
const freshIp = () => {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

let requestTimeoutMs = 20_000;

/**
 * One HTTP request with its path sent exactly as written. Not fetch: the WHATWG URL parser
 * resolves `.`, `..` and even `%2e%2e` segments before sending (`/customers/%2e%2e` would go out
 * as `/`), so the server would never see the path the case meant to send.
 */
function http(url: string, init: RequestInit): Promise<{ status: number; headers: Headers; text: string } | { error: string }> {
  const target = /^http:\/\/([^/:]+):(\d+)(\/.*)$/.exec(url);
  if (!target) return Promise.resolve({ error: `not an http URL: ${url}` });
  return new Promise((resolve) => {
    const body = init.body === undefined || init.body === null ? undefined : Buffer.from(init.body as string);
    const headers = { ...(init.headers as Record<string, string> | undefined), ...(body ? { 'content-length': String(body.length) } : {}) };
    const req = nodeHttp.request(
      { host: target[1], port: Number(target[2]), path: target[3], method: init.method ?? 'GET', headers, timeout: requestTimeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(', ') : value);
          resolve({ status: res.statusCode ?? 0, headers: out, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => resolve({ error: `${err.name}: ${err.message}` }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${requestTimeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: `${err.name}: ${err.message}${err.code ? ` (${err.code})` : ''}` }));
    req.end(body);
  });
}

const json = (text: string): unknown => {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
};

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const decodeJwt = (t: string): Record<string, any> => {
  try {
    return JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString());
  } catch {
    return {};
  }
};

export class Fuzzer {
  private readonly contract = loadContract();
  private admin!: Identity;
  private customer!: Identity;
  private known: string[] = [];
  private spent: string[] = [];
  private revokedToken = '';
  private expiredToken = '';
  private wrongKeyToken = '';
  private algNoneToken = '';
  private signups = 0;
  private lastLoginFailure = '';
  private readonly result: FuzzResult = { requests: 0, serverErrors: 0, schemaViolations: 0, dbChanges: 0, leaks: 0, failures: [], statuses: {} };

  constructor(private readonly target: FuzzTarget) {}

  private async login(email: string, password: string): Promise<{ access: string; refresh: string } | undefined> {
    const r = await http(`${this.target.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp() },
      body: JSON.stringify({ email, password }),
    });
    if ('error' in r || r.status !== 200) {
      this.lastLoginFailure = 'error' in r ? r.error : `${r.status} ${r.text.slice(0, 200)}`;
      return undefined;
    }
    const body = JSON.parse(r.text);
    return { access: body.tokens.accessToken, refresh: body.tokens.refreshToken };
  }

  private async signup(): Promise<Identity> {
    this.signups++;
    const email = `fuzz-self-${this.signups}-${randomBytes(4).toString('hex')}@example.com`;
    const password = `Fz-self-${randomBytes(9).toString('base64url')}`;
    const r = await http(`${this.target.url}/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp() },
      body: JSON.stringify({ email, password, firstName: 'Fuzz', lastName: `Self${this.signups}` }),
    });
    if ('error' in r || r.status !== 200) throw new Error(`fuzz setup: signup failed: ${'error' in r ? r.error : `${r.status} ${r.text}`}`);
    const body = JSON.parse(r.text);
    return { role: 'customer', email, password, access: body.tokens.accessToken, refresh: body.tokens.refreshToken, dirty: false };
  }

  private async ensure(who: Identity): Promise<void> {
    if (!who.dirty) return;
    const t = await this.login(who.email, who.password);
    if (t) {
      who.access = t.access;
      who.refresh = t.refresh;
      who.dirty = false;
      return;
    }
    if (who.role === 'admin') throw new Error(`fuzz: the admin can no longer log in: ${this.lastLoginFailure}`);
    Object.assign(who, await this.signup());
  }

  async setup(): Promise<void> {
    const a = await this.login(this.target.admin.email, this.target.admin.password);
    if (!a) throw new Error('fuzz setup: admin login failed (is TRUST_PROXY=true and ADMIN_EMAIL set?)');
    this.admin = { role: 'admin', ...this.target.admin, ...a, dirty: false };
    this.customer = await this.signup();
    for (let i = 0; i < 3; i++) {
      const email = `fuzz-known-${i}-${randomBytes(3).toString('hex')}@example.com`;
      await http(`${this.target.url}/customers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.admin.access}` },
        body: JSON.stringify({ email, firstName: 'Known', lastName: `K${i}`, metadata: { i: String(i) } }),
      });
      this.known.push(email);
    }
    // A token of a session that was logged out.
    const r = await this.login(this.target.admin.email, this.target.admin.password);
    if (r) {
      await http(`${this.target.url}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${r.access}` } });
      this.revokedToken = r.access;
    }
    const claims = decodeJwt(this.admin.access);
    const now = Math.floor(Date.now() / 1000);
    const sign = (key: Uint8Array, iat: number, exp: number) =>
      new SignJWT({ sid: claims.sid, role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(claims.sub))
        .setIssuer('carly')
        .setAudience('carly-api')
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
    this.wrongKeyToken = await sign(randomBytes(48), now, now + 600);
    const secretFile = this.target.dataDir ? path.join(this.target.dataDir, 'jwt-secret') : '';
    this.expiredToken =
      secretFile && fs.existsSync(secretFile)
        ? await sign(Buffer.from(fs.readFileSync(secretFile, 'utf8').trim(), 'base64url'), now - 7200, now - 3600)
        : await sign(randomBytes(48), now - 7200, now - 3600);
    this.algNoneToken = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims, role: 'admin', exp: now + 600 })}.`;
  }

  /** Rows of the tables a 4xx must not touch, and the secret values no body may carry. */
  private async snapshot(): Promise<{ text: string; secrets: string[]; lenient: string }> {
    const tables = ['customers', 'users', 'sessions', 'password_reset_tokens', 'email_verification_tokens'];
    const parts: string[] = [];
    const lenientParts: string[] = [];
    const secrets: string[] = [];
    for (const table of tables) {
      const rows = await this.target.query(`select * from ${table} order by id`);
      for (const row of rows) {
        delete row.last_used_at;
        for (const k of ['password_hash', 'refresh_hash', 'token_hash'])
          if (typeof row[k] === 'string' && (row[k] as string).length >= 16) secrets.push(row[k] as string);
      }
      const text = JSON.stringify(rows);
      parts.push(`${table}: ${text}`);
      lenientParts.push(`${table}: ${table === 'sessions' ? JSON.stringify(rows.map(({ revoked_at: _r, ...rest }) => rest)) : text}`);
    }
    return { text: parts.join('\n'), secrets, lenient: lenientParts.join('\n') };
  }

  /** Waits (at most 3 s) until the database stops changing: work after an answer must not count against the next case. */
  private async settle(): Promise<void> {
    let last = (await this.snapshot()).text;
    for (const deadline = Date.now() + 3_000; Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      const now = (await this.snapshot()).text;
      if (now === last) return;
      last = now;
    }
  }

  private fail(kind: FailureKind, seed: number, detail: string) {
    this.result.failures.push({ kind, seed, detail });
    this.target && this.log?.(`FAIL ${kind} (case seed ${seed}): ${detail}`);
  }
  private log?: (line: string) => void;

  private resolve(value: unknown, c: Case, self: Identity): unknown {
    if (isRef(value)) {
      const name: RefName = value[REF];
      const loginish = c.op.id === 'auth-login' || c.op.id === 'auth-requestPasswordReset';
      const me = loginish ? this.customer : self;
      switch (name) {
        case 'selfEmail':
          return me.email;
        case 'selfPassword':
          return me.password;
        case 'adminEmail':
          return loginish ? this.customer.email : this.admin.email;
        case 'knownEmail':
          return this.known[c.op.id.length % this.known.length];
        case 'selfRefresh':
          return self.refresh;
        case 'spentRefresh':
          return this.spent[this.spent.length - 1] ?? 'never-issued';
        case 'selfSessionId':
          return decodeJwt(self.access).sid ?? '00000000-0000-4000-8000-000000000000';
      }
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, c, self));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v, c, self)]));
    return value;
  }

  private authHeader(c: Case, self: Identity): string | undefined {
    switch (c.auth) {
      case 'self':
        return c.op.secured || c.op.id === 'auth-logout' ? `Bearer ${self.access}` : undefined;
      case 'none':
        return undefined;
      case 'empty-bearer':
        return 'Bearer ';
      case 'garbage':
        return 'Bearer not.a.jwt';
      case 'basic':
        return `Basic ${Buffer.from(`${this.admin.email}:${this.admin.password}`).toString('base64')}`;
      case 'alg-none':
        return `Bearer ${this.algNoneToken}`;
      case 'wrong-key':
        return `Bearer ${this.wrongKeyToken}`;
      case 'expired':
        return `Bearer ${this.expiredToken}`;
      case 'revoked':
        return `Bearer ${this.revokedToken}`;
      case 'long':
        return `Bearer ${'a'.repeat(8_000)}`;
      case 'lowercase-scheme':
        return `bearer ${self.access}`;
      case 'double':
        return `Bearer ${self.access}, Bearer ${this.wrongKeyToken}`;
    }
  }

  /** Builds the HTTP request of a case: [method, path with query, init, the JSON input sent (if any)]. */
  private build(c: Case, self: Identity): { method: string; urlPath: string; init: RequestInit; sent?: unknown } {
    const op = c.op;
    const headers: Record<string, string> = { 'x-forwarded-for': '192.0.2.1' };
    const auth = this.authHeader(c, self);
    if (auth !== undefined) headers.authorization = auth;
    const pathValues: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c.path)) pathValues[k] = v && typeof v === 'object' && 'rawPath' in v ? v : this.resolve(v, c, self);
    const query = 'rawQuery' in c.query ? c.query : (this.resolve(c.query, c, self) as Record<string, unknown>);
    const body = c.body && 'json' in c.body ? { json: this.resolve(c.body.json, c, self) } : c.body;
    const scalar = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

    if (c.transport === 'rest') {
      let urlPath = op.template.replace(/\{(\w+)\}/g, (_m, name: string) => {
        const v = pathValues[name] as any;
        return v && typeof v === 'object' && 'rawPath' in v ? v.rawPath : encodePathSegment(scalar(v));
      });
      if ('rawQuery' in query) urlPath += `?${query.rawQuery}`;
      else {
        const qs = new URLSearchParams();
        for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.append(k, scalar(v));
        if ([...qs].length) urlPath += `?${qs}`;
      }
      let payload: string | Uint8Array | undefined;
      if (body && 'json' in body) payload = JSON.stringify(body.json);
      else if (body) payload = body.raw;
      if (payload !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
      return {
        method: op.method,
        urlPath,
        init: { method: op.method, headers, body: payload as RequestInit['body'] },
        sent: body && 'json' in body ? body.json : parsedRaw(body),
      };
    }

    // tRPC: the same input, as the SDK would send it (superjson envelope), or a hostile envelope.
    const input: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(pathValues)) {
      if (v && typeof v === 'object' && 'rawPath' in v) {
        try {
          input[k] = decodeURIComponent((v as { rawPath: string }).rawPath);
        } catch {
          input[k] = (v as { rawPath: string }).rawPath;
        }
      } else input[k] = v;
    }
    if (!('rawQuery' in query)) Object.assign(input, query);
    let hasInput = Object.keys(input).length > 0 || op.queryParams.length > 0;
    let envelopeInput: unknown = input;
    if (body && 'json' in body) {
      hasInput = true;
      envelopeInput =
        body.json && typeof body.json === 'object' && !Array.isArray(body.json)
          ? { ...(body.json as object), ...input }
          : Object.keys(input).length
            ? input
            : body.json;
    }
    const envelope: Record<string, unknown> = { json: envelopeInput };
    if (c.category === 'structure' && c.note === 'upper-case keys') envelope.meta = { values: { email: ['Date'], __proto__: ['class', 'x'] } };
    if (c.category === 'structure' && c.note === 'body in an array') envelope.meta = { referentialEqualities: { firstName: ['lastName', 'email'] } };
    const batch = c.transport === 'trpc-batch';
    const proc = batch ? `${op.procedure},${op.procedure}` : op.procedure;
    if (op.kind === 'query') {
      let qs: string;
      if ('rawQuery' in query) qs = String(query.rawQuery);
      else if (!hasInput) qs = batch ? 'batch=1' : '';
      else qs = `${batch ? 'batch=1&' : ''}input=${encodeLoose(JSON.stringify(batch ? { 0: envelope, 1: envelope } : envelope))}`;
      return {
        method: 'GET',
        urlPath: `/trpc/${proc}${qs ? `?${qs}` : ''}`,
        init: { method: 'GET', headers },
        sent: 'rawQuery' in query ? undefined : envelopeInput,
      };
    }
    let payload: string | Uint8Array | undefined;
    if (body && !('json' in body)) payload = body.raw;
    else if (hasInput || body) payload = JSON.stringify(batch ? { 0: envelope, 1: envelope } : envelope);
    if (payload !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
    return {
      method: 'POST',
      urlPath: `/trpc/${proc}${batch ? '?batch=1' : ''}`,
      init: { method: 'POST', headers, body: payload as RequestInit['body'] },
      sent: body && !('json' in body) ? (parsedRaw(body) as { json?: unknown } | undefined)?.json : envelopeInput,
    };
  }

  async runCase(c: Case, seed: number): Promise<void> {
    // Wrong current passwords count as failed logins of the account: never lock the admin out.
    if (c.op.id === 'auth-changePassword') c = { ...c, who: 'customer' };
    const self = c.who === 'admin' ? this.admin : this.customer;
    await this.ensure(self);
    const before = await this.snapshot();
    const { method, urlPath, init, sent } = this.build(c, self);
    if (c.op.id === 'auth-refresh') this.spent.push(self.refresh);
    const where = `${c.transport} ${method} ${urlPath.slice(0, 160)} [${c.op.id}; ${c.note}; as ${c.who}/${c.auth}]`;
    const r = await http(this.target.url + urlPath, init);
    this.result.requests++;
    if (DISRUPTIVE.has(c.op.id)) {
      self.dirty = true;
      if (c.op.id === 'customers-delete') this.customer.dirty = true;
    }
    if ('error' in r) {
      this.result.serverErrors++;
      this.fail('server-error', seed, `${where}: no answer: ${r.error}`);
      return;
    }
    this.result.statuses[r.status] = (this.result.statuses[r.status] ?? 0) + 1;
    if (r.status === 401 && c.auth === 'self') self.dirty = true;
    const excerpt = r.text.slice(0, 300);
    if (r.status >= 500) {
      this.result.serverErrors++;
      this.fail('server-error', seed, `${where} → ${r.status} ${excerpt}`);
    }
    if (!r.headers.get('x-request-id') && r.status !== 431) this.fail('no-request-id', seed, `${where} → ${r.status} without x-request-id: ${excerpt}`);
    const parsed = json(r.text);
    if (c.transport === 'rest') {
      try {
        checkRestResponse(method, urlPath, r.status, parsed, r.headers);
      } catch (err) {
        this.result.schemaViolations++;
        this.fail('schema', seed, `${where}: ${(err as Error).message.slice(0, 800)}`);
      }
    } else if (/"stack"|\bat \S+ \(|node_modules|\.ts:\d+/.test(r.text)) {
      this.result.leaks++;
      this.fail('secret-leak', seed, `${where} → ${r.status}: a stack trace or source path in the body: ${excerpt}`);
    }
    const known = [this.admin.password, this.customer.password, ...before.secrets];
    const leaked = [...SECRET_MARKERS, ...known].find((s) => s && r.text.includes(s));
    if (leaked) {
      this.result.leaks++;
      this.fail('secret-leak', seed, `${where} → ${r.status}: body carries ${JSON.stringify(leaked.slice(0, 12))}…: ${excerpt}`);
    }
    if (r.status === 200 && sent !== undefined) {
      const less = acknowledgedLess(sent, parsed, c.transport !== 'rest');
      if (less) {
        this.result.failures.push({ kind: 'acknowledged-less', seed, detail: `${where} → 200 but ${less}: ${excerpt}` });
        this.log?.(`FAIL acknowledged-less (case seed ${seed}): ${where}: ${less}`);
      }
    }
    if (DEFERRED.has(c.op.id) && r.status < 300) await this.settle();
    if (r.status >= 400 && r.status < 500) {
      const after = await this.snapshot();
      // Presenting a spent refresh token revokes that session (API.md): revoked_at may change.
      const same = c.op.id === 'auth-refresh' && r.status === 401 ? after.lenient === before.lenient : after.text === before.text;
      if (!same) {
        this.result.dbChanges++;
        this.fail('db-changed', seed, `${where} → ${r.status} ${excerpt}\n  the database changed:\n${diff(before.text, after.text)}`);
      }
    }
  }

  async run(options: FuzzOptions): Promise<FuzzResult> {
    this.log = options.log;
    requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
    await this.setup();
    const ops = options.operations ? this.contract.operations.filter((o: Operation) => options.operations!.includes(o.id)) : this.contract.operations;
    const arb = caseArb(this.contract, ops);
    for (let i = 0; i < options.runs; i++) {
      const seed = (options.seed + i) | 0;
      const [c] = fc.sample(arb, { seed, numRuns: 1 });
      await this.runCase(c!, seed);
    }
    return this.result;
  }
}

/** A raw body's JSON value (own `__proto__` keys kept, as JSON.parse does), if it is JSON text. */
function parsedRaw(body: RawBody | undefined): unknown {
  if (!body || typeof body.raw !== 'string') return undefined;
  try {
    return JSON.parse(body.raw);
  } catch {
    return undefined;
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first string (key or value) in a JSON value that is not well-formed Unicode. Walked with an
 * explicit stack: the fuzzer sends values nested deeper than the call stack allows.
 */
function illFormedText(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  while (pending.length) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (LONE_SURROGATE.test(next)) return next;
    } else if (Array.isArray(next)) {
      for (let i = next.length - 1; i >= 0; i--) pending.push(next[i]);
    } else if (next && typeof next === 'object') {
      const entries = Object.entries(next);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        if (LONE_SURROGATE.test(k)) return k;
        pending.push(v);
      }
    }
  }
  return undefined;
}

/** The customer records in a 200 answer (REST body, or each tRPC result), wherever they sit. */
function answeredMetadata(answer: unknown, trpc: boolean): Record<string, unknown>[] {
  const datas = trpc ? (Array.isArray(answer) ? answer : [answer]).map((a) => (a as { result?: { data?: { json?: unknown } } })?.result?.data?.json) : [answer];
  const out: Record<string, unknown>[] = [];
  for (const d of datas) {
    const record = d as { metadata?: unknown; customer?: { metadata?: unknown } | null } | undefined;
    const metadata = record?.metadata ?? record?.customer?.metadata;
    if (metadata && typeof metadata === 'object') out.push(metadata as Record<string, unknown>);
  }
  return out;
}

/** Why a 200 acknowledged less than was sent, or undefined when it did not. */
function acknowledgedLess(sent: unknown, answer: unknown, trpc: boolean): string | undefined {
  const bad = illFormedText(sent);
  if (bad !== undefined) return `it accepted text that is not well-formed Unicode (${JSON.stringify(bad).slice(0, 40)})`;
  const sentMetadata = (sent as { metadata?: unknown } | null)?.metadata;
  if (!sentMetadata || typeof sentMetadata !== 'object' || Array.isArray(sentMetadata)) return undefined;
  for (const metadata of answeredMetadata(answer, trpc)) {
    const missing = Object.keys(sentMetadata).filter((k) => !Object.hasOwn(metadata, k));
    if (missing.length) return `metadata keys ${JSON.stringify(missing)} were sent and not kept`;
  }
  return undefined;
}

function diff(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) out.push(`  - ${al[i]?.slice(0, 400)}\n  + ${bl[i]?.slice(0, 400)}`);
  }
  return out.join('\n');
}

/** A one-line summary, as the fuzz script prints it. */
export const summaryLine = (r: FuzzResult, seed: number) =>
  `fuzz: ${r.requests} requests, ${r.serverErrors} server errors, ${r.schemaViolations} schema violations, seed ${seed}`;
