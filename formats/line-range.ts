import { open } from 'node:fs/promises';

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
  const handle = await open(path, 'r');
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
  const handle = await open(range.path, 'r');
  try {
    const { size } = await handle.stat();
    const end = Math.min(range.end, size);
    let first = range.start;
    if (first > 0) {
      // The line containing byte start-1 belongs to the previous range: skip through its newline.
      const skip = await findNewline(handle, first - 1, size);
      first = skip === -1 ? size : skip + 1;
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

/** Offset of the first newline at or after `from`, or -1. */
async function findNewline(handle: import('node:fs/promises').FileHandle, from: number, size: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(READ_AHEAD);
  for (let position = from; position < size; position += READ_AHEAD) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(READ_AHEAD, size - position), position);
    const index = chunk.subarray(0, bytesRead).indexOf(NEWLINE);
    if (index !== -1) return position + index;
    if (bytesRead === 0) break;
  }
  return -1;
}

async function readFully(handle: import('node:fs/promises').FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

/** 1-based number of the line that starts at byte `offset` (counts newlines before it). */
export async function lineNumberAt(path: string, offset: number): Promise<number> {
  const handle = await open(path, 'r');
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
