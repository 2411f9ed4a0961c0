import { LOST_WORKERS_KEPT, type LostWorkerRecord, type StageMetrics } from '../protocol/messages.js';
import { recordedError } from './attempt-recorder.js';
import type { AttemptFailure } from './runner-options.js';

/** How many failed attempts the status describes (the newest). */
const ATTEMPT_FAILURES_KEPT = 20;

/**
 * What went wrong in a `run()` over its attempts, for its status: the
 * attempts that ended with an error, and the workers lost in attempts
 * before the current one (a restart starts the stages' figures again).
 */
export class RunIncidents {
  private readonly failed: AttemptFailure[] = [];
  /** The workers lost in earlier attempts, by stage, oldest first. */
  private readonly earlierLosses = new Map<string, LostWorkerRecord[]>();

  get failures(): AttemptFailure[] {
    return [...this.failed];
  }

  /** Attempt `attempt` ended with `error`, answered as `answer`; returns the record. */
  attemptFailed(attempt: number, error: unknown, answer: AttemptFailure['answer']): AttemptFailure {
    const failure: AttemptFailure = { attempt, at: Date.now(), error: recordedError(error), answer };
    this.failed.push(failure);
    if (this.failed.length > ATTEMPT_FAILURES_KEPT) this.failed.shift();
    return failure;
  }

  /** An attempt ended with these figures, and another follows: its lost workers stay in the status. */
  attemptEnded(stages: readonly StageMetrics[]): void {
    for (const stage of stages) {
      if (stage.lostWorkers) this.earlierLosses.set(stage.stage, [...(this.earlierLosses.get(stage.stage) ?? []), ...stage.lostWorkers].slice(-LOST_WORKERS_KEPT));
    }
  }

  /** The current attempt's figures, with the workers lost in earlier attempts before its own. */
  withEarlierLosses(stages: StageMetrics[]): StageMetrics[] {
    if (this.earlierLosses.size === 0) return stages;
    return stages.map((stage) => {
      const earlier = this.earlierLosses.get(stage.stage);
      return earlier ? { ...stage, lostWorkers: [...earlier, ...(stage.lostWorkers ?? [])].slice(-LOST_WORKERS_KEPT) } : stage;
    });
  }
}
