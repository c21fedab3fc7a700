/**
 * The import's parser thread: turns the file's bytes (sent by the main thread on request) into
 * validated row slices, so parsing and validation run on one core while the main thread writes
 * to the database on the other. See parse-in-worker.ts for the protocol.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JsonArrayError } from './json-array-stream.js';
import type { FromWorker, ToWorker, WorkerOptions } from './parse-in-worker.js';
import { rowSlices } from './row-slices.js';

const port = parentPort!;
const { maxElementBytes, format, sliceRows, maxInFlight, readAhead } = workerData as WorkerOptions;
const send = (message: FromWorker) => port.postMessage(message);

class InputAborted extends Error {}

const chunks: Uint8Array[] = [];
let requested = 0;
let ended = false;
let aborted = false;
let inFlight = 0;
let wakeReader: (() => void) | null = null;
let wakeWriter: (() => void) | null = null;

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'chunk':
      requested--;
      chunks.push(message.data);
      break;
    case 'end':
      ended = true;
      break;
    case 'abort':
      aborted = true;
      break;
    case 'ack':
      inFlight--;
      wakeWriter?.();
      wakeWriter = null;
      return;
  }
  wakeReader?.();
  wakeReader = null;
});

async function* input(): AsyncGenerator<Buffer> {
  for (;;) {
    // Keep a few chunks asked for, so reading the file overlaps parsing.
    while (!ended && !aborted && requested + chunks.length < readAhead) {
      requested++;
      send({ t: 'need' });
    }
    const chunk = chunks.shift();
    if (chunk) {
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      continue;
    }
    if (aborted) throw new InputAborted();
    if (ended) return;
    await new Promise<void>((resolve) => (wakeReader = resolve));
  }
}

try {
  for await (const slice of rowSlices(input(), { maxElementBytes, format, sliceRows })) {
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
