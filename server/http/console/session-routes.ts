import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppCaller } from '../../app.js';
import { toContractError } from '../../contract-error.js';
import { clearedRefreshCookie, readRefreshCookie, refreshCookie } from './session-cookie.js';

export interface ConsoleSessionDeps {
  /** A caller of the router acting for this request, as `authorization` (or nobody). */
  callerFor: (request: FastifyRequest, authorization: string | null) => AppCaller;
  /** PUBLIC_URL: its origin is accepted besides the request's own, and https there means Secure cookies. */
  publicUrl: string;
  /** How long a session lives: the cookie's Max-Age. */
  sessionTtlDays: number;
}

/**
 * The console's session routes. They are not part of the API: they exist so that a browser page
 * never holds a refresh token. Login and refresh answer only the access token (the page keeps it
 * in memory); the refresh token goes into an HttpOnly cookie scoped to /console/, rotated on each
 * refresh. Each one runs the very procedure the API runs (auth.login, auth.refresh, auth.logout:
 * same throttling, audit entries and reuse detection), through an in-process caller.
 *
 * Cross-site requests are refused twice: SameSite=Strict keeps the cookie off them, and these
 * routes answer 403 unless the Origin header is this server's own origin.
 */
export function registerConsoleSessionRoutes(app: FastifyInstance, deps: ConsoleSessionDeps) {
  const publicOrigin = new URL(deps.publicUrl).origin;
  const maxAgeSeconds = deps.sessionTtlDays * 86_400;
  // request.protocol reads X-Forwarded-Proto only when TRUST_PROXY trusts the proxy that sent it.
  const secureFor = (request: FastifyRequest) => request.protocol === 'https' || publicOrigin.startsWith('https:');
  const sameOrigin = (request: FastifyRequest) => {
    const origin = request.headers.origin;
    return origin !== undefined && (origin === `${request.protocol}://${request.host}` || origin === publicOrigin);
  };
  const fail = (reply: FastifyReply, err: unknown) => {
    const { status, body, retryAfterSeconds } = toContractError(err);
    if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
    return reply.code(status).send(body);
  };
  const route = (url: string, operation: string, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    app.post(url, { config: { operation }, schema: { hide: true } }, async (request, reply) => {
      if (!sameOrigin(request)) {
        return reply.code(403).send({ code: 'FORBIDDEN', message: 'The console session routes answer pages of this server only (Origin mismatch)' });
      }
      try {
        return await handler(request, reply);
      } catch (err) {
        return fail(reply, err);
      }
    });

  route('/console/session', 'console:session.login', async (request, reply) => {
    const { user, tokens } = await deps.callerFor(request, null).auth.login(request.body as { email: string; password: string });
    void reply.header('set-cookie', refreshCookie(tokens.refreshToken, { secure: secureFor(request), maxAgeSeconds }));
    return { accessToken: tokens.accessToken, tokenType: tokens.tokenType, expiresIn: tokens.expiresIn, user };
  });

  route('/console/session/refresh', 'console:session.refresh', async (request, reply) => {
    const refreshToken = readRefreshCookie(request.headers.cookie);
    if (!refreshToken) return reply.code(401).send({ code: 'UNAUTHORIZED', message: 'Not signed in' });
    try {
      const { tokens } = await deps.callerFor(request, null).auth.refresh({ refreshToken });
      void reply.header('set-cookie', refreshCookie(tokens.refreshToken, { secure: secureFor(request), maxAgeSeconds }));
      return { accessToken: tokens.accessToken, tokenType: tokens.tokenType, expiresIn: tokens.expiresIn };
    } catch (err) {
      // A refused refresh token is over for good: do not keep sending it.
      void reply.header('set-cookie', clearedRefreshCookie(secureFor(request)));
      throw err;
    }
  });

  route('/console/session/logout', 'console:session.logout', async (request, reply) => {
    // Ends the session server-side with whatever the page still has: its access token, or (when
    // that has expired) the cookie's refresh token, spent for a moment's access token.
    const ended = await endSession(deps, request);
    void reply.header('set-cookie', clearedRefreshCookie(secureFor(request)));
    return reply.code(200).send({ ended });
  });
}

async function endSession(deps: ConsoleSessionDeps, request: FastifyRequest): Promise<boolean> {
  const authorization = request.headers.authorization;
  if (authorization) {
    try {
      await deps.callerFor(request, authorization).auth.logout();
      return true;
    } catch {
      // Expired or already ended: try the cookie.
    }
  }
  const refreshToken = readRefreshCookie(request.headers.cookie);
  if (!refreshToken) return false;
  try {
    const { tokens } = await deps.callerFor(request, null).auth.refresh({ refreshToken });
    await deps.callerFor(request, `Bearer ${tokens.accessToken}`).auth.logout();
    return true;
  } catch {
    return false;
  }
}
