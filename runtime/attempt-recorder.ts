import { hostname } from 'node:os';
import { basename } from 'node:path';
import { masterModeOf, workerModeOf, type PlacementConfig } from '../lib/placement-config.js';
import type { Logger } from '../lib/logger.js';
import { RUN_RECORD_VERSION, type AttemptOutcome, type RecordedError, type RunRecord, type RunRecordStore } from '../state/run-records.js';
import type { JobSummary } from './runner-options.js';

/** What the runner knows of an attempt once its MetaService has started. */
export interface AttemptStart {
  runId: string;
  resumedFrom?: number;
  firstCheckpointId: number;
}

/**
 * Writes the run record of each attempt of a job (state/run-records.ts):
 * when the attempt starts, and again, whole, when it ends. A record that
 * cannot be written does not fail the job, and is not passed over either:
 * the recorder logs a warning with the cause and keeps it for the job's
 * summary ({@link withWarnings}). When an attempt has ended, the records
 * of runs older than the newest `retainRuns` are removed.
 */
export class AttemptRecorder {
  private record: RunRecord<JobSummary> | undefined;
  /** The key of the current attempt's record, once its attempt number is known. */
  private key: string | undefined;
  /** The records that could not be written, as warnings for the summary. */
  private readonly problems: string[] = [];

  constructor(
    private readonly store: RunRecordStore<JobSummary>,
    private readonly retainRuns: number,
    private readonly placement: string,
    private readonly log: Logger,
  ) {}

  /** An attempt has started: records it. `attempt` asks its MetaService which run it belongs to. */
  async started(attempt: () => Promise<AttemptStart>): Promise<void> {
    this.record = undefined;
    this.key = undefined;
    const startedAt = new Date().toISOString();
    let start: AttemptStart;
    try {
      start = await attempt();
    } catch (error) {
      this.problem(`the run record of the attempt started at ${startedAt} was not written: its MetaService did not say which run it belongs to`, error);
      return;
    }
    this.record = {
      version: RUN_RECORD_VERSION, jobId: this.store.jobId, runId: start.runId, attempt: 0, startedAt,
      ...(start.resumedFrom === undefined ? {} : { resumedFrom: start.resumedFrom }),
      firstCheckpointId: start.firstCheckpointId, placement: this.placement,
      host: hostname(), pid: process.pid, command: commandOf(process.argv),
    };
    await this.save();
  }

  /** The attempt has ended: records how, with the summary it ended with (absent when it was stopped before it ran). */
  async ended(outcome: AttemptOutcome, summary: JobSummary | undefined, error?: unknown): Promise<void> {
    const record = this.record;
    if (!record) return;
    record.end = {
      endedAt: new Date().toISOString(), outcome,
      ...(error === undefined ? {} : { error: recordedError(error) }),
      ...(summary ? { summary: this.withWarnings(summary) } : {}),
    };
    if (await this.save()) await this.removeOldRuns(record.runId);
  }

  /** Old runs' records that cannot be removed stay, as old checkpoints do: the log says why, the job goes on. */
  private async removeOldRuns(current: string): Promise<void> {
    try {
      await this.store.retain(this.retainRuns, current);
    } catch (error) {
      this.log.warn({ err: error, stateLocation: this.store.backend.url }, 'could not remove the run records of old runs');
    }
  }

  /** The summary with a warning for each record that could not be written. */
  withWarnings(summary: JobSummary): JobSummary {
    return this.problems.length === 0 ? summary : { ...summary, warnings: [...summary.warnings, ...this.problems] };
  }

  /** Writes the record; false when it could not (a warning then says why). */
  private async save(): Promise<boolean> {
    const record = this.record!;
    try {
      if (!this.key) {
        record.attempt = (await this.store.attemptsOf(record.runId)) + 1;
        this.key = this.store.keyOf(record);
      }
      await this.store.write(this.key, record);
      return true;
    } catch (error) {
      const what = record.end ? 'its end' : 'its start';
      this.problem(`the run record of attempt ${record.attempt || '?'} of run ${record.runId} was not written (${what}): ${(error as Error).message}`, error);
      return false;
    }
  }

  private problem(warning: string, error: unknown): void {
    this.log.warn({ err: error, stateLocation: this.store.backend.url }, `${warning}; the job goes on`);
    this.problems.push(`${warning}; \`solstice-node jobs show ${this.store.jobId}\` will not show this attempt as it was`);
  }
}

/** Where a job's actors run, in a few words: `workers forked (source), in-process (sink); masters in-process; hosts a:6161, b:6161`. */
export function describePlacement(placement: PlacementConfig, stages: readonly string[]): string {
  const workers = groupByMode(stages.map((stage) => [stage, workerModeOf(placement, stage)]));
  const masters = groupByMode([
    ['MetaService', masterModeOf(placement, 'MetaService')],
    ['GlobalStateMaster', masterModeOf(placement, 'GlobalStateMaster')],
    ...stages.map((stage): [string, string] => [`StageMaster ${stage}`, masterModeOf(placement, 'StageMaster', stage)]),
  ]);
  const hosts = placement.hosts?.length ? [`hosts ${placement.hosts.map((host) => `${host.host}:${host.port}`).join(', ')}`] : [];
  return [`workers ${workers}`, `masters ${masters}`, ...hosts].join('; ');
}

/** `in-process` when every name has that mode, else `forked (a, b), in-process (c)`. */
function groupByMode(modes: Array<[string, string]>): string {
  const byMode = new Map<string, string[]>();
  for (const [name, mode] of modes) byMode.set(mode, [...(byMode.get(mode) ?? []), name]);
  if (byMode.size === 1) return [...byMode.keys()][0]!;
  return [...byMode].map(([mode, names]) => `${mode} (${names.join(', ')})`).join(', ');
}

/** The error's class and message and those of its causes. */
export function recordedError(error: unknown, depth = 0): RecordedError {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) };
  const cause = error.cause !== undefined && depth < 20 ? { cause: recordedError(error.cause, depth + 1) } : {};
  return { name: error.name, message: error.message, ...cause };
}

/** The program and the command it was given, without the options: `solstice-node.js run`, or a script's name. */
function commandOf(argv: readonly string[]): string {
  const program = argv[1] ? basename(argv[1]) : basename(argv[0] ?? 'node');
  const command = argv[2] !== undefined && /^[a-z][a-z-]*$/.test(argv[2]) ? ` ${argv[2]}` : '';
  return `${program}${command}`;
}
