import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnCommand } from './processes.js';

/**
 * The bench's load generator: wrk (C, epoll; Debian's `wrk` package), driven by a Lua script written
 * to a temp dir at run time. Why not autocannon: in the bench's own process it needed more CPU per
 * request than the bare server it measured, so the bare figure (and every ratio to it) measured
 * the driver. wrk spends a fraction of that, and the bench reports how much (driverCpuUs).
 *
 * The script rotates every connection through a list of paths (and bodies), one per line in
 * files beside it, each request formatted once up front; each wrk thread starts at its own offset.
 */
export const WRK = process.env.BENCH_WRK ?? '/usr/bin/wrk';

export interface WrkSpec {
  base: string;
  paths: string[];
  /** POST bodies: request k sends paths[k % paths] with bodies[k % bodies]. */
  bodies?: string[];
  /** Idempotency-Key headers: request k sends keys[k % keys] (one fresh key per request when as many as requests). */
  keys?: string[];
  method: 'GET' | 'POST' | 'PATCH';
  headers: Record<string, string>;
  connections: number;
  threads: number;
  /** Seconds (whole seconds: wrk's -d resolution). */
  duration: number;
  /** Seconds before an unanswered request counts as a timeout. */
  timeout: number;
  /**
   * Count every status code and keep a few non-2xx bodies (a Lua `response` callback, which
   * makes wrk parse headers and bodies: about 10% more driver CPU). Without it wrk still counts
   * answers >= 400 (as statusErrors), which is what validity needs.
   */
  recordStatuses: boolean;
}

export interface WrkResult {
  requests: number;
  /** µs, as wrk measured its run. */
  durationUs: number;
  /** Latency of answered requests, µs. */
  p50Us: number;
  p95Us: number;
  p99Us: number;
  /** Answers with status >= 400. */
  statusErrors: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  /** Per status code, only with recordStatuses. */
  statusCodes: Record<string, number>;
  samples: string[];
  /** wrk's own CPU, user + system, all threads (Lua os.clock() is clock(): the process's CPU). */
  cpuUs: number;
}

/** A Lua string literal for any string (decimal escapes for everything not plainly printable). */
const luaString = (s: string) =>
  `"${Array.from(Buffer.from(s, 'utf8'))
    .map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`))
    .join('')}"`;

