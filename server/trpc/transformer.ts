import { TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodRealError } from 'zod';
import { RESERVED_KEYS } from '../../client-sdk/src/schemas/common.js';

/** The path of the first reserved key (`__proto__`, `constructor`, `prototype`) in a parsed JSON value. */
function reservedKeyPath(value: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = reservedKeyPath(value[i], [...path, i]);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (RESERVED_KEYS.has(key)) return [...path, key];
      const found = reservedKeyPath((value as Record<string, unknown>)[key], [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * superjson, refusing reserved keys in what callers send. superjson's deserialize quietly drops a
 * `__proto__` key, so tRPC used to acknowledge input it did not keep, where REST answers 400;
 * now both wires answer 400 with the key's path, before anything runs.
 */
export const transformer = {
  input: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (value: unknown) => {
      const json = value !== null && typeof value === 'object' && 'json' in value ? (value as { json: unknown }).json : value;
      const at =
        reservedKeyPath(json) ??
        reservedKeyPath(value !== null && typeof value === 'object' && 'meta' in value ? (value as { meta: unknown }).meta : undefined, ['meta']);
      if (at) {
        // ZodRealError (an Error, unlike ZodError): the formatter turns it into `issues` as for any invalid input.
        const issues = [{ code: 'custom' as const, path: at, message: 'Reserved key: __proto__, constructor and prototype cannot be sent', input: undefined }];
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'Input validation failed', cause: new ZodRealError(issues) });
      }
      return superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]);
    },
  },
  output: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (value: unknown) => superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]),
  },
};
