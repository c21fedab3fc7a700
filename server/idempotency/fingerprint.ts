import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth and Dates as ISO strings: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What "the same request" means for a key: the same operation with the same input, whichever
 * wire it came on (REST's path parameters and body, tRPC's input, compared as values).
 */
export const requestFingerprint = (operation: string, input: unknown): string =>
  createHash('sha256').update(operation).update('\n').update(canonicalJson(input)).digest('hex');
