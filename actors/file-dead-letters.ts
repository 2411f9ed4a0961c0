import { join } from 'node:path';
import type { DeadLetterLocation } from '../lib/job-spec.js';
import type { BadRecord, OperatorContext } from '../lib/operator.js';
import type { Split } from '../lib/split.js';
import { SplitPayload } from '../lib/split-payload.js';
import { FileSink, type FileSinkTransaction } from '../operators/sink/file-sink.js';
import { deadLettersOf, type DeadLetterWriter } from './dead-letter.js';

/**
 * A stage's dead letters as files: a FileSink of their own writing
 * `<dead letter folder>/<stage>/part-<split>.<ext>`, one file per split with
 * bad records. The folder is this run's (FileSink's claim): another run's
 * dead letters there are refused, not mixed in.
 */
export class FileDeadLetters implements DeadLetterWriter {
  private readonly sink: FileSink;

  constructor(location: DeadLetterLocation, private readonly context: OperatorContext) {
    if (location.format === 'lance') throw new TypeError('FileDeadLetters writes files, not Lance tables');
    this.sink = new DeadLetterSink({ path: join(location.path, context.stage), format: location.format }, context);
  }

  open(): Promise<void> {
    return this.sink.open();
  }

  async write(split: Split, records: readonly BadRecord[], attempts: number): Promise<void> {
    const letters = deadLettersOf(split, records, attempts, this.context);
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

/** A FileSink whose messages call its folder what it is. */
class DeadLetterSink extends FileSink {
  protected override readonly what = 'dead letter folder';
}