function luaScript(dir: string, spec: WrkSpec, threads: number): string {
  const headers = Object.entries(spec.headers)
    .map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`)
    .join(', ');
  return `-- written by scripts/bench/wrk.ts for one run
local function load(file)
  local list = {}
  for line in io.lines(file) do list[#list + 1] = line end
  return list
end
local paths = load(${luaString(path.join(dir, 'paths.txt'))})
local bodies = ${spec.bodies ? `load(${luaString(path.join(dir, 'bodies.txt'))})` : 'nil'}
local keys = ${spec.keys ? `load(${luaString(path.join(dir, 'keys.txt'))})` : 'nil'}
local method = ${luaString(spec.method)}
local headers = { ${headers} }
-- Every request is formatted once, up front: wrk.format per request cost the driver ~3.5 µs each.
local n = math.max(#paths, bodies and #bodies or 0, keys and #keys or 0)
local requests = {}
local i = 0

-- main state: remember the threads so done() can read their counters
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_index", #threads)
end

-- each thread's own state
function init(args)
  for k = 1, n do
    local p = paths[(k - 1) % #paths + 1]
    local h = headers
    if keys then
      h = {}
      for name, value in pairs(headers) do h[name] = value end
      h["Idempotency-Key"] = keys[(k - 1) % #keys + 1]
    end
    if bodies then
      requests[k] = wrk.format(method, p, h, bodies[(k - 1) % #bodies + 1])
    else
      requests[k] = wrk.format(method, p, h)
    end
  end
  i = math.floor(n * ((thread_index or 1) - 1) / ${threads})
end

function request()
  i = i + 1
  if i > n then i = 1 end
  return requests[i]
end
${
  spec.recordStatuses
    ? `
statuses = {}
samples = {}
function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
  if (status < 200 or status > 299) and #samples < 3 then
    samples[#samples + 1] = status .. " " .. string.sub(body or "", 1, 300)
  end
end
`
    : ''
}
local function json_string(s)
  return '"' .. string.gsub(s, '[%c"\\\\\\128-\\255]', function(c) return string.format("\\\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local codes = {}
  local texts = {}
  for _, t in ipairs(threads) do
    local st = t:get("statuses")
    if st then for code, count in pairs(st) do codes[code] = (codes[code] or 0) + count end end
    local sm = t:get("samples")
    if sm then for _, s in ipairs(sm) do if #texts < 3 then texts[#texts + 1] = json_string(s) end end end
  end
  local parts = {}
  for code, count in pairs(codes) do parts[#parts + 1] = '"' .. code .. '":' .. count end
  local e = summary.errors
  local out = io.open(${luaString(path.join(dir, 'result.json'))}, "w")
  out:write(string.format(
    '{"requests":%d,"durationUs":%d,"p50Us":%.1f,"p95Us":%.1f,"p99Us":%.1f,"statusErrors":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"cpuUs":%.0f,"statusCodes":{%s},"samples":[%s]}',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout, os.clock() * 1e6,
    table.concat(parts, ","), table.concat(texts, ",")))
  out:close()
end
`;
}

let checked = false;
/** Fails early, with the fix, when wrk is missing. */
export function assertWrk() {
  if (checked) return;
  try {
    execFileSync(WRK, ['--version'], { stdio: 'pipe' });
  } catch (err) {
    // wrk --version prints its usage and exits 1; only a missing binary is a problem.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `the bench drives load with wrk, not found at ${WRK}: install it (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk) or set BENCH_WRK`,
      );
    }
  }
  checked = true;
}

/** Runs wrk once, with its pid reported as soon as it exists (for CPU accounting by the caller). */
export async function runWrk(spec: WrkSpec, onStart?: (pid: number) => void): Promise<WrkResult> {
  assertWrk();
  if (spec.paths.length === 0) throw new Error('wrk: no paths');
  if (spec.paths.some((p) => !p.startsWith('/') || /[\s]/.test(p)))
    throw new Error('wrk: every path must start with / and hold no whitespace (percent-encode it)');
  if (spec.bodies?.some((b) => /[\r\n]/.test(b))) throw new Error('wrk: bodies are stored one per line and must hold no newline');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carly-bench-wrk-'));
  try {
    fs.writeFileSync(path.join(dir, 'paths.txt'), `${spec.paths.join('\n')}\n`);
    if (spec.bodies) fs.writeFileSync(path.join(dir, 'bodies.txt'), `${spec.bodies.join('\n')}\n`);
    if (spec.keys) fs.writeFileSync(path.join(dir, 'keys.txt'), `${spec.keys.join('\n')}\n`);
    const threads = Math.max(1, Math.min(spec.threads, spec.connections));
    const script = path.join(dir, 'load.lua');
    fs.writeFileSync(script, luaScript(dir, spec, threads));
    const args = [
      '-t',
      String(threads),
      '-c',
      String(spec.connections),
      '-d',
      `${Math.max(1, Math.round(spec.duration))}s`,
      '--timeout',
      `${Math.max(1, Math.round(spec.timeout))}s`,
      '-s',
      script,
      spec.base,
    ];
    const child = spawnCommand('wrk', WRK, args, { cwd: dir, env: { ...process.env } });
    child.stopping = true; // its exit is expected
    if (child.proc.pid) onStart?.(child.proc.pid);
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), (spec.duration + spec.timeout + 30) * 1000);
    const { code, signal } = await child.exited;
    clearTimeout(timer);
    const resultFile = path.join(dir, 'result.json');
    if (code !== 0 || !fs.existsSync(resultFile)) throw new Error(`wrk exited with code ${code} signal ${signal}:\n${child.tail.join('\n')}`);
    return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as WrkResult;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
