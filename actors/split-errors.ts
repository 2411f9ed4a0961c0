import { setTimeout as sleep } from 'node:timers/promises';
import { OperatorError, SplitTimeoutError } from '../lib/errors/index.js';
import type { Logger } from '../lib/logger.js';
import type { BadRecord } from '../lib/operator.js';
import type { Split } from '../lib/split.js';
import type { SplitPayload } from '../lib/split-payload.js';
import type { ErrorPolicy } from '../lib/stage.js';
import type { DeadLetterWriter } from './dead-letter.js';

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
 * a bad record. A split that runs past `splitTimeoutSecs` fails so too.
 * Bad records the operator reports while it runs
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
    /** StageOptions.splitTimeoutSecs. */
    readonly timeoutSecs?: number,
  ) {}

  /** The operator's `context.badRecord`. */
  readonly badRecord = (bad: BadRecord): void => {
    if (this.policy === 'fail') throw bad.error;
    this.reported.push(bad);
  };

  /**
   * Runs `process` on the split under the policy. `timedOut`: the split's
   * worker was killed after it ran past splitTimeoutSecs that long; it does
   * not run again, it fails with SplitTimeoutError.
   */
  async run(split: Split, input: SplitPayload | null, process: () => Promise<SplitPayload | null>, timedOut?: number): Promise<SplitOutcome> {
    for (let attempt = 1; ; attempt++) {
      this.reported = [];
      try {
        if (timedOut !== undefined) throw new SplitTimeoutError(this.stage, split.splitId, this.timeoutSecs ?? timedOut, true);
        const output = await this.withinTimeout(split, process);
        return await this.setAside(split, output, this.reported, attempt);
      } catch (error) {
        if (attempt <= this.maxRetries && timedOut === undefined) {
          const pause = Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1), LONGEST_RETRY_MS);
          this.log.warn({ splitId: split.splitId, attempt, err: error }, `split failed; running it again in ${pause} ms`);
          await sleep(pause);
          continue;
        }
        if (this.policy === 'fail') throw new OperatorError(this.stage, split.splitId, error);
        this.log.warn({ splitId: split.splitId, attempts: attempt, err: error }, `split failed; its records are set aside (${this.policy})`);
        const failure = error instanceof Error ? error : new OperatorError(this.stage, split.splitId, error);
        return await this.setAside(split, null, wholeSplit(split, input, failure), attempt);
      }
    }
  }

  /** What `process` gives, or SplitTimeoutError once it has run splitTimeoutSecs (what it does after is left behind). */
  private withinTimeout(split: Split, process: () => Promise<SplitPayload | null>): Promise<SplitPayload | null> {
    if (this.timeoutSecs === undefined) return process();
    const running = process();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Whatever it ends with later is nobody's to handle.
        running.catch(() => undefined);
        reject(new SplitTimeoutError(this.stage, split.splitId, this.timeoutSecs!));
      }, this.timeoutSecs! * 1000);
    });
    return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
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
