/**
 * The operations of the committed openapi.json, in the shape the fuzzer needs: method, path
 * template, parameters, request body schema, whether a bearer token is needed, and the tRPC
 * procedure behind each (operationId `customers-get` ↔ procedure `customers.get`).
 */
import fs from 'node:fs';
import { OPENAPI_FILE } from '../lib/openapi-file.js';

export type JsonSchema = Record<string, any>;

export interface Operation {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  template: string;
  procedure: string;
  /** tRPC query (GET) or mutation (POST). */
  kind: 'query' | 'mutation';
  pathParams: { name: string; schema: JsonSchema }[];
  queryParams: { name: string; schema: JsonSchema; required: boolean }[];
  body?: JsonSchema;
  secured: boolean;
  statuses: string[];
}

export interface Contract {
  doc: any;
  operations: Operation[];
  /** Follows `$ref`s into `components`. */
  resolve: (schema: JsonSchema) => JsonSchema;
}

let cached: Contract | undefined;

export function loadContract(): Contract {
  if (cached) return cached;
  const doc = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
  const resolve = (schema: JsonSchema): JsonSchema => {
    let s = schema;
    for (let i = 0; i < 10 && s && typeof s.$ref === 'string'; i++) {
      const parts = (s.$ref as string).replace(/^#\//, '').split('/');
      s = parts.reduce((o: any, k) => o?.[k], doc);
    }
    return s ?? {};
  };
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries<any>(doc.paths)) {
    for (const [m, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'patch', 'put', 'delete'].includes(m)) continue;
      const params = (op.parameters ?? []) as any[];
      operations.push({
        id: op.operationId,
        method: m.toUpperCase() as Operation['method'],
        template,
        procedure: String(op.operationId).replace('-', '.'),
        kind: m === 'get' ? 'query' : 'mutation',
        pathParams: params.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: resolve(p.schema) })),
        queryParams: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(p.schema), required: Boolean(p.required) })),
        body: op.requestBody?.content?.['application/json']?.schema ? resolve(op.requestBody.content['application/json'].schema) : undefined,
        secured: Array.isArray(op.security) && op.security.length > 0,
        statuses: Object.keys(op.responses ?? {}),
      });
    }
  }
  cached = { doc, operations, resolve };
  return cached;
}
