/**
 * `npm run build:console`: builds the web console (console/, Vite) into dist/console/, unless its
 * inputs are unchanged since the last build. The inputs are every file under console/ (but its
 * node_modules), the SDK's source it bundles, and the lockfile; their SHA-256 is kept in
 * dist/console/.inputs-hash. So a second `npm start` costs a hash of a few hundred files (well
 * under a second), not a Vite build. Tests build through the same function (once per run).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONSOLE_DIR = path.join(ROOT, 'console');
export const CONSOLE_OUT = path.join(ROOT, 'dist', 'console');
const STAMP = path.join(CONSOLE_OUT, '.inputs-hash');
const INPUTS = [CONSOLE_DIR, path.join(ROOT, 'client-sdk', 'src'), path.join(ROOT, 'package-lock.json')];

function filesUnder(target: string): string[] {
  if (!fs.existsSync(target)) return [];
  if (fs.statSync(target).isFile()) return [target];
  return fs
    .readdirSync(target, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules' && e.name !== 'dist')
    .flatMap((e) => filesUnder(path.join(target, e.name)));
}

export function consoleInputsHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(filesUnder).sort()) {
    hash.update(path.relative(ROOT, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** Builds the console when its inputs changed (or `force`); says whether it built. */
export async function buildConsole(options: { force?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  const inputs = consoleInputsHash();
  const built = fs.existsSync(path.join(CONSOLE_OUT, 'index.html')) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === inputs;
  if (built && !options.force) {
    if (!options.quiet) console.log('console: up to date (dist/console/)');
    return false;
  }
  const { build } = await import('vite');
  // Always React's production build and JSX transform: Vite and the React plugin follow NODE_ENV
  // when it is set, and the tests run with NODE_ENV=test (which bundled React's development build:
  // a 419 KB start script instead of 220 KB, and not what a person is served).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(CONSOLE_DIR, 'vite.config.ts'), logLevel: options.quiet ? 'warn' : 'info' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  fs.writeFileSync(STAMP, inputs);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildConsole({ force: process.argv.includes('--force') }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
