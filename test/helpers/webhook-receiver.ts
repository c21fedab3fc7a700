import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request a receiver got. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How the receiver answers a request (the nth it got, from 1). */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Answer only after this long (a slow or hung receiver). */
  delayMs?: number;
  /** The answer's body ('ok' unless told). */
  body?: string;
}
export type Responder = (request: Received, n: number) => Answer;

/**
 * A real HTTP receiver on a loopback port, as a webhook consumer runs one: it records every
 * request and answers as the test says (200 by default).
 */
export class Receiver {
  readonly received: Received[] = [];
  /** Requests whose connection the sender closed before the receiver answered. */
  cutOff = 0;
  private constructor(
    private readonly server: http.Server,
    public respond: Responder,
  ) {}

  static async start(respond: Responder = () => ({ status: 200 }), host = '127.0.0.1'): Promise<Receiver> {
    const server = http.createServer();
    const receiver = new Receiver(server, respond);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const got: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        receiver.received.push(got);
        const answer = receiver.respond(got, receiver.received.length);
        res.on('close', () => {
          if (!res.writableEnded) receiver.cutOff++;
        });
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body ?? 'ok');
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
        else send();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests whose path is `path`. */
  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Waits until `done` holds (checked every 20 ms); throws after `timeoutMs` with what arrived. */
  async waitFor(done: (received: Received[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!done(this.received)) {
      if (Date.now() > until) throw new Error(`receiver: condition not met within ${timeoutMs} ms; got ${this.received.length} requests`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Verifies a received delivery with the `standardwebhooks` package, as receivers do; returns the parsed body. */
export function verifyReceived(secret: string, request: Received): { type: string; timestamp: string; data: Record<string, any> } {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  }) as { type: string; timestamp: string; data: Record<string, any> };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
