import type { Row } from '../../../lib/arrow-rows.js';
import { InputFormatError } from '../../../lib/errors/index.js';
import { lineNumberAt, readLinesInRange, type ByteRange } from '../file-range.js';

/** Parses the JSON lines of a byte range; every non-blank line must hold one JSON object. */
export async function readJsonLines(range: ByteRange): Promise<Row[]> {
  const { bytes, offset } = await readLinesInRange(range);
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
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw await lineError(range.path, offset, lineIndex, line, `malformed JSON: ${(error as Error).message}`, error);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw await lineError(range.path, offset, lineIndex, line, `expected a JSON object, got ${JSON.stringify(value)}`);
      }
      rows.push(value as Row);
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
