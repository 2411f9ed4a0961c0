import type { SplitPayload } from '../lib/split-payload.js';
import type { FileFormat } from './file-format.js';
import { cutAtMark, planJsonArraySplits, type JsonArraySplit } from './json-array-plan.js';
import { readArrayElements } from './json-array-reader.js';
import { byteOrderMarkLength } from './byte-order-mark.js';
import { openToRead } from './line-range.js';
import { jsonLinesFormat } from './jsonl-format.js';

/**
 * JSON: a file holding one array of objects, pretty-printed or not, never
 * held whole. Planning scans the file once for where its elements start and
 * cuts it there into splits of about `splitBytes` bytes and at most
 * `batchRows` elements (`formats/json-array-plan.ts`); a split reads its
 * elements one at a time with `JSON.parse` (`formats/json-array-reader.ts`),
 * so values are what JSON lines gives for the same objects. Written as an
 * array of one row per line.
 */
export const jsonArrayFormat: FileFormat = {
  name: 'json',
  extensions: ['.json'],

  planSplits(path, { splitBytes, batchRows }) {
    return planJsonArraySplits(path, splitBytes, batchRows);
  },

  cut(split, fraction) {
    return cutAtMark(split as JsonArraySplit, fraction);
  },

  readSplit(split, report) {
    return readArrayElements(split as JsonArraySplit, report);
  },

  /** JSON lines' encoding of the rows, joined by commas inside `[` and `]`: a line of JSON lines holds no newline of its own. */
  encode(payload: SplitPayload): string {
    const encoded = jsonLinesFormat.encode(payload, undefined);
    const lines = typeof encoded === 'string' ? encoded : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).toString('utf8');
    if (lines.length === 0) return '[]\n';
    return `[\n${lines.slice(0, -1).replaceAll('\n', ',\n')}\n]\n`;
  },
};

/**
 * Whether the file at `path` holds a JSON array: its first character, after
 * a byte order mark and whitespace, is `[`. Reads up to that character only.
 */
export async function holdsJsonArray(path: string): Promise<boolean> {
  const handle = await openToRead(path);
  try {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (let position = 0; ;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) return false;
      const bytes = chunk.subarray(position === 0 ? byteOrderMarkLength(chunk.subarray(0, bytesRead)) : 0, bytesRead);
      const first = bytes.findIndex((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
      if (first !== -1) return bytes[first] === 0x5b;
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
}
