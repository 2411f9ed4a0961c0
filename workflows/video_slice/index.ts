/**
 * video_slice: cut videos into scenes, with ffmpeg, into a Lance table.
 *
 *   videos (LanceTableSource, a video per split) -> detect [2, 6] -> slice [2, 4] -+-> keep -> hash -> sink
 *                                                                                  +-> errors -> errors-sink
 *
 * Its options are declared in `options` below (`run --workflow video_slice --help`).
 */
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import {
  checkWorkflowConfig, FileSink, FilterOperator, Job, LanceSink, LanceTableSource, MapOperator, OperatorConfigError, Stage, type Row, type WorkflowConfig, type WorkflowOptions,
} from '../../lib/index.js';
import { DetectScenes } from './detect-scenes.js';
import { SliceScenes, type SliceRow } from './slice-scenes.js';
import { importVideos } from './videos-table.js';

export { importVideos } from './videos-table.js';

/** What `solstice-node run --workflow video_slice` takes besides its own options, and `createJob`'s config. */
export const options = {
  output: { type: 'string', describe: 'The slices\' Lance table (--sink lance), e.g. out/slices.lance, or folder (--sink file: Parquet). Required' },
  videos: { type: 'string', describe: 'A folder of videos; its table (--source) is built or brought up to date first' },
  source: { type: 'string', describe: 'A Lance table with a `video` column of paths, one row per video. Default: videos.lance beside --output' },
  sceneThreshold: { type: 'number', min: 0, default: 0.3, describe: 'ffmpeg\'s scene score (0 to 1) above which a frame starts a scene' },
  minSceneSecs: { type: 'number', min: 0, default: 1, describe: 'Scenes shorter than this are merged into the one before' },
  keepEvery: { type: 'number', integer: true, min: 1, default: 1, describe: 'Keep scenes 0, n, 2n...: 1 keeps every slice' },
  sink: { type: 'string', choices: ['lance', 'file'], default: 'lance', describe: 'Where slices go: a Lance table, or Parquet files' },
  mode: { type: 'string', choices: ['create', 'append', 'overwrite'], default: 'create', describe: 'The LanceSink\'s mode' },
  onError: { type: 'string', choices: ['record', 'fail'], default: 'record', describe: 'A video or scene ffmpeg cannot read: record it in --errors and go on, or fail the job' },
  errors: { type: 'string', describe: 'Where unreadable videos and scenes are recorded (JSON lines). Default: --output without .lance, plus -errors (out/slices-errors)' },
  timeoutSecs: { type: 'number', min: 0.001, default: 600, describe: 'Longest an ffmpeg or ffprobe run may take, in seconds' },
  checkpointIntervalSecs: { type: 'number', min: 0, describe: 'Seconds between checkpoints (default the Job\'s, 5)' },
} as const satisfies WorkflowOptions;

/** video_slice's config as `createJob` takes it: every option optional. */
export type VideoSliceConfig = Partial<WorkflowConfig<typeof options>>;

/** A slice as stored: the scene, its bytes, their SHA-256 and size. */
export interface StoredSlice extends Row {
  video: string;
  scene: number;
  start: number;
  end: number;
  duration: number;
  width: number;
  height: number;
  fps: number;
  method: string;
  sha256: string;
  size: number;
  bytes: Uint8Array;
}

export async function createJob(jobId: string, given: VideoSliceConfig = {}): Promise<Job> {
  const config = checkWorkflowConfig(options, given, 'video_slice');
  if (!config.output) throw new OperatorConfigError('video_slice needs --output: the slices\' Lance table (e.g. out/slices.lance), or a folder with --sink file');
  const output = resolve(config.output);
  const source = resolve(config.source ?? join(dirname(output), 'videos.lance'));
  if (config.videos !== undefined) await importVideos(config.videos, source);
  else if (config.source === undefined) throw new OperatorConfigError('video_slice needs --videos (a folder of videos) or --source (a Lance table of them)');
  const { onError, sink, keepEvery, timeoutSecs } = config;

  const job = new Job({ jobId, checkpointIntervalSecs: config.checkpointIntervalSecs });
  job.addStage(new Stage('videos', LanceTableSource, { uri: source, columns: ['video'], batchRows: 1 }, 1));
  job.addStage(new Stage('detect', DetectScenes, {
    threshold: config.sceneThreshold, minSceneSecs: config.minSceneSecs, timeoutSecs, onError,
  }, [2, 6]), ['videos']);
  job.addStage(new Stage('slice', SliceScenes, { timeoutSecs, onError }, [2, 4]), ['detect']);
  job.addStage(new Stage('keep', FilterOperator<SliceRow>, { fn: (row) => row.error === null && row.scene % keepEvery === 0 }, 2), ['slice']);
  job.addStage(new Stage('hash', MapOperator<SliceRow, StoredSlice>, { fn: storedSlice }, 2), ['keep']);
  job.addStage(sink === 'lance'
    ? new Stage('sink', LanceSink, { uri: output, mode: config.mode }, 2)
    : new Stage('sink', FileSink, { path: output, format: 'parquet' }, 2), ['hash']);
  job.addStage(new Stage('errors', FilterOperator<SliceRow>, { fn: (row) => row.error !== null }, 1), ['slice']);
  job.addStage(new Stage('errors-sink', FileSink, { path: resolve(config.errors ?? `${output.replace(/\.lance$/, '')}-errors`), format: 'jsonl' }, 1, { errorOutput: true }), ['errors']);
  return job;
}

/** The stored columns of a slice, with the SHA-256 (hex) and size of its bytes. */
export function storedSlice(row: SliceRow): StoredSlice {
  const bytes = row.bytes!;
  return {
    video: row.video, scene: row.scene, start: row.start!, end: row.end!, duration: row.duration!,
    width: row.width!, height: row.height!, fps: row.fps!, method: row.method!,
    sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength, bytes,
  };
}
