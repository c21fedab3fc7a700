import fs from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE, serializeOpenApi } from '../scripts/lib/openapi-file.js';
import { buildOpenApiDocument } from '../server/openapi.js';
import { SERVICE_VERSION } from '../server/version.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('OpenAPI document', () => {
  it('matches the committed openapi.json (run `npm run generate` after changing the API)', () => {
    const committed = fs.readFileSync(OPENAPI_FILE, 'utf8');
    expect(serializeOpenApi(buildOpenApiDocument(SERVICE_VERSION))).toBe(committed);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every operation with a tag, a summary, error responses and the bearer scheme', () => {
    const doc = buildOpenApiDocument(SERVICE_VERSION);
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ops = Object.values(doc.paths ?? {}).flatMap((item) => Object.values(item as Record<string, any>));
    expect(ops.length).toBeGreaterThanOrEqual(5);
    for (const op of ops) {
      expect(op.tags?.length, op.operationId).toBeGreaterThan(0);
      expect(op.summary, op.operationId).toBeTruthy();
      expect(op.responses['500'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
      expect(op.responses['500'].content['application/json'].example).toBeTruthy();
    }
    const customer = (doc.components!.schemas as any).Customer;
    expect(customer.properties.createdAt).toMatchObject({ type: 'string', format: 'date-time' });
  });

  it('is served at /api/openapi.json, identical to the generated one', async () => {
    const res = await fetch(`${server.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')));
  });
});

describe('Swagger UI', () => {
  it('serves the page and every asset it references from this server, none from elsewhere', async () => {
    const page = await fetch(`${server.url}/api/ui/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(2);
    for (const ref of refs) {
      expect(ref, 'no absolute URLs to other hosts').not.toMatch(/^(https?:)?\/\//);
      const asset = await fetch(new URL(ref, `${server.url}/api/ui/`));
      expect(asset.status, ref).toBe(200);
    }
    const init = await fetch(`${server.url}/api/ui/static/swagger-initializer.js`);
    expect(init.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
  });
});
