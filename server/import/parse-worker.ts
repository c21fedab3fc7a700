/**
 * The import's parser thread: turns the file's bytes (sent by the main thread on request) into
 * validated row slices, so parsing and validation run on one core while the main thread writes
 * to the database on the other. See parse-in-worker.ts for the protocol.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JsonArrayError } from './json-array-stream.js';
import type { FromWorker, ToWorker, WorkerOptions } from './parse-in-worker.js';
import { rowSlices } from './row-slices.js';
import { InputAborted, WorkerInput } from './worker-input.js';

const port = parentPort!;
const { maxElementBytes, format, sliceRows, maxInFlight, readAhead } = workerData as WorkerOptions;
const send = (message: FromWorker) => port.postMessage(message);
const input = new WorkerInput(send, readAhead);

let inFlight = 0;
let wakeWriter: (() => void) | null = null;

port.on('message', (message: ToWorker) => {
  if (input.take(message)) return;
  if (message.t === 'ack') {
    inFlight--;
    wakeWriter?.();
    wakeWriter = null;
  }
});

/** The parse (a function: the thread's module may be loaded as CommonJS, which has no top-level await). */
async function run(): Promise<void> {
  try {
    for await (const slice of rowSlices(input.bytes(), { maxElementBytes, format, sliceRows })) {
      send({ t: 'slice', slice });
      inFlight++;
      // The main thread acknowledges each slice it takes: never run more than a few ahead of it.
      while (inFlight >= maxInFlight) await new Promise<void>((resolve) => (wakeWriter = resolve));
    }
    send({ t: 'done' });
  } catch (err) {
    if (err instanceof InputAborted) send({ t: 'aborted' });
    else {
      const e = err as Error;
      send({ t: 'failed', error: { name: e.name, message: e.message, offset: err instanceof JsonArrayError ? err.offset : undefined } });
    }
  }
  port.close();
}

void run();
