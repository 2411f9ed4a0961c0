import { stat } from 'node:fs/promises';
import type { Row } from '../lib/arrow-rows.js';
import { InputFormatError } from '../lib/errors/index.js';
import type { SplitPayload } from '../lib/split-payload.js';
import type { FileFormat, FileSplit, ReportBadRecord } from './file-format.js';
import { byteOrderMarkLength } from './byte-order-mark.js';
import { isBigintRefusal, parseJsonExact, stringifyJsonExact, stringifyWithBigints } from './exact-json.js';
import { decodeJsonLinesToTable } from './jsonl-columns.js';
import { encodeTableAsJsonLines } from './jsonl-encoder.js';
import { cutByteRange, invalidUtf8Lines, lineNumberAt, rangeSizing, readLinesInRange, sizedRanges } from './line-range.js';

/** A byte range of a JSON lines file: the lines that start in it. */
interface JsonLinesSplit extends FileSplit {
  start: number;
  end: number;
}

/** JSON lines: one JSON object per line, split by byte ranges of about `batchRows` lines. */
export const jsonLinesFormat: FileFormat = {
  name: 'jsonl',
  extensions: ['.jsonl', '.ndjson'],

  async planSplits(path, { splitBytes, batchRows }): Promise<JsonLinesSplit[]> {
    const { size } = await stat(path);
    return sizedRanges(path, 0, size, await rangeSizing(path, 0, splitBytes, batchRows)).map((range) => ({ ...range, format: 'jsonl' }));
  },

  cut(split, fraction) {
    return cutByteRange(split as JsonLinesSplit, fraction);
  },

  async readSplit(split, report) {
    const { path, start, end } = split as JsonLinesSplit;
    const range = await readLinesInRange({ path, start, end });
    // A byte order mark before the file's first line is no part of it.
    const bytes = range.offset === 0 ? range.bytes.subarray(byteOrderMarkLength(range.bytes)) : range.bytes;
    const invalid = invalidUtf8Lines(bytes);
    return (invalid.size === 0 ? decodeJsonLinesToTable(bytes) : undefined) ?? await parseJsonLines(path, bytes, range.offset, invalid, report);
  },

  encode(payload: SplitPayload): Uint8Array | string {
    const arrow = payload.builtFromRows ? undefined : payload.arrowRows;
    return (arrow && encodeTableAsJsonLines(arrow.table, arrow.indexes)) ?? encodeJsonLines(payload.toRows());
  },
};

/**
 * The JSON lines of `bytes`, which start at byte `offset` of the file at
 * `path`, as rows; every non-blank line must hold one JSON object, in UTF-8
 * (`invalid`: the lines that are not, by index, with why).
 */
async function parseJsonLines(path: string, bytes: Buffer, offset: number, invalid: Map<number, string>, report: ReportBadRecord | undefined): Promise<Row[]> {
  const text = bytes.toString('utf8');
  const rows: Row[] = [];
  // The file's line number of the range's first line: counted once, when a line is bad.
  let firstLine: number | undefined;
  const lineError = async (lineIndex: number, record: string, reason: string, cause?: unknown) => {
    firstLine ??= await lineNumberAt(path, offset);
    return new InputFormatError({ file: path, line: firstLine + lineIndex, record, reason, cause });
  };
  let lineIndex = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    if (line.trim().length > 0) {
      let value: unknown;
      let problem: InputFormatError | undefined;
      const notUtf8 = invalid.get(lineIndex);
      if (notUtf8 !== undefined) {
        problem = await lineError(lineIndex, line, notUtf8);
      } else {
        try {
          value = parseJsonExact(line);
        } catch (error) {
          problem = await lineError(lineIndex, line, `malformed JSON: ${(error as Error).message}`, error);
        }
      }
      if (!problem && (value === null || typeof value !== 'object' || Array.isArray(value))) {
        problem = await lineError(lineIndex, line, `expected a JSON object, got ${stringifyJsonExact(value)}`);
      }
      if (!problem) rows.push(value as Row);
      else if (report) report(problem, line);
      else throw problem;
    }
    lineIndex++;
    start = end + 1;
  }
  return rows;
}


/**
 * Rows as JSON lines, bigints as the numbers they are. Once a row has held a
 * bigint, the rows after it go straight to the writer for them
 * (`stringifyWithBigints`), without JSON.stringify failing on each first.
 */
export function encodeJsonLines(rows: Row[]): string {
  let out = '';
  let bigints = false;
  for (const row of rows) {
    if (!bigints) {
      try {
        out += `${JSON.stringify(row)}\n`;
        continue;
      } catch (error) {
        if (!isBigintRefusal(error)) throw error;
        bigints = true;
      }
    }
    out += `${stringifyWithBigints(row)}\n`;
  }
  return out;
}
