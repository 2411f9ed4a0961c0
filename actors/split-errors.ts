import { setTimeout as sleep } from 'node:timers/promises';
import { OperatorError } from '../lib/errors/index.js';
import type { Logger } from '../lib/logger.js';
import type { BadRecord } from '../lib/operator.js';
import type { Split } from '../lib/split.js';
import type { SplitPayload } from '../lib/split-payload.js';
import type { ErrorPolicy } from '../lib/stage.js';
import type { DeadLetterWriter } from './dead-letters.js';

/** What a stage did with one split, bad records set aside. */
export interface SplitOutcome {
  output: SplitPayload | null;
  skipped: number;
  deadLettered: number;
}

const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 5000;

/**
 * One stage's error policy in a worker (StageOptions `onError`, `maxRetries`;
 * docs/errors.md). It runs the stage's operator on a split: a split whose
 * operator throws runs again, after growing pauses, up to `maxRetries` times;
 * then `fail` fails it (OperatorError), while `skip` and `dead-letter` set
 * the whole split aside, each of its input rows (or, for a source, its range)
 * a bad record. Bad records the operator reports while it runs
 * (`context.badRecord`) are thrown under `fail`, else counted, and under
 * `dead-letter` written with the split.
 */
export class SplitErrors {
  private reported: BadRecord[] = [];

  constructor(
    private readonly stage: string,
    private readonly policy: ErrorPolicy,
    private readonly maxRetries: number,
    private readonly deadLetters: DeadLetterWriter | undefined,
    private readonly log: Logger,
  ) {}

  /** The operator's `context.badRecord`. */
  readonly badRecord = (bad: BadRecord): void => {
    if (this.policy === 'fail') throw bad.error;
    this.reported.push(bad);
  };

  async run(split: Split, input: SplitPayload | null, process: () => Promise<SplitPayload | null>): Promise<SplitOutcome> {
    for (let attempt = 1; ; attempt++) {
      this.reported = [];
      try {
        const output = await process();
        return await this.setAside(split, output, this.reported, attempt);
      } catch (error) {
        if (attempt <= this.maxRetries) {
          const pause = Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1), LONGEST_RETRY_MS);
          this.log.warn({ stage: this.stage, splitId: split.splitId, attempt, err: error }, `split failed; running it again in ${pause} ms`);
          await sleep(pause);
          continue;
        }
        if (this.policy === 'fail') throw new OperatorError(this.stage, split.splitId, error);
        const failure = new OperatorError(this.stage, split.splitId, error);
        this.log.warn({ stage: this.stage, splitId: split.splitId, attempts: attempt, err: error }, `split failed; its records are set aside (${this.policy})`);
        return await this.setAside(split, null, wholeSplit(split, input, failure), attempt);
      }
    }
  }

  private async setAside(split: Split, output: SplitPayload | null, bad: BadRecord[], attempts: number): Promise<SplitOutcome> {
    if (bad.length === 0) return { output, skipped: 0, deadLettered: 0 };
    if (this.policy === 'skip') return { output, skipped: bad.length, deadLettered: 0 };
    await this.deadLetters!.write(split, bad, attempts);
    return { output, skipped: 0, deadLettered: bad.length };
  }
}

/** Every record of a split whose operator failed: its input rows, or a source split's range. */
function wholeSplit(split: Split, input: SplitPayload | null, error: Error): BadRecord[] {
  if (!input) {
    const file = typeof split.range?.path === 'string' ? split.range.path : undefined;
    return [{ error, record: split.range, ...(file ? { file } : {}) }];
  }
  return input.toRows().map((record, index) => ({ error, record, row: index + 1 }));
}
