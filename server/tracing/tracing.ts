/**
 * OpenTelemetry tracing, loaded only when an OTLP endpoint is configured (app.ts imports this
 * module dynamically): a tracer provider with a batch span processor and an OTLP/HTTP exporter
 * (protobuf or JSON), registered as the process's global provider with W3C Trace Context
 * propagation and an AsyncLocalStorage context manager.
 *
 * The SDK reads the rest of the standard environment itself: OTEL_EXPORTER_OTLP_(TRACES_)HEADERS,
 * _TIMEOUT, _COMPRESSION, _CERTIFICATE…, OTEL_TRACES_SAMPLER/_ARG (default parentbased_always_on),
 * OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT.
 */
import { context, DiagLogLevel, diag, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, emptyResource, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance } from 'fastify';
import { instrumentOrm, instrumentReadLane, instrumentWriteLane } from './db-spans.js';
import { httpSpans } from './http-spans.js';
import type { TracingConfig } from './tracing-config.js';
import type { Tracing } from './types.js';

/** How long shutdown waits for the last spans to reach the collector. */
const SHUTDOWN_FLUSH_MS = 2_000;

export function startTracing(config: TracingConfig, serviceVersion: string): Tracing {
  const exporter = config.protocol === 'http/json' ? new OtlpJsonExporter({ url: config.tracesUrl }) : new OtlpProtobufExporter({ url: config.tracesUrl });
  // Precedence (lowest first): the SDK's defaults, Carly's, OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'carly', [ATTR_SERVICE_VERSION]: serviceVersion }))
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(config.serviceName ? resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }) : emptyResource());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  const propagator = new W3CTraceContextPropagator();
  provider.register({ propagator });
  const tracer = provider.getTracer('carly', serviceVersion);
  const http = httpSpans(tracer, propagator);

  return {
    childLoggerFactory: http.childLoggerFactory,
    instrumentHttp(app: FastifyInstance, procedureNames: Set<string>) {
      reportDiagnosticsTo(app);
      http.instrumentHttp(app, procedureNames);
    },
    instrumentOrm: (orm, database) => instrumentOrm(tracer, orm, database),
    instrumentReadLane: (lane, database) => instrumentReadLane(tracer, lane, database),
    instrumentWriteLane: (lane, database) => instrumentWriteLane(tracer, lane, database),
    forRequest: http.forRequest,
    async shutdown() {
      try {
        // Ends the batch processor, which exports what it still holds; an unreachable collector
        // (the exporter retries for up to OTEL_EXPORTER_OTLP_TIMEOUT) must not hold the exit.
        let timer: NodeJS.Timeout | undefined;
        const flushed = await Promise.race([
          provider.shutdown().then(() => true),
          new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SHUTDOWN_FLUSH_MS))),
        ]).finally(() => clearTimeout(timer));
        if (!flushed) diag.warn(`spans not sent within ${SHUTDOWN_FLUSH_MS} ms of shutdown were dropped`);
      } catch (err) {
        diag.error('flushing spans at shutdown failed', err);
      } finally {
        // Unregistered, so the process (or the next app a test builds) starts clean.
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
      }
    },
  };
}

/** The SDK's own warnings and errors (an unreachable collector, a refused export) as app log lines. */
function reportDiagnosticsTo(app: FastifyInstance) {
  const log =
    (level: 'warn' | 'error') =>
    (message: string, ...args: unknown[]) => {
      const err = args.find((a) => a instanceof Error);
      app.log[level]({ component: 'opentelemetry', ...(err ? { err } : {}) }, message);
    };
  const quiet = () => {};
  diag.setLogger({ error: log('error'), warn: log('warn'), info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
}
