import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The console is served by Carly at /console/ (base), built into the repository's dist/console/
 * (gitignored). `@carly/client` resolves to the SDK's TypeScript source: the console uses the SDK
 * as a package (the import is `@carly/client`, never a server path) without building it first.
 */
export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [react()],
  resolve: { alias: { '@carly/client': path.join(here, '..', 'client-sdk', 'src', 'index.ts') } },
  build: {
    outDir: path.join(here, '..', 'dist', 'console'),
    emptyOutDir: true,
    // No inline <script> or data: module: the CSP allows scripts from this server only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
