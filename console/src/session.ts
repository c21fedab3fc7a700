import type { User } from '@carly/client';

/**
 * The browser side of the console's session. The refresh token never reaches this page: the
 * server keeps it in an HttpOnly cookie (Path=/console/) and these routes answer only an access
 * token, which lives in this module's memory (the SDK client holds it). A reload spends the
 * cookie once for a new access token, so the person stays signed in; nothing is written to
 * localStorage or sessionStorage.
 */
export interface SessionAnswer {
  accessToken: string;
  expiresIn: number;
  user?: User;
}

export class SessionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null,
  ) {
    super(message);
  }
}

async function post(path: string, body?: unknown, accessToken?: string | null): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  return fetch(`/console/session${path}`, {
    method: 'POST',
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function failure(res: Response): Promise<SessionError> {
  const body = (await res.json().catch(() => null)) as { code?: string; message?: string } | null;
  const retry = res.headers.get('retry-after');
  return new SessionError(res.status, body?.code ?? 'ERROR', body?.message ?? `The server answered ${res.status}`, retry ? Number(retry) : null);
}

export async function signIn(email: string, password: string): Promise<SessionAnswer> {
  const res = await post('', { email, password });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as SessionAnswer;
}

let refreshing: Promise<string | null> | null = null;

/**
 * A new access token from the cookie, or null when there is no session. Calls made together
 * share one refresh: the cookie's refresh token is single-use, and presenting a spent one ends
 * the whole session (the server's theft detection).
 */
export function refreshAccessToken(): Promise<string | null> {
  refreshing ??= (async () => {
    try {
      const res = await post('/refresh');
      if (res.status === 401 || res.status === 403) return null;
      if (!res.ok) throw await failure(res);
      return ((await res.json()) as SessionAnswer).accessToken;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Ends the session on the server (and its cookie), whatever the access token's state. */
export async function signOut(accessToken: string | null): Promise<void> {
  await post('/logout', undefined, accessToken);
}
