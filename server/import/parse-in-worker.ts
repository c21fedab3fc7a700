import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RowSlice } from './import-row.js';
import { JsonArrayError } from './json-array-stream.js';
import { DEFAULT_SLICE_ROWS, type RowSliceOptions } from './row-slices.js';
import { InputFeeder, type InputMessage, type NeedMessage } from './worker-input.js';

/*
 * Protocol between the main thread and parse-worker.ts: the input's chunks on request
 * (worker-input.ts), then
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
export type ToWorker = InputMessage | { t: 'ack' };
export type FromWorker =
  | NeedMessage
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
  const worker = startWorker('parse-worker', {
    maxElementBytes: options.maxElementBytes,
    format: options.format,
    sliceRows: options.sliceRows ?? DEFAULT_SLICE_ROWS,
    maxInFlight: 4,
    readAhead: 16,
  } satisfies WorkerOptions);
  const events: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (event: Event) => {
    events.push(event);
    wake?.();
    wake = null;
  };
  const post = (message: ToWorker) => worker.postMessage(message);
  const feeder = new InputFeeder(input, post);

  worker.on('message', (message: FromWorker) => (message.t === 'need' ? feeder.next() : push(message)));
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
          throw feeder.error;
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
    await feeder.close();
  }
}

/**
 * The worker's live data is a few slices and one element (at most maxElementBytes of text), so
 * its heap can be kept small; V8's defaults would let it grow by tens of MB before collecting.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 };

/**
 * Starts one of the import's workers (parse-worker, sqlite-import-worker). From TypeScript sources
 * (tsx), a worker thread does not inherit tsx's loader: a bootstrap registers tsx's CommonJS hooks,
 * which run on the thread itself (its ESM hooks would start one more thread with a heap of its
 * own: measured, the server's memory during an import grew ~10 MB more), then loads the module.
 */
export function startWorker(module: 'parse-worker' | 'sqlite-import-worker', workerData: unknown): Worker {
  const here = import.meta.url;
  if (!/\.[cm]?ts$/.test(new URL(here).pathname)) return new Worker(new URL(`./${module}.js`, here), { workerData, resourceLimits: WORKER_LIMITS });
  const tsx = createRequire(here).resolve('tsx/cjs/api');
  const entry = fileURLToPath(new URL(`./${module}.ts`, here));
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits: WORKER_LIMITS });
}
