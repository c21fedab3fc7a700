/**
 * What in an OpenAPI document breaks a program written against an earlier one. A focused check,
 * written for the documents Carly generates (OpenAPI 3.1, JSON Schema with `$ref`s into
 * components, `anyOf` for nullable values), because no maintained diff tool installs from npm
 * here without downloading a binary.
 *
 * Breaking: a removed path or operation; a removed success response; a new required input (a
 * parameter, a body, a body property); an input type narrowed (a type, enum value or range it no
 * longer accepts); a response field removed or no longer always present; a response value of a
 * type or enum value clients have not seen (e.g. a new `status`), except a new `code` in an error
 * answer (an open set: clients act on the status). Everything added on the input
 * side as optional, and every new operation, is compatible.
 */

type Schema = Record<string, unknown>;
export interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface BreakingChange {
  /** `METHOD /path`, the operation it breaks. */
  operation: string;
  /** Where in the operation and what, e.g. `response 200: items[].status: new enum value "retrying"`. */
  change: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** Every breaking change from `released` to `current`. */
export function breakingChanges(released: OpenApiDocument, current: OpenApiDocument): BreakingChange[] {
  const out: BreakingChange[] = [];
  for (const [path, releasedItem] of Object.entries(released.paths ?? {})) {
    for (const method of METHODS) {
      const before = releasedItem[method] as Schema | undefined;
      if (!before) continue;
      const operation = `${method.toUpperCase()} ${path}`;
      const after = current.paths?.[path]?.[method] as Schema | undefined;
      if (!after) {
        out.push({ operation, change: 'operation removed' });
        continue;
      }
      const report = (change: string) => out.push({ operation, change });
      compareOperation(new Side(released, before), new Side(current, after), report);
    }
  }
  return out;
}

/** One document's view of one operation: resolves `$ref`s against its own components. */
class Side {
  constructor(
    readonly doc: OpenApiDocument,
    readonly operation: Schema,
  ) {}

  resolve(schema: unknown, seen = new Set<string>()): Schema {
    let s = (schema ?? {}) as Schema;
    while (typeof s.$ref === 'string' && !seen.has(s.$ref)) {
      seen.add(s.$ref);
      const name = s.$ref.replace('#/components/schemas/', '');
      s = this.doc.components?.schemas?.[name] ?? {};
    }
    return s;
  }
}

type Report = (change: string) => void;

/** A new value of an error answer's top-level `code`. */
const ERROR_CODE_ADDED = /^response [^.:]+\.code: new value /;

function compareOperation(before: Side, after: Side, report: Report): void {
  // Parameters: by where and name.
  const params = (side: Side) => new Map(((side.operation.parameters as Schema[] | undefined) ?? []).map((p) => [`${p.in} ${p.name}`, p]));
  const beforeParams = params(before);
  for (const [key, param] of params(after)) {
    const old = beforeParams.get(key);
    if (param.required && !old?.required) report(`parameter ${key}: ${old ? 'now required' : 'new required parameter'}`);
    if (old) compareInput(before, old.schema, after, param.schema, `parameter ${key}`, report);
  }
  // The request body.
  const body = (side: Side) => side.operation.requestBody as Schema | undefined;
  const bodySchema = (side: Side) => ((body(side)?.content as Schema | undefined)?.['application/json'] as Schema | undefined)?.schema;
  if (body(after)?.required && !body(before)?.required) report('request body now required');
  if (bodySchema(before) !== undefined && bodySchema(after) !== undefined) compareInput(before, bodySchema(before), after, bodySchema(after), 'body', report);
  // Responses: a success answer kept, each answer's body still holding what it held.
  const responses = (side: Side) => (side.operation.responses ?? {}) as Record<string, Schema>;
  for (const [status, response] of Object.entries(responses(before))) {
    const now = responses(after)[status];
    if (!now) {
      if (status.startsWith('2')) report(`response ${status} removed`);
      continue;
    }
    const schemaOf = (r: Schema) => ((r.content as Schema | undefined)?.['application/json'] as Schema | undefined)?.schema;
    if (schemaOf(response) !== undefined && schemaOf(now) !== undefined) {
      // An error's `code` is an open set (docs/api.md, Errors): clients act on the status and show
      // the message, so a new code in an error answer breaks nobody; a new value in a success does.
      const inError = !status.startsWith('2');
      const reportOf = inError ? (change: string) => (ERROR_CODE_ADDED.test(change) ? undefined : report(change)) : report;
      compareOutput(before, schemaOf(response), after, schemaOf(now), `response ${status}`, reportOf);
    }
  }
}

/** A schema's alternatives: `anyOf`/`oneOf` flattened; a plain schema is its own only one. */
function variants(side: Side, schema: unknown): Schema[] {
  const s = side.resolve(schema);
  const union = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (union) return union.flatMap((v) => variants(side, v));
  return [s];
}

/** The JSON types a schema admits; null when it admits any. */
function types(side: Side, schema: unknown): Set<string> | null {
  const out = new Set<string>();
  for (const v of variants(side, schema)) {
    if (v.type === undefined && v.enum === undefined && v.const === undefined) return null;
    for (const t of [v.type].flat()) if (typeof t === 'string') out.add(t === 'integer' ? 'number' : t);
    if (v.type === undefined)
      for (const value of [...((v.enum as unknown[]) ?? []), ...('const' in v ? [v.const] : [])]) out.add(value === null ? 'null' : typeof value);
  }
  return out;
}

/** The enum values a schema admits (across its variants); null when any value of its types goes. */
function enumValues(side: Side, schema: unknown): Set<unknown> | null {
  const out = new Set<unknown>();
  for (const v of variants(side, schema)) {
    if (v.enum) for (const value of v.enum as unknown[]) out.add(value);
    else if ('const' in v) out.add(v.const);
    else if (v.type !== 'null') return null;
  }
  return out;
}

const variantOfType = (side: Side, schema: unknown, type: string) => variants(side, schema).find((v) => [v.type].flat().includes(type));

interface ObjectShape {
  required: Set<string>;
  properties: Record<string, unknown>;
  additionalProperties: unknown;
}

/** The object alternative of both schemas, when both have one: what their properties are compared on. */
function objectPair(before: Side, b: unknown, after: Side, a: unknown): [ObjectShape, ObjectShape] | null {
  const shape = (v: Schema | undefined): ObjectShape | null =>
    v
      ? {
          required: new Set((v.required as string[] | undefined) ?? []),
          properties: (v.properties ?? {}) as Record<string, unknown>,
          additionalProperties: v.additionalProperties,
        }
      : null;
  const [bo, ao] = [shape(variantOfType(before, b, 'object')), shape(variantOfType(after, a, 'object'))];
  return bo && ao ? [bo, ao] : null;
}

/** The item schemas of both schemas' array alternatives, when both have one. */
function itemsPair(before: Side, b: unknown, after: Side, a: unknown): [unknown, unknown] | null {
  const [ba, aa] = [variantOfType(before, b, 'array'), variantOfType(after, a, 'array')];
  return ba?.items !== undefined && aa?.items !== undefined ? [ba.items, aa.items] : null;
}

/** `after` must accept every value `before` accepted. */
function compareInput(before: Side, b: unknown, after: Side, a: unknown, where: string, report: Report): void {
  const bt = types(before, b);
  const at = types(after, a);
  if (at && (!bt || [...bt].some((t) => !at.has(t)))) report(`${where}: type narrowed (${bt ? [...bt].join('|') : 'any'} → ${[...at].join('|')})`);
  const be = enumValues(before, b);
  const ae = enumValues(after, a);
  const list = (values: Iterable<unknown>) => [...values].map((v) => JSON.stringify(v)).join(', ');
  if (ae && !be) report(`${where}: now accepts only ${list(ae)}`);
  if (ae && be) {
    const dropped = [...be].filter((v) => !ae.has(v));
    if (dropped.length) report(`${where}: no longer accepts ${list(dropped)}`);
  }
  compareRanges(before, b, after, a, where, report);
  const objects = objectPair(before, b, after, a);
  if (objects) {
    const [bo, ao] = objects;
    for (const name of ao.required) {
      if (!bo.required.has(name)) report(`${where}.${name}: ${name in bo.properties ? 'now required' : 'new required property'}`);
    }
    for (const [name, schema] of Object.entries(bo.properties)) {
      if (name in ao.properties) compareInput(before, schema, after, ao.properties[name], `${where}.${name}`, report);
      else if (ao.additionalProperties === false) report(`${where}.${name}: no longer accepted`);
    }
    if (ao.additionalProperties === false && bo.additionalProperties !== false && bo.additionalProperties !== undefined)
      report(`${where}: no longer accepts other properties`);
  }
  const items = itemsPair(before, b, after, a);
  if (items) compareInput(before, items[0], after, items[1], `${where}[]`, report);
}

/** Lower bounds that rose and upper bounds that fell: inputs once valid are refused. */
function compareRanges(before: Side, b: unknown, after: Side, a: unknown, where: string, report: Report): void {
  for (const type of ['string', 'number', 'integer', 'array']) {
    const bv = variantOfType(before, b, type);
    const av = variantOfType(after, a, type);
    if (!bv || !av) continue;
    for (const key of ['minLength', 'minimum', 'exclusiveMinimum', 'minItems']) {
      const [x, y] = [bv[key] as number | undefined, av[key] as number | undefined];
      if (y !== undefined && (x === undefined || y > x)) report(`${where}: ${key} raised (${x ?? 'none'} → ${y})`);
    }
    for (const key of ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems']) {
      const [x, y] = [bv[key] as number | undefined, av[key] as number | undefined];
      if (y !== undefined && (x === undefined || y < x)) report(`${where}: ${key} lowered (${x ?? 'none'} → ${y})`);
    }
    if (av.pattern !== undefined && av.pattern !== bv.pattern) report(`${where}: pattern changed`);
  }
}

/** Every value `after` may return, `before`'s readers must understand; every field they read stays. */
function compareOutput(before: Side, b: unknown, after: Side, a: unknown, where: string, report: Report): void {
  const bt = types(before, b);
  const at = types(after, a);
  if (bt && (!at || [...at].some((t) => !bt.has(t)))) report(`${where}: may now be of type ${at ? [...at].filter((t) => !bt.has(t)).join('|') : 'any'}`);
  const be = enumValues(before, b);
  const ae = enumValues(after, a);
  if (be) {
    const added = ae ? [...ae].filter((v) => !be.has(v)) : ['(any)'];
    if (added.length) report(`${where}: new value ${added.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  const objects = objectPair(before, b, after, a);
  if (objects) {
    const [bo, ao] = objects;
    for (const name of bo.required) {
      if (!(name in ao.properties)) report(`${where}.${name}: removed`);
      else if (!ao.required.has(name)) report(`${where}.${name}: no longer always present`);
    }
    for (const [name, schema] of Object.entries(bo.properties)) {
      if (name in ao.properties) compareOutput(before, schema, after, ao.properties[name], `${where}.${name}`, report);
      else if (!bo.required.has(name)) report(`${where}.${name}: removed`);
    }
  }
  const items = itemsPair(before, b, after, a);
  if (items) compareOutput(before, items[0], after, items[1], `${where}[]`, report);
}
