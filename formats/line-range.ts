import { isUtf8 } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { InputFormatError } from '../lib/errors/index.js';

/** Bytes `[start, end)` of a file, for a split that reads part of it. */
export interface ByteRange {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

const NEWLINE = 0x0a;
const READ_AHEAD = 64 * 1024;

/** Bytes read from the start of a file to estimate its bytes per line. */
const SAMPLE_BYTES = 1024 * 1024;

/** How a line-oriented file is cut into byte ranges. */
export interface RangeSizing {
  /** Bytes per range. */
  rangeBytes: number;
  /** Mean bytes per line, measured; undefined when the sample held no whole line. */
  bytesPerLine: number | undefined;
}

/**
 * Bytes per range so that a range holds about `batchRows` lines and no more
 * than `splitBytes` bytes: the mean line length is measured on the whole
 * lines of the first MiB after byte `from` (a header, say). Deterministic for
 * the same file. A file whose first MiB holds no newline gets `splitBytes`.
 */
export async function rangeSizing(path: string, from: number, splitBytes: number, batchRows: number): Promise<RangeSizing> {
  const handle = await openToRead(path);
  let sample: Buffer;
  try {
    const { size } = await handle.stat();
    const length = Math.max(0, Math.min(SAMPLE_BYTES, size - from));
    sample = Buffer.allocUnsafe(length);
    await readFully(handle, sample, from);
  } finally {
    await handle.close();
  }
  const lastNewline = sample.lastIndexOf(NEWLINE);
  if (lastNewline === -1) return { rangeBytes: splitBytes, bytesPerLine: undefined };
  let lines = 0;
  for (let at = sample.indexOf(NEWLINE); at !== -1 && at <= lastNewline; at = sample.indexOf(NEWLINE, at + 1)) lines++;
  const bytesPerLine = (lastNewline + 1) / lines;
  return { rangeBytes: Math.max(1, Math.min(splitBytes, Math.round(bytesPerLine * batchRows))), bytesPerLine };
}

/**
 * Byte ranges of a line-oriented file of `size` bytes from byte `from`, as
 * `sizing` says, each with about how many lines it holds when that is known.
 */
export function sizedRanges(path: string, from: number, size: number, sizing: RangeSizing): (ByteRange & { rows?: number })[] {
  return byteRanges(path, size, sizing.rangeBytes).map((range) => {
    const bytes = range.end - Math.max(range.start, from);
    return sizing.bytesPerLine === undefined ? range : { ...range, rows: Math.max(1, Math.round(bytes / sizing.bytesPerLine)) };
  });
}

/**
 * A byte range cut at about `fraction` of its bytes into two, which read
 * (by the rule of `readLinesInRange`) exactly the lines the whole range
 * reads; their `rows` estimates are shared out the same way. Undefined when
 * either part would be empty.
 */
export function cutByteRange<T extends ByteRange & { rows?: number }>(range: T, fraction: number): [T, T] | undefined {
  const at = range.start + Math.round((range.end - range.start) * fraction);
  if (!(at > range.start && at < range.end)) return undefined;
  const headRows = range.rows === undefined ? undefined : Math.max(1, Math.round(range.rows * fraction));
  const tailRows = range.rows === undefined ? undefined : Math.max(1, range.rows - headRows!);
  return [{ ...range, end: at, rows: headRows }, { ...range, start: at, rows: tailRows }];
}

/** Cuts a file of `size` bytes into ranges of `splitBytes`, the last one shorter. */
export function byteRanges(path: string, size: number, splitBytes: number): ByteRange[] {
  const ranges: ByteRange[] = [];
  for (let start = 0; start < size; start += splitBytes) ranges.push({ path, start, end: Math.min(size, start + splitBytes) });
  return ranges;
}

/**
 * The whole lines whose first byte lies in `[start, end)`: the Hadoop rule for
 * splitting line-oriented files by byte ranges. A line that starts before
 * `start` belongs to the previous range; the last line may run past `end`.
 * Returns the bytes and the file offset where they begin.
 */
export async function readLinesInRange(range: ByteRange): Promise<{ bytes: Buffer; offset: number }> {
  const handle = await openToRead(range.path);
  try {
    const { size } = await handle.stat();
    const end = Math.min(range.end, size);
    let first = range.start;
    if (first > 0) {
      // The line containing byte start-1 belongs to the previous range: skip through its newline. Without a newline
      // before `end`, no line starts in the range (it lies inside one long line), and the search stops there rather
      // than read on to that line's end, which every such range of a 100 MB line would do again.
      const skip = await findNewline(handle, first - 1, end);
      if (skip === -1) return { bytes: Buffer.alloc(0), offset: end };
      first = skip + 1;
    }
    if (first >= end) return { bytes: Buffer.alloc(0), offset: first };
    const lastNewline = end >= size ? size - 1 : await findNewline(handle, end - 1, size);
    const stop = lastNewline === -1 ? size : lastNewline + 1;
    const bytes = Buffer.allocUnsafe(stop - first);
    await readFully(handle, bytes, first);
    return { bytes, offset: first };
  } finally {
    await handle.close();
  }
}

/** Offset of the first newline at or after `from` and before `limit`, or -1. */
async function findNewline(handle: FileHandle, from: number, limit: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(READ_AHEAD);
  for (let position = from; position < limit; position += READ_AHEAD) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(READ_AHEAD, limit - position), position);
    const index = chunk.subarray(0, bytesRead).indexOf(NEWLINE);
    if (index !== -1) return position + index;
    if (bytesRead === 0) break;
  }
  return -1;
}

