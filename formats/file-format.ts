import { writeFile } from 'node:fs/promises';
import type { Table } from 'apache-arrow';
import type { Row } from '../lib/arrow-rows.js';
import type { InputFormatError } from '../lib/errors/index.js';
import type { DataRange } from '../lib/split.js';
import type { SplitPayload } from '../lib/split-payload.js';

/**
 * The part of one file that one source split reads, as its format planned it:
 * plain JSON (it travels in messages and checkpoints), naming the file and the
 * format, plus what the format needs (a byte range, row groups, a CSV layout).
 */
export interface FileSplit extends DataRange {
  path: string;
  format: string;
  /** About how many records the split holds (exact for Parquet), when known. */
  rows?: number;
}

/** How a format plans a file into splits. */
export interface PlanOptions<ReadOptions> {
  /** Target bytes per split. */
  splitBytes: number;
  /** Most rows a split decodes to (JSON lines and CSV: about that many, from each file's first rows). */
  batchRows: number;
  /** The source's options for this format (FileSource's `csv`, say), if any. */
  options: ReadOptions | undefined;
}

/**
 * One file format: how files of it are split, read and written. FileSource
 * and FileSink find a format in the registry (`formats/index.ts`) by name or
 * by file extension and call it; they know nothing of any one format.
 */
export interface FileFormat<ReadOptions = unknown, WriteOptions = unknown> {
  /** What `format` says in FileSource's and FileSink's configs, and the key of the format's own options there. */
  readonly name: string;
  /** Lower-case extensions, dot included, that name files of this format; FileSink writes the first. */
  readonly extensions: readonly string[];
  /** The splits of one file, in file order. Raises InputFormatError for a file that cannot be read at all. */
  planSplits(path: string, plan: PlanOptions<ReadOptions>): Promise<FileSplit[]>;
  /**
   * One split cut in two at about `fraction` of its rows (0 < fraction < 1):
   * the two parts read, one after the other, exactly the records the split
   * reads, and carry a share of its `rows` estimate. Undefined when the split
   * cannot be cut. Optional: a format without it is never cut.
   */
  cut?(split: FileSplit, fraction: number): [FileSplit, FileSplit] | undefined;
  /**
   * The records of one split: rows, or an Arrow table. A bad record is an
   * InputFormatError (file, line, record): given `report`, the format hands
   * it there and reads on without it (a format that cannot, such as Parquet,
   * raises it); without, it raises it.
   */
  readSplit(split: FileSplit, report?: ReportBadRecord): Promise<Row[] | Table>;
  /** A payload as the bytes (or text) of one file. */
  encode(payload: SplitPayload, options: WriteOptions | undefined): Uint8Array | string;
}

/** Writes a payload as one file of `format`, flushed to disk before the promise resolves. */
export async function writePayloadFile<WriteOptions>(
  format: FileFormat<unknown, WriteOptions>,
  path: string,
  payload: SplitPayload,
  options: WriteOptions | undefined,
): Promise<void> {
  await writeFile(path, format.encode(payload, options), { flush: true });
}

/** Where a format hands a record it cannot read (its whole text: the error's `record` is cut short), to read on without it. */
export type ReportBadRecord = (error: InputFormatError, text: string) => void;
