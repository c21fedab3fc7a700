import type { Readable } from 'node:stream';

/** The input is not a well-formed JSON array; `offset` is the byte where that became clear. */
export class JsonArrayError extends Error {
  override name = 'JsonArrayError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface JsonArrayElement {
  index: number;
  /** The parsed element; undefined when `tooLarge`. */
  value: unknown;
  /** Set when the element was longer than `maxElementBytes`: it was skipped, not parsed. */
  tooLarge?: true;
  /** NDJSON only (ndjson-stream.ts): why the line is not JSON; the lines after it are still read. */
  malformed?: string;
}

export interface JsonArrayStreamOptions {
  /** Elements longer than this are skipped (reported with `tooLarge`), so one huge element cannot exhaust memory. */
  maxElementBytes?: number;
}

// Scanner phases.
const BEFORE_ARRAY = 0; // whitespace, then '['
const FIRST_VALUE = 1; // a value or ']' (empty array)
const IN_VALUE = 2;
const AFTER_VALUE = 3; // ',' or ']'
const NEXT_VALUE = 4; // a value (after ',')
const AFTER_ARRAY = 5; // only whitespace

const BOM = [0xef, 0xbb, 0xbf];
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const describe = (b: number) => (b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`);

/**
 * Yields the elements of a top-level JSON array, a chunk's worth at a time, never holding the
 * whole input. The array's structure is scanned byte by byte (strings, escapes, nesting); each
 * element's text is then handed to the native JSON.parse, which is far faster than a
 * JavaScript tokenizer. Any malformation (not an array, truncated, bad element) throws a
 * JsonArrayError naming the byte offset.
 */
export async function* streamJsonArrayChunks(
  input: AsyncIterable<Buffer | string> | Readable,
  options: JsonArrayStreamOptions = {},
): AsyncGenerator<JsonArrayElement[]> {
  const maxElementBytes = options.maxElementBytes ?? 4 * 1024 * 1024;
  let phase = BEFORE_ARRAY;
  let index = 0;
  let base = 0; // absolute offset of the current chunk
  // Within the current element:
  let depth = 0;
  let inString = false;
  let escaped = false;
  let scalar = false; // a bare number / true / false / null, which ends at a delimiter
  let elementStart = 0; // absolute offset
  let parts: Buffer[] = [];
  let partsBytes = 0;
  let tooLarge = false;
  let bomBytes = 0; // how much of a leading UTF-8 byte order mark was skipped

  const finish = (chunk: Buffer, start: number, end: number, out: JsonArrayElement[]) => {
    if (tooLarge || partsBytes + (end - start) > maxElementBytes) {
      out.push({ index: index++, value: undefined, tooLarge: true });
    } else {
      const text = parts.length === 0 ? chunk.toString('utf8', start, end) : Buffer.concat([...parts, chunk.subarray(start, end)]).toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new JsonArrayError(`invalid JSON in element ${index} (starting at byte ${elementStart}): ${(err as Error).message}`, elementStart);
      }
      out.push({ index: index++, value });
    }
    parts = [];
    partsBytes = 0;
    tooLarge = false;
    phase = AFTER_VALUE;
  };

  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    let i = 0;
    const out: JsonArrayElement[] = [];
    const n = chunk.length;
    let start = phase === IN_VALUE ? 0 : -1; // where the current element starts in this chunk
    try {
      while (i < n) {
        const b = chunk[i]!;
        if (phase === IN_VALUE) {
          if (inString) {
            if (escaped) escaped = false;
            else if (b === 0x5c) escaped = true;
            else if (b === 0x22) {
              inString = false;
              if (depth === 0) {
                finish(chunk, start, i + 1, out);
              }
            }
          } else if (scalar) {
            if (isSpace(b) || b === 0x2c || b === 0x5d) {
              finish(chunk, start, i, out);
              continue; // the delimiter is handled as AFTER_VALUE
            }
          } else if (b === 0x22) inString = true;
          else if (b === 0x7b || b === 0x5b) depth++;
          else if (b === 0x7d || b === 0x5d) {
            if (--depth === 0) finish(chunk, start, i + 1, out);
          }
          i++;
          continue;
        }
        if (isSpace(b)) {
          i++;
          continue;
        }
        const at = base + i;
        // A UTF-8 byte order mark is not JSON, but editors write one.
        if (at < 3 && at === bomBytes && b === BOM[at]) {
          bomBytes++;
          i++;
          continue;
        }
        switch (phase) {
          case BEFORE_ARRAY:
            if (b !== 0x5b) {
              const what = b === 0x7b ? 'a JSON object' : `${describe(b)}`;
              throw new JsonArrayError(`not a JSON array: the input starts with ${what}, expected '['`, at);
            }
            phase = FIRST_VALUE;
            break;
          case FIRST_VALUE:
          case NEXT_VALUE:
            if (b === 0x5d && phase === FIRST_VALUE) {
              phase = AFTER_ARRAY;
              break;
            }
            if (b === 0x7b || b === 0x5b) {
              depth = 1;
              inString = false;
              scalar = false;
            } else if (b === 0x22) {
              depth = 0;
              inString = true;
              scalar = false;
            } else if (b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e) {
              depth = 0;
              inString = false;
              scalar = true;
            } else {
              throw new JsonArrayError(`expected an array element at byte ${at}, found ${describe(b)}`, at);
            }
            escaped = false;
            phase = IN_VALUE;
            start = i;
            elementStart = at;
            break;
          case AFTER_VALUE:
            if (b === 0x2c) phase = NEXT_VALUE;
            else if (b === 0x5d) phase = AFTER_ARRAY;
            else throw new JsonArrayError(`expected ',' or ']' after element ${index - 1} at byte ${at}, found ${describe(b)}`, at);
            break;
          case AFTER_ARRAY:
            throw new JsonArrayError(`unexpected ${describe(b)} at byte ${at}, after the end of the array`, at);
        }
        i++;
      }
    } catch (err) {
      // The elements before the problem are good: hand them over first.
      if (out.length > 0) yield out;
      throw err;
    }
    if (phase === IN_VALUE) {
      // The element continues in the next chunk: keep its bytes (unless it is already too large).
      const rest = chunk.subarray(start);
      partsBytes += rest.length;
      if (tooLarge || partsBytes > maxElementBytes) {
        tooLarge = true;
        parts = [];
      } else {
        // Copy: the stream may reuse its buffers.
        parts.push(Buffer.from(rest));
      }
    }
    base += n;
    if (out.length > 0) yield out;
  }
  if (phase !== AFTER_ARRAY) {
    const what =
      phase === BEFORE_ARRAY
        ? 'the input is empty, expected a JSON array'
        : `unexpected end of input at byte ${base}: the array is not closed (the input looks truncated after ${index} complete element${index === 1 ? '' : 's'})`;
    throw new JsonArrayError(what, base);
  }
}

/** One element at a time; see streamJsonArrayChunks. */
export async function* streamJsonArray(input: Readable, options?: JsonArrayStreamOptions): AsyncGenerator<JsonArrayElement> {
  for await (const elements of streamJsonArrayChunks(input, options)) yield* elements;
}
