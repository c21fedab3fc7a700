import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { customerFromRow } from '../customer.mapper.js';
import { csvHeaderLine, csvLine, type ExportFormat, ndjsonLine } from './export-formats.js';
import type { ExportSnapshot } from './export-snapshot.js';

/** Text per write to the socket: small enough that what waits for a slow reader stays small. */
const CHUNK_CHARS = 64 * 1024;

/** What an export sent: rows and bytes (before compression), and whether it reached the end. */
export interface ExportTally {
  rows: number;
  bytes: number;
  complete: boolean;
}

/**
 * The export's body as a stream that reads the snapshot one page at a time and only when the
 * socket wants more: Fastify pipes it to the response, so a slow reader slows the reads
 * (backpressure) and memory holds a few pages at most. When the client goes away the pipe
 * destroys the stream, which ends the generator, which closes the snapshot at once. `onEnd`
 * runs once, after the snapshot closed, however the stream ended.
 */
export function exportBody(snapshot: ExportSnapshot, format: ExportFormat, gzip: boolean, onEnd: (tally: ExportTally) => void): Readable {
  const tally: ExportTally = { rows: 0, bytes: 0, complete: false };
  const line = format === 'csv' ? csvLine : ndjsonLine;
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      if (format === 'csv') {
        const header = Buffer.from(csvHeaderLine());
        tally.bytes += header.length;
        yield header;
      }
      let text = '';
      let rows = 0;
      const take = () => {
        const chunk = Buffer.from(text);
        tally.rows += rows;
        tally.bytes += chunk.length;
        text = '';
        rows = 0;
        return chunk;
      };
      for await (const page of snapshot.rows()) {
        for (const row of page) {
          text += line(customerFromRow(row));
          rows++;
          if (text.length >= CHUNK_CHARS) yield take();
        }
      }
      if (rows > 0) yield take();
      tally.complete = true;
    } finally {
      await snapshot.close();
      onEnd(tally);
    }
  }
  // One page in flight at most: the generator is asked for the next only when this one is taken.
  const body = Readable.from(chunks(), { objectMode: false, highWaterMark: 1 });
  if (!gzip) return body;
  const compressed = createGzip();
  body.on('error', (err) => compressed.destroy(err));
  compressed.on('close', () => {
    if (!body.destroyed) body.destroy();
  });
  return body.pipe(compressed);
}
