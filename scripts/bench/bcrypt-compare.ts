/**
 * The login section's floor: raw `bcrypt.compare` throughput at a given cost, with at most
 * `concurrency` compares in flight (as the server's hash semaphore allows), for `seconds` s.
 * Runs as its own process (like a server) so it competes for the 2 cores the same way.
 *   node --import tsx scripts/bench/bcrypt-compare.ts COST CONCURRENCY SECONDS
 * Prints one JSON line: {"calls":N,"seconds":S,"cpuUs":U,"cpuTotalUs":T} (T: the whole process, start-up included).
 */
import bcrypt from 'bcrypt';

const [cost, concurrency, seconds] = process.argv.slice(2).map(Number);
if (!cost || !concurrency || !seconds) {
  console.error('usage: bcrypt-compare.ts COST CONCURRENCY SECONDS');
  process.exit(2);
}
const password = 'Bench-login-password-7f3a9c!';
const hash = await bcrypt.hash(password, cost);
// One compare each to warm up the thread pool.
await Promise.all(Array.from({ length: concurrency }, () => bcrypt.compare(password, hash)));

const cpu0 = process.cpuUsage();
const start = performance.now();
const deadline = start + seconds * 1000;
let calls = 0;
let last = start;
async function lane() {
  // Bounded by the deadline; a compare started before it is counted when it finishes.
  while (performance.now() < deadline) {
    if (!(await bcrypt.compare(password, hash))) throw new Error('compare returned false');
    calls++;
    last = performance.now();
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
const cpu = process.cpuUsage(cpu0);
const total = process.cpuUsage();
console.log(JSON.stringify({ calls, seconds: (last - start) / 1000, cpuUs: cpu.user + cpu.system, cpuTotalUs: total.user + total.system }));
