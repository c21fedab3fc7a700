import http from 'node:http';
import https from 'node:https';
import { checkLiteralHost, ForbiddenAddressError, guardedLookup, socketHost } from './address-guard.js';
import { BodyPrefix, keptHeaders } from './response-capture.js';

/** What one POST came to. */
export type PostOutcome =
  | {
      kind: 'response';
      status: number;
      retryAfterSeconds: number | null;
      durationMs: number;
      /** The diagnostic headers (response-capture.ts) and the first 4 KiB of the body, kept with the attempt. */
      headers: Record<string, string>;
      body: string;
    }
  /** `timedOut`: no complete answer within the timeout (a sign of an overloaded receiver). */
  | { kind: 'error'; error: string; durationMs: number; timedOut?: boolean }
  /** Stopped by us (shutdown, or the webhook was deleted), not by the receiver. */
  | { kind: 'aborted'; durationMs: number };

export interface SenderOptions {
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  userAgent: string;
}

/** At most this many bytes of an answer are read: its status matters, and its first 4 KiB are kept. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** `Retry-After` as seconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/**
 * POSTs webhook bodies. Keep-alive agents (one per scheme) whose sockets resolve names through
 * the address guard unless private networks are allowed; IP literals are checked before
 * connecting (the socket layer never looks them up). Redirects are not followed (a 3xx is a
 * failure), and the whole exchange must finish within the timeout.
 */
export class WebhookSender {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly options: SenderOptions) {
    const lookup = options.allowPrivateNetworks ? undefined : guardedLookup;
    // `timeout` also lets Node's agent honour a receiver's `Keep-Alive: timeout=N` answer (it
    // closes an idle socket a second before N; without an agent timeout Node 20 ignores the
    // hint). Otherwise a socket the receiver is closing can be reused, and the POST fails with a
    // reset the receiver never saw: a 'retrying' first attempt (a CI run saw two, with a Node
    // receiver's 5 s). The request's own limit is the timer below; nothing listens to the
    // socket's timeout events (test/webhook-sender.keep-alive.test.ts).
    const common = { keepAlive: true, timeout: options.timeoutMs, scheduling: 'lifo' as const, ...(lookup ? { lookup } : {}) };
    this.agents = { http: new http.Agent(common), https: new https.Agent(common) };
  }

  post(target: string, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<PostOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return Promise.resolve({ kind: 'error', error: 'invalid URL', durationMs: 0 });
    }
    if (!this.options.allowPrivateNetworks) {
      const refused = checkLiteralHost(socketHost(url));
      if (refused) return Promise.resolve({ kind: 'error', error: refused.message, durationMs: 0 });
    }
    const secure = url.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    return new Promise<PostOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: PostOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.agents.https : this.agents.http,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length), 'user-agent': this.options.userAgent },
      });
      const timer = setTimeout(() => {
        finish({ kind: 'error', error: `timeout: no complete answer within ${this.options.timeoutMs / 1000} s`, durationMs: elapsed(), timedOut: true });
        request.destroy();
      }, this.options.timeoutMs);
      const onAbort = () => {
        finish({ kind: 'aborted', durationMs: elapsed() });
        request.destroy();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('response', (response) => {
        // The answer counts once it has fully arrived (a 2xx within the timeout); its first 4 KiB are kept.
        let read = 0;
        const body = new BodyPrefix();
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          body.add(chunk);
          if (read > MAX_ANSWER_BYTES) response.destroy();
        });
        const done = () =>
          finish({
            kind: 'response',
            status: response.statusCode ?? 0,
            retryAfterSeconds: parseRetryAfter(response.headers['retry-after'], Date.now()),
            durationMs: elapsed(),
            headers: keptHeaders(response.headers),
            body: body.text(),
          });
        response.on('end', done);
        // A receiver that sends more than we read: its status still stands.
        response.on('close', done);
      });
      request.on('error', (err: NodeJS.ErrnoException) => {
        const message = err instanceof ForbiddenAddressError ? err.message : `${err.code ?? err.name}: ${err.message}`;
        finish({ kind: 'error', error: message.slice(0, 400), durationMs: elapsed() });
      });
      request.end(payload);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
