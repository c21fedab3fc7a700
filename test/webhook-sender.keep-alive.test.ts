/**
 * The webhook sender's keep-alive sockets (server/webhooks/http-sender.ts) must not outlive the
 * receiver's: a socket the receiver is closing, reused for the next POST, fails with a reset the
 * receiver never saw. Node's agent closes an idle socket a second before the receiver's
 * `Keep-Alive: timeout=N`, but only when the agent has a timeout of its own (Node 20).
 * A real receiver on a loopback port: it keeps idle sockets 3 s and says so; the sender must
 * close its idle socket first (the receiver's socket then sees the sender's end), at about 2 s.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebhookSender } from '../server/webhooks/http-sender.js';

let server: http.Server;
let url: string;
/** Per accepted connection: whether the sender ended it (true) or the receiver closed it (false). */
const endedBySender: Promise<boolean>[] = [];

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = 3_000;
  server.on('connection', (socket) => {
    endedBySender.push(
      new Promise((resolve) => {
        let ended = false;
        socket.on('end', () => {
          ended = true;
        });
        socket.on('close', () => resolve(ended));
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('closes an idle socket before the receiver does, as its Keep-Alive header asks', async () => {
  const sender = new WebhookSender({ allowPrivateNetworks: true, timeoutMs: 15_000, userAgent: 'carly-test' });
  const outcome = await sender.post(url, { 'content-type': 'application/json' }, '{}');
  expect(outcome.kind).toBe('response');
  expect(endedBySender).toHaveLength(1);
  // Resolves when the connection closes: ~2 s if the sender closed it, 3 s if the receiver did.
  expect(await endedBySender[0]).toBe(true);
}, 10_000);
