/**
 * Request bodies on every route and content type respect BODY_LIMIT_BYTES, and a content type a
 * route does not speak gets 415 before its body is read (issue 14, item 1: tRPC's fastify adapter
 * used to read multipart/form-data bodies of any size). Runs a real server process, so the
 * resident memory measured is the server's own.
 */
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { type ServerProcess, spawnServer } from './helpers/process.js';
import { tempDir, usingPostgres } from './helpers/server.js';

const MiB = 1024 * 1024;
const BOUNDARY = 'carly-test-boundary';

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * POSTs `size` bytes with node:http: with a Content-Length, or chunked when `chunked`. Keeps
 * writing while the server reads; an answer that comes early (and a reset after it) is kept.
 */
function post(base: string, urlPath: string, contentType: string, size: number, chunked: boolean): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(urlPath, base);
    const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const tail = `\r\n--${BOUNDARY}--\r\n`;
    const headers: Record<string, string> = { 'content-type': contentType };
    if (!chunked) headers['content-length'] = String(size);
    const req = http.request(url, { method: 'POST', headers });
    let answered: RawAnswer | undefined;
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        answered = { status: res.statusCode ?? 0, headers: res.headers, text };
        resolve(answered);
      });
    });
    req.on('error', (err) => (answered ? resolve(answered) : reject(err)));
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const write = () => {
      while (sent < size) {
        let piece: Buffer;
        if (sent === 0) piece = Buffer.concat([Buffer.from(head), chunk]).subarray(0, Math.min(size, head.length + chunk.length));
        else if (size - sent <= tail.length) piece = Buffer.from(tail).subarray(tail.length - (size - sent));
        else piece = chunk.subarray(0, Math.min(chunk.length, size - sent - tail.length));
        sent += piece.length;
        if (req.destroyed) return;
        if (!req.write(piece)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

/** Resident memory of a process, in bytes, from /proc. */
function rssOf(pid: number): number {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) * 1024;
}

describe('body limits on /trpc (a real server process)', () => {
  const dataDir = tempDir('carly-bodies-');
  let server: ServerProcess;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    let databaseUrl = '';
    if (usingPostgres()) {
      const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
      databaseUrl = scratch.url;
      dropDatabase = scratch.drop;
    }
    server = await spawnServer({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, BCRYPT_COST: '4' });
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await dropDatabase?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a 2 MiB multipart body to /trpc/auth.login with 413 in the contract shape, and the client receives it', async () => {
    const r = await post(server.url, '/trpc/auth.login', `multipart/form-data; boundary=${BOUNDARY}`, 2 * MiB, false);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) });
    expect(r.headers['x-request-id']).toBeTruthy();
  });

  it('refuses multipart, text and other bodies /trpc does not speak with 415 before reading them', async () => {
    for (const [contentType, size] of [
      [`multipart/form-data; boundary=${BOUNDARY}`, 300],
      [`multipart/form-data; boundary=${BOUNDARY}`, 2 * MiB],
      ['text/plain', 200],
      ['application/octet-stream', 200],
      ['application/x-www-form-urlencoded', 200],
    ] as const) {
      const r = await post(server.url, '/trpc/auth.login', contentType, size, true);
      expect(r.status, `${contentType} ${size} bytes`).toBe(415);
      expect(JSON.parse(r.text), contentType).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String) });
    }
  });

  it('answers a chunked JSON body over the limit with 413 on /trpc and on REST', async () => {
    for (const urlPath of ['/trpc/auth.login', '/auth/login']) {
      const r = await post(server.url, urlPath, 'application/json', 2 * MiB, true);
      expect(r.status, urlPath).toBe(413);
      expect(JSON.parse(r.text)).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) });
    }
  });

  it("does not grow the server's memory by the size of large multipart bodies", async () => {
    const size = 48 * MiB;
    const multipart = `multipart/form-data; boundary=${BOUNDARY}`;
    // Warm up: the first large body grows the heap once whatever is done with it (measured: ~28 MiB
    // when discarded); read in full, every further one grew the process by about its size again.
    expect((await post(server.url, '/trpc/auth.login', multipart, size, true)).status).toBe(415);
    expect((await post(server.url, '/trpc/auth.login', multipart, size, false)).status).toBe(413);
    const before = rssOf(server.child.pid!);
    const statuses: number[] = [];
    for (const chunked of [true, true, true, false]) statuses.push((await post(server.url, '/trpc/auth.login', multipart, size, chunked)).status);
    const grown = rssOf(server.child.pid!) - before;
    expect(statuses).toEqual([415, 415, 415, 413]);
    // Read in full, four bodies grow it by about 4 × 48 MiB; discarded, by allocator noise that
    // measured 5–25 MiB from run to run on a loaded box. Less than one body's size tells them apart.
    expect(grown, `RSS grew by ${(grown / MiB).toFixed(1)} MiB over four ${size / MiB} MiB bodies`).toBeLessThan(size);
    // And it still serves.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  }, 120_000);
});
