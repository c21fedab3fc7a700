import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../paths.js';

/** Where `npm run build:console` (scripts/console/build.ts) writes the built console; gitignored. */
export const CONSOLE_DIST = path.join(REPO_ROOT, 'dist', 'console');

export interface ConsoleFile {
  body: Buffer;
  type: string;
  /** Vite names everything under assets/ by a hash of its content: cacheable for a year. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * The built console, read once at start (a few hundred KB): answering from memory needs no file
 * system access per request and cannot be led outside the folder by a crafted path. `null` when
 * the console was not built (the server still runs; /console/ says how to build it).
 */
export function loadConsoleFiles(dir = CONSOLE_DIST): Map<string, ConsoleFile> | null {
  if (!fs.existsSync(path.join(dir, 'index.html'))) return null;
  const files = new Map<string, ConsoleFile>();
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!entry.name.startsWith('.')) {
        const rel = path.relative(dir, full).split(path.sep).join('/');
        const type = TYPES[path.extname(entry.name)] ?? 'application/octet-stream';
        files.set(rel, { body: fs.readFileSync(full), type, immutable: rel.startsWith('assets/') });
      }
    }
  };
  walk(dir);
  return files;
}
