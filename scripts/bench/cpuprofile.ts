/**
 * Aggregates a V8 .cpuprofile (node --cpu-prof) by function, by package/area, and by named
 * cost centres (tRPC's Fetch adapter, superjson, zod, MikroORM, knex, ...), self and inclusive.
 *
 *   npx tsx scripts/bench/cpuprofile.ts <file.cpuprofile> [--requests N] [--top 25] [--from µs --to µs]
 * --from/--to: only the samples in that window of the monotonic clock (a load's LoadResult.fromUs/toUs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  ms: number;
  /** Share of busy (non-idle) time. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** Whole profile vs the window analysed. */
  profileMs: number;
  windowMs: number;
  windowApplied: boolean;
  busyMs: number;
  idleMs: number;
  areaSelf: Entry[];
  areaInclusive: Entry[];
  centres: Entry[];
  topSelf: Entry[];
  topInclusive: Entry[];
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function shortUrl(url: string): string {
  if (!url) return '';
  let u = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + 1);
  if (u.startsWith(`${REPO}/`)) u = u.slice(REPO.length + 1);
  return u;
}

function packageOf(url: string): string | null {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm < 0) return null;
  const parts = url.slice(nm + '/node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** The area a frame's own time belongs to: a package, a part of Node core, the app, or V8. */
export function areaOf(f: CallFrame): string {
  const { functionName: fn, url } = f;
  if (fn === '(idle)') return '(idle)';
  if (fn === '(garbage collector)') return 'V8: garbage collector';
  if (fn === '(program)') return 'V8: (program) native/VM';
  if (fn === '(root)') return '(root)';
  if (!url) {
    if (fn === 'stringify' || fn === 'parse') return 'V8: JSON.stringify/parse';
    if (/^(all|get|run|prepare|iterate|raw|pluck|expand|bind|exec|pragma)$/.test(fn)) return 'native: better-sqlite3 (SQLite)';
    return 'native: other builtins/C++';
  }
  if (url.startsWith('node:')) {
    if (url.includes('internal/deps/undici')) return 'node: undici (Request/Headers/Response)';
    if (/abort_controller|domexception|event_target|internal\/events/.test(url)) return 'node: AbortController/EventTarget/DOMException';
    if (url.includes('internal/webstreams')) return 'node: web streams';
    if (/internal\/url|node:url/.test(url)) return 'node: URL';
    if (/_http_|internal\/http|node:http/.test(url)) return 'node: http';
    if (/node:net|stream_base_commons|internal\/streams|node:stream|node:events/.test(url)) return 'node: net/streams/events';
    if (/internal\/crypto|node:crypto/.test(url)) return 'node: crypto';
    if (/internal\/util|internal\/validators|internal\/errors/.test(url)) return 'node: util/validators';
    if (/internal\/modules|node:module/.test(url)) return 'node: module loading';
    if (/internal\/process\/task_queues|internal\/timers|node:timers|async_hooks/.test(url)) return 'node: timers/microtasks/async_hooks';
    return 'node: other';
  }
  const pkg = packageOf(url);
  if (pkg) return pkg;
  const rel = shortUrl(url);
  if (rel.startsWith('server/') || rel.startsWith('client-sdk/')) return `app: ${rel.split('/').slice(0, 2).join('/')}`;
  return `other: ${rel}`;
}

/** Named cost centres, counted inclusively (a sample counts once if any frame on its stack matches). */
const CENTRES: [string, (f: CallFrame, area: string) => boolean][] = [
  [
    'tRPC node-http adapter: incomingMessageToRequest (URL, Headers, AbortController, new Request)',
    (f) => f.url.includes('@trpc/server') && /^(incomingMessageToRequest|createURL|createHeaders|createBody)$/.test(f.functionName),
  ],
  ['undici Request/Headers/Response classes (any caller)', (_f, a) => a.startsWith('node: undici')],
  ['AbortController/AbortSignal/EventTarget/DOMException (any caller)', (_f, a) => a.startsWith('node: AbortController')],
  ['web streams (any caller)', (_f, a) => a === 'node: web streams'],
  ['tRPC resolveResponse (whole tRPC request handling)', (f) => f.url.includes('@trpc/server') && f.functionName === 'resolveResponse'],
  ['tRPC procedure call (middlewares + input/output + resolver)', (f) => f.url.includes('@trpc/server') && /^(procedure|callRecursive)$/.test(f.functionName)],
  ['superjson (serialize/deserialize)', (f) => f.url.includes('/superjson/')],
  ['zod (input parse + output parse)', (f) => f.url.includes('/zod/')],
  ['app: CustomersService.get (ORM + mapping)', (f) => f.url.includes('customers.service') && /get|require|findEntity/.test(f.functionName)],
  ['auth: server/auth/* + jose (token verify, session check)', (f) => f.url.includes('/server/auth/') || f.url.includes('/node_modules/jose/')],
  ['jose (JWT verify)', (f) => f.url.includes('/node_modules/jose/')],
  ['@mikro-orm/* (core + knex + driver)', (f) => f.url.includes('/@mikro-orm/')],
  ['knex (query building / compile / client)', (f) => f.url.includes('/node_modules/knex/')],
  ['better-sqlite3 native (prepare/get/all)', (_f, a) => a === 'native: better-sqlite3 (SQLite)'],
  ['MikroORM EntityFactory.create (hydration + identity map)', (f) => f.url.includes('@mikro-orm/core/entity/EntityFactory') && f.functionName === 'create'],
  ['app: cursor codec (HMAC sign/verify)', (f) => f.url.includes('server/customers/cursor')],
  ['em.fork() (per-request EntityManager)', (f) => f.url.includes('@mikro-orm/core') && f.functionName === 'fork'],
  ['fastify reply JSON serialisation (reply.js serialize → JSON.stringify)', (f) => f.url.includes('/fastify/lib/reply') && f.functionName === 'serialize'],
  [
    'fastify onSend hooks + write (onSendHook/onSendEnd → res.end)',
    (f) => f.url.includes('/fastify/lib/reply') && /^(onSendHook|onSendEnd)$/.test(f.functionName),
  ],
  ['JSON.stringify/parse (any caller)', (_f, a) => a === 'V8: JSON.stringify/parse'],
  [
    'fastify route handler entry (handler + hooks)',
    (f) => f.url.includes('/fastify/lib/handle-request') || (f.url.includes('/fastify/') && f.functionName === 'handler'),
  ],
  ['@fastify/helmet + helmet (security headers)', (f) => /\/(helmet|@fastify\/helmet)\//.test(f.url)],
  ['prom-client + metrics hook', (f) => f.url.includes('/prom-client/') || f.url.includes('server/ops/metrics')],
  ['pino (logger)', (f) => /\/pino(-std-serializers)?\//.test(f.url)],
  ['crypto.randomUUID (request id)', (f) => f.functionName === 'randomUUID'],
  ['HTTP parsing/writing + sockets (node:http/net)', (_f, a) => a === 'node: http' || a === 'node: net/streams/events'],
  ['garbage collector', (_f, a) => a === 'V8: garbage collector'],
];

const frameKey = (f: CallFrame) => `${f.functionName || '(anonymous)'}  ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;

export interface AnalyzeOptions {
  /** Only samples in [fromUs, toUs], in the profile's clock (CLOCK_MONOTONIC µs, like process.hrtime). */
  fromUs?: number;
  toUs?: number;
  top?: number;
}

export function analyzeProfile(file: string, options: AnalyzeOptions = {}): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const top = options.top ?? 25;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaCache = new Map<number, string>();
  const area = (id: number) => {
    let a = areaCache.get(id);
    if (a === undefined) areaCache.set(id, (a = areaOf(byId.get(id)!.callFrame)));
    return a;
  };

  // Sample k lasts until sample k+1 (DevTools' convention).
  const n = profile.samples.length;
  const times = new Array<number>(n);
  let t = profile.startTime;
  for (let k = 0; k < n; k++) times[k] = t += profile.timeDeltas[k] ?? 0;
  let from = options.fromUs ?? -Infinity;
  let to = options.toUs ?? Infinity;
  let windowApplied = options.fromUs !== undefined || options.toUs !== undefined;
  const inWindow = (k: number) => times[k]! >= from && times[k]! <= to;
  if (windowApplied && !times.some((_, k) => inWindow(k))) {
    console.error(`cpuprofile: no sample of ${path.basename(file)} lies in the load window; analysing the whole profile`);
    from = -Infinity;
    to = Infinity;
    windowApplied = false;
  }

  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const areaSelf = new Map<string, number>();
  const areaIncl = new Map<string, number>();
  const centres = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  let windowUs = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

  for (let k = 0; k < n; k++) {
    if (!inWindow(k)) continue;
    const dt = k + 1 < n ? times[k + 1]! - times[k]! : 0;
    windowUs += dt;
    const leaf = profile.samples[k]!;
    const leafArea = area(leaf);
    if (leafArea === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    add(self, frameKey(byId.get(leaf)!.callFrame), dt);
    add(areaSelf, leafArea, dt);
    const seenFn = new Set<string>();
    const seenArea = new Set<string>();
    const seenCentre = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (f.functionName === '(root)') break;
      const key = frameKey(f);
      if (!seenFn.has(key)) {
        seenFn.add(key);
        add(incl, key, dt);
      }
      const a = area(id);
      if (!seenArea.has(a)) {
        seenArea.add(a);
        add(areaIncl, a, dt);
      }
      for (const [name, match] of CENTRES) {
        if (!seenCentre.has(name) && match(f, a)) {
          seenCentre.add(name);
          add(centres, name, dt);
        }
      }
    }
  }

  const entries = (m: Map<string, number>, limit = Infinity): Entry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, ms: us / 1000, pct: busy ? (100 * us) / busy : 0 }));

  return {
    file,
    profileMs: (profile.endTime - profile.startTime) / 1000,
    windowMs: windowUs / 1000,
    windowApplied,
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    areaSelf: entries(areaSelf),
    areaInclusive: entries(areaIncl, 30),
    // In the declared order, which groups related centres.
    centres: CENTRES.map(([name]) => ({ name, ms: (centres.get(name) ?? 0) / 1000, pct: busy ? (100 * (centres.get(name) ?? 0)) / busy : 0 })),
    topSelf: entries(self, top),
    topInclusive: entries(incl, top),
  };
}

/** Human-readable summary; with `requests`, also CPU µs per request. */
export function formatProfile(s: ProfileSummary, requests?: number, procCpuUsPerReq?: number): string {
  const perReq = (ms: number) => (requests ? `${((ms * 1000) / requests).toFixed(1).padStart(7)} µs/req` : '');
  const table = (title: string, list: Entry[]) =>
    [
      `  ${title}`,
      ...list.filter((e) => e.pct >= 0.05).map((e) => `    ${e.pct.toFixed(1).padStart(5)}%  ${e.ms.toFixed(0).padStart(7)} ms ${perReq(e.ms)}  ${e.name}`),
    ].join('\n');
  const head = [
    `profile ${path.basename(s.file)}: ${s.windowApplied ? `load window ${(s.windowMs / 1000).toFixed(1)} s of ${(s.profileMs / 1000).toFixed(1)} s` : `whole profile ${(s.profileMs / 1000).toFixed(1)} s`}, ` +
      `busy ${(s.busyMs / 1000).toFixed(2)} s (${s.windowMs ? ((100 * s.busyMs) / s.windowMs).toFixed(0) : '?'}% of one core), idle ${(s.idleMs / 1000).toFixed(2)} s` +
      (requests ? `, ${requests.toLocaleString('en-US')} requests → ${((s.busyMs * 1000) / requests).toFixed(0)} µs sampled per request` : '') +
      (procCpuUsPerReq !== undefined && Number.isFinite(procCpuUsPerReq)
        ? `\n  (/proc: ${procCpuUsPerReq.toFixed(0)} µs CPU per request, all threads. Sampled main-thread time exceeds it when the process is` +
          `\n   descheduled inside a frame, e.g. writev waking the client on a busy box; falls short of it by GC helper and thread-pool work)`
        : ''),
    '  (percentages are of busy time; "inclusive" only sees synchronous callers: an await cuts the stack, so',
    '   async callers such as fastify handlers or tRPC middlewares are under-counted; self time is exact)',
  ];
  return [
    ...head,
    table('cost centres (inclusive: a sample counts if any frame on its stack matches)', s.centres),
    table('areas by self time', s.areaSelf),
    table('areas by inclusive time', s.areaInclusive),
    table('top functions by self time', s.topSelf),
    table('top functions by inclusive time', s.topInclusive),
  ].join('\n');
}

// CLI
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { requests: { type: 'string' }, top: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  });
  if (positionals.length === 0) {
    console.error('usage: tsx scripts/bench/cpuprofile.ts <file.cpuprofile>... [--requests N] [--top 25]');
    process.exit(2);
  }
  for (const file of positionals) {
    const s = analyzeProfile(file, {
      top: values.top ? Number(values.top) : 25,
      ...(values.from ? { fromUs: Number(values.from) } : {}),
      ...(values.to ? { toUs: Number(values.to) } : {}),
    });
    console.log(formatProfile(s, values.requests ? Number(values.requests) : undefined));
  }
}
