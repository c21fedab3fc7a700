/**
 * The OpenAPI document, built on the first request that needs it (GET /api/openapi.json or a
 * Swagger UI route), not at start: building it loads trpc-to-openapi and its dependencies and
 * keeps the document and its JSON text, ~5 MB of heap that a server nobody browses the docs of
 * never needs (docs/performance.md, "Idle memory"). The first request waits ~50 ms for it.
 */
export class OpenApiDocument {
  private loading: Promise<void> | undefined;
  private document: object | undefined;
  private text: string | undefined;

  constructor(private readonly version: string) {}

  /** Builds the document once; concurrent first requests share the one build. */
  load(): Promise<void> {
    this.loading ??= import('../openapi.js').then(({ buildOpenApiDocument }) => {
      this.document = buildOpenApiDocument(this.version);
      this.text = JSON.stringify(this.document);
    });
    return this.loading;
  }

  async json(): Promise<string> {
    await this.load();
    return this.text as string;
  }

  /** The document; only after `load()` has resolved (a route's onRequest hook awaits it). */
  loaded(): object {
    if (!this.document) throw new Error('the OpenAPI document is not built yet: await load() first');
    return this.document;
  }
}
