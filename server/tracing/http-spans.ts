import type { IncomingMessage } from 'node:http';
import {
  defaultTextMapGetter,
  type Context as OtelContext,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toContractError } from '../contract-error.js';
import { procedureTracer } from './procedure-spans.js';
import { recordError } from './span-errors.js';
import type { Tracing } from './types.js';

interface ServerSpan {
  span: Span;
  /** The context procedure spans take as their parent. */
  context: OtelContext;
  /** What Fastify's onError saw (REST errors; tRPC answers its errors itself). */
  error?: unknown;
}

/**
 * One SERVER span per HTTP request. It starts in Fastify's child-logger factory, the first code
 * Fastify runs for a request, so that the request's logger carries `trace_id` and `span_id` from
 * its first line on (`incoming request` at debug, `request completed`); it ends in onResponse (or onRequestAbort), named after
 * the route once routing is known. A W3C `traceparent` from the caller makes it a child of the
 * caller's span.
 */
export function httpSpans(tracer: Tracer, propagator: TextMapPropagator) {
  const open = new WeakMap<IncomingMessage, ServerSpan>();

  const childLoggerFactory: Tracing['childLoggerFactory'] = (logger, bindings, options, raw) => {
    const req = raw as IncomingMessage;
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_PATH]: query < 0 ? url : url.slice(0, query),
          [ATTR_URL_SCHEME]: 'http',
          [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
          ...(req.headers['user-agent'] ? { [ATTR_USER_AGENT_ORIGINAL]: req.headers['user-agent'] } : {}),
        },
      },
      parent,
    );
    // A request the sampler left out is not followed further: no procedure or statement spans,
    // no hooks' work. Its log lines still carry the ids, which a caller's trace may know.
    if (span.isRecording()) open.set(req, { span, context: trace.setSpan(parent, span) });
    const { traceId, spanId } = span.spanContext();
    return logger.child({ ...bindings, trace_id: traceId, span_id: spanId }, options);
  };

  function instrumentHttp(app: FastifyInstance, procedureNames: Set<string>) {
    app.addHook('onError', (request, _reply, error, done) => {
      const entry = open.get(request.raw);
      if (entry) entry.error = error;
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      end(request, reply);
      done();
    });
    app.addHook('onRequestAbort', (request, done) => {
      end(request, undefined);
      done();
    });

    function end(request: FastifyRequest, reply: FastifyReply | undefined) {
      const entry = open.get(request.raw);
      if (!entry) return;
      open.delete(request.raw);
      const { span, error } = entry;
      const route = routeOf(request, procedureNames);
      span.updateName(route ? `${request.method} ${route}` : request.method);
      if (route) span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_CLIENT_ADDRESS, request.ip);
      span.setAttribute('carly.request_id', request.id);
      if (!reply) {
        span.setAttribute('carly.aborted', true);
      } else {
        const status = reply.statusCode;
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        if (status >= 500) {
          if (error !== undefined) recordError(span, error);
          else span.setStatus({ code: SpanStatusCode.ERROR });
          // The semantic conventions' choice for a server span: the status code is the error type.
          span.setAttribute(ATTR_ERROR_TYPE, String(status));
        } else if (status >= 400 && error !== undefined) {
          span.setAttribute('carly.error.code', toContractError(error).body.code);
        }
      }
      span.end();
    }
  }

  /** Procedure spans of this request hang under its server span; none when it is not recorded. */
  function forRequest(request: FastifyRequest) {
    const entry = open.get(request.raw);
    return entry ? procedureTracer(tracer, entry.context) : undefined;
  }

  return { childLoggerFactory, instrumentHttp, forRequest };
}

/**
 * The route template (`/customers/:email`); for tRPC, the procedures the URL names
 * (`/trpc/customers.get`, a batch `/trpc/a.b,c.d`) when every one is a real procedure, so the
 * span names stay a small, bounded set.
 */
function routeOf(request: FastifyRequest, procedureNames: Set<string>): string | undefined {
  const template = request.routeOptions.url;
  if (template?.startsWith('/trpc/')) {
    const names = request.url.slice('/trpc/'.length).split('?')[0]!.split(',');
    if (names.every((n) => procedureNames.has(n))) return `/trpc/${names.join(',')}`;
  }
  return template;
}
