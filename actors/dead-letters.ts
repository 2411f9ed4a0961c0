import { join } from 'node:path';
import type { BadRecord, OperatorContext } from '../lib/operator.js';
import type { Split } from '../lib/split.js';
import { SplitPayload } from '../lib/split-payload.js';
import type { JobSpec } from '../lib/job-spec.js';
import { FileSink, type FileSinkTransaction } from '../operators/sink/file-sink.js';

/** A dead letter as written: one bad record, where it came from and why. */
export interface DeadLetter {
  stage: string;
  splitId: string;
  file: string | null;
  line: number | null;
  row: number | null;
  /** The record: the text of a line as read, or the row (or a source split's range) as JSON. */
  record: string | null;
  /** The error's class (`InputFormatError`, `RowFunctionError`, ...), message and stack. */
  error: string;
  message: string;
  stack: string | null;
  /** How many times the split ran. */
  attempts: number;
  /** When it was written, ISO 8601. */
  time: string;
}

/**
 * A stage's dead letters from one worker: a FileSink of its own writing
 * `<dead letter folder>/<stage>/part-<split>.<ext>`, one file per split with
 * bad records, staged and committed with the checkpoints as any sink, so a
 * split run again replaces its file and each bad record is there once.
 */
export class DeadLetterWriter {
  private readonly sink: FileSink;

  constructor(location: NonNullable<JobSpec['deadLetter']>, context: OperatorContext) {
    this.sink = new FileSink({ path: join(location.path, context.stage), format: location.format }, context);
  }

  async write(split: Split, records: readonly BadRecord[], attempts: number): Promise<void> {
    const time = new Date().toISOString();
    const letters = records.map((bad): DeadLetter => ({
      stage: split.stage, splitId: split.splitId, file: bad.file ?? null, line: bad.line ?? null, row: bad.row ?? null,
      record: recordText(bad.record), error: bad.error.name, message: bad.error.message, stack: bad.error.stack ?? null, attempts, time,
    }));
    await this.sink.beginTransaction(split.epoch);
    await this.sink.processSplit(split, SplitPayload.fromRows(letters as unknown as Record<string, unknown>[], split.splitId));
  }

  preCommit(epoch: number): Promise<FileSinkTransaction> {
    return this.sink.preCommit(epoch);
  }

  commit(transaction: unknown): Promise<void> {
    return this.sink.commit(transaction as FileSinkTransaction);
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}

function recordText(record: unknown): string | null {
  if (record === undefined || record === null) return null;
  if (typeof record === 'string') return record;
  return JSON.stringify(record, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
    return typeof value === 'bigint' ? value.toString() : value;
  });
}
