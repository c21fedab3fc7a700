import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './dataset.js';
import { type Child, freePort, spawnNode, stopChild, waitForHttp } from './processes.js';

/** Node flags for every server child: the TypeScript loader, and exit when the bench is gone. */
export const CHILD_FLAGS = ['--import', 'tsx', '--import', path.join(REPO_ROOT, 'scripts/bench/child-guard.ts')];

/** A server under load, in its own process, on 127.0.0.1 only. */
export interface Target {
  name: string;
  /** http://127.0.0.1:PORT */
  base: string;
  /** Headers every request must carry (the bearer token once auth exists). */
  headers: Record<string, string>;
  /** Whether a token was obtained; false means /auth/login answered 404. */
  authenticated: boolean;
  child: Child;
  stop: () => Promise<void>;
}

/** The bare floor: node:http + better-sqlite3 on a copy of the dataset. */
export async function startBare(dbFile: string, name = 'bare'): Promise<Target> {
  const port = await freePort();
  const child = spawnNode(name, [...CHILD_FLAGS, path.join(REPO_ROOT, 'scripts/bench/bare-server.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_DB: dbFile, PORT: String(port) },
    echo: true,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/health`, child);
  return { name, base, headers: {}, authenticated: false, child, stop: () => stopChild(child) };
}

/** The write floor: node:http + better-sqlite3 doing Carly's durable work per create and PATCH (bare-write-server.ts). */
export async function startBareWrites(dbFile: string, name = 'bare-writes'): Promise<Target> {
  const port = await freePort();
  const child = spawnNode(name, [...CHILD_FLAGS, path.join(REPO_ROOT, 'scripts/bench/bare-write-server.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_DB: dbFile, PORT: String(port), BENCH_JWT_SECRET },
    echo: true,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/health`, child);
    const res = await fetch(`${base}/token`);
    const { token } = (await res.json()) as { token: string };
    return { name, base, headers: { authorization: `Bearer ${token}` }, authenticated: true, child, stop: () => stopChild(child) };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** The PostgreSQL floor: node:http + pg (one named prepared statement, a small pool) on `dbUrl`. */
export async function startBarePg(dbUrl: string, name = 'bare-pg'): Promise<Target> {
  const port = await freePort();
  const child = spawnNode(name, [...CHILD_FLAGS, path.join(REPO_ROOT, 'scripts/bench/bare-pg-server.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_PG_URL: dbUrl, PORT: String(port) },
    echo: true,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/health`, child);
  return { name, base, headers: {}, authenticated: false, child, stop: () => stopChild(child) };
}

/** Fixed for the bench so it can sign list cursors the way the server does (see list.ts). */
export const BENCH_JWT_SECRET = 'carly-bench-secret-not-for-production-0123456789abcdef';
export const BENCH_ADMIN_EMAIL = 'bench-admin@example.com';

export interface CarlyOptions {
  dataDir: string;
  name?: string;
  /** Write a V8 CPU profile here when the server exits (node --cpu-prof). */
  cpuProfDir?: string;
  env?: Record<string, string>;
  /** The bench admin's password; several instances on one database must share it. Random when absent. */
  adminPassword?: string;
  /** Another checkout of Carly to run instead of this one (the tracing section's "feature absent" baseline). */
  root?: string;
  /** Another entry than server/main.ts, relative to the root (a bench server with a switch: scripts/bench/search-server.ts, or the writes section's ORM variant scripts/bench/events-server.ts). */
  entry?: string;
}

/**
 * The real server, `node --import tsx server/main.ts`, on a data dir holding a copy of a dataset.
 * Logs in as the bench admin when POST /auth/login exists; every request then carries the token.
 */
export async function startCarly(options: CarlyOptions): Promise<Target> {
  const name = options.name ?? 'carly';
  const port = await freePort();
  const password = options.adminPassword ?? `Bench-${randomBytes(12).toString('hex')}-9!`;
  // BENCH_CARLY_NODE_FLAGS: extra node/V8 flags for Carly's process only (an experiment's switch,
  // e.g. a GC flag; the driver and the baselines keep their own), space-separated.
  const args = [...(process.env.BENCH_CARLY_NODE_FLAGS ?? '').split(' ').filter(Boolean), ...CHILD_FLAGS];
  if (options.cpuProfDir) {
    fs.mkdirSync(options.cpuProfDir, { recursive: true });
    args.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfDir);
  }
  args.push(path.join(options.root ?? REPO_ROOT, options.entry ?? 'server/main.ts'));
  const child = spawnNode(name, args, {
    cwd: options.root ?? REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: options.dataDir,
      DATABASE_URL: '',
      // As `npm start` runs it: the default level (info), one request log line per request.
      LOG_LEVEL: 'info',
      SEED_SAMPLE_DATA: 'false',
      JWT_SECRET: BENCH_JWT_SECRET,
      ADMIN_EMAIL: BENCH_ADMIN_EMAIL,
      ADMIN_PASSWORD: password,
      BCRYPT_COST: '10',
      // The longest the server allows, so one login lasts the whole section (default is 15 min).
      ACCESS_TOKEN_TTL_SECONDS: '86400',
      ...options.env,
    },
    // Warnings and errors from the server during a bench are worth seeing as they happen.
    echo: true,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/health`, child);
    const token = await login(base, BENCH_ADMIN_EMAIL, password);
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    return { name, base, headers, authenticated: Boolean(token), child, stop: () => stopChild(child) };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** A bearer token from POST /auth/login, or null when the route does not exist (404). */
export async function login(base: string, email: string, password: string): Promise<string | null> {
  const res = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`POST /auth/login as ${email} answered ${res.status}: ${text.slice(0, 500)}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`POST /auth/login answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const token = findToken(body);
  if (!token) throw new Error(`POST /auth/login answered ${res.status} but no token was found in ${text.slice(0, 500)}`);
  return token;
}

/** The access token in a login answer: accessToken / token / access_token, at any depth. */
function findToken(value: unknown, depth = 0): string | null {
  if (!value || typeof value !== 'object' || depth > 4) return null;
  const obj = value as Record<string, unknown>;
  for (const key of ['accessToken', 'access_token', 'token']) {
    if (typeof obj[key] === 'string' && obj[key]) return obj[key] as string;
  }
  for (const v of Object.values(obj)) {
    const found = findToken(v, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Creates these customers through POST /customers, 10 requests at a time (sections that PATCH or watch them). */
export async function createCustomers(target: Target, emails: string[], firstName: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const email = emails[next++]!;
      const res = await fetch(`${target.base}/customers`, {
        method: 'POST',
        headers: { ...target.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ email, firstName, lastName: `Customer ${next}`, company: 'Start' }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${target.name}: POST /customers answered ${res.status}: ${text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
}
