/**
 * A minimal OTLP/HTTP trace receiver on 127.0.0.1, for tests and the bench: accepts
 * `POST /v1/traces` in both encodings (application/json and application/x-protobuf) and keeps
 * the spans, decoded into one plain shape. The protobuf reader knows just the fields of
 * opentelemetry/proto/trace/v1 that a test looks at.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, AttributeValue>;
  scope: string;
}

export interface ReceivedRequest {
  contentType: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  spans: number;
}

export interface OtlpReceiver {
  /** The base URL: set OTEL_EXPORTER_OTLP_ENDPOINT to it. */
  url: string;
  spans: ReceivedSpan[];
  requests: ReceivedRequest[];
  /** Resolves once `predicate` holds for the spans received so far; rejects after `timeoutMs`. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/**
 * Starts the receiver. With `countOnly`, spans are counted (in `requests`) but not kept or
 * decoded beyond that: the bench's receiver must stay cheap.
 */
export async function startOtlpReceiver(options: { countOnly?: boolean } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      let received: ReceivedSpan[] | number;
      try {
        const json = contentType.startsWith('application/json');
        received = options.countOnly ? (json ? decodeJson(body).length : countProtobufSpans(body)) : json ? decodeJson(body) : decodeProtobuf(body);
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
        return;
      }
      const count = typeof received === 'number' ? received : received.length;
      requests.push({ contentType, headers: req.headers, bytes: body.length, spans: count });
      if (typeof received !== 'number') spans.push(...received);
      // An empty ExportTraceServiceResponse: full success.
      if (contentType.startsWith('application/json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    waitFor(predicate, timeoutMs = 15_000) {
      if (predicate(spans)) return Promise.resolve(spans);
      return new Promise((resolve, reject) => {
        const wake = () => {
          if (!predicate(spans)) return;
          cleanup();
          resolve(spans);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`OTLP receiver: condition not met after ${timeoutMs} ms; ${spans.length} spans received: ${spans.map((s) => s.name).join(', ')}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        waiters.add(wake);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---- JSON (the OTLP/HTTP JSON mapping: ids in hex, int64 as strings or numbers) ----------------

interface JsonKeyValue {
  key: string;
  value?: { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number };
}

function jsonAttributes(list: JsonKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    if (!value) continue;
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
  }
  return out;
}

function decodeJson(body: Buffer): ReceivedSpan[] {
  const doc = JSON.parse(body.toString('utf8')) as {
    resourceSpans?: {
      resource?: { attributes?: JsonKeyValue[] };
      scopeSpans?: {
        scope?: { name?: string };
        spans?: {
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          kind: number;
          attributes?: JsonKeyValue[];
          events?: { name: string; attributes?: JsonKeyValue[] }[];
          status?: { code?: number; message?: string };
        }[];
      }[];
    }[];
  };
  const out: ReceivedSpan[] = [];
  for (const rs of doc.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind,
          attributes: jsonAttributes(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: jsonAttributes(e.attributes) })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

// ---- protobuf (wire format: varints, fixed64/32, length-delimited) ---------------------------

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

function* fields(buf: Buffer): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, varint: varint() };
    else if (wire === 1) {
      yield { no, wire, fixed: buf.subarray(pos, pos + 8) };
      pos += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      yield { no, wire, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 5) {
      yield { no, wire, fixed: buf.subarray(pos, pos + 4) };
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

function protoAnyValue(buf: Buffer): AttributeValue | undefined {
  for (const f of fields(buf)) {
    if (f.no === 1 && f.bytes) return f.bytes.toString('utf8');
    if (f.no === 2 && f.varint !== undefined) return f.varint !== 0n;
    if (f.no === 3 && f.varint !== undefined) return Number(BigInt.asIntN(64, f.varint));
    if (f.no === 4 && f.fixed) return f.fixed.readDoubleLE(0);
  }
  return undefined;
}

function protoKeyValue(buf: Buffer): [string, AttributeValue | undefined] {
  let key = '';
  let value: AttributeValue | undefined;
  for (const f of fields(buf)) {
    if (f.no === 1 && f.bytes) key = f.bytes.toString('utf8');
    if (f.no === 2 && f.bytes) value = protoAnyValue(f.bytes);
  }
  return [key, value];
}

function addAttribute(target: Record<string, AttributeValue>, buf: Buffer) {
  const [key, value] = protoKeyValue(buf);
  if (value !== undefined) target[key] = value;
}

function protoSpan(buf: Buffer, resource: Record<string, AttributeValue>, scope: string): ReceivedSpan {
  const span: ReceivedSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    attributes: {},
    events: [],
    status: { code: 0, message: '' },
    resource,
    scope,
  };
  for (const f of fields(buf)) {
    if (f.no === 1 && f.bytes) span.traceId = f.bytes.toString('hex');
    else if (f.no === 2 && f.bytes) span.spanId = f.bytes.toString('hex');
    else if (f.no === 4 && f.bytes) span.parentSpanId = f.bytes.toString('hex');
    else if (f.no === 5 && f.bytes) span.name = f.bytes.toString('utf8');
    else if (f.no === 6 && f.varint !== undefined) span.kind = Number(f.varint);
    else if (f.no === 9 && f.bytes) addAttribute(span.attributes, f.bytes);
    else if (f.no === 11 && f.bytes) {
      const event = { name: '', attributes: {} as Record<string, AttributeValue> };
      for (const e of fields(f.bytes)) {
        if (e.no === 2 && e.bytes) event.name = e.bytes.toString('utf8');
        if (e.no === 3 && e.bytes) addAttribute(event.attributes, e.bytes);
      }
      span.events.push(event);
    } else if (f.no === 15 && f.bytes) {
      for (const s of fields(f.bytes)) {
        if (s.no === 2 && s.bytes) span.status.message = s.bytes.toString('utf8');
        if (s.no === 3 && s.varint !== undefined) span.status.code = Number(s.varint);
      }
    }
  }
  return span;
}

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of fields(body)) {
    if (rs.no !== 1 || !rs.bytes) continue;
    const resource: Record<string, AttributeValue> = {};
    const scopes: Buffer[] = [];
    for (const f of fields(rs.bytes)) {
      if (f.no === 1 && f.bytes) for (const a of fields(f.bytes)) if (a.no === 1 && a.bytes) addAttribute(resource, a.bytes);
      if (f.no === 2 && f.bytes) scopes.push(f.bytes);
    }
    for (const ss of scopes) {
      let scope = '';
      const spanBufs: Buffer[] = [];
      for (const f of fields(ss)) {
        if (f.no === 1 && f.bytes) for (const s of fields(f.bytes)) if (s.no === 1 && s.bytes) scope = s.bytes.toString('utf8');
        if (f.no === 2 && f.bytes) spanBufs.push(f.bytes);
      }
      for (const b of spanBufs) out.push(protoSpan(b, resource, scope));
    }
  }
  return out;
}

function countProtobufSpans(body: Buffer): number {
  let n = 0;
  for (const rs of fields(body)) {
    if (rs.no !== 1 || !rs.bytes) continue;
    for (const ss of fields(rs.bytes)) {
      if (ss.no !== 2 || !ss.bytes) continue;
      for (const s of fields(ss.bytes)) if (s.no === 2) n++;
    }
  }
  return n;
}
