import { context, type Context as OtelContext, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { recordFailure } from './span-errors.js';
import type { ProcedureTracer } from './types.js';

/**
 * Procedure spans under `parent` (the request's server span). Each call of a tRPC batch gets its
 * own span; the call runs with that span active, so the statements it runs become its children.
 */
export function procedureTracer(tracer: Tracer, parent: OtelContext): ProcedureTracer {
  return {
    async procedure<R>(path: string, type: string, run: () => Promise<R>): Promise<R> {
      const span = tracer.startSpan(
        path,
        { kind: SpanKind.INTERNAL, attributes: { 'rpc.system.name': 'trpc', 'rpc.method': path, 'carly.procedure.type': type } },
        parent,
      );
      try {
        const result = await context.with(trace.setSpan(parent, span), run);
        // tRPC middlewares hand failures back as `{ ok: false, error }` rather than throwing.
        if (isFailedResult(result)) recordFailure(span, result.error);
        else span.setAttribute('rpc.status_code', 'OK');
        return result;
      } catch (err) {
        recordFailure(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  };
}

function isFailedResult(result: unknown): result is { ok: false; error: unknown } {
  return typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === false && 'error' in result;
}
