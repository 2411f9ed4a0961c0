import type { ComedyActorSystem } from '../comedy-adapter/index.js';
import type { LogFormat, LogLevel } from '../lib/logger.js';
import type { RestoreRequest } from '../lib/job-spec.js';
import type { ClusterConfig, PlacementConfig } from '../lib/placement-config.js';
import type { StageMetrics } from '../protocol/messages.js';
import type { JobStatus } from '../protocol/job-status.js';
import type { RecordedError } from '../state/run-records.js';

export interface RunnerOptions {
  /**
   * Path of the module whose `createJob(jobId, config)` built this job. Actors
   * in other processes rebuild the job from it; in-process actors use the Job
   * object itself, so embedded jobs need no module.
   */
  workflowModule?: string;
  /** The config `createJob` was called with, passed again to it in other processes. */
  config?: Record<string, unknown>;
  /** Framework log level (logs go to stderr). Default: SOLSTICE_LOG_LEVEL, else 'warn'. */
  logLevel?: LogLevel;
  /**
   * How the framework's logs are written, by every actor of the job: 'json'
   * lines or 'pretty' (readable) lines. Default: SOLSTICE_LOG_FORMAT, else
   * 'pretty' when stderr is a terminal, 'json' when it is not.
   */
  logFormat?: LogFormat;
  /** Where checkpoints live (path or URL); overrides the Job's `stateBackend`. */
  stateBackend?: string;
  /**
   * Which checkpoint to resume from: 'auto' (default: the latest, unless the
   * job completed), 'latest', 'none' (start over) or a checkpoint id.
   */
  restore?: RestoreRequest;
  /**
   * Where actors run (see docs/placement.md); default: everything in-process.
   * Workers outside the job's process rebuild the job from `workflowModule`.
   */
  placement?: PlacementConfig;
  /**
   * Runs every worker on these host agents (docs/cluster.md); read
   * cluster.json with `readClusterConfig()`. Workers then default to the
   * 'remote' mode.
   */
  cluster?: ClusterConfig;
  /**
   * An actor system of the application's own (Comedy's `createSystem()`):
   * the job's actors become children of its root actor, and the runner
   * leaves the system running when the job ends (docs/embedding.md). Without
   * it, each attempt runs on a system the runner creates and destroys.
   */
  system?: ComedyActorSystem;
  /** How often the status is read for the runner's events (`progress` and those read off the status), in ms; default 1000. */
  eventIntervalMs?: number;
  /** Where dead letters go (a folder, or a Lance table when it ends in `.lance`; docs/errors.md); overrides the Job's `deadLetter` location. */
  deadLetter?: string;
}

/** What `run()` is given. */
export interface RunOptions {
  /** Aborting it stops the job as `stop()` does; `run()` then rejects with JobStoppedError carrying `signal.reason`. */
  signal?: AbortSignal;
}

/** What `stop()` is given. */
export interface StopOptions {
  /**
   * Take and commit a checkpoint before stopping, so that everything read
   * before the stop lands in the outputs; default false: cancel at once,
   * leaving what was written since the last completed checkpoint uncommitted.
   */
  drain?: boolean;
  /** Why: `JobStoppedError.reason`. */
  reason?: unknown;
}

/** Per-stage figures: splits and rows in and out, workers, buffering. */
export type StageSummary = StageMetrics;

/** What `run()` resolves with. */
export interface JobSummary {
  jobId: string;
  wallTimeMs: number;
  stages: StageSummary[];
  /** The checkpoint this run resumed from, if it did. */
  resumedFrom?: number;
  /** How often the job restarted from a checkpoint after losing a worker (see docs/supervision.md). */
  restarts: number;
  /** Lost workers replaced while the job ran, without a restart (see docs/supervision.md), over all attempts. */
  workersReplaced: number;
  /** What the job did that its user should look at though it succeeded: records its errors outputs took (StageOptions.errorOutput), bad records skipped or written to the dead letters. */
  warnings: string[];
  /** Where the dead letters went and how many there are (of the last attempt), when a stage writes them. */
  deadLetters?: { path: string; count: number };
}

export type RunnerState = 'created' | 'initialized' | 'running' | 'finished' | 'failed' | 'stopped';

/** What `runner.status()` resolves with: the job's status, with the runner's state and its restarts. */
export type RunnerStatus = JobStatus & {
  runner: RunnerState;
  /** How often the job restarted from a checkpoint after losing a worker, in this `run()`. */
  restarts: number;
  /** The attempts of this `run()` that ended with an error, oldest first, with the error and its causes. */
  failures: AttemptFailure[];
  /** The job's stages in stage order, with the stages each reads and the chain it is fused into: the plan the dashboard draws. */
  graph: StageNode[];
};

/** An attempt that ended with an error, and how the runner answered: restarted the job from its last completed checkpoint, or failed or stopped it. */
export interface AttemptFailure {
  /** Of this `run()`'s failed attempts, counted from 1. */
  attempt: number;
  /** ms since the epoch. */
  at: number;
  error: RecordedError;
  answer: 'restarted' | 'failed' | 'stopped';
}

/** A stage of the job's plan: what it reads, and the stages fused with it (itself alone when it fuses with none), upstream first. */
export interface StageNode {
  stage: string;
  upstreams: string[];
  chain: string[];
}

/** Where `runner.serveDashboard()` listens. */
export interface DashboardOptions {
  /** Default 0: any free port (the URL says which). */
  port?: number;
  /** Default 127.0.0.1: this host only. */
  host?: string;
  /** How often `/api/events` sends the status, in ms; default 1000. */
  intervalMs?: number;
}

/** A dashboard server: where it listens, and how to stop it. */
export interface Dashboard {
  /** `http://host:port/`. */
  readonly url: string;
  /** Stops listening and ends the open event streams. */
  close(): Promise<void>;
}
