import type { Readable } from 'node:stream';
import type { JsonArrayElement, JsonArrayStreamOptions } from './json-array-stream.js';

const NEWLINE = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Yields the values of newline-delimited JSON (one value per line), a chunk's worth at a time,
 * never holding more than one line. `index` is the 0-based line number (blank lines are skipped
 * but keep their number, so a report's `line` = index + 1 is the line an editor shows). Unlike a
 * JSON array, one bad line does not spoil the rest: it comes back with `malformed` set, and a
 * line longer than `maxElementBytes` with `tooLarge`.
 */
export async function* streamNdjsonChunks(
  input: AsyncIterable<Buffer | string> | Readable,
  options: JsonArrayStreamOptions = {},
): AsyncGenerator<JsonArrayElement[]> {
  const maxLineBytes = options.maxElementBytes ?? 4 * 1024 * 1024;
  let line = 0;
  let parts: Buffer[] = [];
  let partsBytes = 0;
  let tooLarge = false;
  let first = true;

  const finish = (text: Buffer, out: JsonArrayElement[]) => {
    const index = line++;
    if (tooLarge) {
      tooLarge = false;
      out.push({ index, value: undefined, tooLarge: true });
      return;
    }
    let end = text.length;
    if (end > 0 && text[end - 1] === 0x0d) end--;
    const body = text.toString('utf8', 0, end);
    if (body.trim() === '') return;
    try {
      out.push({ index, value: JSON.parse(body) });
    } catch (err) {
      out.push({ index, value: undefined, malformed: `Line is not valid JSON: ${(err as Error).message}` });
    }
  };

  for await (const piece of input) {
    let chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    if (first && chunk.length > 0) {
      first = false;
      if (chunk.subarray(0, 3).equals(BOM)) chunk = chunk.subarray(3);
    }
    const out: JsonArrayElement[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      if (parts.length > 0) {
        parts.push(piece);
        finish(Buffer.concat(parts), out);
        parts = [];
        partsBytes = 0;
      } else finish(piece, out);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      partsBytes += rest.length;
      if (tooLarge || partsBytes > maxLineBytes) {
        tooLarge = true;
        parts = [Buffer.alloc(0)];
      } else {
        // Copy: the stream may reuse its buffers.
        parts.push(Buffer.from(rest));
      }
    }
    if (out.length > 0) yield out;
  }
  if (parts.length > 0) {
    const out: JsonArrayElement[] = [];
    finish(Buffer.concat(parts), out);
    if (out.length > 0) yield out;
  }
}
