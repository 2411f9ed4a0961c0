import { stringifyJsonExact } from '../formats/exact-json.js';
import type { BadRecord, OperatorContext } from '../lib/operator.js';
import type { Split } from '../lib/split.js';

/** A dead letter as written: one bad record, where it came from and why. */
export interface DeadLetter {
  /** Unique and the same each time the record's split runs in one run of the job: `<run>:<stage>:<split>:<n>`. */
  id: string;
  job: string;
  /** The run of the job (`JobRun.id`): its restores keep it, a new run has another. */
  run: string;
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
 * One worker's writer of one stage's dead letters, a transactional sink of
 * its own: what a split set aside is staged with the split, pre-committed
 * with the worker's part of a checkpoint and committed when the checkpoint
 * completes, so a split run again replaces what it wrote and each bad record
 * is there once.
 */
export interface DeadLetterWriter {
  /** Before any split: takes the place the letters go for this run. */
  open(): Promise<void>;
  write(split: Split, records: readonly BadRecord[], attempts: number): Promise<void>;
  preCommit(epoch: number): Promise<unknown>;
  commit(transaction: unknown): Promise<void>;
  /** Drops what this worker (and the workers it stands in for) staged that no commit took. */
  abort(): Promise<void>;
  close(): Promise<void>;
}

/** The dead letters of a split's bad records. */
export function deadLettersOf(split: Split, records: readonly BadRecord[], attempts: number, context: OperatorContext): DeadLetter[] {
  const time = new Date().toISOString();
  const run = context.run?.id ?? 'none';
  return records.map((bad, n): DeadLetter => ({
    id: `${run}:${split.stage}:${split.lineage}:${n}`, job: context.jobId, run,
    stage: split.stage, splitId: split.splitId, file: bad.file ?? null, line: bad.line ?? null, row: bad.row ?? null,
    record: recordText(bad.record), error: bad.error.name, message: bad.error.message, stack: bad.error.stack ?? null, attempts, time,
  }));
}

function recordText(record: unknown): string | null {
  if (record === undefined || record === null) return null;
  if (typeof record === 'string') return record;
  return stringifyJsonExact(record, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value));
}
