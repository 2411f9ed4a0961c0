import { CHECKPOINT_DURATION_BUCKETS_MS, CHECKPOINT_HISTORY_SIZE, type CheckpointHistoryReport, type CheckpointRecord } from '../protocol/job-status.js';
import { DurationHistogram } from './duration-histogram.js';

/**
 * The checkpoints a GlobalStateMaster took in this attempt, for the job's
 * status: the newest {@link CHECKPOINT_HISTORY_SIZE} records, and how many
 * ended each way since the attempt started and how long the completed ones
 * took (those dropped included).
 */
export class CheckpointHistory {
  private readonly records: CheckpointRecord[] = [];
  private readonly totals = { completed: 0, failed: 0, abandoned: 0 };
  private readonly durations = new DurationHistogram(CHECKPOINT_DURATION_BUCKETS_MS);

  constructor(private readonly keep = CHECKPOINT_HISTORY_SIZE) {}

  /** Checkpoint `id` starts being taken now. */
  begin(id: number, final: boolean): void {
    this.records.push({ id, startedAt: Date.now(), final, outcome: 'in-progress' });
    if (this.records.length > this.keep) this.records.shift();
  }

  /** Its manifest is published; `sizes` are the bytes of the manifest and of the state files its workers wrote. */
  completed(id: number, final: boolean, sizes: { manifestBytes: number; stateBytes: number }): void {
    const record = this.end(id, { outcome: 'completed', final, ...sizes });
    if (!record) return;
    this.totals.completed++;
    this.durations.record(record.durationMs!);
  }

  /** It failed, or the job ended before every stage saved its part (`abandoned`); one published already stays completed. */
  failed(id: number, outcome: 'failed' | 'abandoned', error: string): void {
    if (this.end(id, { outcome, error })) this.totals[outcome]++;
  }

  report(): CheckpointHistoryReport {
    return { recent: this.records.map((record) => ({ ...record })), ...this.totals, durations: this.durations.histogram() };
  }

  /** Ends the record of checkpoint `id` if it is still in progress; the record ended, if it was. */
  private end(id: number, fields: Partial<CheckpointRecord>): CheckpointRecord | undefined {
    const record = this.records.find((candidate) => candidate.id === id);
    if (record?.outcome !== 'in-progress') return undefined;
    return Object.assign(record, fields, { durationMs: Date.now() - record.startedAt });
  }
}
