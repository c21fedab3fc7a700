/**
 * The two parts of `@opentelemetry/api` the client uses, described by their shape so that the SDK
 * has no dependency on OpenTelemetry: an app that traces passes the namespace of the API module it
 * already has, `createCarlyClient({ …, opentelemetry: otel })` (see the README).
 */
export interface OpenTelemetryApi {
  context: { active(): unknown };
  propagation: { inject(context: unknown, carrier: Record<string, string>): void };
}

/**
 * `headers` plus what the app's propagator writes for the active span: the W3C `traceparent`
 * (and `tracestate`, `baggage` when configured), so the server's spans join the caller's trace.
 * With no active span the propagator writes nothing.
 */
export function withTraceContext(api: OpenTelemetryApi, headers: Record<string, string>): Record<string, string> {
  const carrier = { ...headers };
  api.propagation.inject(api.context.active(), carrier);
  return carrier;
}
