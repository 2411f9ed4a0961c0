/**
 * The run records of a job: one small JSON object per attempt, beside its
 * checkpoints, so that what happened to a job can be read after the fact
 * (`solstice-node jobs show`):
 *
 *     <jobId>/runs/<started at, UTC, without colons>-<run id>-a<attempt>.json
 *
 * A record is written, whole, when its attempt starts, and written again,
 * whole, with its end; an attempt whose process was killed keeps the record
 * of its start alone. Keys sort by the time the attempt started. The records
 * of the newest runs are kept ({@link RunRecordStore.retain}). The summary
 * an attempt ended with is the runner's (`JobSummary`): this layer keeps it
 * as JSON, typed by the `Summary` parameter.
 */
import type { StateBackend } from './state-backend.js';

/** The layout of the records this code writes and reads. */
export const RUN_RECORD_VERSION = 1;

/** An error as a record keeps it: its class, its message and its causes (no stack). */
export interface RecordedError {
  name: string;
  message: string;
  cause?: RecordedError;
}

/** How an attempt ended, as its runner saw it. */
export type AttemptOutcome = 'completed' | 'failed' | 'stopped';

export interface AttemptEnd<Summary> {
  endedAt: string;
  outcome: AttemptOutcome;
  /** Why it failed or stopped, with the chain of causes. */
  error?: RecordedError;
  /** The job's summary at the end of the attempt; absent when it was stopped before it ran. */
  summary?: Summary;
}

/** One attempt of a run of a job: how it started and, once it ended, how it ended. */
export interface RunRecord<Summary = unknown> {
  version: typeof RUN_RECORD_VERSION;
  jobId: string;
  /** The run (`JobRun.id`): made when a run starts, kept by every restore of it. */
  runId: string;
  /** 1 for the attempt that started the run, one more for each attempt that resumed it, in this process or another. */
  attempt: number;
  /** ISO 8601, UTC. */
  startedAt: string;
  /** The checkpoint the attempt resumed from; absent for the attempt that started the run. */
  resumedFrom?: number;
  /** The id the attempt's first checkpoint takes. */
  firstCheckpointId: number;
  /** Where its actors ran, in a few words: `workers forked; masters in-process`. */
  placement: string;
  /** The host and process that ran it, and the program: `solstice-node.js run`. */
  host: string;
  pid: number;
  command: string;
  end?: AttemptEnd<Summary>;
}

/** A record as read back, or what made it unreadable. */
export type StoredRunRecord<Summary> = { key: string; record: RunRecord<Summary> } | { key: string; problem: string };

/** What a record's key says of it, without reading it. */
export interface RunRecordKey {
  key: string;
  runId: string;
  attempt: number;
}

const KEY_NAME = /^(\d{4}-\d{2}-\d{2}T\d{6}(?:\.\d+)?Z)-(.+)-a(\d+)\.json$/;

/** A job's run records in a state backend, under `<jobId>/runs/`. */
export class RunRecordStore<Summary = unknown> {
  constructor(readonly backend: StateBackend, readonly jobId: string) {}

  private get root(): string {
    return `${this.jobId}/runs/`;
  }

  /** The key of an attempt's record: its start time (colons left out: HDFS refuses them in names), run and attempt. */
  keyOf(record: Pick<RunRecord, 'startedAt' | 'runId' | 'attempt'>): string {
    return `${this.root}${record.startedAt.replaceAll(':', '')}-${record.runId}-a${record.attempt}.json`;
  }

  /** Writes the record whole, replacing what its key held. */
  async write(key: string, record: RunRecord<Summary>): Promise<void> {
    await this.backend.write(key, `${JSON.stringify(record, null, 1)}\n`);
  }

  /** The keys of every record, oldest attempt first; other files under runs/ are not records and are passed over. */
  async keys(): Promise<RunRecordKey[]> {
    const keys: RunRecordKey[] = [];
    for (const key of await this.backend.list(this.root)) {
      const match = KEY_NAME.exec(key.slice(this.root.length));
      if (match) keys.push({ key, runId: match[2]!, attempt: Number(match[3]) });
    }
    return keys;
  }

  /**
   * Keeps the records of the newest `keep` runs, every attempt of each, and
   * of run `current` (the one in progress) whatever its place; removes the
   * others. A run is as new as its latest attempt's start, as `jobs show`
   * orders them: a run resumed today is newer than one started yesterday.
   */
  async retain(keep: number, current: string): Promise<void> {
    const keys = await this.keys();
    // Newest attempt first: each run first appears at its latest attempt.
    const runsNewestFirst = [...new Set(keys.map((key) => key.runId).reverse())];
    const kept = new Set([current, ...runsNewestFirst.slice(0, keep)]);
    for (const { key, runId } of keys) {
      if (!kept.has(runId)) await this.backend.deletePrefix(key);
    }
  }

  /** How many attempts of run `runId` have a record. */
  async attemptsOf(runId: string): Promise<number> {
    return (await this.keys()).filter((key) => key.runId === runId).length;
  }

  /** The record under `key`, or why it cannot be read as one. */
  async read(key: string): Promise<StoredRunRecord<Summary>> {
    const bytes = await this.backend.read(key);
    if (!bytes) return { key, problem: 'removed while it was read' };
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (error) {
      return { key, problem: `not JSON: ${(error as Error).message}` };
    }
    const problem = recordProblem(value, this.jobId);
    return problem ? { key, problem } : { key, record: value as RunRecord<Summary> };
  }
}

/** What makes `value` no run record of job `jobId`, if anything: the fields a reader relies on. */
function recordProblem(value: unknown, jobId: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const record = value as Partial<RunRecord>;
  if (record.version !== RUN_RECORD_VERSION) return `version ${JSON.stringify(record.version)}, where ${RUN_RECORD_VERSION} is known`;
  if (record.jobId !== jobId) return `it names job ${JSON.stringify(record.jobId)}`;
  if (typeof record.runId !== 'string' || typeof record.startedAt !== 'string' || typeof record.attempt !== 'number') return 'no run id, attempt or start time';
  if (record.end !== undefined && (typeof record.end !== 'object' || typeof record.end.outcome !== 'string')) return 'an end without an outcome';
  return undefined;
}
