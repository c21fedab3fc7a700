import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from './helpers/auth.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let port: number;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  server = await startServer();
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await server.close();
});

const open = () =>
  new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
    sockets.push(s);
  });

describe('abuse does not stop other clients', () => {
  it('serves others while 200 connections sit idle and 50 send their bodies a byte at a time', async () => {
    const auth = await adminHeaders(server);
    const c = newCustomer();
    expect((await rest(server.url, 'POST', '/customers', c, auth)).status).toBe(200);
    for (let i = 0; i < 200; i++) await open();
    const slow: net.Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const s = await open();
      s.write(`POST /customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
      slow.push(s);
    }
    const drip = setInterval(() => slow.forEach((s) => s.write(' ')), 100);
    try {
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        const r = await rest(server.url, 'GET', customerPath(c.email), undefined, auth);
        expect(r.status).toBe(200);
        // Generous bound: the point is "answered while under abuse", not a latency target.
        expect(performance.now() - started).toBeLessThan(2_000);
      }
    } finally {
      clearInterval(drip);
    }
  });

  it('refuses oversized headers with 431', async () => {
    const res = await fetch(`${server.url}/health`, { headers: { 'x-padding': 'a'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
