/**
 * What happened to the jobs of a state location, read from their run
 * records (state/run-records.ts) and checkpoints: what `solstice-node jobs
 * list` and `jobs show` print.
 */
import { hostname } from 'node:os';
import { CheckpointCorruptError } from '../lib/errors/index.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { openStateBackend } from '../state/open-state-backend.js';
import type { StateBackend } from '../state/state-backend.js';
import { RunRecordStore, type AttemptOutcome, type RunRecord, type RunRecordKey } from '../state/run-records.js';
import type { JobSummary } from './runner-options.js';

/**
 * How an attempt ended: as its record says, or, for a record without an
 * end, `running` (its process is alive on this host and no later attempt
 * of the job started) or `unrecorded` (it ended without writing its end:
 * killed, or its host lost).
 */
export type AttemptStatus = AttemptOutcome | 'running' | 'unrecorded';

export interface AttemptHistory extends RunRecord<JobSummary> {
  /** Where its record is, in the state location. */
  key: string;
  status: AttemptStatus;
}

/** A completed checkpoint: its id, when it was taken, whether the job was complete then. */
export interface CheckpointEntry {
  id: number;
  createdAt?: string;
  final?: boolean;
  /** The run that took it; absent in manifests written before runs had ids. */
  runId?: string;
  /** Why its manifest cannot be read, if it cannot. */
  damaged?: string;
}

export interface RunHistory {
  runId: string;
  /** Its last attempt's status. */
  status: AttemptStatus;
  /** When its first recorded attempt started, and its last one ended. */
  startedAt: string;
  endedAt?: string;
  /** Oldest first. */
  attempts: AttemptHistory[];
  /** The checkpoints of the run the location still keeps (it keeps the newest few), oldest first. */
  checkpoints: CheckpointEntry[];
}

export interface JobHistory {
  jobId: string;
  /** The state location, as the backend names it. */
  location: string;
  /** Newest first. */
  runs: RunHistory[];
  /** Checkpoints of no recorded run (taken before runs were recorded, or by an attempt whose record could not be written). */
  otherCheckpoints: CheckpointEntry[];
  /** Records that cannot be read, and why. */
  damaged: Array<{ key: string; problem: string }>;
}

/** A job of the location, with its last run and latest checkpoint. */
export interface JobListing {
  jobId: string;
  lastRun?: { runId: string; status: AttemptStatus; startedAt: string; endedAt?: string };
  latestCheckpoint?: CheckpointEntry;
}

/** How many records are read at once. */
const READ_BATCH = 16;

/** The jobs of a state location: its top-level folders that hold `checkpoints/` or `runs/`, by name. */
export async function jobIdsIn(backend: StateBackend): Promise<string[]> {
  const ids = new Set<string>();
  for (const key of await backend.list('')) {
    const [job, folder] = key.split('/');
    if (job && (folder === 'checkpoints' || folder === 'runs')) ids.add(job);
  }
  return [...ids].sort();
}

/** Every job of the location at `location`, by id, with its last run and latest checkpoint. */
export async function listJobs(location: string): Promise<{ location: string; jobs: JobListing[] }> {
  const backend = openStateBackend(location);
  const jobs: JobListing[] = [];
  for (const jobId of await jobIdsIn(backend)) {
    const records = new RunRecordStore<JobSummary>(backend, jobId);
    const keys = await records.keys();
    const last = keys.at(-1);
    const run = last ? (await readRuns(records, keys.filter((key) => key.runId === last.runId), last.key)).runs[0] : undefined;
    const checkpoints = new CheckpointStore(backend, jobId);
    const latestId = (await checkpoints.list()).at(-1);
    const latestCheckpoint = latestId === undefined ? undefined : await checkpointEntry(checkpoints, latestId);
    jobs.push({
      jobId,
      ...(run ? { lastRun: { runId: run.runId, status: run.status, startedAt: run.startedAt, ...(run.endedAt ? { endedAt: run.endedAt } : {}) } } : {}),
      ...(latestCheckpoint ? { latestCheckpoint } : {}),
    });
  }
  return { location: backend.url, jobs };
}

/** The runs of job `jobId` at `location`, newest first, with their attempts and checkpoints; undefined when the job has neither records nor checkpoints there. */
export async function readJobHistory(location: string, jobId: string): Promise<JobHistory | undefined> {
  const backend = openStateBackend(location);
  const records = new RunRecordStore<JobSummary>(backend, jobId);
  const keys = await records.keys();
  const checkpoints = new CheckpointStore(backend, jobId);
  const ids = await checkpoints.list();
  if (keys.length === 0 && ids.length === 0) return undefined;
  const { runs, damaged } = await readRuns(records, keys, keys.at(-1)?.key);
  const entries = await Promise.all(ids.map((id) => checkpointEntry(checkpoints, id)));
  const byRun = new Map(runs.map((run) => [run.runId, run]));
  const otherCheckpoints: CheckpointEntry[] = [];
  for (const entry of entries) {
    const run = entry.runId === undefined ? undefined : byRun.get(entry.runId);
    if (run) run.checkpoints.push(entry);
    else otherCheckpoints.push(entry);
  }
  return { jobId, location: backend.url, runs, otherCheckpoints, damaged };
}

/** The runs the records under `keys` belong to, newest first; `newest` is the job's newest record, the only one whose attempt may still run. */
async function readRuns(records: RunRecordStore<JobSummary>, keys: RunRecordKey[], newest: string | undefined) {
  // A few at a time: a long history on S3 or WebHDFS is many requests.
  const stored = [];
  for (let i = 0; i < keys.length; i += READ_BATCH) stored.push(...(await Promise.all(keys.slice(i, i + READ_BATCH).map((key) => records.read(key.key)))));
  const byRun = new Map<string, AttemptHistory[]>();
  const damaged: JobHistory['damaged'] = [];
  for (const entry of stored) {
    if (!('record' in entry)) {
      damaged.push(entry);
      continue;
    }
    const attempt: AttemptHistory = { ...entry.record, key: entry.key, status: statusOf(entry.record, entry.key === newest) };
    byRun.set(attempt.runId, [...(byRun.get(attempt.runId) ?? []), attempt]);
  }
  const runs: RunHistory[] = [...byRun].map(([runId, attempts]) => {
    attempts.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.attempt - b.attempt);
    const last = attempts.at(-1)!;
    return {
      runId, status: last.status, startedAt: attempts[0]!.startedAt,
      ...(last.end ? { endedAt: last.end.endedAt } : {}), attempts, checkpoints: [],
    };
  });
  runs.sort((a, b) => b.attempts.at(-1)!.startedAt.localeCompare(a.attempts.at(-1)!.startedAt));
  return { runs, damaged };
}

/** The record's outcome; without one, whether its process still runs here. */
function statusOf(record: RunRecord<JobSummary>, newest: boolean): AttemptStatus {
  if (record.end) return record.end.outcome;
  return newest && record.host === hostname() && processAlive(record.pid) ? 'running' : 'unrecorded';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function checkpointEntry(store: CheckpointStore, id: number): Promise<CheckpointEntry> {
  try {
    const manifest = await store.load(id);
    return { id, createdAt: manifest.createdAt, final: manifest.final, ...(manifest.runId ? { runId: manifest.runId } : {}) };
  } catch (error) {
    if (!(error instanceof CheckpointCorruptError)) throw error;
    return { id, damaged: error.reason };
  }
}
