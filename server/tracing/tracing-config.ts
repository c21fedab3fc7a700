import { z } from 'zod';

/**
 * The OpenTelemetry variables Carly reads itself, with their standard names and meanings. Tracing
 * is on exactly when an OTLP endpoint is set (and neither OTEL_SDK_DISABLED nor
 * OTEL_TRACES_EXPORTER=none turns it off). Everything else the OpenTelemetry SDK reads from the
 * environment on its own: OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS, _TIMEOUT, _COMPRESSION,
 * _CERTIFICATE, OTEL_TRACES_SAMPLER / _ARG, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*,
 * OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT.
 */
export const tracingEnvSchema = {
  // The spec: only "true" (any case) disables; any other value leaves the SDK on.
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { message: 'Carly exports traces with "otlp" (or "none" to turn them off)' }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .url()
    .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
    .optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .string()
    .url()
    .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
    .optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json'], { message: 'must be http/protobuf or http/json (grpc is not supported)' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z
    .enum(['http/protobuf', 'http/json'], { message: 'must be http/protobuf or http/json (grpc is not supported)' })
    .optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
};

type TracingEnv = z.infer<z.ZodObject<typeof tracingEnvSchema>>;

export interface TracingConfig {
  /** Where spans are POSTed (OTLP/HTTP): OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  tracesUrl: string;
  /** OTLP's default is protobuf; JSON for receivers that want it. */
  protocol: 'http/protobuf' | 'http/json';
  /** OTEL_SERVICE_NAME when set; otherwise `service.name` from OTEL_RESOURCE_ATTRIBUTES, else `carly`. */
  serviceName: string | undefined;
}

/** The tracing settings, or null when tracing is off (no endpoint, or turned off explicitly). */
export function tracingConfig(env: TracingEnv): TracingConfig | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return null;
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? withTracesPath(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (!tracesUrl) return null;
  return {
    tracesUrl,
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    serviceName: env.OTEL_SERVICE_NAME,
  };
}

/** The spec's rule for the signal-less endpoint: the base URL plus `v1/traces`. */
function withTracesPath(base: string | undefined): string | undefined {
  if (!base) return undefined;
  return `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
}
