/**
 * API compatibility: openapi.json against the last released document (openapi/released.json),
 * breaking changes acknowledged in CHANGELOG.md; the checker itself on small documents, each
 * kind of breaking change it must catch and the additions it must let through; and openapi.json
 * read by a second, independent validator and in a form OpenAPI 3.0 tools read too.
 */
import fs from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { breakingChanges, type OpenApiDocument } from '../scripts/api/breaking-changes.js';
import { acknowledgedOperations, releaseChangelog, unacknowledged, unreleasedSection } from '../scripts/api/changelog.js';
import { CHANGELOG_FILE, RELEASED_OPENAPI_FILE } from '../scripts/api/files.js';
import { OPENAPI_FILE } from '../scripts/lib/openapi-file.js';

const dialect = process.env.CARLY_TEST_DIALECT ?? 'sqlite';
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** A one-operation document: POST /things with a body, answering a Thing. */
function doc(input: Record<string, unknown>, output: Record<string, unknown>, extra: Record<string, unknown> = {}): OpenApiDocument {
  return {
    paths: {
      '/things': {
        post: {
          parameters: [{ in: 'query', name: 'dryRun', required: false, schema: { type: 'boolean' } }],
          requestBody: { required: true, content: { 'application/json': { schema: input } } },
          responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } },
          ...extra,
        },
      },
    },
    components: { schemas: { Thing: output } },
  };
}

