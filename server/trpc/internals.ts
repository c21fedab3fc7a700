/**
 * The one door to tRPC's internals. Everything Carly uses from `@trpc/server`'s
 * `unstable-core-do-not-import` entry (which tRPC may change in any release) is here, so an
 * upgrade has one file to check; `test/trpc-internals.test.ts` exercises each piece on a tiny
 * router and fails loudly when its shape changes. @trpc/server is pinned to an exact version.
 *
 * What we rely on, and why:
 * - a procedure is callable as `procedure({ ctx, getRawInput, path, type, signal? })`
 *   and resolves to its output (or throws): the REST routes and the tRPC fast lane call
 *   procedures directly instead of through the adapter's Fetch machinery (profiled: ~200 µs);
 * - `router._def.procedures` lists every procedure by dotted path, and `_def._config` holds the
 *   transformer and error formatter;
 * - `getErrorShape` + `transformTRPCResponse` build exactly the body tRPC's adapter would send;
 * - `getTRPCErrorFromUnknown` wraps any thrown value as tRPC does;
 * - a subscription's resolver yields `tracked(id, data)` envelopes that `isTrackedEnvelope` tells
 *   apart (the SSE lane writes them as tRPC's SSE producer does).
 */
import type { AnyProcedure, TRPCError } from '@trpc/server';
import { type AnyRouter, getErrorShape, getTRPCErrorFromUnknown, isTrackedEnvelope, transformTRPCResponse } from '@trpc/server/unstable-core-do-not-import';

export type { AnyRouter };
export type ProcedureType = 'query' | 'mutation' | 'subscription';

/** Every procedure of a router by its dotted path (`customers.get`). */
export function proceduresOf(router: AnyRouter): Record<string, AnyProcedure> {
  return router._def.procedures as Record<string, AnyProcedure>;
}

export const procedureType = (procedure: AnyProcedure): ProcedureType => procedure._def.type as ProcedureType;
export const procedureMeta = <M>(procedure: AnyProcedure): M | undefined => procedure._def.meta as M | undefined;
export const takesInput = (procedure: AnyProcedure): boolean => procedure._def.inputs.length > 0;

/** Runs one procedure call with its middlewares, input parsing and output validation. */
export function callProcedure(procedure: AnyProcedure, call: { ctx: unknown; input: unknown; path: string; signal?: AbortSignal }): Promise<unknown> {
  // tRPC copies these options (twice) at every middleware of the chain: keys that would be
  // undefined or unused (`signal` without one, `batchIndex`, which no middleware reads) are left
  // out, so each copy is smaller.
  const options = { ctx: call.ctx, getRawInput: async () => call.input, path: call.path, type: procedureType(procedure) };
  return procedure((call.signal ? { ...options, signal: call.signal } : options) as Parameters<AnyProcedure>[0]) as Promise<unknown>;
}

/** The router's transformer (superjson), to read tRPC inputs off the wire. */
export const deserializeInput = (router: AnyRouter, raw: unknown): unknown => router._def._config.transformer.input.deserialize(raw);

export const toTRPCError = (cause: unknown): TRPCError => getTRPCErrorFromUnknown(cause);

/** The JSON body tRPC's adapter sends for one call's result. */
export function resultBody(router: AnyRouter, data: unknown): unknown {
  return transformTRPCResponse(router._def._config, { result: { data } });
}

/** The JSON body and HTTP status tRPC's adapter sends for one call's error. */
export function errorBody(
  router: AnyRouter,
  error: TRPCError,
  call: { type: ProcedureType; path: string; input: unknown; ctx: unknown },
): { status: number; body: unknown } {
  const shape = getErrorShape({ config: router._def._config, error, type: call.type, path: call.path, input: call.input, ctx: call.ctx });
  const status = (shape as { data?: { httpStatus?: number } }).data?.httpStatus ?? 500;
  return { status, body: transformTRPCResponse(router._def._config, { error: shape }) };
}

/**
 * A middleware's answer without calling `next()`: the procedure resolves to `data`, and the later
 * middlewares (input parsing, output validation) and the handler do not run. Relies on the
 * middleware result's shape `{ ok, data, marker }`.
 */
export function answerWithout<T>(data: unknown): T {
  return { ok: true, data, marker: 'middlewareMarker' } as T;
}

/** A value a subscription yielded with `tracked(id, data)`: its id and data; null for a plain value. */
export function trackedParts(value: unknown): { id: string; data: unknown } | null {
  return isTrackedEnvelope(value) ? { id: value[0], data: value[1] } : null;
}

/** The router's transformer applied to one value sent to the client (superjson). */
export const serializeOutput = (router: AnyRouter, value: unknown): unknown => router._def._config.transformer.output.serialize(value);

/** The error shape tRPC sends for a failed call, serialized (the `data` of an SSE `serialized-error`). */
export function serializedErrorShape(router: AnyRouter, error: TRPCError, call: { type: ProcedureType; path: string; input: unknown; ctx: unknown }): unknown {
  const shape = getErrorShape({ config: router._def._config, error, type: call.type, path: call.path, input: call.input, ctx: call.ctx });
  return serializeOutput(router, shape);
}
