/**
 * vitest globalSetup (root, so both database projects share it): compiles the sources that tests
 * run as their own processes (server/main.ts, the CLIs in scripts/, test/helpers/tracing-probe.ts)
 * to plain JavaScript once per run (~300 files, 1–2 s), so each spawn is `node file.js` instead of
 * `node --import tsx file.ts`. tsx caches its transforms, but its loader hooks still resolve and
 * load every module through a hooks thread: a spawned server spent ~1.4 s more CPU before it
 * listened from the sources (docs/development.md, "Keeping the suite fast").
 *
 * The output (esbuild, file by file, as tsx transforms them) is laid out like the repository inside
 * node_modules/.cache/carly-test-build/run-…/, so REPO_ROOT (server/paths.ts: the nearest
 * package.json above) is still the repository and packages resolve from its node_modules. Every run
 * compiles into a fresh folder of its own, removed at teardown: nothing stale, and concurrent runs
 * in one checkout do not race. CARLY_TEST_FROM_SOURCES=1 runs spawned processes with tsx instead.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder holding the compiled copy (server/, scripts/, …), or undefined to spawn with tsx. */
    compiledRoot: string | undefined;
  }
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What spawned processes run, relative to the repository (each with everything it imports). */
const SOURCES = ['server', 'client-sdk/src', 'scripts', 'test/helpers/tracing-probe.ts'];

function tsFiles(relative: string): string[] {
  const full = path.join(ROOT, relative);
  if (!fs.statSync(full).isDirectory()) return [relative];
  return fs
    .readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.split(path.sep).includes('node_modules'))
    .map((f) => path.join(relative, f));
}

/**
 * Transpiles each file on its own with esbuild, as tsx does (its own copy of esbuild, so the output
 * is what ran under tsx before), keeping the repository's layout under `outDir`.
 */
export async function compileForSpawn(outDir: string): Promise<number> {
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
  const esbuild = (await import(pathToFileURL(fromTsx.resolve('esbuild')).href)) as typeof import('esbuild');
  const entryPoints = SOURCES.flatMap(tsFiles).map((f) => path.join(ROOT, f));
  await esbuild.build({
    entryPoints,
    outdir: outDir,
    outbase: ROOT,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    logLevel: 'error',
  });
  return entryPoints.length;
}

/** Removes the folders of runs that were killed before their teardown (their process is gone). */
function removeAbandoned(parent: string): void {
  for (const name of fs.readdirSync(parent)) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (!pid || isAlive(pid)) continue;
    fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export default async function setup(project: TestProject) {
  if (process.env.CARLY_TEST_FROM_SOURCES === '1') {
    project.provide('compiledRoot', undefined);
    return;
  }
  const parent = path.join(ROOT, 'node_modules', '.cache', 'carly-test-build');
  fs.mkdirSync(parent, { recursive: true });
  removeAbandoned(parent);
  const outDir = fs.mkdtempSync(path.join(parent, `run-${process.pid}-`));
  await compileForSpawn(outDir);
  project.provide('compiledRoot', outDir);
  return () => fs.rmSync(outDir, { recursive: true, force: true });
}