const input = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 100 }, kind: { type: 'string', enum: ['a', 'b'] }, note: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
  required: ['name'],
};
const output = {
  type: 'object',
  properties: { id: { type: 'string' }, status: { type: 'string', enum: ['ok', 'failed'] }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['id', 'status', 'tags'],
};
const base = doc(input, output);
const clone = <T>(v: T): T => structuredClone(v);
const changesOf = (after: OpenApiDocument) => breakingChanges(base, after).map((c) => `${c.operation}: ${c.change}`);

describe('the breaking-change check', () => {
  it('finds nothing between a document and itself', () => {
    expect(changesOf(clone(base))).toEqual([]);
  });

  it('lets additions through: an operation, an optional input, a response field, a wider input', () => {
    const after = clone(base) as any;
    after.paths['/things'].get = { responses: { '200': {} } };
    after.paths['/others'] = { post: { responses: { '200': {} } } };
    after.paths['/things'].post.parameters.push({ in: 'query', name: 'verbose', required: false, schema: { type: 'boolean' } });
    after.paths['/things'].post.requestBody.content['application/json'].schema.properties.extra = { type: 'string' };
    after.paths['/things'].post.requestBody.content['application/json'].schema.properties.kind.enum.push('c');
    after.paths['/things'].post.requestBody.content['application/json'].schema.properties.name.maxLength = 200;
    after.components.schemas.Thing.properties.createdAt = { type: 'string' };
    after.components.schemas.Thing.required.push('createdAt');
    expect(changesOf(after)).toEqual([]);
  });

  it('catches a removed path and a removed operation', () => {
    const after = clone(base) as any;
    delete after.paths['/things'].post;
    expect(changesOf(after)).toEqual(['POST /things: operation removed']);
    expect(changesOf({ paths: {} })).toEqual(['POST /things: operation removed']);
  });

  it('catches new required inputs: a parameter, a body property, an optional one made required', () => {
    const after = clone(base) as any;
    after.paths['/things'].post.parameters.push({ in: 'header', name: 'X-Tenant', required: true, schema: { type: 'string' } });
    after.paths['/things'].post.parameters[0].required = true;
    const body = after.paths['/things'].post.requestBody.content['application/json'].schema;
    body.properties.owner = { type: 'string' };
    body.required.push('owner', 'kind');
    expect(changesOf(after)).toEqual([
      'POST /things: parameter query dryRun: now required',
      'POST /things: parameter header X-Tenant: new required parameter',
      'POST /things: body.owner: new required property',
      'POST /things: body.kind: now required',
    ]);
  });

  it('catches narrowed input types: a type, an enum value, a range, null no longer accepted', () => {
    const after = clone(base) as any;
    const body = after.paths['/things'].post.requestBody.content['application/json'].schema;
    body.properties.kind.enum = ['a'];
    body.properties.name.maxLength = 50;
    body.properties.note = { type: 'string' };
    after.paths['/things'].post.parameters[0].schema = { type: 'string', enum: ['true'] };
    expect(changesOf(after)).toEqual([
      'POST /things: parameter query dryRun: type narrowed (boolean → string)',
      'POST /things: parameter query dryRun: now accepts only "true"',
      'POST /things: body.name: maxLength lowered (100 → 50)',
      'POST /things: body.kind: no longer accepts "b"',
      'POST /things: body.note: type narrowed (string|null → string)',
    ]);
  });

  it('catches response changes: a removed field, a field no longer always there, a new enum value, a new type', () => {
    const after = clone(base) as any;
    const thing = after.components.schemas.Thing;
    delete thing.properties.tags;
    thing.required = ['id', 'status'];
    thing.properties.status.enum.push('retrying');
    thing.properties.id = { anyOf: [{ type: 'string' }, { type: 'null' }] };
    thing.required = ['status'];
    expect(changesOf(after)).toEqual([
      'POST /things: response 200.id: no longer always present',
      'POST /things: response 200.tags: removed',
      'POST /things: response 200.id: may now be of type null',
      'POST /things: response 200.status: new value "retrying"',
    ]);
  });

  it("treats an error answer's code as an open set, but not a success answer's enum", () => {
    const withError = (codes: string[]) => {
      const d = clone(base) as any;
      d.components.schemas.Error = {
        type: 'object',
        properties: { code: { type: 'string', enum: codes }, message: { type: 'string' } },
        required: ['code', 'message'],
      };
      d.paths['/things'].post.responses['400'] = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      return d;
    };
    const released = withError(['BAD_REQUEST']);
    const current = withError(['BAD_REQUEST', 'METHOD_NOT_SUPPORTED']);
    expect(breakingChanges(released, current)).toEqual([]);
    current.components.schemas.Error.properties.message = { type: 'integer' };
    expect(breakingChanges(released, current).map((c) => `${c.operation}: ${c.change}`)).toEqual([
      'POST /things: response 400.message: may now be of type number',
    ]);
  });

  it('catches a removed success response', () => {
    const after = clone(base) as any;
    after.paths['/things'].post.responses = { '201': {} };
    expect(changesOf(after)).toEqual(['POST /things: response 200 removed']);
  });
});

describe('acknowledgement in CHANGELOG.md', () => {
  const changelog = [
    '# Changelog',
    '',
    '## Unreleased',
    '',
    '- BREAKING `POST /things`: `status` may be `retrying`; treat it as pending.',
    '- A new operation.',
    '',
    '## 0.1.0',
    '',
    '- BREAKING `GET /old`: long ago.',
    '',
  ].join('\n');

  it('counts only lines of the Unreleased section that start with - BREAKING `METHOD /path`', () => {
    expect([...acknowledgedOperations(changelog)]).toEqual(['POST /things']);
    const changes = [
      { operation: 'POST /things', change: 'response 200.status: new value "retrying"' },
      { operation: 'GET /old', change: 'operation removed' },
    ];
    expect(unacknowledged(changes, changelog)).toEqual([changes[1]]);
  });

  it('a release turns Unreleased into the version and opens an empty one', () => {
    const released = releaseChangelog(changelog, '0.2.0', '2026-12-06');
    expect(unreleasedSection(released).trim()).toBe('');
    expect(released).toContain('## 0.2.0 (2026-12-06)\n\n- BREAKING `POST /things`');
    expect(() => releaseChangelog('# Changelog\n', '0.2.0', '2026-12-06')).toThrow(/Unreleased/);
  });
});

// Documents only: once, in the sqlite project.
describe.skipIf(dialect !== 'sqlite')('openapi.json (runs in the sqlite project only)', () => {
  it('breaks nothing since openapi/released.json that CHANGELOG.md does not acknowledge (npm run api:check)', () => {
    const changes = breakingChanges(readJson(RELEASED_OPENAPI_FILE), readJson(OPENAPI_FILE));
    expect(unacknowledged(changes, fs.readFileSync(CHANGELOG_FILE, 'utf8'))).toEqual([]);
  });

  it('is valid for a second, independent validator (@readme/openapi-parser)', async () => {
    const result = await validate(readJson(OPENAPI_FILE));
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result.valid).toBe(true);
  });

  it('uses no JSON Schema 2020-12 tuple form that OpenAPI 3.0 tools misread (prefixItems, items: false)', () => {
    const text = fs.readFileSync(OPENAPI_FILE, 'utf8');
    expect(text).not.toContain('"prefixItems"');
    expect(text).not.toMatch(/"items": false/);
    const entry = readJson(OPENAPI_FILE).components.schemas.AuditEntry;
    const changes = entry.properties.changes.anyOf.find((v: { type?: string }) => v.type === 'object');
    expect(changes.additionalProperties).toMatchObject({ type: 'array', items: {}, minItems: 2, maxItems: 2 });
  });
});
