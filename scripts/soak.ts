/**
 * Soak: `npm run soak -- --minutes M [--rate R]`: M minutes of mixed traffic (reads, writes,
 * logins, lists) at a fixed rate (R requests/s) against a spawned server; samples the server's
 * RSS (/proc/<pid>/status) every 5 s and every latency; reports whether RSS keeps growing after
 * warm-up (least-squares slope over the second half), and ends with
 *   soak: <requests> requests, <errors> errors, rss <start>MB -> <end>MB, p99 <ms>ms
 * Exit 1 on errors (5xx or no answer) or on an RSS growth trend.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { adminLogin, makeSite, sleep, start } from './hardening/spawned.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '100' } } });
const minutes = Number(values.minutes);
const rate = Number(values.rate);

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const site = await makeSite();
const server = await start(site);
const pid = server.child.pid!;
const url = server.url;
const token = await adminLogin(url);
const H = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
console.log(`soak: ${minutes} min at ${rate} req/s against ${url} (${site.dialect}, pid ${pid})`);

// A customer account for logins and self reads.
const custEmail = `soak-self@example.com`;
const custPassword = 'Soak-self-password-91';
await fetch(`${url}/auth/signup`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: custEmail, password: custPassword, firstName: 'Soak', lastName: 'Self' }),
});

const emails: string[] = [];
let created = 0;
let requests = 0;
let errors = 0;
const latencies: number[] = [];
const errorSamples = new Map<string, number>();

async function one(i: number) {
  const kind = i % 20;
  let method = 'GET';
  let path = '/customers?limit=20';
  let body: unknown;
  let headers: Record<string, string> = H;
  if (kind < 4 || emails.length === 0) {
    created++;
    method = 'POST';
    path = '/customers';
    body = { email: `soak-${created}@example.com`, firstName: 'Soak', lastName: `L${created}`, metadata: { n: String(created) } };
  } else if (kind < 10) {
    path = `/customers/${encodeURIComponent(emails[i % emails.length]!)}`;
  } else if (kind < 13) {
    method = 'PATCH';
    path = `/customers/${encodeURIComponent(emails[i % emails.length]!)}`;
    body = { lastName: `P${i}`, metadata: { i: String(i) } };
  } else if (kind < 15) {
    path = `/customers?limit=50&q=soak&sort=${i % 2 ? 'email' : '-createdAt'}`;
  } else if (kind === 15) {
    method = 'POST';
    path = '/auth/login';
    headers = { 'content-type': 'application/json', 'x-forwarded-for': `10.1.${(i >> 8) & 255}.${i & 255}` };
    body = i % 40 === 15 ? { email: custEmail, password: 'wrong-password-x' } : { email: custEmail, password: custPassword };
  } else if (kind === 16 && emails.length > 50) {
    method = 'DELETE';
    path = `/customers/${encodeURIComponent(emails.shift()!)}`;
  } else if (kind === 17) {
    path = `/trpc/customers.get?input=${encodeURIComponent(JSON.stringify({ json: { email: emails[i % emails.length] } }))}`;
  } else if (kind === 18) {
    path = `/auth/me`;
  }
  const t0 = performance.now();
  try {
    const r = await fetch(url + path, { method, headers, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(10_000) });
    const text = await r.text();
    latencies.push(performance.now() - t0);
    if (r.status >= 500) {
      errors++;
      errorSamples.set(`${method} ${path.split('?')[0]} ${r.status}`, (errorSamples.get(`${method} ${path.split('?')[0]} ${r.status}`) ?? 0) + 1);
    }
    if (method === 'POST' && path === '/customers' && r.status === 200) emails.push(JSON.parse(text).email);
  } catch (err) {
    latencies.push(performance.now() - t0);
    errors++;
    errorSamples.set(
      `${method} ${path.split('?')[0]} ${(err as Error).name}`,
      (errorSamples.get(`${method} ${path.split('?')[0]} ${(err as Error).name}`) ?? 0) + 1,
    );
  }
  requests++;
}

const samples: { t: number; rss: number }[] = [];
const started = Date.now();
const end = started + minutes * 60_000;
const sampler = setInterval(() => samples.push({ t: (Date.now() - started) / 1000, rss: rssMb(pid) }), 5_000);
samples.push({ t: 0, rss: rssMb(pid) });
const pending = new Set<Promise<void>>();
let i = 0;
const interval = 1000 / rate;
let next = performance.now();
while (Date.now() < end) {
  const p = one(i++).finally(() => pending.delete(p));
  pending.add(p);
  next += interval;
  const wait = next - performance.now();
  if (wait > 0) await sleep(wait);
}
await Promise.all(pending);
clearInterval(sampler);
samples.push({ t: (Date.now() - started) / 1000, rss: rssMb(pid) });
server.child.kill('SIGTERM');
await server.exited;
await site.cleanup();

// Trend after warm-up: least-squares slope of RSS over the second half of the run.
const late = samples.filter((s) => s.t >= (minutes * 60) / 2);
const n = late.length;
const mt = late.reduce((a, s) => a + s.t, 0) / n;
const mr = late.reduce((a, s) => a + s.rss, 0) / n;
const slope =
  late.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0) /
  Math.max(
    late.reduce((a, s) => a + (s.t - mt) ** 2, 0),
    1e-9,
  ); // MB/s
const growthPerHour = slope * 3600;
const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const warm = samples.find((s) => s.t >= (minutes * 60) / 2) ?? samples[0]!;
console.log(`rss samples (MB): ${samples.map((s) => s.rss.toFixed(0)).join(' ')}`);
console.log(`latency p50 ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`);
for (const [k, v] of errorSamples) console.log(`errors: ${v} × ${k}`);
// Growth trend: the second half still rising by more than 10% of its level per hour, and at least 5 MB overall.
const trend = growthPerHour > Math.max(warm.rss * 0.1, 20) && samples.at(-1)!.rss - warm.rss > 5;
console.log(
  `rss after warm-up: ${warm.rss.toFixed(0)} MB -> ${samples.at(-1)!.rss.toFixed(0)} MB, slope ${growthPerHour.toFixed(1)} MB/h: ${trend ? 'GROWTH TREND' : 'no growth trend'}`,
);
console.log(
  `soak: ${requests} requests, ${errors} errors, rss ${samples[0]!.rss.toFixed(0)}MB -> ${samples.at(-1)!.rss.toFixed(0)}MB, p99 ${pct(99).toFixed(0)}ms`,
);
process.exit(errors > 0 || trend ? 1 : 0);
