import { stat } from 'node:fs/promises';
import type { Row } from '../lib/arrow-rows.js';
import { InputFormatError } from '../lib/errors/index.js';
import type { SplitPayload } from '../lib/split-payload.js';
import type { FileFormat, FileSplit, ReportBadRecord } from './file-format.js';
import { decodeJsonLinesToTable } from './jsonl-columns.js';
import { encodeTableAsJsonLines, jsonSafe } from './jsonl-encoder.js';
import { cutByteRange, lineNumberAt, rangeSizing, readLinesInRange, sizedRanges } from './line-range.js';

/** A byte range of a JSON lines file: the lines that start in it. */
interface JsonLinesSplit extends FileSplit {
  start: number;
  end: number;
}

/** JSON lines: one JSON object per line, split by byte ranges of about `batchRows` lines. */
export const jsonLinesFormat: FileFormat = {
  name: 'jsonl',
  extensions: ['.jsonl', '.ndjson', '.json'],

  async planSplits(path, { splitBytes, batchRows }): Promise<JsonLinesSplit[]> {
    const { size } = await stat(path);
    return sizedRanges(path, 0, size, await rangeSizing(path, 0, splitBytes, batchRows)).map((range) => ({ ...range, format: 'jsonl' }));
  },

  cut(split, fraction) {
    return cutByteRange(split as JsonLinesSplit, fraction);
  },

  async readSplit(split, report) {
    const { path, start, end } = split as JsonLinesSplit;
    const { bytes, offset } = await readLinesInRange({ path, start, end });
    return decodeJsonLinesToTable(bytes) ?? await parseJsonLines(path, bytes, offset, report);
  },

  encode(payload: SplitPayload): Uint8Array | string {
    const arrow = payload.builtFromRows ? undefined : payload.arrowRows;
    return (arrow && encodeTableAsJsonLines(arrow.table, arrow.indexes)) ?? encodeJsonLines(payload.toRows());
  },
};

/** The JSON lines of `bytes`, which start at byte `offset` of the file at `path`, as rows; every non-blank line must hold one JSON object. */
async function parseJsonLines(path: string, bytes: Buffer, offset: number, report: ReportBadRecord | undefined): Promise<Row[]> {
  const text = bytes.toString('utf8');
  const rows: Row[] = [];
  let lineIndex = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    if (line.trim().length > 0) {
      let value: unknown;
      let problem: InputFormatError | undefined;
      try {
        value = JSON.parse(line);
      } catch (error) {
        problem = await lineError(path, offset, lineIndex, line, `malformed JSON: ${(error as Error).message}`, error);
      }
      if (!problem && (value === null || typeof value !== 'object' || Array.isArray(value))) {
        problem = await lineError(path, offset, lineIndex, line, `expected a JSON object, got ${JSON.stringify(value)}`);
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

/** The error for the `lineIndex`-th line of a range that starts at byte `offset`. */
async function lineError(path: string, offset: number, lineIndex: number, record: string, reason: string, cause?: unknown): Promise<InputFormatError> {
  const line = (await lineNumberAt(path, offset)) + lineIndex;
  return new InputFormatError({ file: path, line, record, reason, cause });
}

/**
 * Rows as JSON lines; a bigint becomes a number when it is a safe integer,
 * else a string. JSON.stringify with a replacer is several times slower than
 * without, so the replacer is used only for a row that still holds a bigint
 * after the fields that held bigints in earlier rows were converted on a copy.
 */
export function encodeJsonLines(rows: Row[]): string {
  let out = '';
  const bigintFields: string[] = [];
  for (const row of rows) {
    let plain: Row = row;
    if (bigintFields.length > 0) {
      plain = { ...row };
      for (const field of bigintFields) if (typeof plain[field] === 'bigint') plain[field] = jsonSafe(field, plain[field]);
    }
    try {
      out += `${JSON.stringify(plain)}\n`;
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      for (const [field, value] of Object.entries(row)) if (typeof value === 'bigint' && !bigintFields.includes(field)) bigintFields.push(field);
      out += `${JSON.stringify(row, jsonSafe)}\n`;
    }
  }
  return out;
}