async function readFully(handle: FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

/** 1-based number of the line that starts at byte `offset` (counts newlines before it). */
export async function lineNumberAt(path: string, offset: number): Promise<number> {
  const handle = await openToRead(path);
  try {
    const chunk = Buffer.allocUnsafe(READ_AHEAD);
    let lines = 1;
    for (let position = 0; position < offset; position += READ_AHEAD) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(READ_AHEAD, offset - position), position);
      if (bytesRead === 0) break;
      let at = -1;
      const view = chunk.subarray(0, bytesRead);
      while ((at = view.indexOf(NEWLINE, at + 1)) !== -1) lines++;
    }
    return lines;
  } finally {
    await handle.close();
  }
}

/**
 * Opens a file to read. A file that cannot be opened (no permission, a
 * folder) raises InputFormatError naming it and the cause, as a file that
 * cannot be parsed does.
 */
export async function openToRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw new InputFormatError({ file: path, reason: `cannot be read: ${(error as Error).message}`, cause: error });
  }
}

/**
 * The lines of `bytes` that are not valid UTF-8, by 0-based index, each with
 * why: the first byte that breaks it and where in the line. Empty when all
 * of `bytes` is valid, which is checked first, at memory speed.
 */
export function invalidUtf8Lines(bytes: Buffer): Map<number, string> {
  const invalid = new Map<number, string>();
  if (isUtf8(bytes)) return invalid;
  for (let start = 0, index = 0; start <= bytes.length; index++) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end === -1) end = bytes.length;
    const problem = utf8Problem(bytes.subarray(start, end), 'line');
    if (problem) invalid.set(index, problem);
    start = end + 1;
  }
  return invalid;
}

/** Why `bytes`, a `unit` of a file (a line, a JSON array's element), are not valid UTF-8: the first byte that breaks them and where; undefined when they are valid. */
export function utf8Problem(bytes: Uint8Array, unit: string): string | undefined {
  if (isUtf8(bytes)) return undefined;
  const at = firstInvalidUtf8Byte(bytes);
  return `not valid UTF-8 at byte ${at + 1} of the ${unit} (0x${bytes[at]!.toString(16).padStart(2, '0')})`;
}

/**
 * Index of the first byte of `bytes` where its UTF-8 breaks (RFC 3629: no
 * overlong forms, surrogates or code points past U+10FFFF): a byte that
 * starts no sequence, or the first byte of a sequence that is cut short or
 * holds a byte it does not allow (a Latin-1 `é`, 0xe9, before a comma).
 */
function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    // The sequence length and the range its second byte must lie in.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else {
      return i;
    }
    for (let k = 1; k < length; k++) {
      const byte = bytes[i + k];
      if (byte === undefined || byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return i;
    }
    i += length;
  }
  return i;
}
