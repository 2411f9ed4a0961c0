import type { CheckpointRecord } from '../protocol/job-status.js';
import type { LostWorkerRecord, ScalingRecord } from '../protocol/messages.js';
import type { AttemptFailure, JobSummary, RunnerStatus } from './runner-options.js';

/** A decision of an elastic stage's autoscaler that changed its worker count. */
export type ScaleEvent = ScalingRecord & { stage: string };
/** A lost worker replaced while the job ran (no restart). */
export type WorkerReplacedEvent = LostWorkerRecord & { stage: string };

/** Bad records a stage wrote to the dead letters since the last `deadLetter` event. */
export interface DeadLetterEvent {
  stage: string;
  /** How many since the last event for the stage. */
  count: number;
  /** How many the stage wrote in this attempt. */
  total: number;
}

/** How a `run()` ended: its summary, or the error it rejects with. */
export type DoneEvent =
  | { outcome: 'finished'; summary: JobSummary }
  | { outcome: 'failed' | 'stopped'; error: Error };

/**
 * What a runner emits while `run()` runs (docs/embedding.md#events), each
 * event with one typed payload: `runner.on('checkpoint', (record) => ...)`.
 */
export interface RunnerEventMap {
  /** The job's status, every `eventIntervalMs` while it runs. */
  progress: [status: RunnerStatus];
  /** A checkpoint ended: completed, failed or abandoned. */
  checkpoint: [record: CheckpointRecord];
  scale: [decision: ScaleEvent];
  workerReplaced: [loss: WorkerReplacedEvent];
  deadLetter: [letters: DeadLetterEvent];
  /** An attempt ended with an error; `answer` says whether the job restarts from a checkpoint. */
  failure: [failure: AttemptFailure];
  /** `run()` has settled; the last event of the run. */
  done: [done: DoneEvent];
}

export type RunnerEventName = keyof RunnerEventMap;

/** One event as `runner.events()` yields it: its name and payload. */
export type RunnerEvent = { [K in RunnerEventName]: { type: K; data: RunnerEventMap[K][0] } }[RunnerEventName];

export const RUNNER_EVENT_NAMES: readonly RunnerEventName[] = ['progress', 'checkpoint', 'scale', 'workerReplaced', 'deadLetter', 'failure', 'done'];

/**
 * The events a new status means, against the statuses seen before it:
 * checkpoints that ended, scaling decisions, workers replaced and dead
 * letters written since. An attempt's figures start again after a restart:
 * counts that went down are counted from zero.
 */
export class StatusChanges {
  private readonly checkpointsSeen = new Set<number>();
  /** The time of the newest decision and loss seen, by stage. */
  private readonly scaledUntil = new Map<string, number>();
  private readonly lostUntil = new Map<string, number>();
  private readonly deadLetters = new Map<string, number>();

  changes(status: RunnerStatus): RunnerEvent[] {
    const events: RunnerEvent[] = [];
    for (const record of status.checkpoints?.recent ?? []) {
      if (record.outcome === 'in-progress' || this.checkpointsSeen.has(record.id)) continue;
      this.checkpointsSeen.add(record.id);
      events.push({ type: 'checkpoint', data: record });
    }
    for (const stage of status.stages) {
      const scaledUntil = this.scaledUntil.get(stage.stage) ?? 0;
      for (const decision of stage.scaling?.decisions ?? []) {
        if (decision.at > scaledUntil) events.push({ type: 'scale', data: { stage: stage.stage, ...decision } });
      }
      this.scaledUntil.set(stage.stage, Math.max(scaledUntil, ...(stage.scaling?.decisions ?? []).map((decision) => decision.at)));
      const lostUntil = this.lostUntil.get(stage.stage) ?? 0;
      for (const loss of stage.lostWorkers ?? []) {
        if (loss.at > lostUntil && loss.answer === 'replaced') events.push({ type: 'workerReplaced', data: { stage: stage.stage, ...loss } });
      }
      this.lostUntil.set(stage.stage, Math.max(lostUntil, ...(stage.lostWorkers ?? []).map((loss) => loss.at)));
      const total = stage.deadLetters ?? 0;
      const before = this.deadLetters.get(stage.stage) ?? 0;
      const count = total >= before ? total - before : total;
      if (count > 0) events.push({ type: 'deadLetter', data: { stage: stage.stage, count, total } });
      this.deadLetters.set(stage.stage, total);
    }
    return events;
  }
}
