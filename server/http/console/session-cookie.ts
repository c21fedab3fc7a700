/**
 * The console's refresh-token cookie. HttpOnly (no script reads it), SameSite=Strict (no other
 * site's page makes the browser send it), Path=/console/ (the API routes never receive it, so it
 * can never act as an API credential), Secure when the console is served over https.
 */
export const REFRESH_COOKIE = 'carly_console_refresh';

export interface CookieOptions {
  secure: boolean;
  maxAgeSeconds: number;
}

export function refreshCookie(value: string, options: CookieOptions): string {
  return [
    `${REFRESH_COOKIE}=${value}`,
    'Path=/console/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** Expires the cookie at once (same name, path and flags, so the browser matches it). */
export function clearedRefreshCookie(secure: boolean): string {
  return refreshCookie('', { secure, maxAgeSeconds: 0 });
}

/** The refresh token from a Cookie header, if present. (Refresh tokens are URL-safe: no decoding.) */
export function readRefreshCookie(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === REFRESH_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}
