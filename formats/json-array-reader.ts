/**
 * Reads the elements of one split of a JSON array file: its bytes are read
 * in chunks and scanned for where elements start and end
 * (`json-array-scanner.ts`), and each element, once whole, is parsed by
 * `JSON.parse` on its own text, as a line of JSON lines is. Only the element
 * being read is held, besides the rows.
 */
import type { Row } from '../lib/arrow-rows.js';
import { InputFormatError } from '../lib/errors/index.js';
import type { ReportBadRecord } from './file-format.js';
import { SCAN_CHUNK_BYTES, type JsonArraySplit } from './json-array-plan.js';
import { byteOrderMarkLength } from './byte-order-mark.js';
import { parseJsonExact, stringifyJsonExact } from './exact-json.js';
import { openToRead, utf8Problem } from './line-range.js';
import { JsonArrayScanner, PROBLEM_REASONS, type ArrayEnd, type ArrayProblem, type ArrayScanListener } from './json-array-scanner.js';

/** Bytes read at a time past the split's end, where usually only the next element's first byte is needed. */
const READ_AHEAD_BYTES = 64 * 1024;

/**
 * The most bytes of one element (or of the damaged rest of a file) held to
 * read it: past this it is a bad record whose text is its first
 * `KEPT_HEAD_BYTES`. Far above any row's size, below V8's longest string.
 */
const LARGEST_ELEMENT_BYTES = 256 * 1024 * 1024;
const KEPT_HEAD_BYTES = 1024 * 1024;

/**
 * The objects of a split, in file order. A bad record (see the problems
 * `SplitReader` tells) is handed to `report` and the reading goes on, or,
 * without `report`, raised as InputFormatError.
 */
