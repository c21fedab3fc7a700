/**
 * Every TypeScript snippet in README.md, docs/ and the SDK's README compiles under `strict`
 * against the SDK's sources: a reader who copies one gets working code, and an API change that
 * breaks a snippet fails here, not in a newcomer's editor.
 *
 * Each ```ts block is its own module. Snippets continue one another and use the reader's own
 * values (`carly`, `url`, a saved cursor…) without declaring them: SNIPPET_CONTEXT declares those,
 * with the types a reader's would have. A snippet's own declarations win over it.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/process.js';

const DOCUMENTS = [
  'README.md',
  'client-sdk/README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

export interface Snippet {
  file: string;
  /** The line of the opening fence in the document. */
  line: number;
  code: string;
}

/** The ```ts blocks of a Markdown document, with where each starts. */
export function typeScriptSnippets(file: string, markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    snippets.push({ file, line: start + 1, code: body.join('\n') });
  }
  return snippets;
}

/** What the snippets take as given: the SDK's exports (an earlier snippet imported them) and the reader's values. */
const SNIPPET_CONTEXT = `
import type * as Sdk from '@carly/client';
import type * as Otel from '@opentelemetry/api';
type WebhookRequest = { body: Buffer; headers: Record<string, string | string[] | undefined> };
type WebhookResponse = { sendStatus(status: number): void };
declare global {
  const createCarlyClient: typeof Sdk.createCarlyClient;
  const isCarlyError: typeof Sdk.isCarlyError;
  type Customer = Sdk.Customer;
  type CarlyEvent = Sdk.CarlyEvent;
  type Tokens = Sdk.Tokens;
  // The reader's own values.
  const carly: Sdk.CarlyClient;
  const url: string;
  const apiKey: string;
  const tokens: Sdk.TokenPair;
  const token: string;
  const otel: typeof Otel;
  const input: Sdk.CustomerCreateData;
  const row: number;
  let saved: string | undefined;
  const signal: AbortSignal;
  const email: string;
  const staleVersion: number;
  const formValues: unknown;
  const tokenFromTheMail: string;
  function apply(event: Sdk.CarlyEvent): void;
  function save(customer: Sdk.Customer): Promise<void>;
  function rowsFromYourCrm(): Iterable<Sdk.CustomerCreateData>;
  function showSignIn(): void;
  const accessTokenFromYourLoginRoute: string;
  function showErrors(issues: readonly unknown[]): void;
  function seen(id: string): Promise<boolean>;
  function alreadyProcessed(id: string): Promise<boolean>;
  function handle(type: string, data: unknown): Promise<void>;
  /** An Express app with express.raw() on the route: the body arrives as bytes. */
  const app: { post(path: string, handler: (req: WebhookRequest, res: WebhookResponse) => unknown): void };
}
export {};
`;

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  esModuleInterop: true,
  baseUrl: ROOT,
  // The SDK as its sources, so the check needs no build.
  paths: { '@carly/client': ['client-sdk/src/index.ts'] },
};

/** Compiles the snippets in one program; returns the errors, each located in its document. */
function compileSnippets(snippets: Snippet[]): string[] {
  const virtual = new Map<string, string>();
  const contextFile = path.join(ROOT, '.doc-snippets', 'context.ts');
  virtual.set(contextFile, SNIPPET_CONTEXT);
  const origins = new Map<string, Snippet>();
  snippets.forEach((snippet, i) => {
    const name = path.join(ROOT, '.doc-snippets', `snippet-${i}.ts`);
    // Each its own module, top-level await allowed, as in an ES module app.
    virtual.set(name, `${snippet.code}\nexport {};\n`);
    origins.set(name, snippet);
  });
  const host = ts.createCompilerHost(OPTIONS);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => virtual.get(path.resolve(f)) ?? readFile(f);
  host.fileExists = (f) => virtual.has(path.resolve(f)) || fileExists(f);
  host.getSourceFile = (f, language, onError, create) => {
    const text = virtual.get(path.resolve(f));
    return text !== undefined ? ts.createSourceFile(f, text, language) : getSourceFile(f, language, onError, create);
  };
  const program = ts.createProgram([...virtual.keys()], OPTIONS, host);
  // The snippets' (and their context's) diagnostics only: the checker still resolves all they use
  // from the SDK and the server's router type, but no longer checks every body of those sources
  // (getPreEmitDiagnostics did: this file's CPU went from 12.8 to 9.0 s). Their own type errors
  // are `npm run typecheck`'s, and fail `npm start`'s build in test/npm-start.test.ts.
  const checked = [...virtual.keys()].map((file) => program.getSourceFile(file)!);
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...checked.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  return diagnostics.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const snippet = d.file ? origins.get(path.resolve(d.file.fileName)) : undefined;
    if (!snippet || d.start === undefined) return `${d.file?.fileName ?? ''}: TS${d.code} ${message}`;
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start);
    return `${snippet.file}:${snippet.line + 1 + line}: TS${d.code} ${message}`;
  });
}

// Nothing here touches a database: once, in the sqlite project.
const dialect = process.env.CARLY_TEST_DIALECT ?? 'sqlite';

describe.skipIf(dialect !== 'sqlite')('TypeScript snippets in the documentation (runs in the sqlite project only)', () => {
  const snippets = DOCUMENTS.flatMap((file) => typeScriptSnippets(file, fs.readFileSync(path.join(ROOT, file), 'utf8')));

  it('finds the snippets of README.md, the SDK README and docs/', () => {
    expect(snippets.filter((s) => s.file === 'README.md').length).toBeGreaterThan(0);
    expect(snippets.filter((s) => s.file === 'client-sdk/README.md').length).toBeGreaterThan(5);
    expect(snippets.filter((s) => s.file.startsWith('docs/')).length).toBeGreaterThan(2);
  });

  it('compile under strict against the SDK (and one that does not is reported at its line in its document)', () => {
    // The broken one rides in the same program: one compile, and proof the check can fail.
    const broken: Snippet = { file: 'BROKEN.md', line: 10, code: "const n: number = 'one';" };
    const errors = compileSnippets([...snippets, broken]);
    expect(errors.filter((e) => !e.startsWith('BROKEN.md'))).toEqual([]);
    expect(errors).toEqual([expect.stringMatching(/^BROKEN\.md:11: TS2322 Type 'string' is not assignable to type 'number'/)]);
  }, 120_000);
});
