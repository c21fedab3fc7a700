/**
 * The published SDK, checked as its users get it: build it, `npm pack` it, lint the tarball
 * (publint, attw), install it into a fresh project OUTSIDE the repo (no workspace link, no server
 * source in reach), compile a sample program and the type tests with `tsc --strict`, and run the
 * sample (ESM) and a CommonJS script against a live server.
 *
 * Runs once, in the sqlite project: nothing here depends on the database dialect.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDist, DIST_DIR, SDK_DIR } from '../scripts/sdk/build.js';
import { ROOT } from './helpers/process.js';
import { startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

const dialect = process.env.CARLY_TEST_DIALECT ?? 'sqlite';
const TYPES_DIR = path.join(ROOT, 'test', 'sdk-types');
const SOURCE_IMPORT = '../../client-sdk/src/index.js';
const EXPECTED_FILES = ['CHANGELOG.md', 'README.md', 'dist/index.cjs', 'dist/index.d.cts', 'dist/index.d.ts', 'dist/index.js', 'package.json'];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with a clean environment: no npm_* variables from a surrounding `npm test`. */
function sh(command: string, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Result> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'VITEST' && !k.startsWith('VITEST_')),
  );
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...base, NO_COLOR: '1', FORCE_COLOR: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
const npm = (args: string[], cwd: string, timeoutMs?: number) => sh('npm', args, cwd, {}, timeoutMs);
const show = (r: Result) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

let server: TestServer;
let work: string;
let tarball: string;
let consumer: string;
let ts7: string;