export async function readArrayElements(split: JsonArraySplit, report?: ReportBadRecord): Promise<Row[]> {
  const reader = new SplitReader(split.path, report);
  const scanner = new JsonArrayScanner(reader, { offset: split.start, line: split.line, at: split.start === 0 ? 'file' : 'element' }, split.end);
  const handle = await openToRead(split.path);
  try {
    for (let position = split.start; !scanner.stopped;) {
      const length = position < split.end ? Math.min(SCAN_CHUNK_BYTES, split.end - position) : READ_AHEAD_BYTES;
      const chunk = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(chunk, 0, length, position);
      if (bytesRead === 0) {
        reader.finish(scanner.end(), scanner.line);
        break;
      }
      const skip = position === 0 ? byteOrderMarkLength(chunk.subarray(0, bytesRead)) : 0;
      reader.hold(chunk.subarray(skip, bytesRead), position + skip);
      if (!scanner.done) {
        scanner.offset = position + skip;
        scanner.scan(chunk.subarray(skip, bytesRead));
      }
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return reader.rows;
}

/** Text being read: an element, or the rest of the file after a problem that ends the scan. */
interface OpenSpan {
  offset: number;
  line: number;
  /** Why the rest of the file is a bad record; undefined for an element. */
  restReason?: string;
  /** The span's first bytes, once it grew past LARGEST_ELEMENT_BYTES and is no longer held whole. */
  head?: Buffer;
}

/**
 * Turns scanned elements into rows and problems into bad records:
 * - an element that is not valid JSON (`{"a": 1,}`), not an object (a
 *   number, a string, null, an array) or not UTF-8, on its first line;
 * - a comma with no element before or after it, on its line;
 * - the rest of the file after the array's `]`, or from a first character
 *   that is not `[`, on the line it starts;
 * - the array never closed (the file cut short): the element the file ends
 *   in (or nothing), on the line the file ends.
 */
class SplitReader implements ArrayScanListener {
  readonly rows: Row[] = [];
  /** The chunks the open span lies in (else the last chunk), in order, the first starting at byte `heldStart`. */
  private held: Buffer[] = [];
  private heldStart = 0;
  private open: OpenSpan | undefined;

  constructor(private readonly path: string, private readonly report: ReportBadRecord | undefined) {}

  /** Keeps `chunk`, the bytes from `offset` on, and of the chunks before it those the open span lies in. */
  hold(chunk: Buffer, offset: number): void {
    const open = this.open;
    if (!open || open.head) {
      this.held = [chunk];
      this.heldStart = offset;
      return;
    }
    while (this.heldStart + this.held[0]!.length <= open.offset) this.heldStart += this.held.shift()!.length;
    this.held.push(chunk);
    if (offset + chunk.length - open.offset > LARGEST_ELEMENT_BYTES) {
      const from = open.offset - this.heldStart;
      open.head = Buffer.concat(this.held, from + KEPT_HEAD_BYTES).subarray(from);
    }
  }

  /** Bytes `[from, to)`, which the held chunks hold. */
  private bytes(from: number, to: number): Buffer {
    const last = this.held.at(-1)!;
    const lastStart = this.heldStart + this.held.reduce((bytes, chunk) => bytes + chunk.length, 0) - last.length;
    if (from >= lastStart) return last.subarray(from - lastStart, to - lastStart);
    return Buffer.concat(this.held, to - this.heldStart).subarray(from - this.heldStart);
  }

  elementStart(offset: number, line: number): void {
    this.open = { offset, line };
  }

  elementEnd(offset: number): void {
    const open = this.open!;
    this.open = undefined;
    if (open.head) {
      this.bad(open.line, open.head.toString('utf8'), `an element of more than ${LARGEST_ELEMENT_BYTES / 1024 / 1024} MiB, too large for one row`);
      return;
    }
    const bytes = this.bytes(open.offset, offset);
    const text = bytes.toString('utf8');
    // Decoding would turn bytes that are not UTF-8 into U+FFFD: the element is refused instead, as a JSON line is.
    const notUtf8 = utf8Problem(bytes.subarray(leadingWhitespace(bytes)), 'element');
    if (notUtf8) {
      this.bad(open.line, text.trim(), notUtf8);
      return;
    }
    let value: unknown;
    try {
      value = parseJsonExact(text);
    } catch (error) {
      this.bad(open.line, text.trim(), `malformed JSON: ${(error as Error).message}`, error);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.bad(open.line, text.trim(), `expected a JSON object, got ${stringifyJsonExact(value)}`);
      return;
    }
    this.rows.push(value as Row);
  }

  problem(problem: ArrayProblem, offset: number, line: number): void {
    if (problem === 'empty-element' || problem === 'trailing-comma') {
      this.bad(line, ',', PROBLEM_REASONS[problem]);
      return;
    }
    // The scan ends here: the rest of the file is one bad record, read to its end.
    this.open = { offset, line, restReason: PROBLEM_REASONS[problem] };
  }

  /** At the end of the file, at line `line`, with the array left as `end` says. */
  finish(end: ArrayEnd, line: number): void {
    const open = this.open;
    this.open = undefined;
    if (open?.restReason) {
      this.bad(open.line, this.spanText(open), open.restReason);
    } else if (end === 'unclosed') {
      const lastLine = line - trailingNewlines(this.held.at(-1) ?? Buffer.alloc(0));
      const where = open ? `inside the element that starts on line ${open.line}` : "after its last element";
      this.bad(lastLine, open ? this.spanText(open) : '', `the array is never closed: the file ends ${where}, with no ']' (is the file cut short, or does a quote or bracket not match?)`);
    }
  }

  private spanText(open: OpenSpan): string {
    if (open.head) return open.head.toString('utf8');
    const heldEnd = this.heldStart + this.held.reduce((bytes, chunk) => bytes + chunk.length, 0);
    return this.bytes(open.offset, heldEnd).toString('utf8').trim();
  }

  private bad(line: number, record: string, reason: string, cause?: unknown): void {
    const error = new InputFormatError({ file: this.path, line, record, reason, cause });
    if (!this.report) throw error;
    this.report(error, record);
  }
}

/** How many newlines the whitespace at the end of `bytes` holds. */
function trailingNewlines(bytes: Buffer): number {
  let newlines = 0;
  for (let i = bytes.length - 1; i >= 0; i--) {
    const byte = bytes[i]!;
    if (byte === 0x0a) newlines++;
    else if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) break;
  }
  return newlines;
}

/** How many bytes of JSON whitespace `bytes` begin with. */
function leadingWhitespace(bytes: Buffer): number {
  let at = 0;
  while (at < bytes.length && (bytes[at] === 0x20 || bytes[at] === 0x0a || bytes[at] === 0x0d || bytes[at] === 0x09)) at++;
  return at;
}
