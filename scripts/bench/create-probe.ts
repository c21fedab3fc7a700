/**
 * What one create costs the thread that runs it, without HTTP: the write floor's create
 * transaction (bare-write-server.ts) N times on a copy of a bench database, each timed, with the
 * WAL pages it wrote (the -wal file's growth; only counted when nothing checkpoints, since a
 * checkpoint lets the next commit rewrite the WAL from its start). Evidence for
 * docs/performance.md, "Where the create tail comes from":
 *
 *   cp .bench/db/customers-20000-*\/carly.sqlite /tmp/probe.sqlite
 *   BENCH_DB=/tmp/probe.sqlite BENCH_CHECKPOINT=commit|thread|none npx tsx scripts/bench/create-probe.ts 3000
 *
 * (a fresh copy per run). BENCH_FTS="'automerge', 8;'crisismerge', 64" sets FTS5 options on the
 * trigram index first (each `insert into customers_search(customers_search, rank) values (…)`).
 */
import fs from 'node:fs';

process.env.PORT ??= '0';
process.env.BENCH_JWT_SECRET ??= 'create-probe-secret-0123456789abcdef';
const { floor } = await import('./bare-write-server.js');
const { db, file, create } = floor;
const n = Number(process.argv[2] ?? 3000);
for (const option of (process.env.BENCH_FTS ?? '').split(';').filter(Boolean)) {
  db.prepare(`insert into customers_search(customers_search, rank) values (${option})`).run();
}
const countPages = process.env.BENCH_CHECKPOINT === 'none';
const walBytes = () => fs.statSync(`${file}-wal`).size;
const PAGE_FRAME = 4096 + 24;

const walls: number[] = [];
const pages: number[] = [];
const caller = floor.caller();
const cpu0 = process.cpuUsage();
for (let i = 0; i < n; i++) {
  const before = countPages ? walBytes() : 0;
  const t = performance.now();
  create({ email: `probe${process.pid}.${i}@example.com`, firstName: 'Bench', lastName: `Writer ${i}`, company: 'Floor Co' }, caller, null);
  walls.push(performance.now() - t);
  if (countPages) pages.push((walBytes() - before) / PAGE_FRAME);
}
const cpu = process.cpuUsage(cpu0);
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const total = walls.reduce((a, b) => a + b, 0);
const slow = walls.filter((w) => w > 10).reduce((a, b) => a + b, 0);
console.log(
  `${n} creates, checkpoint ${process.env.BENCH_CHECKPOINT ?? 'thread'}: per create p50 ${q(walls, 0.5).toFixed(2)} p90 ${q(walls, 0.9).toFixed(2)} ` +
    `p99 ${q(walls, 0.99).toFixed(2)} max ${q(walls, 1).toFixed(2)} ms; total ${(total / 1000).toFixed(2)} s, ${(slow / 1000).toFixed(2)} s of it in creates > 10 ms; ` +
    `main-thread CPU ${((cpu.user + cpu.system) / n).toFixed(0)} µs per create`,
);
if (countPages) {
  const big = pages.flatMap((p, i) => (p > 150 ? [`#${i}: ${p}`] : []));
  console.log(
    `WAL pages per create: mean ${(pages.reduce((a, b) => a + b, 0) / n).toFixed(1)} p50 ${q(pages, 0.5)} p99 ${q(pages, 0.99)} max ${q(pages, 1)}; creates over 150 pages: ${big.join(', ')}`,
  );
}
process.exit(0);