/** The ```json block of the SDK README's "TypeScript settings" section. */
function readmeTsconfig(): string {
  const readme = fs.readFileSync(path.join(SDK_DIR, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## TypeScript settings'));
  const match = /```json\n([\s\S]*?)\n```/.exec(section);
  if (!match) throw new Error('client-sdk/README.md has no tsconfig.json under "TypeScript settings"');
  return match[1]!;
}
let packed: { files: { path: string; size: number }[]; size: number; unpackedSize: number; filename: string };

describe.skipIf(dialect !== 'sqlite')('the packed @carly/client (runs in the sqlite project only)', () => {
  beforeAll(async () => {
    server = await startServer();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'carly-sdk-pack-'));
    // No dist/ at all: `npm pack` must build it itself (prepack), or the tarball ships without it.
    fs.rmSync(DIST_DIR, { recursive: true, force: true });
    const pack = await npm(['pack', '--json', '--pack-destination', work], SDK_DIR, 180_000);
    expect(pack.code, show(pack)).toBe(0);
    // The build's own output comes first; npm's JSON report is the last thing printed.
    packed = JSON.parse(pack.stdout.slice(pack.stdout.lastIndexOf('\n[\n') + 1))[0];
    tarball = path.join(work, packed.filename);
    console.log(
      `packed ${packed.filename}: ${packed.size} bytes (${packed.unpackedSize} unpacked)\n` +
        packed.files.map((f) => `  ${String(f.size).padStart(7)}  ${f.path}`).join('\n'),
    );

    // A fresh project outside the repo: nothing above it may hold node_modules.
    consumer = path.join(work, 'consumer');
    fs.mkdirSync(consumer);
    for (let dir = consumer; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      expect(fs.existsSync(path.join(path.dirname(dir), 'node_modules')), `node_modules above ${dir}`).toBe(false);
    }
    expect(path.relative(ROOT, consumer).startsWith('..')).toBe(true);
    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'carly-consumer', private: true, type: 'module' }, null, 2));
    const install = await npm(
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball, 'typescript@5.9.3', '@types/node@20.19.25'],
      consumer,
      90_000,
    );
    expect(install.code, show(install)).toBe(0);
    fs.mkdirSync(path.join(consumer, 'src'));
    // TypeScript 7 beside it, for the README's promise that its tsconfig works on 5.x and 7.x.
    ts7 = path.join(work, 'ts7');
    fs.mkdirSync(ts7);
    fs.writeFileSync(path.join(ts7, 'package.json'), JSON.stringify({ name: 'ts7', private: true }));
    const installTs7 = await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', 'typescript@7.0.2'], ts7, 90_000);
    expect(installTs7.code, show(installTs7)).toBe(0);
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('holds exactly the built files, the README and the CHANGELOG', () => {
    expect(packed.files.map((f) => f.path).sort()).toEqual(EXPECTED_FILES);
    // The SDK carries every schema of the API (customers, accounts, API keys, events, webhooks,
    // audit, privacy, search, bulk), the client with its SSE and retry links, the webhook verifier,
    // and since release 3 the search query parser and the bulk export/import streams (101,795
    // bytes measured when they landed): the budget grows with the API, never silently.
    expect(packed.size).toBeLessThan(115_000);
  });

  it('publint finds nothing to report', async () => {
    const bytes = fs.readFileSync(tarball);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const { messages, pkg } = await publint({ pack: { tarball: buffer }, strict: true });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`)).toEqual([]);
  });

  it('are-the-types-wrong finds no problem (ESM, CJS, node10, bundler)', async () => {
    const attw = await sh(
      process.execPath,
      [path.join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'), tarball, '--format', 'ascii', '--no-definitely-typed'],
      work,
    );
    expect(attw.code, show(attw)).toBe(0);
    expect(attw.stdout).toContain('No problems found');
  });

  it('as installed, its declarations import only its declared dependencies, never the server', () => {
    const installed = path.join(consumer, 'node_modules', '@carly', 'client');
    expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
    const report = checkDist(path.join(installed, 'dist'), path.join(installed, 'package.json'));
    const specifiers = new Set(report.flatMap((r) => r.imports));
    // eventsource: the SSE client for subscriptions; tRPC's subscription types live in its unstable-core entry.
    for (const s of specifiers) expect(s).toMatch(/^(@trpc\/client|@trpc\/server(\/observable|\/unstable-core-do-not-import)?|zod|superjson|eventsource)$/);
    const dts = fs.readFileSync(path.join(installed, 'dist', 'index.d.ts'), 'utf8');
    // Comments may name things (a doc comment says the meta never imports trpc-to-openapi); code may not.
    const code = dts.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const leak of ['@mikro-orm', 'fastify', 'trpc-to-openapi', 'zod-openapi', 'CustomersService', 'AuthService', 'EntityManager']) {
      expect(code, leak).not.toContain(leak);
    }
    // The same bytes as the repo's build.
    expect(dts).toBe(fs.readFileSync(path.join(DIST_DIR, 'index.d.ts'), 'utf8'));
  });

  it('a sample program and the type tests compile with tsc --strict (skipLibCheck off) and the sample runs against a live server', async () => {
    const rewrite = (file: string) => {
      const source = fs.readFileSync(path.join(TYPES_DIR, file), 'utf8');
      expect(source).toContain(`'${SOURCE_IMPORT}'`);
      fs.writeFileSync(path.join(consumer, 'src', file), source.replaceAll(`'${SOURCE_IMPORT}'`, "'@carly/client'"));
    };
    rewrite('sample.ts');
    rewrite('client.types.ts');
    fs.copyFileSync(path.join(TYPES_DIR, 'sample.cjs'), path.join(consumer, 'sample.cjs'));
    // The SDK README's tsconfig.json, as printed there: a reader copies exactly this.
    fs.writeFileSync(path.join(consumer, 'tsconfig.json'), readmeTsconfig());
    for (const tsc of [path.join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'), path.join(ts7, 'node_modules', 'typescript', 'bin', 'tsc')]) {
      fs.rmSync(path.join(consumer, 'dist'), { recursive: true, force: true });
      // A whole tsc run on a 2-core machine shared with other jobs can take well over a minute.
      const compiled = await sh(process.execPath, [tsc, '-p', '.'], consumer, {}, 180_000);
      expect(compiled.code, `${tsc}\n${show(compiled)}`).toBe(0);
      expect(fs.existsSync(path.join(consumer, 'dist', 'sample.js')), tsc).toBe(true);
    }

    const env = { CARLY_URL: server.url, CARLY_EMAIL: TEST_ADMIN.email, CARLY_PASSWORD: TEST_ADMIN.password };
    const run = await sh(process.execPath, ['dist/sample.js'], consumer, env);
    expect(run.code, show(run)).toBe(0);
    const steps = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: string; [k: string]: unknown });
    expect(steps.map((s) => s.step)).toEqual(['login', 'create', 'list', 'iterate', 'stale-update', 'invalid', 'delete', 'done']);
    expect(steps.find((s) => s.step === 'stale-update')).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(steps.find((s) => s.step === 'invalid')).toMatchObject({ issues: ['email', 'firstName'] });

    const cjs = await sh(process.execPath, ['sample.cjs'], consumer, env);
    expect(cjs.code, show(cjs)).toBe(0);
    expect(JSON.parse(cjs.stdout)).toEqual({ step: 'cjs', role: 'admin' });
  }, 480_000);

  it('the type tests fail to compile when an expectation is wrong (the check has teeth)', async () => {
    const source = fs.readFileSync(path.join(consumer, 'src', 'client.types.ts'), 'utf8');
    const broken = source.replace('// @ts-expect-error: firstName and lastName are required\n', '');
    expect(broken).not.toBe(source);
    fs.writeFileSync(path.join(consumer, 'broken.types.ts'), broken);
    const tsc = await sh(
      process.execPath,
      [
        path.join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--noEmit',
        '--strict',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--target',
        'ES2022',
        '--lib',
        'ES2023,DOM,ESNext.Disposable',
        '--types',
        'node',
        '--skipLibCheck',
        'broken.types.ts',
      ],
      consumer,
      {},
      180_000,
    );
    // Killed by the timeout would also be "not 0": the compiler's own error below tells them apart.
    expect(tsc.code).not.toBe(0);
    expect(tsc.stdout).toMatch(/broken\.types\.ts\(\d+,\d+\): error TS2345/);
  }, 240_000);
});
