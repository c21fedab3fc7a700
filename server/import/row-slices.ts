import { prepareRow, ROW_WIDTH, type RowSlice, rawEmail } from './import-row.js';
import { type JsonArrayStreamOptions, streamJsonArrayChunks } from './json-array-stream.js';
import { streamNdjsonChunks } from './ndjson-stream.js';

/** How the input holds its rows: one JSON array (`npm run import`'s files), or one JSON value per line. */
export type ImportFormat = 'array' | 'ndjson';

export interface RowSliceOptions extends JsonArrayStreamOptions {
  /** Accepted rows per slice (a slice also ends after this many rejected ones). */
  sliceRows?: number;
  /** Default `array`. */
  format?: ImportFormat;
}

export const DEFAULT_SLICE_ROWS = 1000;

/**
 * Parses and validates a JSON array of customers into slices of consecutive elements. When the
 * input turns out malformed, the slice of complete elements read so far is still yielded before
 * the error is thrown, so a caller can keep every row that came before the problem.
 */
export async function* rowSlices(input: AsyncIterable<Buffer | string>, options: RowSliceOptions = {}): AsyncGenerator<RowSlice> {
  const sliceRows = options.sliceRows ?? DEFAULT_SLICE_ROWS;
  let slice: RowSlice = { values: [], rejected: [], read: 0 };
  try {
    const elementsOf = options.format === 'ndjson' ? streamNdjsonChunks : streamJsonArrayChunks;
    for await (const elements of elementsOf(input, options)) {
      for (const { index, value, tooLarge, malformed } of elements) {
        slice.read++;
        const reason = tooLarge ? 'Row is too large to be a customer' : (malformed ?? prepareRow(value, slice.values));
        if (reason !== null) slice.rejected.push({ index, email: rawEmail(value), reason });
        if (slice.values.length >= sliceRows * ROW_WIDTH || slice.rejected.length >= sliceRows) {
          yield slice;
          slice = { values: [], rejected: [], read: 0 };
        }
      }
    }
  } catch (err) {
    if (slice.read > 0) yield slice;
    throw err;
  }
  if (slice.read > 0) yield slice;
}
