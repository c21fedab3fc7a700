import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RowSlice } from './import-row.js';
import { JsonArrayError } from './json-array-stream.js';
import { DEFAULT_SLICE_ROWS, type RowSliceOptions } from './row-slices.js';

/*
 * Protocol between the main thread and parse-worker.ts:
 *   worker → main  need                 send me the next chunk of the input
 *   main → worker  chunk | end | abort  a chunk (copied), the end of input, or "reading failed"
 *   worker → main  slice                the next validated slice; main answers `ack` when it takes it
 *   worker → main  done | failed | aborted
 * Both directions are bounded: the worker asks for at most `readAhead` chunks ahead and runs at
 * most `maxInFlight` slices ahead of the main thread, so memory stays flat whatever the file size.
 */
export interface WorkerOptions {
  maxElementBytes: number | undefined;
  format: RowSliceOptions['format'];
  sliceRows: number;
  maxInFlight: number;
  readAhead: number;
}
export type ToWorker = { t: 'chunk'; data: Uint8Array } | { t: 'end' } | { t: 'abort' } | { t: 'ack' };
export type FromWorker =
  | { t: 'need' }
  | { t: 'slice'; slice: RowSlice }
  | { t: 'done' }
  | { t: 'aborted' }
  | { t: 'failed'; error: { name: string; message: string; offset: number | undefined } };

type Event = FromWorker | { t: 'crashed'; error: Error } | { t: 'exited'; code: number };

/**
 * rowSlices() run on a worker thread: same slices, same errors (a malformed input still yields
 * the rows before the problem, then throws the JsonArrayError; a failing input stream throws its
 * own error), but the parsing and validation no longer compete with the database writes.
 */
export async function* rowSlicesInWorker(input: AsyncIterable<Buffer | string>, options: RowSliceOptions = {}): AsyncGenerator<RowSlice> {
  const worker = startWorker({
    maxElementBytes: options.maxElementBytes,
    format: options.format,
    sliceRows: options.sliceRows ?? DEFAULT_SLICE_ROWS,
    maxInFlight: 4,
    readAhead: 16,
  });
  const source = input[Symbol.asyncIterator]();
  const events: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (event: Event) => {
    events.push(event);
    wake?.();
    wake = null;
  };
  const post = (message: ToWorker) => worker.postMessage(message);

  // Reads are chained so chunks go out in order, one per `need`.
  let inputDone = false;
  let inputError: unknown;
  let reading = Promise.resolve();
  const readNext = () => {
    reading = reading.then(async () => {
      if (inputDone) return;
      try {
        const next = await source.next();
        if (next.done) {
          inputDone = true;
          post({ t: 'end' });
        } else {
          const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
          post({ t: 'chunk', data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) });
        }
      } catch (err) {
        inputDone = true;
        inputError = err;
        post({ t: 'abort' });
      }
    });
  };

  worker.on('message', (message: FromWorker) => (message.t === 'need' ? readNext() : push(message)));
  worker.on('error', (error) => push({ t: 'crashed', error }));
  worker.on('exit', (code) => push({ t: 'exited', code }));

  try {
    for (;;) {
      // The caller's database writes are synchronous: let the event loop run between slices, so
      // the worker's requests for input and the file reads keep flowing.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const event = events.shift()!;
      switch (event.t) {
        case 'slice':
          post({ t: 'ack' });
          yield event.slice;
          break;
        case 'done':
          return;
        case 'aborted':
          throw inputError;
        case 'failed':
          throw event.error.name === 'JsonArrayError'
            ? new JsonArrayError(event.error.message, event.error.offset ?? 0)
            : new Error(`import parser thread: ${event.error.message}`);
        case 'crashed':
          throw event.error;
        case 'exited':
          throw new Error(`the import's parser thread stopped unexpectedly (exit code ${event.code})`);
      }
    }
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
    if (!inputDone) await source.return?.();
  }
}

/**
 * The worker's live data is a few slices and one element (at most maxElementBytes of text), so
 * its heap can be kept small; V8's defaults would let it grow by tens of MB before collecting.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 };

/**
 * Starts parse-worker. From TypeScript sources (tsx), a worker thread does not inherit tsx's
 * loader, so a two-line bootstrap registers it before importing the worker module.
 */
function startWorker(workerData: WorkerOptions): Worker {
  const here = import.meta.url;
  if (!/\.[cm]?ts$/.test(new URL(here).pathname)) return new Worker(new URL('./parse-worker.js', here), { workerData, resourceLimits: WORKER_LIMITS });
  const tsxApi = resolveTsxApi(here);
  const entry = new URL('./parse-worker.ts', here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits: WORKER_LIMITS });
}

/** The ESM entry of `tsx/esm/api` (require.resolve would pick its CommonJS build). */
function resolveTsxApi(from: string): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolve === 'function') return resolve('tsx/esm/api');
  const manifest = createRequire(from).resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(manifest), pkg.exports['./esm/api']!.import.default)).href;
}
