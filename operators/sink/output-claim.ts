import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputConflictError } from '../../lib/errors/index.js';
import { namesIn } from './names-in.js';
import type { JobRun } from '../../lib/job-spec.js';

/** The file, in a FileSink's output folder, naming the run that writes there. */
export const RUN_MARKER = '_solstice_run';

/** Who writes an output folder: the marker's content. */
interface OutputOwner {
  jobId: string;
  runId: string;
  stage: string;
  startedAt: string;
}

/** Who may write an output folder, and what to call it in messages. */
export interface OutputClaimant {
  jobId: string;
  stage: string;
  run: JobRun;
  /** `FileSink output folder`, `dead letter folder`. */
  what: string;
}

/**
 * Refuses `dir` unless this run may write there: a new run does not write
 * beside another run's files, where a reader could not tell the two apart
 * (a re-run with other split sizes names its parts differently, so it would
 * add to the old rows, not replace them). The folder is this run's when its
 * marker names the run (its attempts before a restore wrote there), or when
 * it holds no data files; a restore of a checkpoint from before runs had ids
 * adopts a folder without a marker. Files and folders whose names start with
 * `_` or `.` are not data. Returns whether the marker already names the run.
 */
export async function checkOutputFolder(dir: string, claimant: OutputClaimant): Promise<boolean> {
  const { run, jobId } = claimant;
  // The folder first, then the marker: a worker of this run writes the marker before its first file, so
  // files seen here are of a run whose marker is seen below, though another worker committed in between.
  const data = (await namesIn(dir)).filter((name) => !/^[_.]/.test(name)).sort();
  const marker = await readMarker(dir);
  if (marker && marker.jobId === jobId && marker.runId === run.id) return true;
  if (data.length > 0 && (marker || run.resumedFrom === undefined)) {
    const by = marker
      ? `another run${marker.jobId === jobId ? ` of job '${marker.jobId}'` : ` (job '${marker.jobId}')`}, started ${marker.startedAt}`
      : 'no run of a solstice-node job';
    throw new OutputConflictError(dir, `${claimant.what} '${dir}' holds ${data.length} file(s) written by ${by} (${data.slice(0, 3).join(', ')}${data.length > 3 ? ', ...' : ''}); ` +
      'a new run does not write beside them: remove them or write elsewhere (to resume the run that wrote them, restore one of its checkpoints)');
  }
  return false;
}

/**
 * Makes `dir` this run's output folder (its marker names the run), or
 * refuses it as checkOutputFolder does; called before the run's first
 * files land there, so a run that fails before it commits leaves nothing.
 * The marker is written whole in `scratch` (a folder of the writer's own on
 * the same file system, removed when its writes are aborted), then renamed
 * into place: a reader never sees half a marker, and a process killed in
 * between leaves nothing in `dir`.
 */
export async function claimOutputFolder(dir: string, claimant: OutputClaimant, scratch: string): Promise<void> {
  if (await checkOutputFolder(dir, claimant)) return;
  await mkdir(dir, { recursive: true });
  await mkdir(scratch, { recursive: true });
  const mine: OutputOwner = { jobId: claimant.jobId, runId: claimant.run.id, stage: claimant.stage, startedAt: new Date().toISOString() };
  const temporary = join(scratch, `.${RUN_MARKER}.${process.pid}.${Math.random().toString(36).slice(2)}`);
  await writeFile(temporary, `${JSON.stringify(mine)}\n`);
  await rename(temporary, join(dir, RUN_MARKER));
}

async function readMarker(dir: string): Promise<OutputOwner | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, RUN_MARKER), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as Partial<OutputOwner>;
    if (typeof owner.jobId === 'string' && typeof owner.runId === 'string') return owner as OutputOwner;
  } catch {
    // Refused below, naming the file.
  }
  throw new OutputConflictError(dir, `${join(dir, RUN_MARKER)} does not say which run writes '${dir}' (it should hold {"jobId", "runId", ...}); remove it if the folder's files may be replaced`);
}

