/**
 * Answers that may be cached: they carry no token, secret or personal data. Everything else —
 * every REST and tRPC answer, errors, the account pages (their URL holds a token), /metrics —
 * gets `Cache-Control: no-store`, so a route added later is covered without asking.
 */
const CACHEABLE_EXACT = new Set(['/', '/health', '/api/openapi.json']);
const CACHEABLE_PREFIXES = ['/api/ui/', '/assets/'];

export function isCacheable(url: string): boolean {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return CACHEABLE_EXACT.has(path) || path === '/api/ui' || CACHEABLE_PREFIXES.some((p) => path.startsWith(p));
}

export const NO_STORE = { 'cache-control': 'no-store' } as const;
