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

/**
 * Bytes per range so that a range holds about `batchRows` lines and no more
 * than `splitBytes` bytes: the mean line length is measured on the whole
 * lines of the first MiB after byte `from` (a header, say). Deterministic for
 * the same file. A file whose first MiB holds no newline gets `splitBytes`.
 */
export async function rangeBytesFor(path: string, from: number, splitBytes: number, batchRows: number): Promise<number> {
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
  if (lastNewline === -1) return splitBytes;
  let lines = 0;
  for (let at = sample.indexOf(NEWLINE); at !== -1 && at <= lastNewline; at = sample.indexOf(NEWLINE, at + 1)) lines++;
  const bytesPerLine = (lastNewline + 1) / lines;
  return Math.max(1, Math.min(splitBytes, Math.round(bytesPerLine * batchRows)));
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
