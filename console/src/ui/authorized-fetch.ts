import { CarlyError, type CarlyErrorCode } from '@carly/client';
import { carly } from '../carly.js';
import { refreshAccessToken } from '../session.js';

/**
 * A plain `fetch` of an API route with the in-memory access token (for the REST-only streaming
 * routes, which are not procedures): after a 401 a new access token from the cookie route, and one
 * retry. A refusal becomes the SDK's `CarlyError` (the server's `{ code, message, issues }`), so it
 * is shown in words like any other API error.
 */
export async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const token = carly.accessToken;
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    const res = await fetch(path, { ...init, headers, credentials: 'omit' });
    if (res.status === 401 && attempt === 0) {
      const fresh = await refreshAccessToken();
      if (fresh) {
        carly.setAccessToken(fresh);
        continue;
      }
    }
    if (res.ok) return res;
    throw await errorOf(res);
  }
}

async function errorOf(res: Response): Promise<CarlyError> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string; issues?: { path: string | (string | number)[]; message: string }[] };
  return new CarlyError(body.message ?? `The server answered ${res.status}`, {
    code: (body.code ?? (res.status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST')) as CarlyErrorCode,
    status: res.status,
    issues: (body.issues ?? []).map((i) => ({ path: Array.isArray(i.path) ? i.path.join('.') : String(i.path), message: i.message })),
    requestId: res.headers.get('x-request-id') ?? undefined,
  });
}
