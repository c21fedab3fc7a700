import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { streamArray } from 'stream-json/streamers/stream-array.js';

/** Yields the elements of a top-level JSON array one at a time, never holding the whole file. */
export async function* streamJsonArray(input: Readable): AsyncGenerator<{ index: number; value: unknown }> {
  const elements = streamArray.withParserAsStream();
  // pipeline() forwards a read or parse error to the iterator below and closes both ends.
  pipeline(input, elements, () => {});
  for await (const item of elements as AsyncIterable<{ key: number; value: unknown }>) {
    yield { index: item.key, value: item.value };
  }
}
