/**
 * How a file holding one JSON array is cut into splits: one scan of the
 * whole file, chunk by chunk, finds where its elements start, and splits are
 * cut there. A split is plain JSON and carries some of its element starts,
 * so that it can be cut again without reading it.
 */
import type { FileHandle } from 'node:fs/promises';
import { InputFormatError } from '../lib/errors/index.js';
import type { FileSplit } from './file-format.js';
import { byteOrderMarkLength } from './byte-order-mark.js';
import { openToRead } from './line-range.js';
import { JsonArrayScanner, PROBLEM_REASONS, type ArrayProblem, type ArrayScanListener } from './json-array-scanner.js';

/** An element start inside a split, where the split can be cut without reading it. */
export interface ElementMark {
  offset: number;
  line: number;
  /** How many of the split's elements come before it. */
  index: number;
}

/**
 * The elements of a JSON array file that start in bytes `[start, end)`. The
 * first split of a file starts at byte 0, so that its reader checks the
 * array's opening `[`; every other at an element's first byte; the last ends
 * at the end of the file, so that its reader checks the closing `]`.
 */
export interface JsonArraySplit extends FileSplit {
  start: number;
  end: number;
  /** The line of byte `start`. */
  line: number;
  /** How many elements start in the split. */
  rows: number;
  /** Some element starts inside the split, evenly spaced, in order: where it may be cut. */
  marks: ElementMark[];
}

/** Bytes read at a time. */
export const SCAN_CHUNK_BYTES = 1024 * 1024;

/** Element starts a split keeps as the places it may be cut at. */
const MARKS_PER_SPLIT = 15;

/**
 * The splits of the JSON array file at `path`: each ends before the element
 * that would take it past `splitBytes` bytes or `batchRows` elements. An
 * empty file, or one of whitespace, has none, as has `[]`. A file whose scan
 * found damage but no element is one split, whose reader reports the damage.
 * Raises InputFormatError for a file that does not start with `[`.
 */
export async function planJsonArraySplits(path: string, splitBytes: number, batchRows: number): Promise<JsonArraySplit[]> {
  const planner = new SplitPlanner(path, splitBytes, batchRows);
  const handle = await openToRead(path);
  try {
    const { size } = await handle.stat();
    const scanner = new JsonArrayScanner(planner, { offset: 0, line: 1, at: 'file' });
    await scanWholeFile(handle, scanner);
    if (planner.notArray) {
      const { offset, line } = planner.notArray;
      throw new InputFormatError({ file: path, line, record: await lineTextAt(handle, offset), reason: PROBLEM_REASONS['not-an-array'] });
    }
    return planner.splits(size, scanner.end() === 'unclosed');
  } finally {
    await handle.close();
  }
}

/** A split cut at its mark nearest `fraction` of its elements; undefined when it has no mark. */
export function cutAtMark(split: JsonArraySplit, fraction: number): [JsonArraySplit, JsonArraySplit] | undefined {
  const target = split.rows * fraction;
  let cut: ElementMark | undefined;
  for (const mark of split.marks) if (!cut || Math.abs(mark.index - target) < Math.abs(cut.index - target)) cut = mark;
  if (!cut) return undefined;
  const at = cut;
  const head: JsonArraySplit = { ...split, end: at.offset, rows: at.index, marks: split.marks.filter((mark) => mark.index < at.index) };
  const tail: JsonArraySplit = {
    ...split,
    start: at.offset,
    line: at.line,
    rows: split.rows - at.index,
    marks: split.marks.filter((mark) => mark.index > at.index).map((mark) => ({ ...mark, index: mark.index - at.index })),
  };
  return [head, tail];
}

/** Scans a file from its start, after a byte order mark, to its end or until the scan is done. */
async function scanWholeFile(handle: FileHandle, scanner: JsonArrayScanner): Promise<void> {
  const chunk = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
  for (let position = 0; !scanner.done;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) return;
    const skip = position === 0 ? byteOrderMarkLength(chunk.subarray(0, bytesRead)) : 0;
    scanner.offset = position + skip;
    scanner.scan(chunk.subarray(skip, bytesRead));
    position += bytesRead;
  }
}

/** Collects a file's element starts into splits as its scan finds them. */
class SplitPlanner implements ArrayScanListener {
  /** Where the file's first character is, when it is not `[`. */
  notArray: { offset: number; line: number } | undefined;
  private readonly planned: JsonArraySplit[] = [];
  private current: { start: number; line: number } | undefined;
  /** The element starts of the current split, and their lines. */
  private offsets: number[] = [];
  private lines: number[] = [];
  private damaged = false;

  constructor(private readonly path: string, private readonly splitBytes: number, private readonly batchRows: number) {}

  elementStart(offset: number, line: number): void {
    if (!this.current) {
      this.current = { start: 0, line: 1 };
    } else if (this.offsets.length >= this.batchRows || offset - this.current.start >= this.splitBytes) {
      this.close(offset);
      this.current = { start: offset, line };
    }
    this.offsets.push(offset);
    this.lines.push(line);
  }

  elementEnd(): void {}

  problem(problem: ArrayProblem, offset: number, line: number): void {
    this.damaged = true;
    if (problem === 'not-an-array') this.notArray = { offset, line };
  }

  /** The splits of a file of `size` bytes, once its scan has ended, with the array left open or not. */
  splits(size: number, unclosed: boolean): JsonArraySplit[] {
    if (this.current) this.close(size);
    else if (this.damaged || unclosed) this.planned.push({ path: this.path, format: 'json', start: 0, end: size, line: 1, rows: 0, marks: [] });
    return this.planned;
  }

  private close(end: number): void {
    const { start, line } = this.current!;
    const rows = this.offsets.length;
    const marks: ElementMark[] = [];
    for (let k = 1; k <= MARKS_PER_SPLIT; k++) {
      const index = Math.round((k * rows) / (MARKS_PER_SPLIT + 1));
      if (index > 0 && index < rows && index !== marks.at(-1)?.index) marks.push({ offset: this.offsets[index]!, line: this.lines[index]!, index });
    }
    this.planned.push({ path: this.path, format: 'json', start, end, line, rows, marks });
    this.offsets = [];
    this.lines = [];
  }
}

/** The text from byte `offset` to the end of its line, at most 4 KiB of it (InputFormatError cuts it further). */
async function lineTextAt(handle: FileHandle, offset: number): Promise<string> {
  const bytes = Buffer.allocUnsafe(4096);
  const { bytesRead } = await handle.read(bytes, 0, bytes.length, offset);
  const text = bytes.toString('utf8', 0, bytesRead);
  const newline = text.indexOf('\n');
  return newline === -1 ? text : text.slice(0, newline);
}
