/**
 * Builds the publishable SDK into client-sdk/dist:
 *   index.js (ESM), index.cjs (CJS), index.d.ts + index.d.cts (one self-contained declaration file).
 *
 *   npm run build:sdk        (also part of `npm run generate`)
 *
 * 1. tsc emits JS and declarations for client-sdk/src, and for the server modules its router
 *    type comes from, into dist/.tsc.
 * 2. rollup bundles the JS (every bare import external) and rollup-plugin-dts the declarations
 *    (default respectExternal: false), with the server's request-context module swapped for an
 *    opaque stub, so the router type is inlined and nothing points into server/.
 * 3. A check: every import in dist/ is a dependency the package declares, never a relative path.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Plugin, rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SDK_DIR = path.join(ROOT, 'client-sdk');
export const DIST_DIR = path.join(SDK_DIR, 'dist');
const TSC_OUT = path.join(DIST_DIR, '.tsc');
const CONTEXT_STUB = path.join(ROOT, 'scripts', 'sdk', 'context-stub.d.ts');
/** Server modules whose declarations must not reach the package: replaced by stubs. */
const STUBBED = new Map([[path.join(TSC_OUT, 'server', 'trpc', 'context.js'), CONTEXT_STUB]]);

const isBare = (id: string) => !id.startsWith('.') && !path.isAbsolute(id) && !id.startsWith('\0');

function stubServerContext(): Plugin {
  return {
    name: 'carly-stub-server-context',
    resolveId(source, importer) {
      if (!importer || isBare(source)) return null;
      const target = path.resolve(path.dirname(importer), source).replace(/\.d\.ts$/, '.js');
      return STUBBED.get(target) ?? STUBBED.get(target.replace(/\.ts$/, '.js')) ?? null;
    },
  };
}

/** The bare specifiers a built file imports, from `import`/`export ... from` and `import("...")`. */
export function importsOf(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    // Not preceded by "-": '@trpc/server/unstable-core-do-not-import' ends in "import'".
    /(?<![\w-])import\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\/\/\/\s*<reference\s+(?:types|path)=['"]([^'"]+)['"]/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.add(m[1]!);
  return [...found];
}

/** The package a specifier belongs to: `@trpc/server/observable` → `@trpc/server`. */
export const packageOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);

/** Throws unless every import in dist/ is one of the package's declared dependencies. */
export function checkDist(distDir = DIST_DIR, manifestPath = path.join(SDK_DIR, 'package.json')): { file: string; imports: string[] }[] {
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const allowed = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  const report: { file: string; imports: string[] }[] = [];
  const problems: string[] = [];
  for (const file of fs.readdirSync(distDir).filter((f) => /\.(d\.c?ts|c?js)$/.test(f))) {
    const code = fs.readFileSync(path.join(distDir, file), 'utf8');
    const imports = importsOf(code);
    report.push({ file, imports });
    for (const spec of imports) {
      if (!isBare(spec)) problems.push(`${file}: relative or absolute import "${spec}"`);
      else if (!allowed.has(packageOf(spec))) problems.push(`${file}: imports "${spec}", which is not a declared dependency`);
    }
    if (/\bserver\//.test(code.replace(/@trpc\/server\//g, ''))) problems.push(`${file}: mentions a path into server/`);
    if (file.endsWith('.ts') && /declare\s+module\s+['"]/.test(code)) problems.push(`${file}: augments another module (declare module)`);
  }
  if (problems.length) throw new Error(`SDK build check failed:\n  ${problems.join('\n  ')}`);
  return report;
}

export async function buildSdk(log: (line: string) => void = console.log): Promise<void> {
  fs.rmSync(DIST_DIR, { recursive: true, force: true });
  const require = createRequire(import.meta.url);
  const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(SDK_DIR, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });

  const external = (id: string) => isBare(id);
  const entryJs = path.join(TSC_OUT, 'client-sdk', 'src', 'index.js');
  const js = await rollup({ input: entryJs, external, onwarn: failOnWarning });
  await js.write({ file: path.join(DIST_DIR, 'index.js'), format: 'es' });
  await js.write({ file: path.join(DIST_DIR, 'index.cjs'), format: 'cjs', interop: 'auto', exports: 'named' });
  await js.close();

  const entryDts = path.join(TSC_OUT, 'client-sdk', 'src', 'index.d.ts');
  const types = await rollup({ input: entryDts, external, plugins: [stubServerContext(), dts()], onwarn: failOnWarning });
  await types.write({ file: path.join(DIST_DIR, 'index.d.ts'), format: 'es' });
  await types.close();
  fs.copyFileSync(path.join(DIST_DIR, 'index.d.ts'), path.join(DIST_DIR, 'index.d.cts'));
  fs.rmSync(TSC_OUT, { recursive: true, force: true });

  for (const { file, imports } of checkDist()) log(`client-sdk/dist/${file}: imports ${imports.join(', ') || 'nothing'}`);
}

function failOnWarning(warning: { code?: string; message: string }) {
  // Unused external imports are fine (type-only names); anything else is a build problem.
  if (warning.code === 'UNUSED_EXTERNAL_IMPORT') return;
  throw new Error(`rollup: ${warning.message}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildSdk();
  console.log(`built ${path.relative(ROOT, DIST_DIR)}`);
}
