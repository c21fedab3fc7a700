/**
 * Checks REST answers against the committed openapi.json: the status must be documented for
 * the operation, and the body must match that response's schema (JSON Schema 2020-12, with
 * `additionalProperties: false` in the document, so an undocumented field fails too).
 *
 *   validateResponse('GET', '/customers/a%2Bb%40example.com', 200, body);   // throws on a mismatch
 *   checkRestResponse(method, urlPath, status, body, headers);              // for the rest() helper
 */
import fs from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { OPENAPI_FILE } from '../../scripts/lib/openapi-file.js';

// ajv-formats is CommonJS with `exports.default`; under ESM interop either shape may arrive.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

interface MediaType {
  schema?: object;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
  headers?: Record<string, { schema?: object; required?: boolean }>;
}
interface OperationObject {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}
type OpenApiDoc = { paths: Record<string, Record<string, OperationObject>>; components?: object };

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export class OpenApiMismatch extends Error {
  override readonly name = 'OpenApiMismatch';
}

export interface MatchedOperation {
  method: string;
  /** The path template of the document, e.g. `/customers/{email}`. */
  template: string;
  operation: OperationObject;
  params: Record<string, string>;
}

let cached: { doc: OpenApiDoc; ajv: Ajv2020; validators: Map<string, ValidateFunction> } | undefined;

function load() {
  if (cached) return cached;
  const doc = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as OpenApiDoc;
  // strict off: OpenAPI adds keywords (example, ...) that are not JSON Schema vocabulary.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  cached = { doc, ajv, validators: new Map() };
  return cached;
}

/** Reloads openapi.json on the next call (after `npm run generate`, in a long-lived process). */
export function resetOpenApiCache(): void {
  cached = undefined;
}

const segments = (p: string) => p.split('/').slice(1);

/**
 * The documented operation a request hits: `path` is a template (`/customers/{email}`) or a
 * concrete, percent-encoded path with or without a query string. Literal segments win over
 * parameters. Undefined when the document has no such method and path.
 */
export function findOperation(method: string, path: string): MatchedOperation | undefined {
  const { doc } = load();
  const m = method.toLowerCase();
  const pathname = path.split(/[?#]/)[0]!;
  const exact = doc.paths[pathname]?.[m];
  if (exact && METHODS.has(m)) return { method: m, template: pathname, operation: exact, params: {} };
  const wanted = segments(pathname);
  let best: (MatchedOperation & { literals: number }) | undefined;
  for (const [template, item] of Object.entries(doc.paths)) {
    const operation = item[m];
    if (!operation || !METHODS.has(m)) continue;
    const parts = segments(template);
    if (parts.length !== wanted.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    const ok = parts.every((part, i) => {
      const actual = wanted[i]!;
      const param = /^\{(.+)\}$/.exec(part);
      if (!param) return part === actual && ++literals > 0;
      if (actual === '') return false;
      try {
        params[param[1]!] = decodeURIComponent(actual);
      } catch {
        params[param[1]!] = actual;
      }
      return true;
    });
    if (ok && (!best || literals > best.literals)) best = { method: m, template, operation, params, literals };
  }
  if (!best) return undefined;
  const { literals: _literals, ...match } = best;
  return match;
}

function validatorFor(template: string, method: string, status: string, schema: object, mediaType = ''): ValidateFunction {
  const { doc, ajv, validators } = load();
  const key = `${method} ${template} ${status} ${mediaType}`;
  let validate = validators.get(key);
  if (!validate) {
    // The response schema with the document's components beside it, so `#/components/...` resolves.
    validate = ajv.compile({ ...schema, components: doc.components ?? {} });
    validators.set(key, validate);
  }
  return validate;
}

export interface ValidateOptions {
  /** The response's headers: checks the content type is a documented one. */
  headers?: Headers | Record<string, string | undefined>;
}

const header = (headers: ValidateOptions['headers'], name: string): string | undefined =>
  headers instanceof Headers ? (headers.get(name) ?? undefined) : (headers?.[name] ?? headers?.[name.toLowerCase()]);

/**
 * Throws `OpenApiMismatch` unless `method path` is a documented operation, `status` is a
 * documented response of it, and `body` matches that response's JSON schema.
 */
export function validateResponse(method: string, path: string, status: number, body: unknown, options: ValidateOptions = {}): MatchedOperation {
  const match = findOperation(method, path);
  if (!match) throw new OpenApiMismatch(`${method.toUpperCase()} ${path}: no such operation in openapi.json`);
  const where = `${method.toUpperCase()} ${match.template} (${match.operation.operationId ?? '?'}) → ${status}`;
  const response = match.operation.responses[String(status)] ?? match.operation.responses[`${String(status)[0]}XX`] ?? match.operation.responses.default;
  if (!response) {
    throw new OpenApiMismatch(
      `${where}: status ${status} is not documented (documented: ${Object.keys(match.operation.responses).join(', ')}); body: ${JSON.stringify(body)?.slice(0, 500)}`,
    );
  }
  const content = response.content ?? {};
  const mediaTypes = Object.keys(content);
  if (mediaTypes.length === 0) {
    if (body !== null && body !== undefined && body !== '')
      throw new OpenApiMismatch(`${where}: documented without a body, got ${JSON.stringify(body).slice(0, 200)}`);
    return match;
  }
  const contentType = header(options.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== undefined && !mediaTypes.includes(contentType)) {
    throw new OpenApiMismatch(`${where}: content-type ${contentType} is not documented (${mediaTypes.join(', ')})`);
  }
  const mediaType = contentType ?? 'application/json';
  const schema = content[mediaType]?.schema ?? content[mediaTypes[0]!]!.schema;
  if (!schema) return match;
  // A stream of JSON lines (GET /customers/export): the documented schema is that of each line.
  if (mediaType === 'application/x-ndjson' && typeof body === 'string') {
    for (const line of body.split('\n')) if (line.trim() !== '') validateResponse(method, path, status, JSON.parse(line), options);
    return match;
  }
  const validate = validatorFor(match.template, match.method, String(status), schema, mediaType);
  if (!validate(body)) {
    const errors = (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(body)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : ''}`,
    );
    throw new OpenApiMismatch(
      `${where}: the body does not match the documented schema:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(body)?.slice(0, 1000)}`,
    );
  }
  return match;
}

/**
 * For the shared `rest()` helper: validates answers of documented operations, and lets through
 * requests the document does not describe (service routes such as /health, unknown paths
 * probed on purpose, OPTIONS preflights), since those are not REST operations of the API.
 */
export function checkRestResponse(method: string, path: string, status: number, body: unknown, headers?: ValidateOptions['headers']): void {
  if (!findOperation(method, path)) return;
  validateResponse(method, path, status, body, headers ? { headers } : {});
}
