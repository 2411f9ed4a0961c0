import { CHECKPOINT_HISTORY_SIZE, type CheckpointHistoryReport, type CheckpointRecord } from '../protocol/job-status.js';

/**
 * The checkpoints a GlobalStateMaster took in this attempt, for the job's
 * status: the newest {@link CHECKPOINT_HISTORY_SIZE} records, and how many
 * ended each way since the attempt started (those dropped included).
 */
export class CheckpointHistory {
  private readonly records: CheckpointRecord[] = [];
  private readonly totals = { completed: 0, failed: 0, abandoned: 0 };

  constructor(private readonly keep = CHECKPOINT_HISTORY_SIZE) {}

  /** Checkpoint `id` starts being taken now. */
  begin(id: number, final: boolean): void {
    this.records.push({ id, startedAt: Date.now(), final, outcome: 'in-progress' });
    if (this.records.length > this.keep) this.records.shift();
  }

  /** Its manifest, of `manifestBytes`, is published. */
  completed(id: number, final: boolean, manifestBytes: number): void {
    if (this.end(id, { outcome: 'completed', final, manifestBytes })) this.totals.completed++;
  }

  /** It failed, or the job ended before every stage saved its part (`abandoned`); one published already stays completed. */
  failed(id: number, outcome: 'failed' | 'abandoned', error: string): void {
    if (this.end(id, { outcome, error })) this.totals[outcome]++;
  }

  report(): CheckpointHistoryReport {
    return { recent: this.records.map((record) => ({ ...record })), ...this.totals };
  }

  /** Ends the record of checkpoint `id` if it is still in progress; whether it was. */
  private end(id: number, fields: Partial<CheckpointRecord>): boolean {
    const record = this.records.find((candidate) => candidate.id === id);
    if (record?.outcome !== 'in-progress') return false;
    Object.assign(record, fields, { durationMs: Date.now() - record.startedAt });
    return true;
  }
}
